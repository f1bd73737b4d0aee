#!/usr/bin/python3
"""Time a Llama-family model in PyTorch, the peer of `align bench llama`.

A Llama written for PyTorch as its users write one (nn.Linear projections
without bias, RMSNorm, rotary embeddings in the rotate-half convention,
grouped-query attention, SwiGLU, an LM head tied to the embedding), with
random weights, times:

  train     steps of forward, cross-entropy, zero grad, backward, clipping
            to norm 1.0 and torch.optim.AdamW (lr 3e-4, betas 0.9/0.95,
            weight decay 0.1 on matrices) on one fixed batch of random tokens;
  generate  greedy decoding with a key/value cache written here: one forward
            pass over the prompt fills the cache, then each new token is one
            forward pass of one row attending to the cache; in float32, or
            with --dtype bfloat16 in bfloat16 throughout (weights,
            activations, cache), as model.to(torch.bfloat16) runs it.

Prints one JSON object: the two measurements, the thread count, and the BLAS
library the process loaded with the GFLOP/s of a 1024² float32 matmul.
Needs only Debian's python3-torch (1.13); no transformers.
"""

import argparse
import json
import math
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Config:
    def __init__(self, a):
        self.layers, self.dim, self.heads, self.kv_heads = a.layers, a.dim, a.heads, a.kv_heads
        self.hidden, self.vocab, self.theta, self.eps = a.hidden, a.vocab, a.rope_theta, a.eps
        self.head_dim = a.dim // a.heads


class RMSNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight, self.eps = nn.Parameter(torch.ones(n)), eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate(x, cos, sin):  # x (B, heads, T, HD); cos, sin (T, HD)
    h = x.shape[-1] // 2
    return x * cos + torch.cat([-x[..., h:], x[..., :h]], -1) * sin


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        hd = c.head_dim
        self.input_layernorm = RMSNorm(c.dim, c.eps)
        self.q_proj = nn.Linear(c.dim, c.heads * hd, bias=False)
        self.k_proj = nn.Linear(c.dim, c.kv_heads * hd, bias=False)
        self.v_proj = nn.Linear(c.dim, c.kv_heads * hd, bias=False)
        self.o_proj = nn.Linear(c.heads * hd, c.dim, bias=False)
        self.post_attention_layernorm = RMSNorm(c.dim, c.eps)
        self.gate_proj = nn.Linear(c.dim, c.hidden, bias=False)
        self.up_proj = nn.Linear(c.dim, c.hidden, bias=False)
        self.down_proj = nn.Linear(c.hidden, c.dim, bias=False)

    def forward(self, x, cos, sin, cache=None, pos=0):
        """x (B, T, C) at positions pos..pos+T-1. With cache (k, v) of
        (B, NKV, max, HD) each, the new keys and values are stored at those
        positions and the rows attend to all cached ones."""
        c = self.c
        B, T, _ = x.shape
        hd, rep = c.head_dim, c.heads // c.kv_heads
        h = self.input_layernorm(x)
        q = self.q_proj(h).view(B, T, c.heads, hd).transpose(1, 2)
        k = self.k_proj(h).view(B, T, c.kv_heads, hd).transpose(1, 2)
        v = self.v_proj(h).view(B, T, c.kv_heads, hd).transpose(1, 2)
        q, k = rotate(q, cos, sin), rotate(k, cos, sin)
        if cache is not None:
            kc, vc = cache
            kc[:, :, pos : pos + T] = k
            vc[:, :, pos : pos + T] = v
            k, v = kc[:, :, : pos + T], vc[:, :, : pos + T]
        S = k.shape[2]
        k = k[:, :, None].expand(B, c.kv_heads, rep, S, hd).reshape(B, c.heads, S, hd)
        v = v[:, :, None].expand(B, c.kv_heads, rep, S, hd).reshape(B, c.heads, S, hd)
        att = (q @ k.transpose(-1, -2)) * (1 / math.sqrt(hd))
        if T > 1:
            att = att + torch.full((T, S), float("-inf"), dtype=att.dtype).triu(S - T + 1)
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, T, c.heads * hd)
        x = x + self.o_proj(y)
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Llama(nn.Module):
    def __init__(self, c, max_len):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c.vocab, c.dim)
        self.layers = nn.ModuleList(Block(c) for _ in range(c.layers))
        self.norm = RMSNorm(c.dim, c.eps)
        inv = c.theta ** (-torch.arange(0, c.head_dim, 2, dtype=torch.float64) / c.head_dim)
        ang = torch.outer(torch.arange(max_len, dtype=torch.float64), inv)
        ang = torch.cat([ang, ang], -1)
        self.register_buffer("cos", ang.cos().float(), persistent=False)
        self.register_buffer("sin", ang.sin().float(), persistent=False)
        for p in self.parameters():
            if p.dim() == 2:
                nn.init.normal_(p, std=0.02)

    def forward(self, ids, caches=None, pos=0):
        T = ids.shape[1]
        cos, sin = self.cos[pos : pos + T], self.sin[pos : pos + T]
        x = self.embed_tokens(ids)
        for i, layer in enumerate(self.layers):
            x = layer(x, cos, sin, None if caches is None else caches[i], pos)
        return self.norm(x) @ self.embed_tokens.weight.T  # tied LM head


