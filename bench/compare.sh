#!/usr/bin/env bash
# compare.sh — align against PyTorch on this machine, in one run.
#
# Builds align, then runs one after another (never concurrently):
#   align bench train --json      vs  bench/pytorch_train.py     (same GPT, same step)
#   align bench generate --json   vs  bench/pytorch_generate.py  (KV cache vs no cache)
# and prints a table with the ratios and the targets (train ≥ 3×, generate
# ≥ 50× PyTorch tokens/s). Then runs bench/matmul/compare.sh if it exists.
#
# Environment: THREADS (default 2) for both sides; ROUNDS (default 1) repeats
# the four runs, alternating, and keeps each side's best tokens/s; PYTHON
# (default /usr/bin/python3, Debian's python3-torch); STRICT=1 exits 1 when a
# target is missed. Other work on the machine skews both sides: run it on a
# quiet machine (the load average is printed) or raise ROUNDS.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
threads=${THREADS:-2}
rounds=${ROUNDS:-1}
python=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "building align…" >&2
go build -o "$tmp/align" ./cmd/align

have_torch=1
if ! "$python" -c 'import torch' 2>/dev/null; then
	have_torch=0
	echo "compare.sh: PyTorch not found for $python; showing align only" >&2
	echo "compare.sh: hint: apt-get install -y python3-torch" >&2
fi

run() { # name, command...
	local name=$1
	shift
	echo "round $r/$rounds: $name…" >&2
	"$@" >"$tmp/$name.$r.json"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
for ((r = 1; r <= rounds; r++)); do
	run align_train "$tmp/align" bench train --json --threads "$threads"
	if ((have_torch)); then run torch_train "$python" bench/pytorch_train.py --threads "$threads"; fi
	run align_generate "$tmp/align" bench generate --json --threads "$threads"
	if ((have_torch)); then run torch_generate "$python" bench/pytorch_generate.py --threads "$threads"; fi
done

load_after=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)

status=0
"$python" - "$tmp" "$load_before" "$load_after" <<'PY' || status=$?
import json, os, sys

d = sys.argv[1]
def load(name):
    """The round with the most tokens/s, or None when the side did not run."""
    runs = [json.load(open(os.path.join(d, f))) for f in sorted(os.listdir(d))
            if f.startswith(name + ".") and f.endswith(".json")]
    return max(runs, key=lambda r: r["tokens_per_sec"]) if runs else None

at, pt = load("align_train"), load("torch_train")
ag, pg = load("align_generate"), load("torch_generate")
c = at["config"]
rounds = sum(1 for f in os.listdir(d) if f.startswith("align_train."))
print(f"\nGPT L{c['layers']} C{c['dim']} NH{c['heads']} T{c['ctx']} V{c['vocab']}, {at['threads']} threads, best of {rounds} round(s); "
      f"align {at['implementation']} vs {pt['implementation'] if pt else 'no PyTorch'}\n")

rows = []  # (metric, align, pytorch, ratio, target)
def row(metric, a, p, fmt, higher_better=True, target=None):
    ratio = None
    if p:
        ratio = a / p if higher_better else p / a
    rows.append((metric, fmt.format(a), fmt.format(p) if p is not None else "-",
                 f"{ratio:.2f}×" if ratio else "-", target, ratio))

row("train tokens/s", at["tokens_per_sec"], pt and pt["tokens_per_sec"], "{:,.0f}", target=3)
row("train ms/step (speed-up)", at["ms_per_step"], pt and pt["ms_per_step"], "{:,.1f}", higher_better=False)
row("train GFLOP/s", at["gflops"], pt and pt["gflops"], "{:,.1f}")
row("train loss first", at["loss_first"], pt and pt["loss_first"], "{:.4f}")
row("train loss last", at["loss_last"], pt and pt["loss_last"], "{:.4f}")
row("train peak RSS MB", at["peak_rss_mb"], pt and pt["peak_rss_mb"], "{:,.0f}", higher_better=False)
row(f"generate tokens/s ({ag['batch']}×{ag['new_tokens']})", ag["tokens_per_sec"], pg and pg["tokens_per_sec"], "{:,.0f}", target=50)
row("generate peak RSS MB", ag["peak_rss_mb"], pg and pg["peak_rss_mb"], "{:,.0f}", higher_better=False)

head = ("metric", "align", "pytorch", "ratio", "target")
cells = [(m, a, p, r, (f"≥{t}× " + ("ok" if q and q >= t else "MISSED") if t and q else "")) for m, a, p, r, t, q in rows]
w = [max(len(x[i]) for x in [head] + cells) for i in range(5)]
for i, line in enumerate([head] + cells):
    print("  ".join(s.ljust(w[j]) if j == 0 else s.rjust(w[j]) for j, s in enumerate(line)).rstrip())
    if i == 0:
        print("  ".join("-" * x for x in w))
print("\nratio: align ÷ PyTorch for throughput, PyTorch ÷ align for time and memory (higher is better for align).")
print("PyTorch generates without a KV cache; its peak RSS includes the Python interpreter and libtorch.")
print(f"load average before {sys.argv[2]}, after {sys.argv[3]} (above the thread count, other work is skewing both sides).")
missed = [r[0] for r in rows if r[4] and r[5] and r[5] < r[4]]
if missed:
    print("targets missed: " + ", ".join(missed))
    sys.exit(3)
PY
if ((status == 3)); then
	[[ ${STRICT:-0} == 1 ]] && status=1 || status=0
fi

if [[ -f bench/matmul/compare.sh ]]; then
	echo
	echo "== bench/matmul/compare.sh =="
	bash bench/matmul/compare.sh || status=1
fi
exit "$status"
