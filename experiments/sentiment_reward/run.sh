#!/usr/bin/env bash
# experiments/sentiment_reward/run.sh — train a reward model on real human sentiment labels and
# compare it with the AFINN lexicon on the same held-out pairs.
#
# Data: npm sentiment@5.0.2's labelled sentences (test/fixtures; IMDB, Yelp and
# Amazon, 500 positive and 500 negative each; MIT). For "Write a positive movie
# review sentence." a positive IMDB sentence is chosen over a negative one (and
# likewise for restaurant and product reviews with the Yelp and Amazon
# sentences). The IMDB sentences are split by a hash of the sentence into the
# test part (20%, every positive × negative pair: heldout.jsonl), a validation
# part (10%, for early stopping and model selection) and the training part, so
# no test or validation sentence is ever trained or pretrained on (checked).
# The test pairs are scored by the reward model once, after training; the
# AFINN-165 lexicon is scored on the same pairs and is never used for training.
# Steps:
#
#   1. sentiment_reward (main.go here) writes the data and scores the AFINN-165
#      baseline on the test pairs (npm sentiment's own algorithm)
#   2. align pretrain on the review sentences (Yelp, Amazon, IMDB training
#      part; 16 times) and Moby-Dick                        -> OUT/base
#   3. align sft: write a positive|negative movie|restaurant|product review
#      sentence                                              -> OUT/sft
#   4. align reward train on train.jsonl, selected on validation.jsonl -> OUT/rm
#   5. the same on train_noisy.jsonl (20% of the labels flipped), selected on
#      validation_noisy.jsonl (as noisy)                    -> OUT/rm-noisy
#   6. align reward eval of both on the test pairs and a side-by-side summary
#      (OUT/summary.json)
#
# Both reward models use the same settings, among them --flip-rate 0.1: the
# flip-robust loss -log(ε + (1-2ε)σ(Δr)) with ε = 0.1, for the clean run too.
#
# Usage: experiments/sentiment_reward/run.sh [OUT]   (default OUT: runs/sentiment)
# Env:   ALIGN_ASSETS (see install-test-assets.sh), PRETRAIN_STEPS, SFT_STEPS,
#        RM_STEPS, RM_FLAGS (more 'align reward train' flags), DATA_FLAGS (more
#        sentiment_reward flags), THREADS (default: all cores).
#        A base, SFT model or reward model already in OUT is reused (delete it to train again).
#        Takes about 10 minutes with THREADS=1 on a busy two-core machine
#        (measured 424 s, and 575 s under a heavier load: pretrain 117-143 s,
#        SFT 85-102 s, the two reward models 90-186 s each).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:-$repo/runs/sentiment}"
assets="${ALIGN_ASSETS:-$repo/.assets}"
pkg="$assets/npm/sentiment@5.0.2/package"
pretrain_steps="${PRETRAIN_STEPS:-500}"
sft_steps="${SFT_STEPS:-500}"
rm_steps="${RM_STEPS:-300}"
threads="${THREADS:-$(nproc)}"
read -r -a rm_extra <<<"${RM_FLAGS:-}"
read -r -a data_extra <<<"${DATA_FLAGS:-}"

if [[ ! -f "$pkg/test/fixtures/imdb.json" ]]; then
	"$repo/scripts/install-test-assets.sh"
fi
mkdir -p "$out"
align="$out/align"
(cd "$repo" && go build -o "$align" ./cmd/align)
log() { echo "sentiment_reward: $*" >&2; }
t0=$SECONDS
declare -A secs
stage() { secs[$1]=$((SECONDS - t0)); t0=$SECONDS; }

log "1/6 data and the AFINN baseline"
(cd "$repo" && go run ./experiments/sentiment_reward --sentiment "$pkg" --out "$out/data" --seed 1 \
	--valid 0.1 --other-pairs-per-sentence 4 --imdb-in-corpus --corpus-reps 16 "${data_extra[@]}")
stage data

if [[ ! -f "$out/base/config.json" ]]; then
	log "2/6 pretraining on review sentences and Moby-Dick"
	"$align" pretrain --threads "$threads" --seed 1 --data "$out/data/corpus.jsonl" --out "$out/base" \
		--layers 4 --dim 192 --heads 4 --ctx 96 --vocab 1536 --batch 16 \
		--steps "$pretrain_steps" --lr 2e-3 --min-lr 2e-4 --warmup 50 \
		--eval-every 100 --patience 0 --save-every 0
