#!/usr/bin/env bash
# encode, in training and in apply mode, against the same step in pandas + scikit-learn
# (MinMaxScaler, get_dummies(drop_first): the notebook's steps 8, 10-12), input and output
# included on both sides: pandas reads the cleaned rows as CSV and writes the matrix as CSV,
# encode reads csvclean's stream and writes a stream. Also what encode costs beside csvclean on
# the same rows, and apply mode's peak RSS.
# Data: synth, BENCH_ROWS raw rows (BENCH_ROWS=10000000 for the issue's size), cleaned by
# csvclean with the notebook's flags but every source kept (about 93% of the rows stay).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

CLEAN=(
	--date 'date_part=2024-01-01..2024-01-31'
	--drop 'is_active,marketing_consent,first_booking,existing_customer,last_seen,domain,country,visited_learn_more_before_booking,visited_faq'
	--require 'lead_indicator,lead_id'
	--categorical 'lead_id,lead_indicator,customer_group,onboarding,source,customer_code,date_part'
	--numeric 'purchases,time_spent,n_visits'
	--clip 2
	--impute-mean 'purchases,time_spent,n_visits'
	--fill 'customer_code=None'
	--impute-mode 'customer_group,onboarding,source,date_part'
	--map 'bin_source=source:li=socials,fb=socials,organic=group1,signup=group1'
	--order 'lead_id,lead_indicator,date_part,source,customer_group,onboarding,customer_code,purchases,time_spent,n_visits,bin_source'
	--role 'lead_indicator=target'
	--role 'lead_id=id'
)
# shellcheck disable=SC2054 # commas separate column names inside one argument
ENCODE=(-d customer_code,date_part -s purchases,time_spent,n_visits
	-c customer_group,onboarding,bin_source,source)

work="$(mktemp -d "${TMPDIR:-/tmp}/encode-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT

cat >"$work/encode.py" <<'PY'
import sys

import pandas as pd
from sklearn.preprocessing import MinMaxScaler

d = pd.read_csv(sys.argv[1], dtype={"lead_id": str, "lead_indicator": str,
                                    "customer_group": str, "onboarding": str})
cont = ["purchases", "time_spent", "n_visits"]
d[cont] = MinMaxScaler().fit_transform(d[cont])
y = (d["lead_indicator"] == "1").astype(int)
X = d.drop(columns=["lead_id", "customer_code", "date_part", "lead_indicator"])
X = pd.get_dummies(X, columns=["customer_group", "onboarding", "bin_source", "source"],
                   drop_first=True)
pd.concat([d["lead_id"], y, X], axis=1).to_csv(sys.argv[2], index=False)
PY

raw="$(bench_data "$BENCH_ROWS" 42)"
clean="$BENCH_OUT/clean-$BENCH_ROWS.mp"
[ -s "$clean" ] || "$BENCH_BIN/csvclean" "${CLEAN[@]}" "$raw" >"$clean"
[ -s "${clean%.mp}.csv" ] || "$BENCH_BIN/to-csv" "$clean" >"${clean%.mp}.csv"
rows=$(($(wc -l <"${clean%.mp}.csv") - 1))
bytes="$(wc -c <"$clean")"
"$BENCH_BIN/encode" "${ENCODE[@]}" -S "$work/state" "$clean" >/dev/null
printf -v train '%q ' "$BENCH_BIN/encode" "${ENCODE[@]}"
train="$train'$clean' >/dev/null"
apply="'$BENCH_BIN/encode' --state '$work/state' '$clean' >/dev/null"
pandas="$BENCH_PY '$work/encode.py' '${clean%.mp}.csv' /dev/null"
printf -v csvclean '%q ' "$BENCH_BIN/csvclean" "${CLEAN[@]}"
csvclean="$csvclean'$raw' >/dev/null"

bench_header "encode.sh: $rows clean rows (from $BENCH_ROWS raw), stream $((bytes / 1000000)) MB"
BENCH_RUNS=$(((BENCH_RUNS + 1) / 2)) bench_compare encode-train "$bytes" "$rows" "$train" \
	"pandas+sklearn" "$pandas" "csvclean" "$csvclean"
bench_compare encode-apply "$bytes" "$rows" "$apply" "csvclean" "$csvclean"

/usr/bin/time -o "$work/rss" -f %M "$BENCH_BIN/encode" --state "$work/state" "$clean" >/dev/null
rss="$(cat "$work/rss")"
jq -r --arg rss "$rss" -s '
	(.[0].results | map({(.command): .}) | add) as $t
	| (.[1].results | map({(.command): .}) | add) as $a
	| def cpu(r): r.user + r.system;
	def r1: . * 10 | round / 10 | tostring;
	def r2: . * 100 | round / 100 | tostring;
	"goals: train " + ($t["pandas+sklearn"].median / $t.pipeml.median | r1)
	+ "x pandas (>= 5x); encode/csvclean time: train " + ($t.pipeml.median / $t.csvclean.median | r2)
	+ ", apply " + ($a.pipeml.median / $a.csvclean.median | r2) + " (<= 0.5); apply peak RSS "
	+ ($rss | tonumber / 1024 | r1) + " MB\n"
	+ "  by CPU time: train " + (cpu($t["pandas+sklearn"]) / cpu($t.pipeml) | r1)
	+ "x pandas; encode/csvclean: train " + (cpu($t.pipeml) / cpu($t.csvclean) | r2)
	+ ", apply " + (cpu($a.pipeml) / cpu($a.csvclean) | r2)
' "$BENCH_OUT/encode-encode-train.json" "$BENCH_OUT/encode-encode-apply.json"
