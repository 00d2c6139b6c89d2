# Loaded by every bats file: the assertion libraries, the tools on PATH, a scratch directory.
# shellcheck shell=bash
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
PIPEML_BIN="${PIPEML_BIN:-$ROOT/bin}"
PIPEML_UNIT="${PIPEML_UNIT:-$ROOT/build/opt/unit}"
PATH="$PIPEML_BIN:$PATH"
export ROOT PIPEML_BIN PIPEML_UNIT PATH
PY=/usr/bin/python3
export PY

# The data set, through `make data` (DATA_CACHE or the network); tests that need it skip
# with a reason when neither can provide it.
raw_data() {
	if [ ! -f "$ROOT/data/raw/raw_data.csv" ]; then
		make -s -C "$ROOT" data NO_DEPS=1 >/dev/null 2>&1 || return 1
	fi
	echo "$ROOT/data/raw/raw_data.csv"
}

# Run a command with stdout and stderr kept apart: $output is stdout, $stderr is stderr.
bats_require_minimum_version 1.5.0
run_split() {
	run --separate-stderr "$@"
}
