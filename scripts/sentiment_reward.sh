#!/usr/bin/env bash
# sentiment_reward.sh — train a reward model on real human sentiment labels and
# compare it with the AFINN lexicon on the same held-out pairs.
#
# Data: npm sentiment@5.0.2's labelled sentences (test/fixtures; IMDB, Yelp and
# Amazon, 500 positive and 500 negative each; MIT). The reward model's
# preferences come from IMDB only: for "Write a positive movie review
# sentence." a positive sentence is chosen over a negative one. The IMDB
# sentences are split by a hash of the sentence, so no held-out sentence is seen
# in training, and the text the model is pretrained on (the Yelp and Amazon
# sentences and Moby-Dick) holds none of them. Steps:
#
#   1. reward/internal/sentimentexp writes the data and scores the AFINN-165
#      baseline on the held-out pairs (npm sentiment's own algorithm)
#   2. align pretrain   on corpus.jsonl                    -> OUT/base
#   3. align sft        on Yelp/Amazon review requests     -> OUT/sft
#   4. align reward train on train.jsonl                   -> OUT/rm
#   5. align reward train on train_noisy.jsonl (20% flipped) -> OUT/rm-noisy
#   6. align reward eval and a side-by-side summary (OUT/summary.json)
#
# Usage: scripts/sentiment_reward.sh [OUT]      (default OUT: runs/sentiment)
# Env:   ALIGN_ASSETS (see install-test-assets.sh), PRETRAIN_STEPS, SFT_STEPS,
#        RM_STEPS, THREADS. Takes about 6-10 minutes on two cores.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$repo/runs/sentiment}"
assets="${ALIGN_ASSETS:-$repo/.assets}"
pkg="$assets/npm/sentiment@5.0.2/package"
pretrain_steps="${PRETRAIN_STEPS:-600}"
sft_steps="${SFT_STEPS:-300}"
rm_steps="${RM_STEPS:-300}"
threads="${THREADS:-$(nproc)}"

if [[ ! -f "$pkg/test/fixtures/imdb.json" ]]; then
	"$repo/scripts/install-test-assets.sh"
fi
mkdir -p "$out"
align="$out/align"
(cd "$repo" && go build -o "$align" ./cmd/align)
log() { echo "sentiment_reward: $*" >&2; }

log "1/6 data and the AFINN baseline"
(cd "$repo" && go run ./reward/internal/sentimentexp --sentiment "$pkg" --out "$out/data" --seed 1)

if [[ ! -f "$out/base/config.json" ]]; then
	log "2/6 pretraining on Yelp/Amazon sentences and Moby-Dick"
	"$align" pretrain --threads "$threads" --seed 1 --data "$out/data/corpus.jsonl" --out "$out/base" \
		--layers 4 --dim 192 --heads 4 --ctx 96 --vocab 1536 --batch 16 \
		--steps "$pretrain_steps" --lr 2e-3 --min-lr 2e-4 --warmup 50 \
		--eval-every 100 --patience 0 --save-every 0
fi
if [[ ! -f "$out/sft/config.json" ]]; then
	log "3/6 SFT: write a positive|negative restaurant|product review sentence"
	"$align" sft --threads "$threads" --seed 1 --base "$out/base" --data "$out/data/sft.jsonl" --out "$out/sft" \
		--batch 16 --steps "$sft_steps" --lr 1e-3 --min-lr 1e-4 --warmup 30 \
		--eval-every 100 --patience 0 --save-every 0 --eval-samples 0
fi

rm_flags=(--threads "$threads" --seed 1 --base "$out/sft" --heldout "$out/data/heldout.jsonl"
	--steps "$rm_steps" --batch 16 --lr 3e-4 --min-lr 3e-5 --warmup 20 --max-len 96
	--group=false --eval-every 50 --patience 3 --norm-samples 64 --norm-max-new 40)
log "4/6 reward model on the IMDB training pairs"
"$align" reward train "${rm_flags[@]}" --data "$out/data/train.jsonl" --out "$out/rm"
log "5/6 reward model with 20% of the training labels flipped"
"$align" reward train "${rm_flags[@]}" --data "$out/data/train_noisy.jsonl" --out "$out/rm-noisy"

log "6/6 evaluation"
"$align" reward eval --model "$out/rm" --data "$out/data/heldout.jsonl" --out "$out/rm/heldout_eval.json"
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
afinn = json.load(open(f"{out}/data/afinn.json"))
rm = json.load(open(f"{out}/rm/eval.json"))
noisy = json.load(open(f"{out}/rm-noisy/eval.json"))
summary = {
    "heldout_pairs": afinn["heldout_pairs"],
    "afinn_accuracy": afinn["pair_accuracy"],
    "reward_model_accuracy": rm["heldout"]["accuracy"],
    "reward_model_ece": rm["heldout"]["ece"],
    "reward_model_train_accuracy": rm["train"]["accuracy"],
    "reward_model_gap": rm["gap"],
    "noisy_accuracy": noisy["heldout"]["accuracy"],
    "noisy_drop_points": 100 * (rm["heldout"]["accuracy"] - noisy["heldout"]["accuracy"]),
    "flipped_pairs": afinn["flipped_pairs"], "train_pairs": afinn["train_pairs"],
}
json.dump(summary, open(f"{out}/summary.json", "w"), indent=2)
print(f"held-out pairs ({summary['heldout_pairs']}, ties count half):")
print(f"  AFINN-165 lexicon               {summary['afinn_accuracy']:.4f}")
print(f"  reward model                    {summary['reward_model_accuracy']:.4f}  (train {summary['reward_model_train_accuracy']:.4f}, ECE {summary['reward_model_ece']:.4f})")
print(f"  reward model, 20% labels flipped {summary['noisy_accuracy']:.4f}  (drop {summary['noisy_drop_points']:.1f} points)")
PY
