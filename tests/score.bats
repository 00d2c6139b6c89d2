#!/usr/bin/env bats
# score: predictions equal to an independent computation, scikit-learn and XGBoost; raw CSV
# through the states equal to the encoded stream; no row lost; parallel and socket serving.
# $stderr is set by bats' run --separate-stderr.
# shellcheck disable=SC2154,SC2030,SC2031
load helper
bats_require_minimum_version 1.5.0

ORACLE="$BATS_TEST_DIRNAME/score-oracle.py"

# The notebook's cleaning (csvclean(1) EXAMPLES) on synthetic leads, its encoding, a logistic
# regression and a small tree model: made once for the file.
setup_file() {
	cd "$BATS_FILE_TMPDIR" || exit 1
	synth -n 3000 --seed 1 >train.csv
	csvclean --date 'date_part=2024-01-01..2024-01-31' \
		--drop 'is_active,marketing_consent,first_booking,existing_customer,last_seen,domain,country,visited_learn_more_before_booking,visited_faq' \
		--require 'lead_indicator,lead_id' --keep 'source=signup,li' \
		--categorical 'lead_id,lead_indicator,customer_group,onboarding,source,customer_code,date_part' \
		--numeric 'purchases,time_spent,n_visits' --clip 2 \
		--impute-mean 'purchases,time_spent,n_visits' --fill 'customer_code=None' \
		--impute-mode 'customer_group,onboarding,source,date_part' \
		--map 'bin_source=source:li=socials,fb=socials,organic=group1,signup=group1' \
		--role lead_indicator=target --role lead_id=id \
		--save-state clean.state -o stream train.csv 2>/dev/null >clean.pml
	encode -y lead_indicator -i lead_id -d customer_code,date_part -s purchases,time_spent,n_visits \
		-c customer_group,onboarding,bin_source,source -S encode.state <clean.pml >enc.pml
	fit-logreg -T <enc.pml >lr.model
	fit-gbt -j 1 --param n_estimators=20 --param max_depth=4 --no-timestamp <enc.pml >gbt.model 2>/dev/null
	# New leads: some without a target, some with unseen categories, some from other sources.
	synth -n 600 --seed 2 | awk -F, -v OFS=, 'NR > 1 && NR % 5 == 0 { $2 = "" }
		NR > 1 && NR % 7 == 0 { $16 = "99"; $17 = "Maybe" }
		NR > 1 && NR % 11 == 0 { $9 = "tiktok" } { print }' >leads.csv
}

setup() {
	cd "$BATS_FILE_TMPDIR" || exit 1
	T="$BATS_TEST_TMPDIR"
}

@test "logistic regression: 1/(1+exp(-(w.x+b))) and sklearn predict_proba on the export (1e-12)" {
	pipeml export -f sklearn --output "$T/lr.pkl" lr.model
	to-csv enc.pml >"$T/enc.csv"
	score -m lr.model enc.pml >"$T/s.csv"
	run "$PY" "$ORACLE" logreg lr.model "$T/lr.pkl" "$T/enc.csv" "$T/s.csv"
	assert_success
	assert_output "$(($(wc -l <"$T/enc.csv") - 1)) rows ok"
}

@test "trees: XGBoost's inplace_predict on the exported JSON (1e-6)" {
	pipeml export -f xgboost-json --feature-names --output "$T/gbt.json" gbt.model
	to-csv enc.pml >"$T/enc.csv"
	score -m gbt.model enc.pml >"$T/s.csv"
	run "$PY" "$ORACLE" xgboost "$T/gbt.json" "$T/enc.csv" "$T/s.csv"
	assert_success
	assert_output "$(($(wc -l <"$T/enc.csv") - 1)) rows ok"
}

