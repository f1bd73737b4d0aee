#!/usr/bin/env bash
# experiments/rlvr_arithmetic/run.sh — does RL on checked answers (RLVR) teach the SFT model arithmetic
# it gets wrong? The default world's arithmetic prompts (addition, subtraction, multiplication) carry
# their answers; 'align grpo --verify' rewards a response 1 when data.Check finds the answer in it (the
# last number) and 0 otherwise, on the training split's prompts. 'align eval' then answers the two
# held-out splits' arithmetic prompts (unseen prompts and unseen phrasing, 120 in all) greedily with the
# SFT model and the GRPO policy and reports each one's accuracy (checkable).
#
# Usage: experiments/rlvr_arithmetic/run.sh [OUT [SFT]]   (default OUT: runs/rlvr-arithmetic)
#        SFT: an SFT checkpoint of the default world to start from; without it, 'align sft' trains one
#        from the shipped base with its default settings (about 4 minutes on 2 cores).
# Env:   ITERATIONS (GRPO iterations, default 60), THREADS (default nproc), SEED (default 1),
#        GRPO_FLAGS (more flags for 'align grpo', e.g. "--advantage rloo").
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:-$repo/runs/rlvr-arithmetic}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
sft="${2:-$out/sft}"
iterations="${ITERATIONS:-60}"
threads="${THREADS:-$(nproc)}"
seed="${SEED:-1}"
log() { echo "rlvr_arithmetic: $*" >&2; }
start=$SECONDS

align="$out/align"
(cd "$repo" && go build -o "$align" ./cmd/align && go run ./experiments/rlvr_arithmetic -seed "$seed" "$out")
a() { "$align" --threads "$threads" --seed "$seed" "$@"; }

if [[ ! -f "$sft/config.json" ]]; then
	log "training the SFT model in $sft"
	a sft --base "$repo/models/base" --data embedded --out "$sft" --eval-samples 0 --overwrite
fi

log "GRPO with the answer checker, $iterations iterations"
# shellcheck disable=SC2086 # GRPO_FLAGS is a list of flags
a grpo --policy "$sft" --prompts "$out/train.jsonl" --verify --out "$out/grpo" --iterations "$iterations" \
	--save-every 0 --overwrite ${GRPO_FLAGS:-}

log "held-out accuracy, greedy"
a eval --policy "$out/grpo" --baseline "$sft" --prompts "$out/heldout.jsonl" --judge none --temperature 0 \
	--no-progress --out "$out/eval.json" | tee "$out/eval.txt"
log "done in $((SECONDS - start)) s: $out/eval.txt"
