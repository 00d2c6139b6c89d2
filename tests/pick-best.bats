#!/usr/bin/env bats
# pick-best: scikit-learn's metrics, the selection, the winner unchanged, the registry gate.
# shellcheck disable=SC2154
load helper
bats_require_minimum_version 1.5.0

ORACLE="$BATS_TEST_DIRNAME/pick-best-oracle.py"

# A CSV of n rows: y from a logistic model of x1 (binary), x2, x3; seed s.
synth_csv() {
	"$PY" - "$1" "$2" <<'EOF2'
import sys
import numpy as np
n, seed = map(int, sys.argv[1:3])
rng = np.random.default_rng(seed)
X = rng.normal(size=(n, 3))
X[:, 0] = rng.integers(0, 2, n)
p = 1 / (1 + np.exp(-(X @ np.array([1.2, -1.5, 0.4]) - 0.3)))
y = (rng.random(n) < p).astype(int)
print("y,x1,x2,x3")
for i in range(n):
    print(f"{y[i]}," + ",".join(repr(float(v)) for v in X[i]))
EOF2
}

to_stream() {
	from-csv -r y=target -r x1=feature -r x2=feature -r x3=feature "$1"
}

# with_coef IN OUT C1 C2 C3 B: IN with its coefficients and intercept replaced.
with_coef() {
	"$PY" - "$@" <<'EOF2'
import struct, sys
import msgpack
src, dst, *w = sys.argv[1:]
m = msgpack.unpackb(open(src, "rb").read(), raw=False)
m["fitted"]["coef"] = struct.pack("<3d", *map(float, w[:3]))
m["fitted"]["intercept"] = float(w[3])
open(dst, "wb").write(msgpack.packb(m, use_bin_type=True))
EOF2
}

setup() {
	cd "$BATS_FILE_TMPDIR" || exit 1
	if [ ! -f tied.model ]; then
		synth_csv 300 1 >train.csv
		synth_csv 150 2 >test.csv
		to_stream train.csv >train.st
		to_stream test.csv >test.st
		fit-logreg -T --param C=1 train.st >good.model
		fit-logreg -T --param C=0.001 train.st >weak.model
		# Only x1 (binary) counts: two distinct probabilities, each row tied with many.
		with_coef good.model tied.model 2 0 0 -0.5
	fi
	cp test.csv test.st good.model weak.model tied.model "$BATS_TEST_TMPDIR"
	cd "$BATS_TEST_TMPDIR" || exit 1
}

@test "pick-best metrics equal scikit-learn's to 1e-12 (ties included) and its table is classification_report's" {
	run --separate-stderr pick-best -R report.json --scores scores.csv good.model weak.model tied.model <test.st
	assert_success
	[ "$(tail -n +2 scores.csv | cut -d, -f5 | sort -u | wc -l)" -eq 2 ]
	run "$PY" "$ORACLE" scores.csv report.json sklearn-table.txt
	assert_success
	refute_output --partial MISMATCH
	[ "$(grep -c '^ok' <<<"$output")" -eq 45 ]
	# the winner's per-class table on stderr is scikit-learn's, line for line
	sed -n '/^ *precision  *recall  *f1-score/,/weighted avg/p' <<<"$stderr" >ours-table.txt
	diff ours-table.txt sklearn-table.txt
}

@test "pick-best writes the winner unchanged and selects by --metric (log_loss: lowest)" {
	pick-best -R f1.json weak.model good.model <test.st >winner.model 2>/dev/null
	cmp winner.model good.model
	run jq -r '.winner, .metric, .rows' f1.json
	assert_output $'1\nf1\n150'
	pick-best -m log_loss -R ll.json tied.model weak.model good.model <test.st >ll.model 2>/dev/null
	best="$(jq -r '[.candidates[].metrics.log_loss] | to_entries | min_by(.value) | .key' ll.json)"
	[ "$(jq .winner ll.json)" -eq "$best" ]
	cmp ll.model "$(jq -r ".candidates[$best].file" ll.json)"
}

