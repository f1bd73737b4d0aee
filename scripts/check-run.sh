#!/usr/bin/env bash
# check-run.sh — run the whole loop on the quick profile ('align run --quick')
# and check that the report and its summary are complete: index.html with
# every plot it names present, summary.json with the evaluation's headline
# numbers on both held-out splits, one column per model, the stages' timings
# and the run's checks on each split.
# A rerun must skip every finished stage.
#
# Usage: scripts/check-run.sh [ALIGN_BINARY]   (default: builds ./align)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${1:-}"
if [[ -z $bin ]]; then
	bin="$repo/align"
	(cd "$repo" && go build -o "$bin" ./cmd/align)
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

start=$(date +%s)
"$bin" run --quick --out "$out/run"
echo "check-run: align run --quick took $(($(date +%s) - start)) s"

python3 - "$out/run/report" <<'PY'
import json, os, re, sys
d = sys.argv[1]
html = open(os.path.join(d, "index.html")).read()
s = json.load(open(os.path.join(d, "summary.json")))
bad = []
splits = s.get("splits", [])
if [sp.get("name") for sp in splits] != ["unseen prompts", "unseen phrasing"]:
    bad.append(f"summary.splits are {[sp.get('name') for sp in splits]}, want unseen prompts and unseen phrasing")
for sp in splits:
    for k in ["win_rate", "heldout_win_rate", "refusal_rate", "over_refusal", "accuracy", "kl", "reward", "response_length"]:
        if sp.get(k) is None:
            bad.append(f"summary.splits[{sp.get('name')}].{k} is null")
    for name in ["pretrain", "sft", "ppo"]:
        if name not in sp.get("policies", {}):
            bad.append(f"summary.splits[{sp.get('name')}].policies has no {name} column")
for k, v in s.get("training", {}).items():
    if v is None and k not in ("ppo_cost", "ppo_lambda"):
        bad.append(f"summary.training.{k} is null")
for st in ["pretrain", "sft", "generate", "label", "reward", "ppo", "eval"]:
    if st not in s.get("timings", {}):
        bad.append(f"summary.timings has no {st}")
for sp in splits:
    if not any(c["name"].startswith(sp.get("name", "") + ": ") for c in s.get("checks", [])):
        bad.append(f"summary.checks hold no target of {sp.get('name')}")
pngs = re.findall(r'src="([^"]+\.png)"', html)
if len(pngs) < 6:
    bad.append(f"index.html shows {len(pngs)} plots, want at least 6")
for p in pngs:
    if not os.path.getsize(os.path.join(d, p)) > 1000:
        bad.append(f"plot {p} is missing or empty")
for part in ["Evaluation on held-out prompts", "Sample responses", "Configuration", "Timings"]:
    if part not in html:
        bad.append(f"index.html has no section {part!r}")
if bad:
    print("check-run: the report is incomplete:\n  " + "\n  ".join(bad), file=sys.stderr)
    sys.exit(1)
print(f"check-run: report complete: {len(pngs)} plots, columns {sorted(splits[0]['policies'])}, "
      "held-out judge prefers PPO where it decides on " +
      ", ".join(f"{sp['name']} {sp['heldout_win_rate'].get('decided_rate') or 0:.3f}" for sp in splits) +
      f", total {s['total_seconds']:.0f} s")
PY

# A second run finds every stage done and only writes the report again.
again=$("$bin" run --quick --out "$out/run" 2>&1)
if ! grep -q "1 stages ran, 7 skipped" <<<"$again"; then
	echo "check-run: the rerun did not skip the finished stages:" >&2
	echo "$again" >&2
	exit 1
fi
echo "check-run: rerun skipped the 7 finished stages"
