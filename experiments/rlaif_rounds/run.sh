#!/usr/bin/env bash
# experiments/rlaif_rounds/run.sh — does a policy that learns from its own mistakes do better? One SFT
# model, aligned three ways by 'align run', each evaluated as the run evaluates:
#
#   1. one round     the loop as it is: pairs from the SFT model, labelled by the judge, a reward model,
#                    PPO (rounds: 1, the default).
#   2. N rounds      iterated online RLAIF (rounds: N): round k samples round k-1's policy on its own
#                    share of the generation prompts, labels the samples, trains the reward model on
#                    every label so far (going on from the previous round's) and continues PPO, the KL
#                    reference staying SFT. The rounds share the prompts and ppo.iterations, so the
#                    variant labels as much and trains PPO as long as one round.
#   3. judge reward  PPO with the label section's judge rating every rollout (ppo.reward: judge):
#                    no reward model between the judge and the policy.
#
# Pretraining and SFT run once: variant 1 runs in full, and the others start from a copy of its
# stages (pretraining and SFT for variant 2; up to the reward model for variant 3, whose evaluation
# thus scores rewards with the reward model of variant 1). 'align run' skips those copied stages
# since their settings, inputs and program are the same, and runs the rest.
# Then rlaif_rounds compare (main.go here) writes OUT/comparison.{json,md,png} and a copy of
# comparison.json into every run, and a last 'align run' of each (only its report runs) shows the
# comparison in each run's report.
#
# Usage: experiments/rlaif_rounds/run.sh [--quick] [OUT]   (default OUT: runs/rlaif-rounds[-quick])
# Env:   ROUNDS (default 3), THREADS (kernel workers, default nproc), SEED (default 1).
# A variant whose run finished is reused (its stages are skipped); delete its directory to run it again.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
quick=()
profile=default
if [[ "${1:-}" == "--quick" ]]; then
	quick=(--quick)
	profile=quick
	shift
fi
out="${1:-$repo/runs/rlaif-rounds$([[ $profile == quick ]] && echo -quick)}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
rounds="${ROUNDS:-3}"
threads="${THREADS:-$(nproc)}"
seed="${SEED:-1}"

log() { echo "rlaif_rounds: $*" >&2; }
start=$SECONDS

align="$out/align"
helper="$out/rlaif_rounds"
(cd "$repo" && go build -o "$align" ./cmd/align && go build -o "$helper" ./experiments/rlaif_rounds)

one="$out/one-round" several="$out/rounds-$rounds" judge="$out/judge-reward"
printf 'rounds: %d\nppo:\n  reward: model\n' "$rounds" >"$out/rounds.yaml"
printf 'ppo:\n  reward: judge\n' >"$out/judge.yaml"
printf 'ppo:\n  reward: model\n' >"$out/one.yaml"

run() { # run DIR CONFIG: align run of one variant
	"$align" --threads "$threads" --seed "$seed" run "${quick[@]}" --config "$2" --out "$1"
}

# seed DIR STAGE...: start a variant from variant 1's finished stages (and its data for the later ones)
seed_from_one() {
	local dir=$1
	shift
	[[ -d "$dir/stages" ]] && return 0 # made before: its own stages decide what runs
	mkdir -p "$dir/stages"
	for s in "$@"; do cp -a "$one/stages/$s" "$dir/stages/"; done
	[[ $# -gt 2 ]] && cp -a "$one/data" "$dir/"
	return 0
}

log "1/4 one round: $one"
run "$one" "$out/one.yaml"

log "2/4 $rounds rounds from the same SFT model: $several"
seed_from_one "$several" pretrain sft
run "$several" "$out/rounds.yaml"

log "3/4 the judge as the reward, from the same SFT model: $judge"
seed_from_one "$judge" pretrain sft generate label reward
run "$judge" "$out/judge.yaml"

log "4/4 comparison"
"$helper" compare --profile "$profile" --out "$out" \
	"1 round=$one" "$rounds rounds=$several" "judge as reward=$judge"
for v in "$one:one" "$several:rounds" "$judge:judge"; do
	run "${v%%:*}" "$out/${v##*:}.yaml" >/dev/null
done
log "done in $((SECONDS - start)) s: $out/comparison.md, and each run's report/index.html"
