"""A Llama-family forward pass in PyTorch (float64), for model's TestLlamaTorch.

Written for align's test from the architecture's definition (Llama, Qwen2's
q/k/v biases, Qwen3's q/k RMSNorm, Llama 3 rope scaling, grouped-query
attention), not from align's code. Usage: llama_torch.py DIR, where DIR holds
meta.json (config, tensor names/shapes/offsets, token ids) and weights.bin
(float32, little-endian). Writes logits.bin and scalars.bin (float64).
"""
import json
import math
import sys

import torch

d = sys.argv[1]
meta = json.load(open(d + "/meta.json"))
cfg = meta["config"]
flat = torch.frombuffer(bytearray(open(d + "/weights.bin", "rb").read()), dtype=torch.float32).double()
W = {}
for t in meta["tensors"]:
    n = math.prod(t["shape"])
    W[t["name"]] = flat[t["offset"]:t["offset"] + n].view(*t["shape"])

B, T = meta["batch"], meta["length"]
ids = torch.tensor(meta["inputs"], dtype=torch.long).view(B, T)
NH, NKV, HD, eps = cfg["heads"], cfg["kv_heads"], cfg["head_dim"], cfg["eps"]


def rms(x, w):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


inv = cfg["theta"] ** (-torch.arange(0, HD, 2, dtype=torch.float64) / HD)
s = cfg.get("scaling")
if s:
    old, lo, hi, factor = s["old"], s["low"], s["high"], s["factor"]
    wavelen = 2 * math.pi / inv
    scaled = torch.where(wavelen > old / lo, inv / factor, inv)
    smooth = (old / wavelen - lo) / (hi - lo)
    blended = (1 - smooth) * scaled / factor + smooth * scaled
    medium = (wavelen >= old / hi) & (wavelen <= old / lo)
    inv = torch.where(medium, blended, scaled)
ang = torch.outer(torch.arange(T, dtype=torch.float64), inv)
cos, sin = torch.cat([ang, ang], -1).cos(), torch.cat([ang, ang], -1).sin()


def rope(x):  # (B, heads, T, HD), rotate_half convention
    x1, x2 = x[..., : HD // 2], x[..., HD // 2:]
    return x * cos + torch.cat([-x2, x1], -1) * sin


def proj(x, name):
    y = x @ W[name + ".weight"].T
    if name + ".bias" in W:
        y = y + W[name + ".bias"]
    return y


x = W["model.embed_tokens.weight"][ids]
mask = torch.full((T, T), float("-inf"), dtype=torch.float64).triu(1)
for l in range(cfg["layers"]):
    p = "model.layers.%d." % l
    h = rms(x, W[p + "input_layernorm.weight"])
    q = proj(h, p + "self_attn.q_proj").view(B, T, NH, HD)
    k = proj(h, p + "self_attn.k_proj").view(B, T, NKV, HD)
    v = proj(h, p + "self_attn.v_proj").view(B, T, NKV, HD)
    if cfg["qk_norm"]:
        q = rms(q, W[p + "self_attn.q_norm.weight"])
        k = rms(k, W[p + "self_attn.k_norm.weight"])
    q, k, v = rope(q.transpose(1, 2)), rope(k.transpose(1, 2)), v.transpose(1, 2)
    k = k.repeat_interleave(NH // NKV, dim=1)
    v = v.repeat_interleave(NH // NKV, dim=1)
    att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(HD) + mask, -1)
    y = (att @ v).transpose(1, 2).reshape(B, T, NH * HD)
    x = x + y @ W[p + "self_attn.o_proj.weight"].T
    h = rms(x, W[p + "post_attention_layernorm.weight"])
    g = torch.nn.functional.silu(h @ W[p + "mlp.gate_proj.weight"].T)
    x = x + (g * (h @ W[p + "mlp.up_proj.weight"].T)) @ W[p + "mlp.down_proj.weight"].T
x = rms(x, W["model.norm.weight"])
head = W["model.embed_tokens.weight"] if cfg["tied"] else W["lm_head.weight"]
(x @ head.T).contiguous().numpy().astype("<f8").tofile(d + "/logits.bin")
if "score.weight" in W:
    proj(x, "score").contiguous().numpy().astype("<f8").tofile(d + "/scalars.bin")
