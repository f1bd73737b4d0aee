#!/usr/bin/env bash
# experiments/sentiment_ppo/run.sh — the classic RLHF demonstration, end to end on the CPU: PPO steers a small
# model pretrained on review sentences towards positive continuations, against a reward model
# trained on human sentiment labels, and a lexicon that took no part in training judges it.
#
#   1. experiments/sentiment_reward/run.sh (run only when its outputs are missing) gives the base model
#      (pretrained on Yelp/Amazon sentences and Moby-Dick), the SFT model (writes review
#      sentences on request) and the reward model (IMDB sentiment pairs, real human labels).
#   2. sentiment_ppo (main.go here) writes the prompts: "Continue the review: <opening>", the
#      opening the first 2-5 words of a review sentence with no word of the AFINN lexicon (so
#      no prompt asks for a mood); split by a hash of the opening into PPO training prompts and
#      held-out prompts (distinct; at most 200 held out).
#   3. align ppo from the SFT model against the reward model on the training prompts, with the
#      adaptive KL controller towards target_kl nats per response (KL to the SFT model).
#   4. align eval samples one continuation of SFT and of PPO per held-out prompt (same random
#      stream, the PPO sampling temperature and length), with their mean reward-model reward
#      and the PPO policy's KL to SFT on its own samples.
#   5. vader_score.mjs (here) scores every continuation with VADER (npm vader-sentiment@1.1.3,
#      used for nothing but this report) and sentiment_ppo summary writes OUT/summary.json: the
#      share of held-out prompts on which PPO's continuation has the higher VADER compound
#      score (ties count half; target >= 0.70), and whether the KL stayed within target_kl.
#
# Usage: experiments/sentiment_ppo/run.sh [OUT]   (default OUT: runs/sentiment-ppo)
# Env:   THREADS (kernel workers, default nproc), RM_STAGE (default OUT/rm-stage: the
#        experiments/sentiment_reward/run.sh output to use or make), ALIGN_ASSETS, and the PPO settings
#        PPO_ITERATIONS, PPO_LR, PPO_TARGET_KL, PPO_KL_COEF, PPO_KL_HORIZON.
#        A finished PPO run in OUT/ppo is reused; delete it to train again.
# Exit status: 0 when both targets are met, 3 when the run finished but missed one.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:-$repo/runs/sentiment-ppo}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
threads="${THREADS:-$(nproc)}"
rm_stage="${RM_STAGE:-$out/rm-stage}"
assets="${ALIGN_ASSETS:-$repo/.assets}"
sentiment_pkg="$assets/npm/sentiment@5.0.2/package"
vader_pkg="$assets/npm/vader-sentiment@1.1.3/package"

# PPO settings. The KL target is ppo.DefaultConfig's, 6 nats per response, and so are the
# horizon of the adaptive controller (10,000 responses), batch, epochs, clipping, temperature
# and length. Changed: the learning rate (the default 1e-5 barely moves this 2M-parameter
# model in 60 iterations) and the starting beta, 0.07 instead of 0.05, which holds the KL
# under the target (with 0.05 it settled at 6.2-6.7 nats on the held-out prompts).
ppo_iterations="${PPO_ITERATIONS:-60}"
ppo_lr="${PPO_LR:-5e-5}"
ppo_target_kl="${PPO_TARGET_KL:-6}"
ppo_kl_coef="${PPO_KL_COEF:-0.07}"
ppo_kl_horizon="${PPO_KL_HORIZON:-10000}"

log() { echo "sentiment_ppo: $*" >&2; }
start=$SECONDS

if [[ ! -f "$sentiment_pkg/test/fixtures/imdb.json" || ! -f "$vader_pkg/build/vaderSentiment.bundle.js" ]]; then
	"$repo/scripts/install-test-assets.sh"
fi
command -v node >/dev/null || { echo "sentiment_ppo: node is needed for the VADER judge (apt-get install nodejs)" >&2; exit 1; }

if [[ ! -f "$rm_stage/summary.json" ]]; then
	log "1/5 base, SFT and reward model: experiments/sentiment_reward/run.sh $rm_stage"
	THREADS="$threads" "$repo/experiments/sentiment_reward/run.sh" "$rm_stage"
else
	log "1/5 base, SFT and reward model: reusing $rm_stage"
fi
sft="$rm_stage/sft"
rm="$rm_stage/rm"
for d in "$sft" "$rm"; do
	[[ -f "$d/config.json" ]] || { echo "sentiment_ppo: $d/config.json is missing (delete $rm_stage/summary.json to rebuild)" >&2; exit 1; }
done

align="$out/align"
helper="$out/sentiment_ppo"
(cd "$repo" && go build -o "$align" ./cmd/align && go build -o "$helper" ./experiments/sentiment_ppo)

log "2/5 prompts"
"$helper" prompts --sentiment "$sentiment_pkg" --out "$out/prompts"

ppo_dir="$out/ppo"
if [[ -f "$ppo_dir/config.json" && -f "$ppo_dir/value/config.json" ]]; then
	log "3/5 PPO: reusing $ppo_dir"
else
	log "3/5 PPO from $sft against $rm ($ppo_iterations iterations, target KL $ppo_target_kl)"
	resume=()
	[[ -d "$ppo_dir/last" ]] && resume=(--resume)
	"$align" ppo --threads "$threads" --seed 1 --policy "$sft" --reward "$rm" \
		--prompts "$out/prompts/train.jsonl" --out "$ppo_dir" "${resume[@]}" \
		--iterations "$ppo_iterations" --batch-size 64 --mini-batch 16 --epochs 4 \
		--max-new-tokens 48 --temperature 0.7 --lr "$ppo_lr" \
		--adaptive-kl --kl-coef "$ppo_kl_coef" --target-kl "$ppo_target_kl" --kl-horizon "$ppo_kl_horizon" \
		--sample-every 10 --save-every 10
fi

log "4/5 SFT and PPO continuations of the held-out prompts"
# Same temperature and length as the PPO rollouts, so the KL is the one PPO controlled.
"$align" eval --threads "$threads" --seed 7 --policy "$ppo_dir" --baseline "$sft" --reward "$rm" \
	--prompts "$out/prompts/heldout.jsonl" --judge none --temperature 0.7 --max-new-tokens 48 \
	--no-progress --json >"$out/eval.json"

log "5/5 VADER (held-out judge, reporting only) and the summary"
"$helper" vader-input --eval "$out/eval.json" --out "$out/vader_in.jsonl"
node "$repo/experiments/sentiment_ppo/vader_score.mjs" <"$out/vader_in.jsonl" >"$out/vader.jsonl"
status=0
"$helper" summary --eval "$out/eval.json" --vader "$out/vader.jsonl" --ppo-config "$ppo_dir/config.yaml" \
	--out "$out/summary.json" --threads "$threads" --seconds "$((SECONDS - start))" || status=$?
exit "$status"
