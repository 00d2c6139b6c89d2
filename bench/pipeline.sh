#!/usr/bin/env bash
# The whole `make pipeline` (both searches as in the notebook) against the notebook's pipeline
# in Python (bench/pipeline_peer.py: pandas + scikit-learn + XGBoost), on raw_data.csv and on
# BENCH_ROWS synthetic rows (synth). Each pipeml run starts from an empty artifacts
# directory (so make redoes every stage, the registry included); both sides include their
# start-up, reading the CSV and writing the model files. Then the selected model's test F1 of
# both. make runs with NO_DEPS=1 (no package check). Environment: BENCH_RUNS_RAW (default 3 on
# raw_data.csv; the synthetic rows are run once each, no warm-up), BENCH_PIPELINE_SYNTH=0
# skips the synthetic rows (the Python side takes many minutes at 1M rows),
# BENCH_PIPELINE_RAW=0 raw_data.csv.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

PEER="$BENCH_ROOT/bench/pipeline_peer.py"
make -s -C "$BENCH_ROOT" NO_DEPS=1 data data/raw/X_test.csv data/raw/y_test.csv

# f1s NAME CSV ART PEER_OUT: the selected model's test F1 of both, after the timed runs.
f1s() {
	local mine peer
	mine=$(jq -r '.candidates[.winner] | "\(.kind) \(.metrics.f1)"' "$3/reports/metrics.json")
	peer=$(jq -r '"\(.selected) \(.selected_f1)"' "$4.json")
	printf '%-20s selected test F1: pipeml %s, python %s\n' "$1" "$mine" "$peer"
	printf 'f1\t%s\tpipeml %s\tpython %s\n' "$1" "$mine" "$peer" >>"$BENCH_OUT/pipeline-f1.tsv"
}

# compare NAME CSV RUNS WARMUP
compare() {
	local name="$1" csv="$2" art="$BENCH_OUT/pipeline-art-$1" out="$BENCH_OUT/pipeline-peer-$1"
	local rows bytes
	bytes=$(stat -c %s "$csv")
	rows=$(($(wc -l <"$csv") - 1))
	BENCH_RUNS=$3 BENCH_WARMUP=$4 bench_compare "$name" "$bytes" "$rows" \
		"rm -rf '$art' && RAW_DATA='$csv' ARTIFACTS='$art' make -s -C '$BENCH_ROOT' NO_DEPS=1 pipeline 2>/dev/null" \
		python "rm -rf '$out' && '$BENCH_PY' '$PEER' '$csv' '$out' >'$out.json'"
	f1s "$name" "$csv" "$art" "$out"
}

bench_header "make pipeline vs the notebook in Python"
if [ "${BENCH_PIPELINE_RAW:-1}" != 0 ]; then
	compare pipeline-raw "$BENCH_ROOT/data/raw/raw_data.csv" "${BENCH_RUNS_RAW:-3}" 1
fi
if [ "${BENCH_PIPELINE_SYNTH:-1}" != 0 ]; then
	compare "pipeline-$BENCH_ROWS" "$(bench_data "$BENCH_ROWS" 1)" 1 0
fi
