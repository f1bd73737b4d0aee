#!/usr/bin/python3
"""Time GPT training steps in PyTorch, like `align bench train --json`.

The same model (gpt.py), configuration flags, fixed batch of random tokens,
step (forward, LM loss, zero grad, backward, clip to norm 1.0, AdamW lr 3e-4
betas 0.9/0.95 weight decay 0.1 on matrices and embeddings) and FLOP count
as align; prints one JSON object with the same keys.
"""

import json
import time

import torch
import torch.nn.functional as F

import gpt


def flops_per_token(model, args):
    """6·N + 12·L·T·C with N the parameters except the position table: the
    formula documented in `align bench train --help`."""
    n = sum(p.numel() for p in model.parameters()) - args.ctx * args.dim
    return 6 * n + 12 * args.layers * args.ctx * args.dim


def main():
    p = gpt.model_args(__doc__)
    p.add_argument("--steps", type=int, default=20, help="timed steps")
    p.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    args = p.parse_args()
    model = gpt.setup(args)
    model.train()

    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
        lr=3e-4, betas=(0.9, 0.95), eps=1e-8,
    )

    B, T = args.batch, args.ctx
    g = torch.Generator().manual_seed(args.seed)
    seq = torch.randint(0, args.vocab, (B, T + 1), generator=g)
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
    for i in range(args.warmup + args.steps):
        if i == args.warmup:
            start = time.perf_counter()
        last = step()
        if first is None:
            first = last
    elapsed = time.perf_counter() - start

    tokens = B * T
    fpt = flops_per_token(model, args)
    tps = tokens * args.steps / elapsed
    print(json.dumps({
        "benchmark": "train",
        "implementation": gpt.implementation(),
        "threads": torch.get_num_threads(),
        "config": gpt.config(args),
        "batch": B,
        "params": sum(p.numel() for p in model.parameters()),
        "steps": args.steps,
        "warmup": args.warmup,
        "tokens_per_step": tokens,
        "tokens_per_sec": tps,
        "ms_per_step": elapsed * 1000 / args.steps,
        "flops_per_token": fpt,
        "gflops": tps * fpt / 1e9,
        "loss_first": first,
        "loss_last": last,
        "peak_rss_mb": gpt.peak_rss_mb(),
    }))


if __name__ == "__main__":
    main()
