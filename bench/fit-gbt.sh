#!/usr/bin/env bash
# fit-gbt against XGBoost 1.7 (tree_method=hist) on the same synthetic rows: 100 rounds,
# depth 6, 256 bins, binary:logistic, at 1 and 2 threads. Both sides include reading their
# input (a stream for fit-gbt, a .npz for XGBoost) and binning; XGBoost's side also includes
# Python's start-up and the import of xgboost. Then the test AUC of both models on other
# rows; the peak memory of each is the largest over its timed runs. Data: synth, BENCH_ROWS
# rows, the pipeline's 12 features, and a 100-feature variant (12 + 88 x_j): BENCH_GBT_EXTRA
# lists the extra feature counts to run (default "0 88"); BENCH_GBT_RUNS the timed runs
# (default 3); BENCH_GBT_TEST_ROWS the test rows for the AUC (default BENCH_ROWS). Above 2M
# rows x 100 features the data is prepared in chunks straight into a stream (gbt_peer.py
# prep-big).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

PEER="$BENCH_ROOT/bench/gbt_peer.py"
PREDICT="$BENCH_ROOT/build/opt/unit/gbt_predict"
[ -x "$PREDICT" ] || bench_die "$PREDICT is missing (run make test or make $PREDICT)"

# features N: prepare train and test sets with 12 + N features, once.
features() {
	local extra="$1" name csv part c roles rows
	for part in train:1 test:2; do
		rows=$BENCH_ROWS
		[ "$part" = train:1 ] || rows=${BENCH_GBT_TEST_ROWS:-$BENCH_ROWS}
		name="$BENCH_OUT/gbt-${part%%:*}-$rows-f$extra"
		[ ! -s "$name.mp" ] || continue
		csv="$(bench_data "$rows" "${part#*:}" "$extra")"
		if [ $((rows * (12 + extra))) -gt 200000000 ]; then
			"$BENCH_PY" "$PEER" prep-big "$csv" "$name"
			mv "$name.mp.tmp" "$name.mp"
		else
			"$BENCH_PY" "$PEER" prep "$csv" "$name"
			roles=(-r y=target)
			for c in $(head -1 "$name.csv" | tr , ' '); do
				[ "$c" = y ] || roles+=(-r "$c=feature")
			done
			"$BENCH_BIN/from-csv" "${roles[@]}" "$name.csv" >"$name.mp.tmp"
			mv "$name.mp.tmp" "$name.mp"
		fi
	done
}

run() {
	local extra="$1" train test bytes j mem_mine mem_peer
	features "$extra"
	train="$BENCH_OUT/gbt-train-$BENCH_ROWS-f$extra"
	test="$BENCH_OUT/gbt-test-${BENCH_GBT_TEST_ROWS:-$BENCH_ROWS}-f$extra"
	bytes=$(stat -c %s "$train.mp")
	for j in 1 2; do
		# each timed run also records its peak memory (GNU time, appended to a file)
		mem_mine="$BENCH_OUT/gbt-mem-f$extra-j$j.pipeml"
		mem_peer="$BENCH_OUT/gbt-mem-f$extra-j$j.xgboost"
		rm -f "$mem_mine" "$mem_peer"
		BENCH_RUNS="${BENCH_GBT_RUNS:-3}" bench_compare "fit-gbt-f$((12 + extra))-j$j" "$bytes" \
			"$BENCH_ROWS" \
			"/usr/bin/time -f %M -a -o $mem_mine $BENCH_BIN/fit-gbt -j $j --no-timestamp $train.mp \
				> $BENCH_OUT/gbt.model" \
			"xgboost-hist-nthread$j" \
			"/usr/bin/time -f %M -a -o $mem_peer $BENCH_PY $PEER fit $train.npz $j $BENCH_OUT/xgb.json"
		echo "peak memory (f$((12 + extra)), j$j, largest of the runs): fit-gbt" \
			"$(sort -n "$mem_mine" | tail -1) KB, xgboost $(sort -n "$mem_peer" | tail -1) KB, ratio" \
			"$(awk 'NR == FNR { a = $1 > a ? $1 : a; next } { b = $1 > b ? $1 : b }
				END { printf "%.3f", a / b }' "$mem_mine" "$mem_peer")"
	done
	"$PREDICT" "$BENCH_OUT/gbt.model" "$test.mp" >"$BENCH_OUT/gbt.pred"
	echo "quality (f$((12 + extra)), test rows): $("$BENCH_PY" "$PEER" score "$test.npz" \
		"$BENCH_OUT/xgb.json" "$BENCH_OUT/gbt.pred")"
}

bench_header "fit-gbt: 100 rounds, depth 6, 256 bins, $BENCH_ROWS rows (binning included)"
for extra in ${BENCH_GBT_EXTRA:-0 88}; do
	run "$extra"
done