@test "pick-best --metrics: per candidate and metric, the report's numbers, by the file's base name" {
	mkdir -p sub
	cp weak.model sub/weak.model
	run --separate-stderr pick-best -R r.json --metrics m.tsv good.model sub/weak.model tied.model <test.st
	assert_success
	assert_equal "$(head -n 1 m.tsv)" $'model\tmetric\tvalue'
	assert_equal "$(wc -l <m.tsv)" 43 # a header, 3 candidates x 14 metrics
	assert_equal "$(cut -f 1 m.tsv | uniq | tr '\n' ' ')" "model good weak tied "
	# every line is the JSON report's number, in the same shortest form
	jq -r '.candidates[] | (.file | sub(".*/"; "") | sub("\\.model$"; "")) as $n |
		.metrics | to_entries[] | "\($n)\t\(.key)\t\(.value)"' r.json >from-json.tsv
	tail -n +2 m.tsv | diff - from-json.tsv
	# the metric names are those -m takes
	while read -r metric; do
		pick-best -m "$metric" good.model <test.st >/dev/null 2>&1 || fail "-m $metric refused"
	done < <(tail -n +2 m.tsv | cut -f 2 | sort -u)
	run --separate-stderr pick-best --metrics "$BATS_TEST_TMPDIR/no/such/dir/m.tsv" good.model <test.st
	assert_failure 1
	assert_equal "${stderr##*$'\n'}" "pick-best: $BATS_TEST_TMPDIR/no/such/dir/m.tsv: No such file or directory"
	[ -z "$output" ]
}

@test "pick-best breaks a full tie by operand order" {
	cp good.model same.model
	pick-best -R r.json same.model good.model <test.st >w.model 2>/dev/null
	[ "$(jq .winner r.json)" -eq 0 ]
	pick-best -R r.json good.model same.model <test.st >w.model 2>/dev/null
	[ "$(jq .winner r.json)" -eq 0 ]
}

@test "pick-best's human table names every candidate and marks the winner" {
	run --separate-stderr pick-best weak.model good.model <test.st
	assert_success

	grep -q '^\* good.model' <<<"$stderr"
	grep -q '^  weak.model' <<<"$stderr"
	grep -q '^best by f1: good.model (150 rows)$' <<<"$stderr"
}

@test "pick-best gate: registered without production; worse not registered; better registered" {
	run --separate-stderr pick-best -d reg --promote production weak.model <test.st
	assert_success
	grep -q '^pick-best: registered lead_model@1: no production version of lead_model in reg$' <<<"$stderr"
	grep -q '^pick-best: lead_model@1 is now in stage production$' <<<"$stderr"
	[ "$(registry -d reg path lead_model@production)" = "reg/objects/$(sha256sum <weak.model | cut -c1-64)" ]

	run --separate-stderr pick-best -d reg -m accuracy tied.model <test.st
	assert_success
	grep -Eq '^pick-best: not registered: accuracy 0\.[0-9]+ does not beat production lead_model@1 \(0\.[0-9]+\) on these 150 rows$' <<<"$stderr" || {
		echo "$stderr"
		false
	}
	[ "$(registry -d reg list --json | wc -l)" -eq 1 ]

	run --separate-stderr pick-best -d reg -R gate.json --promote production good.model <test.st
	assert_success
	grep -Eq '^pick-best: registered lead_model@2: f1 0\.[0-9]+ beats production lead_model@1 \(0\.[0-9]+\) on these 150 rows$' <<<"$stderr"
	run jq -c '.registry | [.registered, .version, .production_version]' gate.json
	assert_output '[true,2,1]'
	run registry -d reg list --json
	assert_line --index 0 --partial '"version":1,"stage":"archived"'
	assert_line --index 1 --partial '"version":2,"stage":"production"'
	# the same model again does not beat itself
	run --separate-stderr pick-best -d reg good.model <test.st
	grep -q 'not registered: f1 .* does not beat production lead_model@2' <<<"$stderr"
	registry -d reg verify
}

