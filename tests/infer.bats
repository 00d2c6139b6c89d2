#!/usr/bin/env bats
# pipelines/infer.sh and drift: the training run (pipelines/train.sh, on synthetic leads, small
# searches) registers a version with its drift reference; inference checks new leads against
# it before scoring and records what it found, in one process and with -j.
# $stderr is set by bats' run --separate-stderr.
# shellcheck disable=SC2154,SC2030,SC2031
load helper
bats_require_minimum_version 1.5.0

setup_file() {
	cd "$BATS_FILE_TMPDIR" || exit 1
	synth -n 8000 --seed 1 >train.csv
	RAW_DATA="$PWD/train.csv" ARTIFACTS="$PWD/art" LOGREG_SEARCH=3 LOGREG_SOLVER=lbfgs \
		LOGREG_PENALTY=l2 GBT_SEARCH=2 GBT_CV=3 bash "$ROOT/pipelines/train.sh" 2>train.err
	# New leads have no target column. same.csv: the training leads; shifted.csv: new leads
	# with time_spent 3 sd higher and a customer group training never saw in every 5th row.
	cut -d, -f1,3- train.csv >same.csv
	synth -n 3000 --seed 2 | cut -d, -f1,3- |
		awk -F, -v OFS=, 'NR > 1 && $14 != "" { $14 += 30 } NR > 1 && NR % 5 == 0 { $15 = 10 } { print }' >shifted.csv
}

setup() {
	cd "$BATS_FILE_TMPDIR" || exit 1
	T="$BATS_TEST_TMPDIR"
	export PIPEML_REGISTRY="$BATS_FILE_TMPDIR/art/registry" ARTIFACTS="$T/art"
}

# The last inference record, as JSON.
last_record() {
	registry runs -t score --json | tail -n 1
}

@test "train.sh stores the drift reference with the version, found by registry path -s" {
	run registry show --json lead_model@production
	assert_success
	assert_equal "$(jq -c '[.states[].name]' <<<"$output")" '["clean.state","encode.state","drift.ref"]'
	run registry path -s drift.ref lead_model@production
	assert_success
	cmp "$output" art/model/drift.ref
	grep -q 'train: stage drift: done' art/run.log
	# a reference of the cleaned training rows, with the selected model's scores
	run drift --reference art/model/drift.ref --state art/model/clean.state \
		--encode-state art/model/encode.state --model art/model/best.model -q train.csv
	assert_success
}

@test "infer.sh: the training leads again: drift ok in the log and the record, predictions written" {
	run_split "$ROOT/pipelines/infer.sh" -o "$T/p.csv" same.csv
	assert_success
	assert_equal "$(wc -l <"$T/p.csv")" 8001
	grep -Eq 'infer: drift: ok \(2024 rows checked, those training.s rules keep; report .*\.json\)$' <<<"$stderr"
	run last_record
	jq -e '.params.drift == "ok" and .params.drift_drifted == "" and .params.outcome == "scored"
		and .metrics.drift_checks_drifted == 0 and .metrics.rows_out == 8000' <<<"$output"
	[ "$(jq -r .status "$(jq -r .params.drift_report <<<"$output")")" = ok ]
}

@test "infer.sh: shifted time_spent, an unseen customer group, so shifted scores: logged and recorded by name, still scored" {
	run_split "$ROOT/pipelines/infer.sh" -o "$T/p.csv" shifted.csv
	assert_success
	assert_equal "$(wc -l <"$T/p.csv")" 3001
	grep -q 'infer: drift: 3 checks drifted: customer_group,time_spent,(prediction) (734 rows checked' <<<"$stderr"
	grep -q 'infer: drift: 3 checks drifted: customer_group,time_spent,(prediction)' "$T/art/infer.log"
	run last_record
	jq -e '.params.drift == "drift" and .params.drift_drifted == "customer_group,time_spent,(prediction)"
		and .params.drift_gate == "off" and .params.outcome == "scored"
		and .metrics.drift_checks_drifted == 3 and .metrics.drift_rows == 734
		and .metrics.rows_in == 3000 and .metrics.rows_out == 3000' <<<"$output"
	[ "$(jq -r .status "$(jq -r .params.drift_report <<<"$output")")" = drift ]
}

@test "infer.sh: leads that still carry the target drift by schema (DRIFT_TARGET=absent)" {
	run_split "$ROOT/pipelines/infer.sh" -o "$T/p.csv" train.csv
	assert_success
	grep -q 'infer: drift: 1 check drifted: target:lead_indicator (' <<<"$stderr"
	DRIFT_TARGET=present run_split "$ROOT/pipelines/infer.sh" -o "$T/p.csv" train.csv
	assert_success
	grep -q 'infer: drift: ok (' <<<"$stderr"
}