@test "raw new leads through the states equal scoring their encoded stream, every row kept" {
	for m in lr gbt; do
		run_split score -m $m.model -s clean.state -s encode.state leads.csv
		assert_success
		echo "$output" >"$T/raw.csv"
		csvclean --state clean.state --keep-all -o stream leads.csv 2>/dev/null |
			encode --state encode.state 2>"$T/encode.err" | score -m $m.model >"$T/enc.csv" 2>/dev/null
		# the notes: rows training would drop (as many as --reject-dropped rejects), the
		# unseen categories (as encode counts them), then rows in = out + rejected
		dropped=$(score -m $m.model -s clean.state -s encode.state -D leads.csv 2>&1 >/dev/null | sed -n 's/.* \([0-9]*\) rejected$/\1/p')
		[ "$dropped" -gt 100 ]
		unseen=$(sed 's/^encode: stdin: //' "$T/encode.err")
		assert_equal "$stderr" "$(printf '%s\n' "score: $dropped rows that the training rules would drop were scored (--reject-dropped rejects them)" \
			"score: $unseen" \
			"score: 600 rows in, 600 scored ($(awk -F, 'NR > 1 && $3 == 1' <<<"$output" | wc -l) positive at 0.5), 0 rejected")"
		[[ "$unseen" == *" values not seen in training encoded as all zeros (source "*", customer_group "*", onboarding "*")" ]]
		cmp "$T/raw.csv" "$T/enc.csv"
		[ "$(wc -l <"$T/raw.csv")" -eq 601 ]
	done
	# the state files' order does not matter; the ids are the input's, in order
	score -m gbt.model -s encode.state -s clean.state leads.csv 2>/dev/null | cmp - "$T/raw.csv"
	cut -d, -f1 leads.csv | cmp - <(cut -d, -f1 "$T/raw.csv" | sed '1s/.*/lead_id/')
}

@test "--reject-dropped: rows in = rows out + rows rejected, the rejects with their reason" {
	run_split score -m lr.model -s clean.state -s encode.state --reject-dropped --rejects "$T/rej.csv" leads.csv
	assert_success
	scored="$output"
	out=$(($(wc -l <<<"$output") - 1))
	rej=$(($(wc -l <"$T/rej.csv") - 1))
	[ $((out + rej)) -eq 600 ]
	[ "$rej" -gt 100 ]
	assert_equal "${stderr##*$'\n'}" "score: 600 rows in, $out scored ($(awk -F, 'NR > 1 && $3 == 1' <<<"$output" | wc -l) positive at 0.5), $rej rejected to $T/rej.csv"
	[[ "$stderr" != *"would drop were scored"* ]]
	assert_equal "$(head -1 "$T/rej.csv")" "$(head -1 leads.csv),reject_reason"
	run grep -c ',dropped by the cleaning rules$' "$T/rej.csv"
	assert_output "$rej"
	# the scored rows are those the training rules keep, scored as without the flag
	score -m lr.model -s clean.state -s encode.state leads.csv 2>/dev/null >"$T/all.csv"
	run grep -Fvxf "$T/all.csv" <<<"$scored"
	assert_output ""
}

@test "a bad row is rejected, not fatal, and named with its line" {
	{
		head -3 leads.csv
		head -4 leads.csv | tail -1 | awk -F, -v OFS=, '{ $14 = "lots"; print }'
	} >"$T/bad.csv"
	run_split score -m lr.model -s clean.state -s encode.state -r "$T/rej.csv" "$T/bad.csv"
	assert_success
	assert_equal "$(wc -l <<<"$output")" 3
	assert_equal "${stderr##*$'\n'}" "score: 3 rows in, 2 scored ($(awk -F, 'NR > 1 && $3 == 1' <<<"$output" | wc -l) positive at 0.5), 1 rejected to $T/rej.csv"
	run tail -1 "$T/rej.csv"
	assert_output --partial "line 4: column 'purchases'"
}

@test "features matched by name: extra columns ignored, a missing one is an error naming it" {
	to-csv enc.pml >"$T/enc.csv"
	# reversed column order and an extra column: the same predictions
	awk -F, -v OFS=, '{ out = $NF; for (j = NF - 1; j >= 1; j--) out = out OFS $j; print out, (NR == 1 ? "extra" : 1) }' "$T/enc.csv" |
		from-csv -t lead_id -r lead_id=id >"$T/rev.pml"
	score -m lr.model enc.pml >"$T/a.csv"
	score -m lr.model "$T/rev.pml" | cmp - "$T/a.csv"
	cut -d, -f1-3,5- "$T/enc.csv" | from-csv -t lead_id -r lead_id=id >"$T/miss.pml"
	run_split score -m lr.model "$T/miss.pml"
	assert_failure 1
	assert_equal "$stderr" "score: $T/miss.pml: feature 'time_spent' of the model is not in the input"
	assert_output ""
}

