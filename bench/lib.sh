# shellcheck shell=bash
# Helpers shared by the bench/*.sh scripts: `. "$(dirname "$0")/lib.sh"`.
#
#   bench_data ROWS SEED [FEATURES]   path of a synth CSV under bench/out/, made once
#   bench_stream CSV                  path of that CSV as a pipeml stream (from-csv), made once
#   bench_cc NAME SRC                 compile a bench-only C program against libpipeml.a
#   bench_header TITLE                print the table heading
#   bench_compare STEP BYTES ROWS PIPEML_CMD PEER_NAME PEER_CMD [PEER_NAME PEER_CMD ...]
#       time PIPEML_CMD and every peer in one hyperfine run (medians of BENCH_RUNS runs after
#       a warm-up), print one line per peer and append it to bench/out/results.tsv.
#
# ratio = pipeml median / peer median: below 1, pipeml is faster. MB/s and rows/s are
# pipeml's, computed from BYTES and ROWS of input. Commands run under sh -c (hyperfine
# subtracts the shell's start-up). Environment: BENCH_RUNS (default 5; a script may raise it
# for one call, `BENCH_RUNS=20 bench_compare …`, when the commands are short), BENCH_ROWS
# (the row count scripts use, default 1000000), BENCH_WARMUP (warm-up runs, default 1).

BENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH_BIN="$BENCH_ROOT/bin"
BENCH_OUT="$BENCH_ROOT/bench/out"
BENCH_RUNS="${BENCH_RUNS:-5}"
BENCH_ROWS="${BENCH_ROWS:-1000000}"
BENCH_PY=/usr/bin/python3
BENCH_RESULTS="$BENCH_OUT/results.tsv"
export BENCH_ROOT BENCH_BIN BENCH_OUT BENCH_RUNS BENCH_ROWS BENCH_PY
mkdir -p "$BENCH_OUT"

bench_die() {
	echo "bench: $*" >&2
	exit 1
}

for _tool in hyperfine jq; do
	command -v "$_tool" >/dev/null || bench_die "$_tool is not installed (make deps)"
done
[ -x "$BENCH_BIN/synth" ] || bench_die "$BENCH_BIN/synth is missing (run make first)"

# Make a file once: run "$@" with stdout to a temporary file, then rename it to $out.
_bench_make() {
	local out="$1"
	shift
	[ -s "$out" ] && return 0
	"$@" >"$out.tmp.$$" || {
		rm -f "$out.tmp.$$"
		bench_die "could not make $out"
	}
	mv -f "$out.tmp.$$" "$out"
}

bench_data() {
	local rows="$1" seed="$2" features="${3:-0}" out
	out="$BENCH_OUT/synth-$rows-$seed"
	[ "$features" -gt 0 ] && out="$out-f$features"
	out="$out.csv"
	_bench_make "$out" "$BENCH_BIN/synth" -n "$rows" --seed "$seed" --features "$features"
	echo "$out"
}

bench_stream() {
	local csv="$1" out="${1%.csv}.mp"
	_bench_make "$out" "$BENCH_BIN/from-csv" "$csv"
	echo "$out"
}

bench_cc() {
	local name="$1" src="$2" lib="$BENCH_ROOT/build/opt/libpipeml.a" out pc
	out="$BENCH_OUT/$name"
	[ -f "$lib" ] || bench_die "$lib is missing (run make first)"
	if [ ! -x "$out" ] || [ "$src" -nt "$out" ] || [ "$lib" -nt "$out" ]; then
		pc=msgpack
		pkg-config --exists msgpack-c 2>/dev/null && pc=msgpack-c
		# shellcheck disable=SC2046 # pkg-config prints several words on purpose
		"${CC:-cc}" -std=c11 -O2 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L \
			-D_DEFAULT_SOURCE -I"$BENCH_ROOT/common" $(pkg-config --cflags "$pc") \
			-o "$out" "$src" "$lib" -lcsv $(pkg-config --libs "$pc") -lpthread -lm ||
			bench_die "could not compile $src"
	fi
	echo "$out"
}

bench_header() {
	echo "== $1 (medians; ratio = pipeml/peer, below 1 = pipeml faster)"
	printf '%-20s %10s  %-22s %10s %7s %9s %11s %5s\n' step pipeml_s peer peer_s ratio MB/s \
		rows/s runs
}

bench_compare() {
	local step="$1" bytes="$2" rows="$3" cmd="$4" json args=() lines script
	shift 4
	args=(-n pipeml "$cmd")
	while [ $# -ge 2 ]; do
		args+=(-n "$1" "$2")
		shift 2
	done
	script="${0##*/}"
	json="$BENCH_OUT/${script%.sh}-$step.json"
	# hyperfine's warnings (short commands, outliers) go to a log, shown only on failure.
	if ! hyperfine --style none --warmup "${BENCH_WARMUP:-1}" --runs "$BENCH_RUNS" --export-json "$json" \
		"${args[@]}" >"$BENCH_OUT/$step.log" 2>&1; then
		cat "$BENCH_OUT/$step.log" >&2
		bench_die "$step: a command failed"
	fi
	if [ ! -s "$BENCH_RESULTS" ]; then
		printf 'date\tcommit\tscript\tstep\tpipeml_s\tpeer\tpeer_s\tratio\tMB_s\trows_s\trows\truns\n' \
			>"$BENCH_RESULTS"
	fi
	# One line per peer: name, pipeml median, peer median, ratio, MB/s, rows/s.
	lines="$(jq -r --argjson bytes "$bytes" --argjson rows "$rows" '
		(.results[0].median) as $p
		| .results[1:][]
		| [.command, $p, .median, ($p / .median), ($bytes / $p / 1e6), ($rows / $p)]
		| @tsv' "$json")" || bench_die "$step: cannot read $json"
	while IFS=$'\t' read -r peer p q ratio mbs rps; do
		printf '%-20s %10.4f  %-22s %10.4f %7.3f %9.1f %11.0f %5s\n' \
			"$step" "$p" "$peer" "$q" "$ratio" "$mbs" "$rps" "$BENCH_RUNS"
		printf '%s\t%s\t%s\t%s\t%.6f\t%s\t%.6f\t%.4f\t%.1f\t%.0f\t%s\t%s\n' \
			"$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
			"$(git -C "$BENCH_ROOT" describe --always --dirty 2>/dev/null || echo unknown)" \
			"$script" "$step" "$p" "$peer" "$q" "$ratio" "$mbs" "$rps" "$rows" \
			"$BENCH_RUNS" >>"$BENCH_RESULTS"
	done <<<"$lines"
}
