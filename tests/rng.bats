#!/usr/bin/env bats
# common/rng: the seeded PRNG every tool shares.

load helper

@test "rng: reference values, uniform and normal moments, unbiased rng_below, rng_jump" {
	run "$PIPEML_UNIT/rng_test"
	assert_success
	assert_output --regexp '^[0-9]+ checks, 0 failed$'
}