@test "pick-best: 5 concurrent registrations with --promote register the model once (the gate holds the lock)" {
	for i in 1 2 3 4 5; do
		pick-best -d reg --promote production good.model <test.st >/dev/null 2>"err.$i" 3>&- &
	done
	wait
	[ "$(registry -d reg list --json | wc -l)" -eq 1 ]
	[ "$(cat err.* | grep -c '^pick-best: registered lead_model@1: no production version')" -eq 1 ]
	[ "$(cat err.* | grep -c '^pick-best: not registered: f1 .* does not beat production lead_model@1')" -eq 4 ]
	[ "$(registry -d reg runs --json | wc -l)" -eq 5 ]
	registry -d reg verify
}

@test "pick-best records a run with the test stream's sha256, the winner's metrics and every candidate" {
	PIPEML_REGISTRY=reg pick-best -R r.json weak.model good.model <test.st >/dev/null 2>&1
	run registry -d reg runs --tool pick-best --json
	assert_success
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -r .input_sha256 <<<"$output")" = "$(jq -r .data_sha256 r.json)" ]
	[ "$(jq -r .metrics.f1 <<<"$output")" = "$(jq -r .candidates[1].metrics.f1 r.json)" ]
	[ "$(jq -r '.params | [.candidate1, .candidate2, .winner] | join(" ")' <<<"$output")" = "weak.model good.model good.model" ]
	[ "$(registry -d reg show --json lead_model@1 | jq -r .run)" = "$(jq -r .run <<<"$output")" ]
}

@test "pick-best stores --state files with the version" {
	echo '{"clip": [0, 1]}' >clean.state
	pick-best -d reg -s clean.state good.model <test.st >/dev/null 2>&1
	cmp clean.state "$(registry -d reg path -s clean.state lead_model@1)"
}

@test "pick-best bad input: unknown metric, no model, missing feature, not a model" {
	run --separate-stderr pick-best -m nope good.model <test.st
	assert_failure 2
	[ "$stderr" = "pick-best: --metric: unknown metric 'nope'" ]
	run --separate-stderr pick-best <test.st
	assert_failure 2
	run --separate-stderr pick-best --promote archived -d reg good.model <test.st
	assert_failure 2
	[ "$stderr" = "pick-best: --promote: expected staging or production, got 'archived'" ]
	from-csv -r y=target -r x1=feature -r x2=feature <(cut -d, -f1-3 test.csv) >two.st
	run --separate-stderr pick-best good.model <two.st
	assert_failure 1
	[ "$stderr" = "pick-best: good.model: feature x3 is not a feature column of the test stream" ]
	: >empty.model
	run --separate-stderr pick-best good.model empty.model <test.st
	assert_failure 1
	[ "$stderr" = "pick-best: empty.model: empty file, not a model" ]
	[ -z "$output" ]
}

@test "pick-best --help lists every option, each in the man page" {
	run pick-best --help
	assert_success
	while read -r o; do
		grep -q -- "${o#--}" "$ROOT/man/pick-best.1" || {
			echo "missing $o"
			false
		}
	done < <(grep -oE -- '--[a-z-]+' <<<"$output" | sort -u)
}

@test "pick-best on raw_data's split: the notebook's test F1 0.747, accuracy 0.785, weighted F1 0.782" {
	raw="$(raw_data)" || skip "raw_data.csv not available"
	"$PY" "$BATS_TEST_DIRNAME/fit-logreg-prep.py" "$raw" rtrain.csv rtest.csv 2>/dev/null
	for f in rtrain rtest; do
		roles=()
		IFS=, read -r -a cols <"$f.csv"
		for col in "${cols[@]}"; do
			if [ "$col" = lead_indicator ]; then roles+=(-r "$col=target"); else roles+=(-r "$col=feature"); fi
		done
		from-csv "${roles[@]}" "$f.csv" >"$f.st"
	done
	fit-logreg -T --param C=100 rtrain.st >c100.model
	fit-logreg -T --param C=0.01 rtrain.st >c001.model
	pick-best -R r.json c001.model c100.model <rtest.st >best.model 2>/dev/null
	cmp best.model c100.model
	run jq -r '.rows, (.candidates[1].metrics | .f1, .accuracy, .weighted_f1 | . * 1000 | round / 1000)' r.json
	assert_output $'441\n0.747\n0.785\n0.782'
}
