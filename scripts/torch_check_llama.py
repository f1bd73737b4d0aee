#!/usr/bin/python3
"""torch_check_llama.py: an independent Llama / Qwen2 / Qwen3 forward pass in
PyTorch over a Hugging Face model directory, and one SFT optimizer step with
autograd and torch.optim.AdamW: the reference for checkpoint's Llama-family
tests.

Usage:
  /usr/bin/python3 scripts/torch_check_llama.py IDS DIR [DIR...]
  /usr/bin/python3 scripts/torch_check_llama.py --sft-step STEP.json DIR OUT

Each DIR holds config.json and model.safetensors, or shards named by
model.safetensors.index.json, as transformers' save_pretrained writes them
(align's SaveHF writes the same).

The first form runs in float64. IDS is a comma-separated list of token ids.
A DIR that also holds a PEFT LoRA adapter (adapter_config.json and
adapter_model.safetensors, as peft's save_pretrained writes them) is run
with the adapter on, as peft's LoraLayer computes it unmerged: every
adapted projection adds (x·Aᵀ)·Bᵀ·lora_alpha/r.
Writes DIR/torch_logits.bin: the logits, T×V little-endian float64.

The second form takes one SFT step on the model of DIR and writes the
updated model to OUT (config.json, model.safetensors in float32) with
OUT/torch_step.json ({"loss", "grad_norm"}). STEP.json holds "batch" (B),
"length" (T), "inputs" and "targets" (B·T token ids; a negative target is
padding), "weights" (B·T loss weights, the SFT mask), "lr", "beta1",
"beta2", "eps", "weight_decay", "clip" (0: none) and "dtype" ("float64" or
"float32"). The loss is the weighted mean of the token cross-entropies; the
gradients are clipped with torch.nn.utils.clip_grad_norm_ and the step is
torch.optim.AdamW's, with weight decay on the matrices (embedding included)
and none on norms and biases.

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


def read_safetensors(path, out, dtype=torch.float64):
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
        out[name] = torch.frombuffer(buf, dtype=dt).reshape(info["shape"]).to(dtype)


def read_weights(d, dtype=torch.float64):
    w = {}
    if os.path.exists(f"{d}/model.safetensors"):
        read_safetensors(f"{d}/model.safetensors", w, dtype)
        return w
    with open(f"{d}/model.safetensors.index.json") as f:
        index = json.load(f)
    for shard in sorted(set(index["weight_map"].values())):
        read_safetensors(f"{d}/{shard}", w, dtype)
    return w


def write_safetensors(path, tensors):
    """Writes tensors (name → float32 tensor) as one safetensors file."""
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        b = tensors[name].detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


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
    """Logits (B, T, V) for the token ids (B, T), in the weights' dtype."""
    ad, scale = adapter
    used = set()
    mt = cfg["model_type"]
    C, NH = cfg["hidden_size"], cfg["num_attention_heads"]
    NKV = cfg.get("num_key_value_heads", NH)
    HD = cfg.get("head_dim") or C // NH
    eps = cfg.get("rms_norm_eps", 1e-6)
    B, T = ids.shape
    dt = w["model.embed_tokens.weight"].dtype

    def rms(x, weight):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight

    ang = torch.outer(torch.arange(T, dtype=torch.float64), inv_freq(cfg, HD))
    cos, sin = torch.cat([ang, ang], -1).cos().to(dt), torch.cat([ang, ang], -1).sin().to(dt)

    def rope(x):  # (B, heads, T, HD)
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

    x = w["model.embed_tokens.weight"][ids]
    mask = torch.full((T, T), float("-inf"), dtype=dt).triu(1)
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        h = rms(x, w[p + "input_layernorm.weight"])
        q = linear(h, p + "self_attn.q_proj").view(B, T, NH, HD)
        k = linear(h, p + "self_attn.k_proj").view(B, T, NKV, HD)
        v = linear(h, p + "self_attn.v_proj").view(B, T, NKV, HD)
        if mt == "qwen3":
            q = rms(q, w[p + "self_attn.q_norm.weight"])
            k = rms(k, w[p + "self_attn.k_norm.weight"])
        q, k, v = rope(q.transpose(1, 2)), rope(k.transpose(1, 2)), v.transpose(1, 2)
        k = k.repeat_interleave(NH // NKV, dim=1)
        v = v.repeat_interleave(NH // NKV, dim=1)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(HD) + mask, -1)
        y = (att @ v).transpose(1, 2).reshape(B, T, NH * HD)
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


def sft_step(spec_path, d, out):
    with open(spec_path) as f:
        spec = json.load(f)
    with open(f"{d}/config.json") as f:
        cfg_text = f.read()
    cfg = json.loads(cfg_text)
    dt = {"float64": torch.float64, "float32": torch.float32}[spec.get("dtype", "float64")]
    w = read_weights(d, dt)
    for t in w.values():
        t.requires_grad_(True)
    B, T = spec["batch"], spec["length"]
    ids = torch.tensor(spec["inputs"], dtype=torch.long).view(B, T)
    targets = torch.tensor(spec["targets"], dtype=torch.long).view(B * T)
    weights = torch.tensor(spec["weights"], dtype=dt).view(B * T) * (targets >= 0)
    logits = forward(cfg, w, ids).view(B * T, -1)
    ce = torch.nn.functional.cross_entropy(logits, targets.clamp(min=0), reduction="none")
    loss = (ce * weights).sum() / weights.sum()
    loss.backward()
    del logits, ce
    params = [w[n] for n in sorted(w)]
    if spec["clip"] > 0:
        norm = torch.nn.utils.clip_grad_norm_(params, spec["clip"]).item()
    else:
        norm = math.sqrt(sum(float(p.grad.double().pow(2).sum()) for p in params))
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": spec["weight_decay"]},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=spec["lr"], betas=(spec["beta1"], spec["beta2"]), eps=spec["eps"])
    opt.step()
    os.makedirs(out, exist_ok=True)
    with open(f"{out}/config.json", "w") as f:
        f.write(cfg_text)
    write_safetensors(f"{out}/model.safetensors", w)
    with open(f"{out}/torch_step.json", "w") as f:
        json.dump({"loss": loss.item(), "grad_norm": norm}, f)


def main():
    args = sys.argv[1:]
    torch.set_num_threads(2)
    if args[:1] == ["--sft-step"]:
        if len(args) != 4:
            raise SystemExit(__doc__)
        sft_step(*args[1:])
        return
    if len(args) < 2:
        raise SystemExit(__doc__)
    ids = torch.tensor([[int(s) for s in args[0].split(",") if s]], dtype=torch.long)
    for d in args[1:]:
        with open(f"{d}/config.json") as f:
            cfg = json.load(f)
        with torch.no_grad():
            logits = forward(cfg, read_weights(d), ids, read_adapter(d))[0]
        logits.contiguous().numpy().astype("<f8").tofile(f"{d}/torch_logits.bin")


if __name__ == "__main__":
    main()
