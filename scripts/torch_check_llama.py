#!/usr/bin/python3
"""torch_check_llama.py: an independent Llama / Qwen2 / Qwen3 forward pass in
PyTorch (float64) over a Hugging Face model directory, the reference for
checkpoint's Llama-family tests.

Usage: /usr/bin/python3 scripts/torch_check_llama.py IDS DIR [DIR...]

Each DIR holds config.json and model.safetensors, or shards named by
model.safetensors.index.json, as transformers' save_pretrained writes them
(align's SaveHF writes the same). IDS is a comma-separated list of token
ids. A DIR that also holds a PEFT LoRA adapter (adapter_config.json and
adapter_model.safetensors, as peft's save_pretrained writes them) is run
with the adapter on, as peft's LoraLayer computes it unmerged: every
adapted projection adds (x·Aᵀ)·Bᵀ·lora_alpha/r. Writes DIR/torch_logits.bin: the logits, T×V little-endian float64.

Nothing here comes from align: the safetensors files are parsed with json
and struct, and the model follows the published architecture read from
config.json alone: RMSNorm, rotary embeddings in the rotate-half convention
(with Llama 3 frequency scaling when rope_scaling says llama3), grouped-query
attention, SwiGLU, separate q/k/v projections (biased for qwen2), per-head
q/k RMSNorm for qwen3, and an LM head tied to the embedding unless
tie_word_embeddings is false. Needs only Debian's python3-torch.
"""
import json
import math
import os
import struct
import sys

import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def read_safetensors(path, out):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    base = 8 + n
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        dt = DTYPES.get(info["dtype"])
        if dt is None:
            raise SystemExit(f"{path}: tensor {name}: unsupported dtype {info['dtype']}")
        buf = bytearray(data[base + begin : base + end])
        out[name] = torch.frombuffer(buf, dtype=dt).reshape(info["shape"]).double()


def read_weights(d):
    w = {}
    if os.path.exists(f"{d}/model.safetensors"):
        read_safetensors(f"{d}/model.safetensors", w)
        return w
    with open(f"{d}/model.safetensors.index.json") as f:
        index = json.load(f)
    for shard in sorted(set(index["weight_map"].values())):
        read_safetensors(f"{d}/{shard}", w)
    return w


def inv_freq(cfg, hd):
    inv = cfg.get("rope_theta", 10000.0) ** (-torch.arange(0, hd, 2, dtype=torch.float64) / hd)
    s = cfg.get("rope_scaling")
    if not s:
        return inv
    if s.get("rope_type", s.get("type")) != "llama3":
        raise SystemExit(f"rope_scaling {s} not supported")
    old, lo, hi, factor = s["original_max_position_embeddings"], s["low_freq_factor"], s["high_freq_factor"], s["factor"]
    wavelen = 2 * math.pi / inv
    out = torch.where(wavelen > old / lo, inv / factor, inv)
    smooth = (old / wavelen - lo) / (hi - lo)
    mid = (wavelen <= old / lo) & (wavelen >= old / hi)
    return torch.where(mid, (1 - smooth) * inv / factor + smooth * inv, out)


def read_adapter(d):
    if not os.path.exists(f"{d}/adapter_config.json"):
        return {}, 0.0
    with open(f"{d}/adapter_config.json") as f:
        ac = json.load(f)
    if ac["peft_type"] != "LORA" or ac.get("use_rslora") or ac.get("use_dora") or ac.get("bias", "none") != "none":
        raise SystemExit(f"{d}: adapter {ac} not supported")
    ad = {}
    read_safetensors(f"{d}/adapter_model.safetensors", ad)
    return ad, ac["lora_alpha"] / ac["r"]


def forward(cfg, w, ids, adapter=({}, 0.0)):
    ad, scale = adapter
    used = set()
    mt = cfg["model_type"]
    C, NH = cfg["hidden_size"], cfg["num_attention_heads"]
    NKV = cfg.get("num_key_value_heads", NH)
    HD = cfg.get("head_dim") or C // NH
    eps = cfg.get("rms_norm_eps", 1e-6)
    T = len(ids)

    def rms(x, weight):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight

    ang = torch.outer(torch.arange(T, dtype=torch.float64), inv_freq(cfg, HD))
    cos, sin = torch.cat([ang, ang], -1).cos(), torch.cat([ang, ang], -1).sin()

    def rope(x):  # (heads, T, HD)
        x1, x2 = x[..., : HD // 2], x[..., HD // 2 :]
        return x * cos + torch.cat([-x2, x1], -1) * sin

    def linear(x, name):
        y = x @ w[name + ".weight"].T
        if name + ".bias" in w:
            y = y + w[name + ".bias"]
        a = "base_model.model." + name + ".lora_A.weight"
        if a in ad:
            b = a.replace(".lora_A.", ".lora_B.")
            y = y + (x @ ad[a].T) @ ad[b].T * scale
            used.update((a, b))
        return y

    x = w["model.embed_tokens.weight"][torch.tensor(ids, dtype=torch.long)]
    mask = torch.full((T, T), float("-inf"), dtype=torch.float64).triu(1)
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        h = rms(x, w[p + "input_layernorm.weight"])
        q = linear(h, p + "self_attn.q_proj").view(T, NH, HD)
        k = linear(h, p + "self_attn.k_proj").view(T, NKV, HD)
        v = linear(h, p + "self_attn.v_proj").view(T, NKV, HD)
        if mt == "qwen3":
            q = rms(q, w[p + "self_attn.q_norm.weight"])
            k = rms(k, w[p + "self_attn.k_norm.weight"])
        q, k, v = rope(q.transpose(0, 1)), rope(k.transpose(0, 1)), v.transpose(0, 1)
        k = k.repeat_interleave(NH // NKV, dim=0)
        v = v.repeat_interleave(NH // NKV, dim=0)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(HD) + mask, -1)
        y = (att @ v).transpose(0, 1).reshape(T, NH * HD)
        x = x + linear(y, p + "self_attn.o_proj")
        h = rms(x, w[p + "post_attention_layernorm.weight"])
        g = torch.nn.functional.silu(linear(h, p + "mlp.gate_proj"))
        x = x + linear(g * linear(h, p + "mlp.up_proj"), p + "mlp.down_proj")
    if set(ad) != used:
        raise SystemExit(f"adapter tensors not used: {sorted(set(ad) - used)}")
    x = rms(x, w["model.norm.weight"])
    tied = cfg.get("tie_word_embeddings", False)
    head = w["model.embed_tokens.weight"] if tied else w["lm_head.weight"]
    return x @ head.T


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        raise SystemExit(__doc__)
    ids = [int(s) for s in args[0].split(",") if s]
    torch.set_num_threads(2)
    for d in args[1:]:
        with open(f"{d}/config.json") as f:
            cfg = json.load(f)
        with torch.no_grad():
            logits = forward(cfg, read_weights(d), ids, read_adapter(d))
        logits.contiguous().numpy().astype("<f8").tofile(f"{d}/torch_logits.bin")


if __name__ == "__main__":
    main()
