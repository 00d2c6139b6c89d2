#!/usr/bin/env bats
# C unit tests of common/.

load helper

@test "common/: numbers, string map, CSV input and atomic files" {
	run "$PIPEML_UNIT/common_test"
	assert_success
	# which SHA-256 code was checked against which, then the count
	assert_line --index 0 --regexp '^sha256: (SHA instructions checked against the portable code|no SHA instructions here: portable code only)$'
	assert_line --index 1 --regexp '^[0-9]+ checks, 0 failed$'
}

@test "fit-logreg's solver: a pass without the Hessian, then the Hessian from its margins, gives the same bits (1 and 3 threads)" {
	run "$PIPEML_UNIT/logreg_test"
	assert_success
	assert_output --regexp '^[0-9]+ checks, 0 failed$'
}