@test "a NaN feature: the logistic regression writes an empty probability and says so; trees score it" {
	to-csv enc.pml >"$T/enc.csv"
	# time_spent (column 4) empty in rows 2 and 5: NaN in the stream
	awk -F, -v OFS=, 'NR == 3 || NR == 6 { $4 = "" } { print }' "$T/enc.csv" |
		from-csv -t lead_id -r lead_id=id >"$T/nan.pml"
	run_split score -m lr.model "$T/nan.pml"
	assert_success
	n=$(($(wc -l <"$T/enc.csv") - 1))
	assert_equal "${#lines[@]}" "$((n + 1))"
	assert_equal "$(printf '%s\n' "${lines[@]}" | awk -F, '$2 == "" && $3 == "" { print NR - 1 }' | tr '\n' ' ')" "2 5 "
	assert_equal "$(head -1 <<<"$stderr")" "score: 2 rows have no probability: a feature the model needs is missing (NaN) in them, so their probability and label are empty"
	assert_equal "$(tail -1 <<<"$stderr" | cut -d' ' -f2-5)" "$n rows in, $n"
	run_split score -m gbt.model "$T/nan.pml"
	assert_success
	run awk -F, 'NR > 1 && $2 == ""' <<<"$output"
	assert_output ""
}

@test "--threshold sets the label; -o stream round-trips" {
	score -m lr.model -t 0.9 enc.pml 2>/dev/null >"$T/a.csv"
	run awk -F, 'NR > 1 && ($3 != ($2 >= 0.9)) ' "$T/a.csv"
	assert_output ""
	score -m lr.model -t 0.9 -o stream enc.pml 2>/dev/null | to-csv -r >"$T/b.csv"
	assert_equal "$(head -1 "$T/b.csv")" "lead_id:str:id,probability:f64:passthrough,label:f64:passthrough"
	tail -n +2 "$T/b.csv" | cmp - <(tail -n +2 "$T/a.csv")
	run_split score -m lr.model -t 2 enc.pml
	assert_failure 2
	assert_equal "$stderr" "score: --threshold: expected a number in [0, 1], not '2'"
}

@test "bad states and models: one line naming the file" {
	run_split score -m lr.model -s lr.model leads.csv
	assert_failure 1
	assert_equal "$stderr" "score: lr.model: not a csvclean or an encode state (format \"pipeml-model\")"
	run_split score -m lr.model -s clean.state leads.csv
	assert_failure 2
	assert_equal "$stderr" "score: a csvclean state needs the encode state too"
	run_split score leads.csv
	assert_failure 2
	assert_equal "$stderr" "score: --model is required"
	run_split score -m lr.model -D enc.pml
	assert_failure 2
	assert_equal "$stderr" "score: --reject-dropped needs a csvclean state (raw CSV input)"
}

@test "registry: NAME@STAGE brings its states; every run is logged and shown by registry runs" {
	export PIPEML_REGISTRY="$T/reg"
	run registry add -n lead_model -s clean.state -s encode.state lr.model
	assert_output "lead_model@1"
	registry promote lead_model@1 production 2>/dev/null
	score -m lead_model@production leads.csv 2>/dev/null >"$T/a.csv"
	score -m lr.model -s clean.state -s encode.state leads.csv 2>/dev/null | cmp - "$T/a.csv"
	run registry runs -t score --json
	assert_equal "${#lines[@]}" 2
	sha=$(sha256sum <leads.csv | cut -d' ' -f1)
	msha=$(sha256sum <lr.model | cut -d' ' -f1)
	pos=$(awk -F, 'NR > 1 && $3 == 1' "$T/a.csv" | wc -l)
	for line in "${lines[@]}"; do
		jq -e --arg sha "$sha" --arg msha "$msha" --argjson pos "$pos" \
			'.tool == "score" and .params.model == "lead_model@1" and .params.model_sha256 == $msha
			and .input_sha256 == $sha and .metrics == {rows_in: 600, rows_out: 600, rows_rejected: 0, positives: $pos, rows_unscored: 0}
			and (.host | length > 0) and .duration >= 0' <<<"$line"
	done
	run registry runs -t score
	assert_line --index 1 --regexp "^[0-9TZ]+-[0-9a-f]+ +score .* rows_in=600 rows_out=600 rows_rejected=0 positives=$pos rows_unscored=0$"
}

