#!/usr/bin/python3
"""Time sampling in PyTorch WITHOUT a KV cache, like `align bench generate --json`.

Each new token costs a full forward pass over the whole sequence so far: the
plain loop a PyTorch user writes first (nanoGPT's generate). B sequences
start from a one-token random prompt and sample at temperature 1. One short
untimed warm-up generation runs first. Prints one JSON object with the keys
of `align bench generate --json`.
"""

import json
import time

import torch
import torch.nn.functional as F

import gpt


@torch.no_grad()
def generate(model, idx, new_tokens, g):
    for _ in range(new_tokens):
        logits = model(idx)[:, -1, :]  # temperature 1
        probs = F.softmax(logits, dim=-1)
        nxt = torch.multinomial(probs, 1, generator=g)
        idx = torch.cat([idx, nxt], dim=1)
    return idx


def main():
    p = gpt.model_args(__doc__)
    p.add_argument("--new-tokens", type=int, default=64, help="tokens generated per sequence")
    p.add_argument("--runs", type=int, default=1, help="timed generations")
    args = p.parse_args()
    if args.new_tokens > args.ctx - 1:
        raise SystemExit(f"error: --new-tokens {args.new_tokens} does not fit after a 1-token prompt in --ctx {args.ctx}")
    model = gpt.setup(args)
    model.eval()

    g = torch.Generator().manual_seed(args.seed)
    prompts = torch.randint(0, args.vocab, (args.batch, 1), generator=g)
    generate(model, prompts, min(8, args.new_tokens), g)  # warm-up

    generated = 0
    start = time.perf_counter()
    for _ in range(args.runs):
        out = generate(model, prompts, args.new_tokens, g)
        generated += out.numel() - prompts.numel()
    elapsed = time.perf_counter() - start

    print(json.dumps({
        "benchmark": "generate",
        "implementation": gpt.implementation(),
        "threads": torch.get_num_threads(),
        "config": gpt.config(args),
        "batch": args.batch,
        "new_tokens": args.new_tokens,
        "runs": args.runs,
        "generated_tokens": generated,
        "tokens_per_sec": generated / elapsed,
        "ms_per_token": elapsed * 1000 / (args.runs * args.new_tokens),
        "peak_rss_mb": gpt.peak_rss_mb(),
    }))


if __name__ == "__main__":
    main()
