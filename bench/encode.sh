#!/usr/bin/env bash
# encode against the same step in pandas + scikit-learn (get_dummies(drop_first) and
# MinMaxScaler, the notebook's steps 8, 10-12), input and output included on both sides:
# pandas reads the cleaned rows as CSV and writes the matrix as CSV; encode reads the cleaned
# rows as a stream and writes a stream. Both write to /dev/null, so that the disk's write-back
# of earlier steps does not add noise. Also: encode's time against a CSV parse of the same
# rows (from-csv) and against csvclean on as many raw rows (when bin/csvclean and bin/synth
# exist, or CSVCLEAN= and SYNTH= name them).
# Data: BENCH_ROWS (default 1000000) rows shaped like csvclean's output, from
# bench/gold_rows.awk; BENCH_RUNS (default 3) runs each after BENCH_WARMUP (default 1) warm-up runs.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/bin"
out="$root/bench/out"
rows="${BENCH_ROWS:-1000000}"
runs="${BENCH_RUNS:-3}"
py=/usr/bin/python3
csvclean="${CSVCLEAN:-$bin/csvclean}"
synth="${SYNTH:-$bin/synth}"
mkdir -p "$out"
for t in hyperfine jq; do
	command -v "$t" >/dev/null || { echo "bench: $t is not installed" >&2; exit 1; }
done

gold="$out/gold-$rows.csv"
mp="$out/gold-$rows.mp"
[ -s "$gold" ] || { awk -v n="$rows" -v seed=1 -f "$root/bench/gold_rows.awk" >"$gold.tmp" && mv "$gold.tmp" "$gold"; }
[ -s "$mp" ] || { "$bin/from-csv" -t lead_id,lead_indicator,customer_group,onboarding "$gold" >"$mp.tmp" && mv "$mp.tmp" "$mp"; }
# shellcheck disable=SC2054 # commas separate column names inside one argument
flag_list=(-y lead_indicator -i lead_id -d customer_code,date_part -s purchases,time_spent,n_visits
	-c customer_group,onboarding,bin_source,source)
flags="${flag_list[*]}"
"$bin/encode" "${flag_list[@]}" -S "$out/encode.state" "$mp" >/dev/null

cat >"$out/encode_pandas.py" <<'PY'
import sys

import pandas as pd
from sklearn.preprocessing import MinMaxScaler

src, dst = sys.argv[1], sys.argv[2]
d = pd.read_csv(src, dtype={"lead_id": str, "lead_indicator": str, "customer_group": str,
                            "onboarding": str})
cont = ["purchases", "time_spent", "n_visits"]
d[cont] = MinMaxScaler().fit_transform(d[cont])
y = (d["lead_indicator"] == "1").astype(int)
X = d.drop(columns=["lead_id", "customer_code", "date_part", "lead_indicator"])
X = pd.get_dummies(X, columns=["customer_group", "onboarding", "bin_source", "source"],
                   drop_first=True)
pd.concat([d["lead_id"], y, X], axis=1).to_csv(dst, index=False)
PY

cmds=(
	-n "encode (learn)" "'$bin/encode' $flags '$mp' >/dev/null"
	-n "encode --state" "'$bin/encode' --state '$out/encode.state' '$mp' >/dev/null"
	-n "pandas+sklearn" "$py '$out/encode_pandas.py' '$gold' /dev/null"
	-n "from-csv (CSV parse)" "'$bin/from-csv' -t lead_id,lead_indicator,customer_group,onboarding '$gold' >/dev/null"
)
if [ -x "$csvclean" ] && [ -x "$synth" ]; then
	raw="$out/raw-$rows.csv"
	[ -s "$raw" ] || { "$synth" -n "$rows" --seed 1 >"$raw.tmp" && mv "$raw.tmp" "$raw"; }
	cmds+=(-n "csvclean (raw rows)" "'$csvclean' --date 'date_part=2024-01-01..2024-01-31' --drop is_active,marketing_consent,first_booking,existing_customer,last_seen,domain,country,visited_learn_more_before_booking,visited_faq --require lead_indicator,lead_id --keep source=signup --categorical lead_id,lead_indicator,customer_group,onboarding,source,customer_code,date_part --numeric purchases,time_spent,n_visits --clip 2 --impute-mean purchases,time_spent,n_visits --fill customer_code=None --impute-mode customer_group,onboarding,source,date_part --map bin_source=source:li=socials,fb=socials,organic=group1,signup=group1 '$raw' >/dev/null")
else
	echo "bench: csvclean or synth not built: no comparison with csvclean" >&2
fi
hyperfine --style none --warmup "${BENCH_WARMUP:-1}" --runs "$runs" --export-json "$out/encode.json" "${cmds[@]}" \
	>"$out/encode.log" 2>&1 || { cat "$out/encode.log" >&2; exit 1; }

echo "== encode.sh: $rows rows, CSV $(($(wc -c <"$gold") / 1000000)) MB, stream $(($(wc -c <"$mp") / 1000000)) MB (median of $runs runs)"
jq -r --argjson rows "$rows" '
	(.results[0].median) as $learn | (.results[1].median) as $apply
	| (.results[0].user + .results[0].system) as $learn_cpu
	| (.results[1].user + .results[1].system) as $apply_cpu
	| .results[] | (.user + .system) as $cpu
	| [.command, .median, ($rows / .median), (.median / $learn), (.median / $apply), $cpu,
	   ($cpu / $learn_cpu), ($cpu / $apply_cpu)]
	| @tsv' "$out/encode.json" |
	while IFS=$'\t' read -r name median rps vs_learn vs_apply cpu cpu_learn cpu_apply; do
		printf '%-22s %8.3f s %11.0f rows/s %7.2fx learn %7.2fx apply | cpu %7.3f s %7.2fx learn %7.2fx apply\n' \
			"$name" "$median" "$rps" "$vs_learn" "$vs_apply" "$cpu" "$cpu_learn" "$cpu_apply"
	done
echo "(Nx = that command's time / encode's, wall-clock median and mean user+system CPU time;"
echo " goals: the peer >= 5x, csvclean >= 2x)"