@test "-j 1, 2 and 4: the same predictions, rejects and counts (batches handed over, predictions shared)" {
	# 40,000 rows: several batches of 8192, each shared among the threads
	synth -n 40000 --seed 5 >"$T/many.csv"
	for m in lr gbt; do
		for j in 1 2 4; do
			score -j "$j" -m "$m.model" -s clean.state -s encode.state -D -r "$T/rej-$m-$j.csv" \
				"$T/many.csv" >"$T/out-$m-$j.csv" 2>"$T/err-$m-$j.txt"
			csvclean --state clean.state --keep-all -o stream "$T/many.csv" 2>/dev/null |
				encode --state encode.state 2>/dev/null | score -j "$j" -m "$m.model" >"$T/st-$m-$j.csv" 2>/dev/null
		done
		for j in 2 4; do
			cmp "$T/out-$m-1.csv" "$T/out-$m-$j.csv"
			cmp "$T/rej-$m-1.csv" "$T/rej-$m-$j.csv"
			assert_equal "$(sed "s/rej-$m-$j/rej-$m-1/" "$T/err-$m-$j.txt")" "$(cat "$T/err-$m-1.txt")"
			cmp "$T/st-$m-1.csv" "$T/st-$m-$j.csv"
		done
	done
	# every row accounted for, and the rejects are the rows training would drop
	run tail -1 "$T/err-lr-2.txt"
	assert_output --regexp "^score: 40000 rows in, [0-9]+ scored \([0-9]+ positive at 0\.5\), [0-9]+ rejected to "
	read -r _ _ _ _ out _ _ _ _ _ rej _ <<<"$output"
	assert_equal "$((out + rej))" 40000
	assert_equal "$(($(wc -l <"$T/out-lr-2.csv") - 1))" "$out"
	assert_equal "$(($(wc -l <"$T/rej-lr-2.csv") - 1))" "$rej"
	assert [ "$rej" -gt 0 ]
	run_split score -j 0 -m lr.model enc.pml
	assert_failure 2
	assert_equal "$stderr" "score: -j: 0 is out of range [1, 256]"
}

@test "registry: a drift reference stored with the version is passed over; named with -s, an error" {
	export PIPEML_REGISTRY="$T/reg"
	drift --save-reference "$T/drift.ref" --encode-state encode.state --model lr.model clean.pml
	registry add -n lead_model -s clean.state -s encode.state -s "$T/drift.ref" lr.model >/dev/null
	score -m lead_model@1 leads.csv 2>/dev/null >"$T/a.csv"
	score -m lr.model -s clean.state -s encode.state leads.csv 2>/dev/null | cmp - "$T/a.csv"
	run_split score -m lr.model -s clean.state -s encode.state -s "$T/drift.ref" leads.csv
	assert_failure 1
	assert_output ""
	assert_equal "$stderr" "score: $T/drift.ref: not a csvclean or an encode state (format \"pipeml-drift-reference\")"
}

@test "GNU parallel: 4 jobs over blocks with the header give the one-process bytes" {
	score -m gbt.model -s clean.state -s encode.state leads.csv 2>/dev/null >"$T/one.csv"
	parallel --pipe --header 1 --keep-order -j 4 --block 8k \
		'score -m gbt.model -s clean.state -s encode.state 2>/dev/null | if [ {#} -eq 1 ]; then cat; else tail -n +2; fi' \
		<leads.csv >"$T/par.csv"
	cmp "$T/one.csv" "$T/par.csv"
	# the separate stages too
	parallel --pipe --header 1 --keep-order -j 4 --block 8k \
		'csvclean --state clean.state --keep-all -o stream 2>/dev/null | encode --state encode.state 2>/dev/null | score -m gbt.model 2>/dev/null | if [ {#} -eq 1 ]; then cat; else tail -n +2; fi' \
		<leads.csv | cmp - "$T/one.csv"
}