fi
stage pretrain
if [[ ! -f "$out/sft/config.json" ]]; then
	log "3/6 SFT: write a positive|negative movie|restaurant|product review sentence"
	"$align" sft --threads "$threads" --seed 1 --base "$out/base" --data "$out/data/sft.jsonl" --out "$out/sft" \
		--batch 16 --steps "$sft_steps" --lr 1e-3 --min-lr 1e-4 --warmup 30 \
		--eval-every 100 --patience 0 --save-every 0 --eval-samples 0
fi
stage sft

rm_flags=(--threads "$threads" --seed 1 --base "$out/sft"
	--steps "$rm_steps" --batch 16 --lr 3e-4 --min-lr 3e-5 --warmup 20 --max-len 96
	--group=false --eval-every 50 --patience 2 --train-eval-pairs 300 --norm-samples 64 --norm-max-new 40
	--flip-rate 0.1
	"${rm_extra[@]}")
if [[ ! -f "$out/rm/eval.json" ]]; then
	log "4/6 reward model on the training pairs"
	"$align" reward train "${rm_flags[@]}" --data "$out/data/train.jsonl" --heldout "$out/data/validation.jsonl" --out "$out/rm"
fi
stage rm
if [[ ! -f "$out/rm-noisy/eval.json" ]]; then
	log "5/6 reward model with 20% of the training labels flipped"
	"$align" reward train "${rm_flags[@]}" --data "$out/data/train_noisy.jsonl" --heldout "$out/data/validation_noisy.jsonl" --out "$out/rm-noisy"
fi
stage rm_noisy

log "6/6 evaluation on the test pairs"
for m in rm rm-noisy; do
	"$align" reward eval --threads "$threads" --model "$out/$m" --data "$out/data/heldout.jsonl" --out "$out/${m}_test_eval.json" >/dev/null
done
stage eval
python3 - "$out" "$threads" "${secs[data]}" "${secs[pretrain]}" "${secs[sft]}" "${secs[rm]}" "${secs[rm_noisy]}" "${secs[eval]}" <<'PY'
import json, sys
out, threads = sys.argv[1], int(sys.argv[2])
secs = dict(zip(["data", "pretrain", "sft", "rm", "rm_noisy", "eval"], map(int, sys.argv[3:])))
afinn = json.load(open(f"{out}/data/afinn.json"))
rm, noisy = json.load(open(f"{out}/rm/eval.json")), json.load(open(f"{out}/rm-noisy/eval.json"))
test, test_noisy = json.load(open(f"{out}/rm_test_eval.json")), json.load(open(f"{out}/rm-noisy_test_eval.json"))
summary = {
    "heldout_pairs": afinn["heldout_pairs"],
    "afinn_accuracy": afinn["pair_accuracy"],
    "reward_model_accuracy": test["accuracy"],
    "reward_model_ece": test["ece"],
    "reward_model_train_accuracy": rm["train"]["accuracy"],
    "reward_model_validation_accuracy": rm["heldout"]["accuracy"],
    "reward_model_gap": rm["train"]["accuracy"] - test["accuracy"],
    "reward_model_best_step": rm["best_step"],
    "noisy_accuracy": test_noisy["accuracy"],
    "noisy_ece": test_noisy["ece"],
    "noisy_drop_points": 100 * (test["accuracy"] - test_noisy["accuracy"]),
    "flipped_pairs": afinn["flipped_pairs"], "train_pairs": afinn["train_pairs"],
    "train_pairs_imdb": afinn["train_pairs_imdb"], "validation_pairs": afinn["valid_pairs"],
    "threads": threads, "seconds": secs, "total_seconds": sum(secs.values()),
}
json.dump(summary, open(f"{out}/summary.json", "w"), indent=2)
s = summary
print(f"test pairs ({s['heldout_pairs']} IMDB positive x negative, ties count half):")
print(f"  AFINN-165 lexicon                 {s['afinn_accuracy']:.4f}")
print(f"  reward model                      {s['reward_model_accuracy']:.4f}  (train {s['reward_model_train_accuracy']:.4f}, gap {s['reward_model_gap']:.4f}, ECE {s['reward_model_ece']:.4f})")
print(f"  reward model, 20% labels flipped  {s['noisy_accuracy']:.4f}  (drop {s['noisy_drop_points']:.1f} points)")
print(f"  {s['train_pairs']} training pairs ({s['train_pairs_imdb']} IMDB), {s['total_seconds']} s with {threads} thread(s): " +
      ", ".join(f"{k} {v} s" for k, v in secs.items()))
PY
