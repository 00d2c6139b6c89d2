#!/usr/bin/env bash
# The stream and CSV input: how fast from-csv turns CSV into a stream (against wc -l and
# pandas.read_csv on the same file), and how fast the stream library reads, and reads and
# writes again, a stream (against cat of the same bytes). Data: synth, BENCH_ROWS rows.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

csv="$(bench_data "$BENCH_ROWS" 1)"
mp="$(bench_stream "$csv")"
cat_tool="$(bench_cc stream_cat "$BENCH_ROOT/bench/stream_cat.c")"
csv_bytes="$(wc -c <"$csv")"
mp_bytes="$(wc -c <"$mp")"
rows="$BENCH_ROWS"
read_csv="import pandas; pandas.read_csv('$csv')"

bench_header "stream.sh: $rows rows, CSV $((csv_bytes / 1000000)) MB, stream $((mp_bytes / 1000000)) MB"
bench_compare csv-to-stream "$csv_bytes" "$rows" \
	"'$BENCH_BIN/from-csv' '$csv' >/dev/null" \
	"wc -l" "wc -l <'$csv' >/dev/null" \
	"pandas.read_csv" "$BENCH_PY -c \"$read_csv\" >/dev/null" \
	"python3+import pandas" "$BENCH_PY -c 'import pandas' >/dev/null"
# The stream passes take tens of milliseconds: more runs for a steadier median.
short_runs=$((BENCH_RUNS * 4))
BENCH_RUNS=$short_runs bench_compare stream-read "$mp_bytes" "$rows" \
	"'$cat_tool' -c <'$mp' >/dev/null" \
	"cat" "cat <'$mp' >/dev/null"
BENCH_RUNS=$short_runs bench_compare stream-read-write "$mp_bytes" "$rows" \
	"'$cat_tool' <'$mp' >/dev/null" \
	"cat" "cat <'$mp' >/dev/null"
BENCH_RUNS=$short_runs bench_compare stream-pipe "$mp_bytes" "$rows" \
	"cat '$mp' | '$cat_tool' | cat >/dev/null" \
	"cat|cat|cat" "cat '$mp' | cat | cat >/dev/null"
