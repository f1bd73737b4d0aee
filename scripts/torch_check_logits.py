#!/usr/bin/python3
"""torch_check_logits.py: an independent GPT-2 forward pass in PyTorch over a
Hugging Face style model directory, the reference for checkpoint's tests.

Usage: /usr/bin/python3 scripts/torch_check_logits.py IDS DIR [DIR...] [--dtype float64|float32]

Each DIR holds config.json and model.safetensors as transformers'
GPT2LMHeadModel saves them (align's SaveHF writes the same). IDS is a
comma-separated list of token ids. Prints one JSON line per DIR:
{"logits": [[V floats] per position], "scalars": [[K floats] per position]}
(scalars empty without "score.*"). Computes in float64 unless told otherwise.

Nothing here comes from align: the safetensors header is parsed with json and
struct, and the model follows Hugging Face's GPT-2, whose Conv1D layers
compute x @ W + b with W stored [in, out]. A checkpoint that stores those
matrices the other way round gives different logits, even for the square
attn.c_proj. Needs only Debian's python3-torch (1.13).
"""
import json
import math
import struct
import sys

import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def read_safetensors(path):
    """Returns {name: tensor} for a safetensors file (F32, F16 or BF16)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        dt = DTYPES.get(info["dtype"])
        if dt is None:
            raise SystemExit(f"{path}: tensor {name}: unsupported dtype {info['dtype']}")
        buf = bytearray(data[base + begin : base + end])
        t = torch.frombuffer(buf, dtype=dt) if len(buf) else torch.zeros(0, dtype=dt)
        out[name] = t.reshape(info["shape"])
    return out


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


def forward(cfg, w, ids, dtype):
    def p(name):
        for key in ("transformer." + name, name):
            if key in w:
                return w[key].to(dtype)
        raise SystemExit(f"missing tensor {name}")

    eps = cfg.get("layer_norm_epsilon", 1e-5)
    C, NH = cfg["n_embd"], cfg["n_head"]
    hd = C // NH
    T = len(ids)
    idx = torch.tensor(ids, dtype=torch.long)

    def ln(x, prefix):
        return torch.nn.functional.layer_norm(x, (C,), p(prefix + ".weight"), p(prefix + ".bias"), eps)

    def conv1d(x, prefix):  # Hugging Face Conv1D: weight [in, out]
        return x @ p(prefix + ".weight") + p(prefix + ".bias")

    x = p("wte.weight")[idx] + p("wpe.weight")[:T]
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for l in range(cfg["n_layer"]):
        h = f"h.{l}."
        qkv = conv1d(ln(x, h + "ln_1"), h + "attn.c_attn")
        q, k, v = qkv.split(C, dim=-1)
        q, k, v = (t.reshape(T, NH, hd).transpose(0, 1) for t in (q, k, v))
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(0, 1).reshape(T, C)
        x = x + conv1d(y, h + "attn.c_proj")
        m = gelu_new(conv1d(ln(x, h + "ln_2"), h + "mlp.c_fc"))
        x = x + conv1d(m, h + "mlp.c_proj")
    x = ln(x, "ln_f")
    head = w["lm_head.weight"].to(dtype) if "lm_head.weight" in w else p("wte.weight")
    logits = x @ head.T
    scalars = torch.zeros(T, 0, dtype=dtype)
    if "score.weight" in w:
        scalars = x @ w["score.weight"].to(dtype).T
        if "score.bias" in w:
            scalars = scalars + w["score.bias"].to(dtype)
    return logits, scalars


def main():
    args = sys.argv[1:]
    dtype = torch.float64
    if "--dtype" in args:
        i = args.index("--dtype")
        dtype = {"float64": torch.float64, "float32": torch.float32}[args[i + 1]]
        del args[i : i + 2]
    if len(args) < 2:
        raise SystemExit(__doc__)
    ids = [int(s) for s in args[0].split(",") if s]
    torch.set_num_threads(2)
    for d in args[1:]:
        with open(f"{d}/config.json") as f:
            cfg = json.load(f)
        w = read_safetensors(f"{d}/model.safetensors")
        with torch.no_grad():
            logits, scalars = forward(cfg, w, ids, dtype)
        json.dump({"logits": logits.tolist(), "scalars": scalars.tolist()}, sys.stdout)
        sys.stdout.write("\n")


if __name__ == "__main__":
    main()
