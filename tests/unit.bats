#!/usr/bin/env bats
# C unit tests of common/.

load helper

@test "common/: numbers, string map, CSV input and atomic files" {
	run "$PIPEML_UNIT/common_test"
	assert_success
	assert_output --regexp '^[0-9]+ checks, 0 failed$'
}