@test "--unbuffered serves over a socket: each prediction before the next line is sent" {
	command -v socat >/dev/null || skip "socat is not installed"
	score -m lr.model -s clean.state -s encode.state leads.csv 2>/dev/null | head -4 >"$T/want"
	for _ in 1 2 3 4 5; do
		port=$((20000 + RANDOM % 20000))
		socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" \
			EXEC:"score -u -m lr.model -s clean.state -s encode.state" 2>"$T/socat.err" &
		pid=$!
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			sleep 0.1
			ss -ltn 2>/dev/null | grep -q "127.0.0.1:$port " && break
		done
		kill -0 "$pid" 2>/dev/null && break
	done
	run "$PY" - "$port" leads.csv <<'EOF'
import socket, sys
port, lines = int(sys.argv[1]), open(sys.argv[2]).read().splitlines(True)
s = socket.create_connection(("127.0.0.1", port), timeout=5)
f = s.makefile("rb")
s.sendall((lines[0] + lines[1]).encode())
out = [f.readline(), f.readline()]  # answered while the connection stays open
for line in lines[2:4]:
    s.sendall(line.encode())
    out.append(f.readline())
s.shutdown(socket.SHUT_WR)
assert f.read() == b""
sys.stdout.write(b"".join(out).decode())
EOF
	kill "$pid"
	wait "$pid" || true
	assert_success
	assert_output "$(cat "$T/want")"
}

@test "pipelines/infer.sh: the production model from the registry, stdin or a path, -j 4" {
	score -m gbt.model -s clean.state -s encode.state leads.csv 2>/dev/null >"$T/want.csv"
	export PIPEML_REGISTRY="$T/reg" ARTIFACTS="$T/art" INFER_BLOCK=8k
	registry add -n lead_model -s clean.state -s encode.state gbt.model >/dev/null
	registry promote lead_model@1 production 2>/dev/null
	"$ROOT/pipelines/infer.sh" <leads.csv 2>/dev/null | cmp - "$T/want.csv"
	"$ROOT/pipelines/infer.sh" -j 4 -o "$T/p.csv" leads.csv 2>/dev/null
	cmp "$T/p.csv" "$T/want.csv"
	run registry runs -t score --json
	assert_equal "${#lines[@]}" 2
	jq -e '.metrics.rows_in == 600 and .metrics.rows_out == 600 and .params.model == "lead_model@production"' <<<"${lines[1]}"
	jq -e '.metrics.rows_in == 600 and .params.model == "lead_model@production" and .params.model_version == "lead_model@1"' <<<"${lines[0]}"
	grep -q 'infer: 600 rows in, 600 scored (.* positive at 0.5), 0 rejected (4 jobs)$' "$T/art/infer.log"
	# rejects: the blocks' files joined in order, as one process writes them
	"$ROOT/pipelines/infer.sh" -D -r "$T/r1.csv" leads.csv >"$T/o1.csv" 2>/dev/null
	"$ROOT/pipelines/infer.sh" -j 4 -D -r "$T/r4.csv" leads.csv 2>/dev/null | cmp - "$T/o1.csv"
	cmp "$T/r1.csv" "$T/r4.csv"
	[ $(($(wc -l <"$T/o1.csv") + $(wc -l <"$T/r1.csv") - 2)) -eq 600 ]
}

@test "pipelines/infer.sh: a failure exits non-zero, logs an error line, leaves no file" {
	export PIPEML_REGISTRY="$T/reg" ARTIFACTS="$T/art"
	registry add -n lead_model -s clean.state -s encode.state lr.model >/dev/null
	registry promote lead_model@1 production 2>/dev/null
	run_split "$ROOT/pipelines/infer.sh" -m lead_model@staging -o "$T/p.csv" leads.csv
	assert_failure 1
	assert_output ""
	assert_equal "$stderr" "$(printf '%s\n%s' "registry: $T/reg: lead_model has no staging version" \
		"$(tail -1 "$T/art/infer.log")")"
	[ ! -e "$T/p.csv" ]
	run tail -1 "$T/art/infer.log"
	assert_output --regexp "infer: error: inference failed \(exit 1\) on leads.csv; no predictions file written$"
	# a failure while scoring (the header is not the training data's), with -j too
	cut -d, -f2- leads.csv >"$T/bad.csv"
	for j in 1 2; do
		run_split "$ROOT/pipelines/infer.sh" -j $j -o "$T/p.csv" "$T/bad.csv"
		assert_failure
		[ -z "$(find "$T" -maxdepth 1 -name 'p.csv*')" ]
		run tail -1 "$T/art/infer.log"
		assert_output --partial "infer: error: inference failed"
	done
}
