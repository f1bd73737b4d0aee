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
#   3. METHOD (default ppo) from the SFT model:
#      ppo   align ppo against the reward model on the training prompts, with the adaptive KL
#            controller towards target_kl nats per response (KL to the SFT model);
#      grpo  align grpo against the same reward model on the same prompts: 8 continuations per
#            prompt, group-relative advantages, no value model, KL to SFT in the loss;
#      dpo   align dpo on preferences made from the SFT model's own continuations of the training
#            prompts (4 each), the best over the worst by the same reward model (dpo.go here).
#   4. align eval samples one continuation of SFT and of PPO per held-out prompt (same random
#      stream, the PPO sampling temperature and length), with their mean reward-model reward
#      and the PPO policy's KL to SFT on its own samples.
#   5. vader_score.mjs (here) scores every continuation with VADER (npm vader-sentiment@1.1.3,
#      used for nothing but this report) and sentiment_ppo summary writes OUT/summary.json: the
#      share of held-out prompts on which PPO's continuation has the higher VADER compound
#      score (ties count half; target >= 0.70 for PPO, >= 0.80 for DPO and GRPO), and whether
#      the KL stayed within target_kl (6 nats).
#
# Usage: [METHOD=ppo|dpo|grpo] experiments/sentiment_ppo/run.sh [OUT]   (default OUT: runs/sentiment-METHOD)
# Env:   THREADS (kernel workers, default nproc), RM_STAGE (default OUT/rm-stage: the
#        experiments/sentiment_reward/run.sh output to use or make), ALIGN_ASSETS, TARGET, and the
#        settings PPO_ITERATIONS, PPO_LR, PPO_TARGET_KL (the KL bound of every method), PPO_KL_COEF,
#        PPO_KL_HORIZON, GRPO_ITERATIONS, GRPO_PROMPTS, GRPO_GROUP, GRPO_LR, GRPO_KL_COEF,
#        DPO_SAMPLES, DPO_BETA, DPO_LR, DPO_STEPS.
#        A finished run in OUT/METHOD is reused; delete it to train again.
# Exit status: 0 when both targets are met, 3 when the run finished but missed one.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
method="${METHOD:-ppo}"
out="${1:-$repo/runs/sentiment-$method}"
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
target_kl="${PPO_TARGET_KL:-6}"
ppo_kl_coef="${PPO_KL_COEF:-0.07}"
ppo_kl_horizon="${PPO_KL_HORIZON:-10000}"

# GRPO: the same number of sampled continuations per iteration as PPO (8 prompts x 8 samples = 64),
# the KL to SFT in the loss (k3) with a fixed beta, one update per batch. Learning rate and beta are
# the first of (5e-5, 0.04), (2e-5, 0.04), (1e-5, 0.04), (1e-5, 0.1) whose KL on its own training
# rollouts stayed within target_kl (measured on 2 December 2026: it peaked at 41, 33, 9.2 and 4.9 nats).
grpo_iterations="${GRPO_ITERATIONS:-60}"
grpo_prompts="${GRPO_PROMPTS:-8}"
grpo_group="${GRPO_GROUP:-8}"
grpo_lr="${GRPO_LR:-1e-5}"
grpo_kl_coef="${GRPO_KL_COEF:-0.1}"

# DPO: offline, on SFT continuations (8 per prompt) ranked by the reward model, 200 steps of 16
# pairs (about 3 passes over the 952 pairs). The learning rate is the largest of 5e-6, 2e-5,
# 3e-5 and 5e-5 whose policy stayed within the KL bound on the held-out openings (measured on
# 2 December 2026: KL 0.6, 2.2, 3.8 and 10.6 nats; with 4 samples per prompt at 5e-6).
dpo_samples="${DPO_SAMPLES:-8}"
dpo_beta="${DPO_BETA:-0.1}"
dpo_lr="${DPO_LR:-3e-5}"
dpo_steps="${DPO_STEPS:-200}"

# The issue's targets: PPO's VADER preference over SFT >= 0.70; DPO's and GRPO's >= 0.80; each within target_kl.
target="${TARGET:-0.80}"
[[ $method == ppo ]] && target="${TARGET:-0.70}"

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

