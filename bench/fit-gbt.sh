#!/usr/bin/env bash
# fit-gbt against XGBoost 1.7 (tree_method=hist) on the same synthetic rows: 100 rounds,
# depth 6, 256 bins, binary:logistic, at 1 and 2 threads. Both sides include reading their
# input (a stream for fit-gbt, a .npz for XGBoost) and binning; XGBoost's side also includes
# Python's start-up and the import of xgboost. Then the test AUC of both models on other
# rows, and the peak memory of one run of each. Data: synth, BENCH_ROWS rows, the pipeline's
# 12 features, and a 100-feature variant (12 + 88 x_j): BENCH_GBT_EXTRA lists the extra
# feature counts to run (default "0 88"); BENCH_GBT_RUNS the timed runs (default 3).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

PEER="$BENCH_ROOT/bench/gbt_peer.py"
PREDICT="$BENCH_ROOT/build/opt/unit/gbt_predict"
[ -x "$PREDICT" ] || bench_die "$PREDICT is missing (run make test or make $PREDICT)"

# features N: prepare train and test sets with 12 + N features, once.
features() {
	local extra="$1" name csv part c roles
	for part in train:1 test:2; do
		name="$BENCH_OUT/gbt-${part%%:*}-$BENCH_ROWS-f$extra"
		if [ ! -s "$name.mp" ]; then
			csv="$(bench_data "$BENCH_ROWS" "${part#*:}" "$extra")"
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
	local extra="$1" train test bytes j mine peer
	features "$extra"
	train="$BENCH_OUT/gbt-train-$BENCH_ROWS-f$extra"
	test="$BENCH_OUT/gbt-test-$BENCH_ROWS-f$extra"
	bytes=$(stat -c %s "$train.mp")
	for j in 1 2; do
		BENCH_RUNS="${BENCH_GBT_RUNS:-3}" bench_compare "fit-gbt-f$((12 + extra))-j$j" "$bytes" \
			"$BENCH_ROWS" \
			"$BENCH_BIN/fit-gbt -j $j --no-timestamp $train.mp > $BENCH_OUT/gbt.model" \
			"xgboost-hist-nthread$j" "$BENCH_PY $PEER fit $train.npz $j $BENCH_OUT/xgb.json"
	done
	"$PREDICT" "$BENCH_OUT/gbt.model" "$test.mp" >"$BENCH_OUT/gbt.pred"
	echo "quality (f$((12 + extra)), test rows): $("$BENCH_PY" "$PEER" score "$test.npz" \
		"$BENCH_OUT/xgb.json" "$BENCH_OUT/gbt.pred")"
	for j in 1 2; do
		mine=$(/usr/bin/time -f %M "$BENCH_BIN/fit-gbt" -j "$j" --no-timestamp "$train.mp" \
			2>&1 >/dev/null | tail -1)
		peer=$(/usr/bin/time -f %M "$BENCH_PY" "$PEER" fit "$train.npz" "$j" \
			"$BENCH_OUT/xgb.json" 2>&1 | tail -1)
		echo "peak memory (f$((12 + extra)), j$j): fit-gbt $mine KB, xgboost $peer KB," \
			"ratio $(awk -v a="$mine" -v b="$peer" 'BEGIN { printf "%.3f", a / b }')"
	done
}

bench_header "fit-gbt: 100 rounds, depth 6, 256 bins, $BENCH_ROWS rows (binning included)"
for extra in ${BENCH_GBT_EXTRA:-0 88}; do
	run "$extra"
done
