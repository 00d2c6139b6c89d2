#!/usr/bin/env bash
# drift against csvclean's apply mode on the same rows (the issue's goal: drift at least as
# fast). The reference is built from a separate synth sample (seed 7, 200000 rows) cleaned
# by the notebook's rules; drift then checks BENCH_ROWS new rows (seed 42) as raw CSV through
# the cleaning state and as the cleaned stream, leaving out customer_code as inference does
# (a near-unique code: every value is unseen, and its lookups in a large hash table would
# dominate). drift runs at its default -j (three threads on raw CSV: read, parse, profile),
# and again with -j 1; csvclean runs on one thread. Also drift's peak RSS (constant memory).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

FLAGS=(
	--date 'date_part=2024-01-01..2024-01-31'
	--drop 'is_active,marketing_consent,first_booking,existing_customer,last_seen,domain,country,visited_learn_more_before_booking,visited_faq'
	--require 'lead_indicator,lead_id'
	--categorical 'lead_id,lead_indicator,customer_group,onboarding,source,customer_code,date_part'
	--numeric 'purchases,time_spent,n_visits'
	--clip 2
	--impute-mean 'purchases,time_spent,n_visits'
	--fill 'customer_code=None'
	--impute-mode 'customer_group,onboarding,source,date_part'
	--role 'lead_indicator=target'
	--role 'lead_id=id'
)

work="$(mktemp -d "${TMPDIR:-/tmp}/drift-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT

train="$(bench_data 200000 7)"
csv="$(bench_data "$BENCH_ROWS" 42)"
bytes="$(wc -c <"$csv")"
rows="$BENCH_ROWS"
"$BENCH_BIN/csvclean" "${FLAGS[@]}" --save-state "$work/state" "$train" >"$work/train.pml"
"$BENCH_BIN/drift" --save-reference "$work/ref" "$work/train.pml"
"$BENCH_BIN/csvclean" --state "$work/state" "$csv" >"$work/new.pml" 2>/dev/null

apply="'$BENCH_BIN/csvclean' --state '$work/state' '$csv' >/dev/null 2>&1"
raw="'$BENCH_BIN/drift' --reference '$work/ref' --state '$work/state' --ignore customer_code -q '$csv'; [ \$? -le 3 ]"
raw1="'$BENCH_BIN/drift' -j 1 --reference '$work/ref' --state '$work/state' --ignore customer_code -q '$csv'; [ \$? -le 3 ]"
stream="'$BENCH_BIN/drift' --reference '$work/ref' --ignore customer_code -q '$work/new.pml'; [ \$? -le 3 ]"

bench_header "drift.sh: $rows rows, CSV $((bytes / 1000000)) MB"
bench_compare drift-csv "$bytes" "$rows" "$raw" "csvclean-apply" "$apply"
bench_compare drift-stream "$bytes" "$rows" "$stream" "csvclean-apply" "$apply"
bench_compare drift-csv-j1 "$bytes" "$rows" "$raw1" "csvclean-apply" "$apply"

/usr/bin/time -q -o "$work/rss" -f %M "$BENCH_BIN/drift" --reference "$work/ref" \
	--state "$work/state" --ignore customer_code -q "$csv" || [ $? -le 3 ]
jq -r --arg rss "$(cat "$work/rss")" -s '
	def cpu(r): r.user + r.system;
	(.[0].results | map({(.command): .}) | add) as $c
	| (.[1].results | map({(.command): .}) | add) as $s
	| (.[2].results | map({(.command): .}) | add) as $one
	| "goals: drift on raw CSV " + ($c.pipeml.median / $c["csvclean-apply"].median | . * 100 | round / 100 | tostring)
	+ "x (-j 1: " + ($one.pipeml.median / $one["csvclean-apply"].median | . * 100 | round / 100 | tostring)
	+ "x), on the stream " + ($s.pipeml.median / $s["csvclean-apply"].median | . * 100 | round / 100 | tostring)
	+ "x the time of csvclean apply (<= 1); by CPU time "
	+ (cpu($c.pipeml) / cpu($c["csvclean-apply"]) | . * 100 | round / 100 | tostring) + "x and "
	+ (cpu($s.pipeml) / cpu($s["csvclean-apply"]) | . * 100 | round / 100 | tostring)
	+ "x; drift peak RSS " + ($rss | tonumber / 1024 | . * 10 | round / 10 | tostring) + " MB"
' "$BENCH_OUT/drift-drift-csv.json" "$BENCH_OUT/drift-drift-stream.json" \
	"$BENCH_OUT/drift-drift-csv-j1.json"
