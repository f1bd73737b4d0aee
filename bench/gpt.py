"""A GPT-2 in PyTorch with the architecture of align's model package.

Shared by pytorch_train.py and pytorch_generate.py, the reference points of
bench/compare.sh. Pre-LN blocks, fused QKV projection with biases, causal
self-attention, GELU (tanh approximation), learned position embeddings, a
final layernorm and an LM head tied to the token embedding: nanoGPT's model,
written against PyTorch 1.13 (no scaled_dot_product_attention).
"""

import argparse
import math
import resource
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, dim, heads, ctx):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(dim)
        self.c_attn = nn.Linear(dim, 3 * dim)
        self.attn_proj = nn.Linear(dim, dim)
        self.ln_2 = nn.LayerNorm(dim)
        self.c_fc = nn.Linear(dim, 4 * dim)
        self.mlp_proj = nn.Linear(4 * dim, dim)
        mask = torch.tril(torch.ones(ctx, ctx, dtype=torch.bool))
        self.register_buffer("mask", mask.view(1, 1, ctx, ctx), persistent=False)

    def forward(self, x):
        B, T, C = x.shape
        nh = self.heads
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        q = q.view(B, T, nh, C // nh).transpose(1, 2)  # (B, NH, T, HS)
        k = k.view(B, T, nh, C // nh).transpose(1, 2)
        v = v.view(B, T, nh, C // nh).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(C // nh))
        att = att.masked_fill(~self.mask[:, :, :T, :T], float("-inf"))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        x = x + self.attn_proj(y)
        x = x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))
        return x


class GPT(nn.Module):
    def __init__(self, layers, dim, heads, ctx, vocab):
        super().__init__()
        self.wte = nn.Embedding(vocab, dim)
        self.wpe = nn.Embedding(ctx, dim)
        self.blocks = nn.ModuleList([Block(dim, heads, ctx) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(dim)
        # GPT-2 initialisation; residual projections scaled by 1/sqrt(2L).
        for name, p in self.named_parameters():
            if name.endswith("proj.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * layers))
            elif p.dim() == 2:
                nn.init.normal_(p, 0.0, 0.02)
            elif name.endswith(".bias"):
                nn.init.zeros_(p)

    def forward(self, idx):
        B, T = idx.shape
        pos = torch.arange(T, device=idx.device)
        x = self.wte(idx) + self.wpe(pos)
        for block in self.blocks:
            x = block(x)
        return self.ln_f(x) @ self.wte.weight.t()  # tied LM head: (B, T, V)


def model_args(description):
    """Flags named and defaulted like align's bench commands."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--layers", type=int, default=4, help="transformer blocks (L)")
    p.add_argument("--dim", type=int, default=256, help="channels (C)")
    p.add_argument("--heads", type=int, default=4, help="attention heads (NH)")
    p.add_argument("--ctx", type=int, default=128, help="context length (T)")
    p.add_argument("--vocab", type=int, default=256, help="vocabulary size (V)")
    p.add_argument("--batch", type=int, default=8, help="sequences per step (B)")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    p.add_argument("--seed", type=int, default=1, help="random seed")
    return p


def setup(args):
    if args.dim % args.heads:
        sys.exit(f"error: --dim {args.dim} is not divisible by --heads {args.heads}")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model = GPT(args.layers, args.dim, args.heads, args.ctx, args.vocab)
    return model


def config(args):
    return {"layers": args.layers, "dim": args.dim, "heads": args.heads, "ctx": args.ctx, "vocab": args.vocab}


def implementation():
    return "pytorch-" + torch.__version__


def peak_rss_mb():
    """Whole-process peak (ru_maxrss, kB on Linux), including the interpreter."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