policy_dir="$out/$method"
if [[ -f "$policy_dir/config.json" && -f "$policy_dir/finished.json" ]]; then
	log "3/5 $method: reusing $policy_dir"
else
	resume=()
	[[ -d "$policy_dir/last" ]] && resume=(--resume)
	case "$method" in
	ppo)
		log "3/5 PPO from $sft against $rm ($ppo_iterations iterations, target KL $target_kl)"
		"$align" ppo --threads "$threads" --seed 1 --policy "$sft" --reward "$rm" \
			--prompts "$out/prompts/train.jsonl" --out "$policy_dir" "${resume[@]}" \
			--iterations "$ppo_iterations" --batch-size 64 --mini-batch 16 --epochs 4 \
			--max-new-tokens 48 --temperature 0.7 --lr "$ppo_lr" \
			--adaptive-kl --kl-coef "$ppo_kl_coef" --target-kl "$target_kl" --kl-horizon "$ppo_kl_horizon" \
			--sample-every 10 --save-every 10
		;;
	grpo)
		log "3/5 GRPO from $sft against $rm ($grpo_iterations iterations of $grpo_prompts prompts x $grpo_group samples)"
		"$align" grpo --threads "$threads" --seed 1 --policy "$sft" --reward "$rm" \
			--prompts "$out/prompts/train.jsonl" --out "$policy_dir" "${resume[@]}" \
			--iterations "$grpo_iterations" --batch-size "$grpo_prompts" --group-size "$grpo_group" \
			--mini-batch 16 --max-new-tokens 48 --temperature 0.7 --lr "$grpo_lr" --kl-coef "$grpo_kl_coef" \
			--sample-every 10 --save-every 10
		;;
	dpo)
		# The SFT model's own continuations of the training prompts, ranked
		# by the reward model PPO and GRPO learn from: best over worst.
		log "3/5 DPO from $sft on $dpo_samples SFT continuations per training prompt ranked by $rm"
		"$align" generate --threads "$threads" --seed 1 --model "$sft" --prompts "$out/prompts/train.jsonl" \
			--n "$dpo_samples" --temperature 0.7 --max-new-tokens 48 --no-progress --out "$out/dpo_pairs.jsonl"
		"$helper" score-input --pairs "$out/dpo_pairs.jsonl" --out "$out/dpo_responses.jsonl"
		"$align" reward score --threads "$threads" --model "$rm" --in "$out/dpo_responses.jsonl" --out "$out/dpo_scored.jsonl"
		"$helper" dpo-pairs --scored "$out/dpo_scored.jsonl" --out "$out/dpo_prefs.jsonl"
		"$align" dpo --threads "$threads" --seed 1 --policy "$sft" --data "$out/dpo_prefs.jsonl" \
			--out "$policy_dir" "${resume[@]}" --beta "$dpo_beta" --lr "$dpo_lr" --steps "$dpo_steps"
		;;
	*)
		echo "sentiment_ppo: METHOD=$method: must be ppo, dpo or grpo" >&2
		exit 2
		;;
	esac
fi

log "4/5 SFT and $method continuations of the held-out prompts"
# Same temperature and length as the rollouts, so the KL is the one PPO and GRPO controlled.
"$align" eval --threads "$threads" --seed 7 --policy "$policy_dir" --baseline "$sft" --reward "$rm" \
	--prompts "$out/prompts/heldout.jsonl" --judge none --temperature 0.7 --max-new-tokens 48 \
	--no-progress --json >"$out/eval.json"

log "5/5 VADER (held-out judge, reporting only) and the summary"
"$helper" vader-input --eval "$out/eval.json" --out "$out/vader_in.jsonl"
node "$repo/experiments/sentiment_ppo/vader_score.mjs" <"$out/vader_in.jsonl" >"$out/vader.jsonl"
status=0
"$helper" summary --eval "$out/eval.json" --vader "$out/vader.jsonl" --method "$method" --config "$policy_dir/config.yaml" \
	--target-kl "$target_kl" --target "$target" --out "$out/summary.json" --threads "$threads" --seconds "$((SECONDS - start))" || status=$?
exit "$status"
