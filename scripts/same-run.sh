#!/usr/bin/env bash
# same-run.sh A B: compare two align run directories (a refactor must leave a run byte-identical: run the same
# command with the same --seed and --threads at two commits, then compare): every model file
# (*.safetensors, checkpoint and tokenizer JSON), the data files and the
# eval.json files must be byte-identical (JSON compared with wall-clock
# fields such as "elapsed" removed). Prints differences; exit 1 if any.
set -euo pipefail
a=$1 b=$2
list() { (cd "$1" && find stages data -type f \( -name '*.safetensors' -o -name 'eval.json' -o -name '*.jsonl' -o -name 'tokenizer.json' -o -name 'config.json' -o -name 'reward.json' -o -name '*.bin' \) ! -name 'metrics.jsonl' ! -path '*/last/*' | sort); }
diff <(list "$a") <(list "$b") || { echo "file lists differ"; exit 1; }
norm() { python3 -c '
import json,sys
def strip(v):
    if isinstance(v,dict): return {k:strip(x) for k,x in v.items() if k not in ("elapsed","seconds","time","wall_seconds","elapsed_seconds")}
    if isinstance(v,list): return [strip(x) for x in v]
    return v
print(json.dumps(strip(json.load(open(sys.argv[1]))),sort_keys=True))' "$1"; }
bad=0
for f in $(list "$a"); do
	cmp -s "$a/$f" "$b/$f" && continue
	if [[ $f == *.json ]] && [[ "$(norm "$a/$f")" == "$(norm "$b/$f")" ]]; then continue; fi
	echo "DIFFERS: $f"; bad=1
done
n=$(list "$a" | wc -l)
[[ $bad == 0 ]] && echo "same: $n files identical (JSON up to wall-clock fields)" || exit 1