def train(model, a, g):
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
        lr=3e-4, betas=(0.9, 0.95), eps=1e-8,
    )
    B, T = a.batch, a.ctx
    seq = torch.randint(0, a.vocab, (B, T + 1), generator=g)
    inputs, targets = seq[:, :T].contiguous(), seq[:, 1:].contiguous()

    def step():
        logits = model(inputs)
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss.item()

    first = last = None
    for i in range(a.warmup + a.steps):
        if i == a.warmup:
            start = time.perf_counter()
        last = step()
        if first is None:
            first = last
    elapsed = time.perf_counter() - start
    return {
        "batch": B, "ctx": T, "steps": a.steps, "warmup": a.warmup, "tokens_per_step": B * T,
        "tokens_per_sec": B * T * a.steps / elapsed, "ms_per_step": elapsed * 1000 / a.steps,
        "loss_first": first, "loss_last": last,
    }


@torch.inference_mode()
def generate(model, prompt, new_tokens):
    c = model.c
    max_len = prompt.shape[1] + new_tokens
    dt = model.embed_tokens.weight.dtype
    caches = [(torch.zeros(1, c.kv_heads, max_len, c.head_dim, dtype=dt),
               torch.zeros(1, c.kv_heads, max_len, c.head_dim, dtype=dt))
              for _ in range(c.layers)]
    logits = model(prompt, caches, 0)[:, -1]
    out, pos = [], prompt.shape[1]
    for i in range(new_tokens):
        nxt = logits.argmax(-1, keepdim=True)
        out.append(int(nxt))
        if i + 1 == new_tokens:
            break
        logits = model(nxt, caches, pos)[:, -1]
        pos += 1
    return out


def blas_info():
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            if "blas" in path.lower() or "mkl" in path.lower():
                libs.add(path)
    a = torch.randn(1024, 1024)
    a @ a
    n, start = 10, time.perf_counter()
    for _ in range(n):
        a @ a
    dt = (time.perf_counter() - start) / n
    return sorted(libs), 2 * 1024**3 / dt / 1e9


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--layers", type=int, default=30)
    p.add_argument("--dim", type=int, default=576)
    p.add_argument("--heads", type=int, default=9)
    p.add_argument("--kv-heads", type=int, default=3)
    p.add_argument("--hidden", type=int, default=1536)
    p.add_argument("--vocab", type=int, default=49152)
    p.add_argument("--rope-theta", type=float, default=100000)
    p.add_argument("--eps", type=float, default=1e-5)
    p.add_argument("--batch", type=int, default=4, help="training sequences per step")
    p.add_argument("--ctx", type=int, default=256, help="training sequence length")
    p.add_argument("--steps", type=int, default=5, help="timed training steps")
    p.add_argument("--warmup", type=int, default=1, help="untimed training steps first")
    p.add_argument("--prompt", type=int, default=32, help="prompt tokens of the generation")
    p.add_argument("--new-tokens", type=int, default=128, help="tokens generated")
    p.add_argument("--runs", type=int, default=2, help="timed generations")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--skip-train", action="store_true")
    p.add_argument("--skip-generate", action="store_true")
    p.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32",
                   help="generate with the model in this dtype (bfloat16: weights, activations and cache)")
    a = p.parse_args()
    if a.dtype == "bfloat16" and not a.skip_train:
        p.error("--dtype bfloat16 times generation only: add --skip-train")
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    g = torch.Generator().manual_seed(a.seed)
    libs, gflops = blas_info()
    c = Config(a)
    model = Llama(c, max(a.ctx, a.prompt + a.new_tokens))
    res = {
        "implementation": f"pytorch {torch.__version__}",
        "threads": torch.get_num_threads(),
        "blas": libs,
        "matmul_1024_gflops": gflops,
        "params": sum(p.numel() for p in model.parameters()),
    }
    if not a.skip_generate and a.dtype == "bfloat16":
        model.to(torch.bfloat16)  # as model.to(torch.bfloat16) does for a user: oneDNN's bf16 kernels
    if not a.skip_generate:
        model.eval()
        prompt = torch.randint(0, a.vocab, (1, a.prompt), generator=g)
        generate(model, prompt, min(8, a.new_tokens))  # warm-up
        start = time.perf_counter()
        for _ in range(a.runs):
            generate(model, prompt, a.new_tokens)
        elapsed = time.perf_counter() - start
        res["generate"] = {
            "prompt": a.prompt, "new_tokens": a.new_tokens, "runs": a.runs, "dtype": a.dtype,
            "tokens_per_sec": a.runs * a.new_tokens / elapsed, "ms_per_token": elapsed * 1000 / (a.runs * a.new_tokens),
        }
    if not a.skip_train:
        model.train()
        res["train"] = train(model, a, g)
    res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(res))


if __name__ == "__main__":
    main()
