#!/usr/bin/env bash
# split (a stratified 85/15 split, and with a 10-fold column) against the same step in pandas
# + scikit-learn (StratifiedShuffleSplit, test_size 0.15: the notebook's step 13), input and
# output included on both sides: pandas reads the encoded rows as CSV and writes train and test
# CSV, split reads encode's stream and writes two streams (train rows to /dev/null, test rows to
# a file, on both sides). Data: synth, BENCH_ROWS raw rows (BENCH_ROWS=10000000 for the issue's
# size), cleaned with every source kept and encoded as bench/encode.sh does.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

work="$(mktemp -d "${TMPDIR:-/tmp}/split-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT

cat >"$work/split.py" <<'PY'
import sys

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedShuffleSplit

d = pd.read_csv(sys.argv[1], dtype={"lead_id": str})
y = d["lead_indicator"]
train, test = next(StratifiedShuffleSplit(1, test_size=0.15, random_state=42)
                   .split(np.zeros(len(y)), y))
d.iloc[train].to_csv(sys.argv[2], index=False)
d.iloc[test].to_csv(sys.argv[3], index=False)
PY

raw="$(bench_data "$BENCH_ROWS" 42)"
encoded="$BENCH_OUT/encoded-$BENCH_ROWS.mp"
if [ ! -s "$encoded" ]; then
	"$BENCH_BIN/csvclean" --date 'date_part=2024-01-01..2024-01-31' \
		--drop 'is_active,marketing_consent,first_booking,existing_customer,last_seen,domain,country,visited_learn_more_before_booking,visited_faq' \
		--require 'lead_indicator,lead_id' --categorical 'lead_id,lead_indicator,customer_group,onboarding,source,customer_code,date_part' \
		--numeric 'purchases,time_spent,n_visits' --clip 2 --impute-mean 'purchases,time_spent,n_visits' \
		--fill 'customer_code=None' --impute-mode 'customer_group,onboarding,source,date_part' \
		--map 'bin_source=source:li=socials,fb=socials,organic=group1,signup=group1' \
		--role 'lead_indicator=target' --role 'lead_id=id' "$raw" |
		"$BENCH_BIN/encode" -d customer_code,date_part -s purchases,time_spent,n_visits \
			-c customer_group,onboarding,bin_source,source >"$encoded.tmp"
	mv "$encoded.tmp" "$encoded"
fi
[ -s "${encoded%.mp}.csv" ] || "$BENCH_BIN/to-csv" "$encoded" >"${encoded%.mp}.csv"
rows=$(($(wc -l <"${encoded%.mp}.csv") - 1))
bytes="$(wc -c <"$encoded")"
# Never a device after -t: a build before the fix of atomic_open renamed a file over it.
split="'$BENCH_BIN/split' -t '$work/test.mp' '$encoded' >/dev/null"
folds="'$BENCH_BIN/split' -k 10 -t '$work/test.mp' '$encoded' >/dev/null"
pandas="$BENCH_PY '$work/split.py' '${encoded%.mp}.csv' /dev/null '$work/test.csv'"

bench_header "split.sh: $rows encoded rows, stream $((bytes / 1000000)) MB"
BENCH_RUNS=$(((BENCH_RUNS + 1) / 2)) bench_compare split "$bytes" "$rows" "$split" \
	"pandas+sklearn" "$pandas" "split --folds 10" "$folds"

/usr/bin/time -o "$work/rss" -f %M "$BENCH_BIN/split" -t "$work/test.mp" "$encoded" >/dev/null
rss="$(cat "$work/rss")"
jq -r --arg rss "$rss" '
	(.results | map({(.command): .}) | add) as $s
	| def cpu(r): r.user + r.system;
	def r1: . * 10 | round / 10 | tostring;
	"goals: split " + ($s["pandas+sklearn"].median / $s.pipeml.median | r1)
	+ "x pandas (>= 5x); by CPU time " + (cpu($s["pandas+sklearn"]) / cpu($s.pipeml) | r1)
	+ "x; peak RSS (a file, read twice) " + ($rss | tonumber / 1024 | r1) + " MB"
' "$BENCH_OUT/split-split.json"
