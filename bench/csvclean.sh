#!/bin/bash
# Benchmark csvclean against the same cleaning in pandas and against a bare libcsv parse of the
# same bytes (the floor for a libcsv-based tool), on synthetic rows of raw_data.csv's shape.
# Usage: bench/csvclean.sh [ROWS...]   (default 1000000; BENCH_RUNS=n runs each)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${PIPEML_BIN:-$ROOT/bin}"
PY=/usr/bin/python3
RUNS="${BENCH_RUNS:-3}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/csvclean-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

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

# The floor: csv_parse over the input with empty callbacks, nothing else.
cat >"$WORK/bare.c" <<'C'
#include <csv.h>
#include <stdio.h>

static void on_field(void *s, size_t n, void *c) { (void)s; (void)n; (void)c; }
static void on_record(int t, void *c) { (void)t; (void)c; }

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
cc -O2 -o "$WORK/bare" "$WORK/bare.c" -lcsv

# The same cleaning in pandas, reading the CSV and writing its result (pickle) as csvclean
# writes its stream.
cat >"$WORK/clean.py" <<'PY'
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

# Input: synth when it is built; otherwise raw_data.csv's rows repeated with fresh ids and
# time_spent perturbed (never committed: made here, removed at exit).
make_input() {
	local rows=$1 out=$2 raw
	if [ -x "$BIN/synth" ]; then
		"$BIN/synth" -n "$rows" --seed 42 >"$out"
		return
	fi
	raw="$(make -s -C "$ROOT" data NO_DEPS=1 >/dev/null && echo "$ROOT/data/raw/raw_data.csv")"
	awk -v N="$rows" 'BEGIN { FS = OFS = ","; OFMT = CONVFMT = "%.15g"; srand(42) }
		NR == 1 { print; next }
		{ row[++n] = $0 }
		END {
			for (i = 0; i < N; i++) {
				$0 = row[i % n + 1]
				$1 = i
				$15 = $15 + (rand() - 0.5)
				print
			}
		}' "$raw" >"$out"
}

# Per command of a hyperfine result: the median wall time, or the mean CPU time (user +
# system), which a machine shared with other jobs disturbs much less.
median() {
	"$PY" -c 'import json, sys; r = json.load(open(sys.argv[1]))["results"]; print(" ".join(str(x["median"]) for x in r))' "$1"
}
cpu() {
	"$PY" -c 'import json, sys; r = json.load(open(sys.argv[1]))["results"]; print(" ".join(str(x["user"] + x["system"]) for x in r))' "$1"
}

for rows in "${@:-1000000}"; do
	in="$WORK/in.csv"
	make_input "$rows" "$in"
	mb=$(($(stat -c %s "$in") / 1000000))
	"$BIN/csvclean" "${FLAGS[@]}" --save-state "$WORK/state" "$in" >/dev/null
	printf -v train '%q ' "$BIN/csvclean" "${FLAGS[@]}"
	hyperfine --style none --warmup 1 --runs "$RUNS" --export-json "$WORK/h.json" \
		-n csvclean-train "$train <$in >/dev/null" \
		-n csvclean-apply "$BIN/csvclean --state $WORK/state <$in >/dev/null" \
		-n bare-libcsv "$WORK/bare <$in" >/dev/null
	hyperfine --style none --warmup 0 --runs "$RUNS" --export-json "$WORK/p.json" \
		-n pandas "$PY $WORK/clean.py $in $WORK/out.pkl" >/dev/null
	rss=$( { /usr/bin/time -f %M "$BIN/csvclean" --state "$WORK/state" <"$in" >/dev/null; } 2>&1 | tail -1)
	printf 'csvclean on %d rows (%d MB); apply-mode peak RSS %.1f MB (goal < 50 MB)\n' \
		"$rows" "$mb" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')"
	for what in median cpu; do
		read -r t_train t_apply t_bare <<<"$("$what" "$WORK/h.json")"
		t_pandas=$("$what" "$WORK/p.json")
		awk -v what="$what" -v mb="$mb" -v tr="$t_train" -v ap="$t_apply" -v ba="$t_bare" \
			-v pd="$t_pandas" 'BEGIN {
			printf "  %s: csvclean train %.3f s (%.0f MB/s), apply %.3f s (%.0f MB/s); ", \
				what == "cpu" ? "CPU time" : "wall median", tr, mb / tr, ap, mb / ap
			printf "pandas %.3f s; bare libcsv parse %.3f s (%.0f MB/s)\n", pd, ba, mb / ba
			printf "    train vs pandas %.1fx (goal >= 6x); vs bare parse: train %.0f%%, apply %.0f%% (goal >= 75%%)\n", \
				pd / tr, 100 * ba / tr, 100 * ba / ap
		}'
	done
done
