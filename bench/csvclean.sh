#!/usr/bin/env bash
# csvclean with the notebook's flags, in training and in apply mode, against the same cleaning
# in pandas (reading the CSV, writing its result) and against a bare libcsv parse of the same
# bytes (csv_parse with empty callbacks: the floor for a libcsv-based tool). Also apply mode's
# peak RSS. Data: synth, BENCH_ROWS rows (BENCH_ROWS=10000000 for the issue's second size).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

FLAGS=(
	--date 'date_part=2024-01-01..2024-01-31'
	--drop 'is_active,marketing_consent,first_booking,existing_customer,last_seen,domain,country,visited_learn_more_before_booking,visited_faq'
	--require 'lead_indicator,lead_id'
	--keep 'source=signup'
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

work="$(mktemp -d "${TMPDIR:-/tmp}/csvclean-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# The floor, built here: nothing but csv_parse over the input.
cat >"$work/bare_csv.c" <<'C'
#include <csv.h>
#include <stdio.h>

static void
on_field(void *s, size_t n, void *c)
{
	(void)s;
	(void)n;
	(void)c;
}

static void
on_record(int t, void *c)
{
	(void)t;
	(void)c;
}

int
main(void)
{
	static char buf[1 << 18];
	struct csv_parser p;
	size_t n;

	if (csv_init(&p, CSV_STRICT | CSV_REPALL_NL) != 0)
		return 1;
	while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
		if (csv_parse(&p, buf, n, on_field, on_record, NULL) != n)
			return 1;
	csv_fini(&p, on_field, on_record, NULL);
	csv_free(&p);
	return 0;
}
C
cc -O2 -o "$work/bare_csv" "$work/bare_csv.c" -lcsv

# The same cleaning in pandas, writing its result (a pickle) as csvclean writes its stream.
cat >"$work/clean.py" <<'PY'
import sys
import pandas as pd

cats = ["lead_id", "lead_indicator", "customer_group", "onboarding", "source", "customer_code", "date_part"]
cont = ["purchases", "time_spent", "n_visits"]
df = pd.read_csv(sys.argv[1])
df["date_part"] = pd.to_datetime(df["date_part"])
df = df[(df.date_part >= "2024-01-01") & (df.date_part <= "2024-01-31")]
df["date_part"] = df.date_part.dt.strftime("%Y-%m-%d")
df = df.drop(columns=["is_active", "marketing_consent", "first_booking", "existing_customer", "last_seen",
                      "domain", "country", "visited_learn_more_before_booking", "visited_faq"])
df = df.dropna(subset=["lead_indicator"]).dropna(subset=["lead_id"])
df = df[df.source == "signup"]
for c in cont:
    m, s = df[c].mean(), df[c].std()
    df[c] = df[c].clip(m - 2 * s, m + 2 * s)
    df[c] = df[c].fillna(df[c].mean())
df["customer_code"] = df["customer_code"].fillna("None")
for c in cats:
    df[c] = df[c].fillna(df[c].mode()[0])
df["bin_source"] = df.source.map({"li": "socials", "fb": "socials", "organic": "group1", "signup": "group1"})
df = df[["lead_id", "lead_indicator", "date_part", "source", "customer_group", "onboarding",
         "customer_code", "purchases", "time_spent", "n_visits", "bin_source"]]
df.to_pickle(sys.argv[2])
PY

csv="$(bench_data "$BENCH_ROWS" 42)"
bytes="$(wc -c <"$csv")"
rows="$BENCH_ROWS"
"$BENCH_BIN/csvclean" "${FLAGS[@]}" --save-state "$work/state" "$csv" >/dev/null
printf -v train '%q ' "$BENCH_BIN/csvclean" "${FLAGS[@]}"
apply="'$BENCH_BIN/csvclean' --state '$work/state' '$csv' >/dev/null 2>&1"
bare="'$work/bare_csv' <'$csv'"
pandas="$BENCH_PY '$work/clean.py' '$csv' '$work/out.pkl'"

bench_header "csvclean.sh: $rows rows, CSV $((bytes / 1000000)) MB"
# pandas takes seconds per run: fewer runs of it.
BENCH_RUNS=$(((BENCH_RUNS + 1) / 2)) bench_compare csvclean-train "$bytes" "$rows" \
	"$train '$csv' >/dev/null" "pandas" "$pandas" "bare-libcsv-parse" "$bare"
bench_compare csvclean-apply "$bytes" "$rows" "$apply" "bare-libcsv-parse" "$bare"

# Goals, from the medians above; CPU time (user + system) too, which other jobs on a shared
# machine disturb less than wall time.
/usr/bin/time -o "$work/rss" -f %M "$BENCH_BIN/csvclean" --state "$work/state" "$csv" >/dev/null 2>&1
rss="$(cat "$work/rss")"
jq -r --arg rss "$rss" -s '
	(.[0].results | map({(.command): .}) | add) as $t
	| (.[1].results | map({(.command): .}) | add) as $a
	| def cpu(r): r.user + r.system;
	"goals: train " + ($t.pandas.median / $t.pipeml.median | . * 10 | round / 10 | tostring)
	+ "x pandas (>= 6x); train " + ($t["bare-libcsv-parse"].median / $t.pipeml.median * 100 | round | tostring)
	+ "%, apply " + ($a["bare-libcsv-parse"].median / $a.pipeml.median * 100 | round | tostring)
	+ "% of a bare libcsv parse'"'"'s throughput (>= 75%); apply peak RSS "
	+ ($rss | tonumber / 1024 | . * 10 | round / 10 | tostring) + " MB (< 50 MB)\n"
	+ "  by CPU time: train " + (cpu($t.pandas) / cpu($t.pipeml) | . * 10 | round / 10 | tostring)
	+ "x pandas; train " + (cpu($t["bare-libcsv-parse"]) / cpu($t.pipeml) * 100 | round | tostring)
	+ "%, apply " + (cpu($a["bare-libcsv-parse"]) / cpu($a.pipeml) * 100 | round | tostring) + "% of bare"
' "$BENCH_OUT/csvclean-csvclean-train.json" "$BENCH_OUT/csvclean-csvclean-apply.json"
