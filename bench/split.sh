#!/usr/bin/env bash
# split against the same step in pandas + scikit-learn (StratifiedShuffleSplit, test_size
# 0.15, as the notebook's step 13), input and output included on both sides: pandas reads the
# encoded rows as CSV and writes train and test CSV; split reads the encoded stream and writes
# two streams. On both sides the train rows go to /dev/null, the test rows to a file under
# bench/out (never name a device with -t: older builds renamed a file over it). Data: BENCH_ROWS (default 1000000) rows from bench/gold_rows.awk, encoded;
# BENCH_RUNS (default 3) runs each after BENCH_WARMUP (default 1) warm-up runs.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/bin"
out="$root/bench/out"
rows="${BENCH_ROWS:-1000000}"
runs="${BENCH_RUNS:-3}"
py=/usr/bin/python3
mkdir -p "$out"
for t in hyperfine jq; do
	command -v "$t" >/dev/null || { echo "bench: $t is not installed" >&2; exit 1; }
done

gold="$out/gold-$rows.csv"
enc="$out/encoded-$rows.mp"
[ -s "$gold" ] || { awk -v n="$rows" -v seed=1 -f "$root/bench/gold_rows.awk" >"$gold.tmp" && mv "$gold.tmp" "$gold"; }
if [ ! -s "$enc" ]; then
	"$bin/from-csv" -t lead_id,lead_indicator,customer_group,onboarding "$gold" |
		"$bin/encode" -y lead_indicator -i lead_id -d customer_code,date_part \
			-s purchases,time_spent,n_visits -c customer_group,onboarding,bin_source,source \
			>"$enc.tmp"
	mv "$enc.tmp" "$enc"
fi
[ -s "${enc%.mp}.csv" ] || { "$bin/to-csv" "$enc" >"$enc.csv.tmp" && mv "$enc.csv.tmp" "${enc%.mp}.csv"; }

cat >"$out/split_pandas.py" <<'PY'
import sys

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedShuffleSplit

src, train, test = sys.argv[1:4]
d = pd.read_csv(src, dtype={"lead_id": str})
y = d["lead_indicator"]
tr, te = next(StratifiedShuffleSplit(1, test_size=0.15, random_state=42)
              .split(np.zeros(len(y)), y))
d.iloc[tr].to_csv(train, index=False)
d.iloc[te].to_csv(test, index=False)
PY

hyperfine --style none --warmup "${BENCH_WARMUP:-1}" --runs "$runs" --export-json "$out/split.json" \
	-n "split" "'$bin/split' -t '$out/split-test.mp' '$enc' >/dev/null" \
	-n "split --folds 10" "'$bin/split' -k 10 -t '$out/split-test.mp' '$enc' >/dev/null" \
	-n "pandas+sklearn" "$py '$out/split_pandas.py' '${enc%.mp}.csv' /dev/null '$out/test.csv'" \
	>"$out/split.log" 2>&1 || { cat "$out/split.log" >&2; exit 1; }

echo "== split.sh: $rows encoded rows, stream $(($(wc -c <"$enc") / 1000000)) MB, CSV $(($(wc -c <"${enc%.mp}.csv") / 1000000)) MB (median of $runs runs)"
jq -r --argjson rows "$rows" '
	(.results[0].median) as $split | (.results[0].user + .results[0].system) as $split_cpu
	| .results[] | (.user + .system) as $cpu
	| [.command, .median, ($rows / .median), (.median / $split), $cpu, ($cpu / $split_cpu)]
	| @tsv' "$out/split.json" |
	while IFS=$'\t' read -r name median rps vs cpu cpu_vs; do
		printf '%-18s %8.3f s %11.0f rows/s %7.2fx split | cpu %7.3f s %7.2fx split\n' \
			"$name" "$median" "$rps" "$vs" "$cpu" "$cpu_vs"
	done
echo "(Nx = that command's time / split's, wall-clock median and mean user+system CPU time;"
echo " goal: the peer >= 5x)"