@test "infer.sh -G: drift gates the run: exit 3, no predictions file, a record that says so" {
	run_split "$ROOT/pipelines/infer.sh" -G -o "$T/p.csv" shifted.csv
	assert_failure 3
	assert_output ""
	[ -z "$(find "$T" -maxdepth 1 -name 'p.csv*')" ] || fail "a predictions file was left"
	assert_equal "$(tail -n 1 <<<"$stderr")" "$(tail -n 1 "$T/art/infer.log")"
	grep -q 'infer: error: -G: the input drifted (customer_group,time_spent,(prediction)); nothing scored, no predictions file written$' <<<"$stderr"
	run last_record
	jq -e '.params.outcome == "gated" and .params.drift == "drift" and .params.drift_gate == "on"
		and .metrics.drift_checks_drifted == 3 and (.metrics | has("rows_out") | not)' <<<"$output"
	# on leads that did not drift, -G scores as usual
	"$ROOT/pipelines/infer.sh" -G -o "$T/p.csv" same.csv 2>/dev/null
	assert_equal "$(wc -l <"$T/p.csv")" 8001
}

@test "infer.sh -j 2 (stdin) checks drift once on the saved input and records it; same bytes" {
	"$ROOT/pipelines/infer.sh" shifted.csv >"$T/one.csv" 2>/dev/null
	INFER_BLOCK=32k run_split "$ROOT/pipelines/infer.sh" -j 2 -o "$T/p.csv" <shifted.csv
	assert_success
	cmp "$T/one.csv" "$T/p.csv"
	grep -q 'infer: drift: 3 checks drifted: customer_group,time_spent,(prediction)' <<<"$stderr"
	run last_record
	jq -e '.params.jobs == "2" and .params.input == "-" and .params.drift == "drift"
		and .params.drift_drifted == "customer_group,time_spent,(prediction)" and .metrics.rows_out == 3000' <<<"$output"
	INFER_BLOCK=32k run "$ROOT/pipelines/infer.sh" -j 2 -G -o "$T/p2.csv" shifted.csv
	assert_failure 3
	[ ! -e "$T/p2.csv" ]
}

@test "infer.sh: -N skips the check; a version without a drift reference is scored, drift skipped" {
	run_split "$ROOT/pipelines/infer.sh" -N -o "$T/p.csv" shifted.csv
	assert_success
	grep -q 'infer: drift: skipped (-N)$' <<<"$stderr"
	jq -e '.params.drift == "skipped" and (.params | has("drift_report") | not) and .metrics.rows_out == 3000' <<<"$(last_record)"
	cp -r "$BATS_FILE_TMPDIR/art/registry" "$T/reg"
	export PIPEML_REGISTRY="$T/reg"
	registry add -s art/model/clean.state -s art/model/encode.state art/model/best.model >/dev/null
	run_split "$ROOT/pipelines/infer.sh" -m lead_model@2 -G -o "$T/p.csv" shifted.csv
	assert_success
	grep -q 'infer: drift: skipped: lead_model@2 has no drift reference$' <<<"$stderr"
	jq -e '.params.drift == "skipped" and .params.model_version == "lead_model@2"' <<<"$(last_record)"
	run_split "$ROOT/pipelines/infer.sh" -G -N shifted.csv
	assert_failure 2
}

@test "infer.sh: a drift error fails the run (exit 1): logged, no predictions file" {
	local n
	cp -r "$BATS_FILE_TMPDIR/art/registry" "$T/reg"
	export PIPEML_REGISTRY="$T/reg"
	n=$(registry runs -t score --json | wc -l)
	head -c 200 art/model/drift.ref >"$T/drift.ref"
	registry add -s art/model/clean.state -s art/model/encode.state -s "$T/drift.ref" \
		art/model/best.model >/dev/null
	run_split "$ROOT/pipelines/infer.sh" -m lead_model@2 -o "$T/p.csv" same.csv
	assert_failure 1
	assert_output ""
	[ -z "$(find "$T" -maxdepth 1 -name 'p.csv*')" ] || fail "a predictions file was left"
	grep -Eq "^drift: $T/reg/objects/[0-9a-f]{64}: not a drift reference " <<<"$stderr"
	grep -q "infer: error: drift failed (exit 1) on same.csv; no predictions file written$" "$T/art/infer.log"
	assert_equal "$(registry runs -t score --json | wc -l)" "$n"
}
