#!/usr/bin/env bats
# The fuzz harnesses (tests/fuzz/*.c) replayed without libFuzzer over their seed corpus and
# every input that ever crashed one (tests/fuzz/crashes/NAME-*): none may crash, under the
# sanitizers too (make test SANITIZE=1).

load helper

FUZZ="${PIPEML_UNIT%/unit}/fuzz"

replay() {
	local name="$1" crashes=()
	[ -x "$FUZZ/$name" ] || fail "$FUZZ/$name is not built (make test builds it)"
	shopt -s nullglob
	crashes=("$ROOT/tests/fuzz/crashes/$name"-*)
	shopt -u nullglob
	run "$FUZZ/$name" "$ROOT/tests/fuzz/corpus/$name" "${crashes[@]}"
	assert_success
	assert_output --regexp '^replayed [1-9][0-9]* inputs$'
}

@test "fuzz replay: stream reader" { replay stream; }
@test "fuzz replay: CSV reader" { replay csvin; }
@test "fuzz replay: csvclean rules and state loader" { replay clean; }
@test "fuzz replay: model loader (logreg, gbt) and predict" { replay model; }
@test "fuzz replay: encode state loader" { replay encoder; }
@test "fuzz replay: registry log reader" { replay registry; }
@test "fuzz replay: JSON parser" { replay json; }
@test "fuzz replay: export inputs" { replay export; }

@test "fuzz replay: every harness has a test here and a seed corpus" {
	local f name
	for f in "$ROOT"/tests/fuzz/*.c; do
		name=$(basename "$f" .c)
		[ "$name" = replay ] && continue
		grep -q "{ replay $name; }" "$BATS_TEST_FILENAME" || fail "no replay test for $name"
		[ -n "$(ls -A "$ROOT/tests/fuzz/corpus/$name")" ] || fail "no seed corpus for $name"
	done
}
