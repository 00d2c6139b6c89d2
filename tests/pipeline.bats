#!/usr/bin/env bats
# The training run (issue 9): `make pipeline` in a copy of the repository, with the data from
# DATA_CACHE (or fetched), the tools under test from PIPEML_BIN. One full run is made once
# for the file; the tests after it re-run make and look at what changed.

load helper

setup_file() {
	load helper
	REPO="$BATS_FILE_TMPDIR/repo"
	CACHE="$BATS_FILE_TMPDIR/cache"
	export REPO CACHE
	mkdir -p "$REPO" "$CACHE/validator"
	(cd "$ROOT" && git ls-files -z | xargs -0 cp --parents -t "$REPO")
	# A data cache: DATA_CACHE's files, or the ones `make data` fetched into the checkout.
	local f src
	for f in raw_data.csv validator/X_test.csv validator/y_test.csv; do
		src="${DATA_CACHE:-/nonexistent}/$f"
		if [ ! -f "$src" ]; then
			make -s -C "$ROOT" NO_DEPS=1 "data/raw/$(basename "$f")" >/dev/null 2>&1 || continue
			src="$ROOT/data/raw/$(basename "$f")"
		fi
		ln -s "$src" "$CACHE/$f"
	done
	if [ -f "$CACHE/raw_data.csv" ] && [ -f "$CACHE/validator/X_test.csv" ]; then
		DATA_CACHE="$CACHE" make -s -C "$REPO" NO_DEPS=1 pipeline \
			>"$BATS_FILE_TMPDIR/first.out" 2>"$BATS_FILE_TMPDIR/first.err" &&
			echo 0 >"$BATS_FILE_TMPDIR/first.rc" || echo $? >"$BATS_FILE_TMPDIR/first.rc"
	fi
}

setup() {
	[ -f "$BATS_FILE_TMPDIR/first.rc" ] || skip "no data: set DATA_CACHE (raw_data.csv, validator/)"
}

# pipe: `make pipeline` in the copy, with the extra environment given as NAME=value words.
pipe() {
	run_split env DATA_CACHE="$CACHE" "$@" make -s -C "$REPO" NO_DEPS=1 pipeline
}

versions() {
	"$PIPEML_BIN/registry" -d "$REPO/artifacts/registry" list --json | wc -l
}

# The log lines a run added: everything after line $1 of run.log.
log_since() {
	tail -n +"$(($1 + 1))" "$REPO/artifacts/run.log"
}

# A failure drill: the run failed with a logged, timestamped error, and registered and
# exported nothing: the registry and model.pkl are as they were.
assert_nothing_published() { # versions-before model.pkl-sha-before log-lines-before
	assert_failure
	[ "$(versions)" -eq "$1" ] || fail "registry has $(versions) versions, had $1"
	[ "$(sha256sum <"$REPO/artifacts/model/model.pkl")" = "$2" ] || fail "model.pkl changed"
	run log_since "$3"
	assert_line --regexp '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z train: error: .*; nothing registered or exported$'
	refute_line --partial "stage publish: start"
	[ -z "$(find "$REPO/artifacts" -name '.publish.*')" ] || fail "publish left a temporary directory"
}

@test "make pipeline: every stage runs, logged with timestamps, and the artifacts land" {
	[ "$(cat "$BATS_FILE_TMPDIR/first.rc")" -eq 0 ] || fail "$(cat "$BATS_FILE_TMPDIR/first.err")"
	for s in clean encode split fit-logreg fit-gbt select drift publish; do
		grep -Eq "^[0-9-]{10}T[0-9:]{8}Z train: stage $s: done" "$REPO/artifacts/run.log" ||
			fail "stage $s not done"
	done
	# the same lines on stderr as in the log
	grep -q "train: stage publish: done" "$BATS_FILE_TMPDIR/first.err"
	cd "$REPO/artifacts"
	for f in model/model.pkl model/best.model model/forest.json model/logreg.model \
		model/clean.state model/encode.state model/drift.ref reports/metrics.json reports/metrics_train.json \
		reports/classification_report_logreg.txt reports/classification_report_forest.txt \
		reports/cv_logreg.json reports/cv_logreg.tsv reports/cv_forest.json reports/cv_forest.tsv \
		reports/clean/date_limits.json reports/registry.json reports/report.html; do
		[ -s "$f" ] || fail "$f missing or empty"
	done
	assert_equal "$(cat reports/features.txt)" "$(head -n 1 "$REPO/data/raw/X_test.csv")"
	assert_equal "$(cat reports/clean/date_limits.json)" '{"min_date": "2024-01-01", "max_date": "2024-01-31"}'
	# both searches: 10 candidates each (a header line + 10)
	assert_equal "$(wc -l <reports/cv_logreg.tsv)" 11
	assert_equal "$(wc -l <reports/cv_forest.tsv)" 11
	assert_equal "$(jq -c '[.search.folds, (.search.candidates | length)]' reports/cv_forest.json)" "[10,10]"
	assert_equal "$(jq -c '[.search.folds, (.search.candidates | length)]' reports/cv_logreg.json)" "[3,10]"
	run grep -c '     1       ' reports/classification_report_logreg.txt
	assert_output 1
	# the registry: version 1 of lead_model, in production, with both state files and the
	# drift reference
	run "$PIPEML_BIN/registry" -d registry show --json lead_model@production
	assert_success
	assert_equal "$(jq -r '.version' <<<"$output")" 1
	assert_equal "$(jq -r '.stage' <<<"$output")" production
	assert_equal "$(jq -c '[.states[].name]' <<<"$output")" '["clean.state","encode.state","drift.ref"]'
	cmp "$("$PIPEML_BIN/registry" -d registry path -s drift.ref lead_model@production)" model/drift.ref
	# the run's record: every parameter, the data's sha256
	run "$PIPEML_BIN/registry" -d registry runs --json -t train.sh
	assert_success
	assert_equal "${#lines[@]}" 1
	assert_output --partial '"SPLIT_SEED":"42"'
	assert_output --partial 'f9253f7c5f00bb2c02a101e09864c631cae7f1a0b9d3cd4eafd323aed2c12635'
	# ... and both models' 14 test metrics, pick-best's numbers (select's metrics.json)
	assert_equal "$(jq '.metrics | length' <<<"$output")" 28
	assert_equal "$(jq '.metrics.forest_test_f1' <<<"$output")" \
		"$(jq '.candidates[] | select(.file | endswith("/forest.model")) | .metrics.f1' reports/metrics.json)"
	assert_equal "$(jq '.metrics.logreg_test_log_loss' <<<"$output")" \
		"$(jq '.candidates[] | select(.file | endswith("/logreg.model")) | .metrics.log_loss' reports/metrics.json)"
}

@test "the selected model is the forest, the overall best on the test rows, in pipeml format" {
	cd "$REPO/artifacts"
	# Issue 9 asks for F1 >= 0.80 on the test rows; the split is the notebook's (split
	# --sklearn), where its XGBoost forest scores 0.811
	run jq -r '.candidates[.winner] | "\(.kind) \(.metrics.f1 >= 0.80) \(.metrics.f1)"' reports/metrics.json
	assert_output --regexp '^gbt true 0\.[89]'
	jq -e '.candidates[.winner].metrics.f1 == ([.candidates[].metrics.f1] | max)' reports/metrics.json
	[ "$(jq -r '.rows' reports/metrics.json)" -eq 441 ]
	[ "$(jq -r '.rows' reports/metrics_train.json)" -eq 2496 ]
	cmp model/best.model model/forest.model
}

@test "the split is the notebook's: scikit-learn's train_test_split rows, in its order" {
	"$PY" "$ROOT/tests/gold_table.py" "$CACHE/raw_data.csv" "$BATS_TEST_TMPDIR/gold.csv"
	for h in train test; do
		"$PIPEML_BIN/to-csv" "$REPO/artifacts/work/$h.stream" | cut -d, -f1 >"$BATS_TEST_TMPDIR/$h.ids"
	done
	run "$PY" - "$BATS_TEST_TMPDIR" <<'EOF'
import sys
import pandas as pd
from sklearn.model_selection import train_test_split
t = sys.argv[1]
g = pd.read_csv(t + "/gold.csv", dtype=str)
tr, te = train_test_split(g, test_size=0.15, stratify=g.lead_indicator, random_state=42)
for half, rows in (("train", tr), ("test", te)):
    ours = open(f"{t}/{half}.ids").read().split()[1:]
    assert ours == list(rows.lead_id), (half, ours[:5], list(rows.lead_id)[:5])
print("ok", len(tr), len(te))
EOF
	assert_success
	assert_output "ok 2496 441"
}

@test "the validator, replayed: model.pkl predicts [0, 1, 0, 1, 0] on X_test.csv's first 5 rows" {
	cd "$REPO"
	run "$PY" - <<'PY'
import warnings
warnings.simplefilter("error")
import joblib, pandas as pd, numpy as np, xgboost as xgb
model = joblib.load("artifacts/model/model.pkl")
X = pd.read_csv("data/raw/X_test.csv")
y = pd.read_csv("data/raw/y_test.csv").iloc[:, 0].to_numpy()
pred = model.predict(X.iloc[:5])
assert type(model).__name__ == "LogisticRegression", type(model)
assert list(pred) == [0, 1, 0, 1, 0], pred
acc = float((model.predict(X) == y).mean())
assert len(X) == 36 and acc >= 0.75, acc
b = xgb.Booster(model_file="artifacts/model/forest.json")
p = b.predict(xgb.DMatrix(X))
assert p.shape == (36,) and ((p >= 0) & (p <= 1)).all()
print("ok %.4f" % acc)
PY
	assert_success
	assert_output --regexp '^ok 0\.(7[5-9]|[89])'
}

@test "infer.sh on the training leads without their target: drift ok, recorded; every row scored" {
	cut -d, -f1,3- "$CACHE/raw_data.csv" >"$BATS_TEST_TMPDIR/leads.csv"
	PIPEML_REGISTRY="$REPO/artifacts/registry" ARTIFACTS="$BATS_TEST_TMPDIR/art" \
		run_split "$REPO/pipelines/infer.sh" -o "$BATS_TEST_TMPDIR/p.csv" "$BATS_TEST_TMPDIR/leads.csv"
	assert_success
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/p.csv")" 12346
	grep -q "infer: drift: ok (3065 rows checked, those training's rules keep; report " <<<"$stderr"
	run "$PIPEML_BIN/registry" -d "$REPO/artifacts/registry" runs -t score --json
	assert_equal "${#lines[@]}" 1
	jq -e '.params.drift == "ok" and .params.model_version == "lead_model@1"
		and .metrics.drift_checks_drifted == 0 and .metrics.rows_out == 12345' <<<"$output"
}

@test "a second make pipeline does no work and says so" {
	local n before
	n=$(wc -l <"$REPO/artifacts/run.log")
	before=$(find "$REPO/artifacts" -newer "$REPO/artifacts/params/publish" -type f | sort | md5sum)
	pipe
	assert_success
	assert_equal "$stderr" "$(log_since "$n")"
	run log_since "$n"
	assert_line --regexp 'train: pipeline: up to date \(data, parameters and tools unchanged\): nothing to do$'
	refute_line --partial "stage "
	assert_equal "$(find "$REPO/artifacts" -newer "$REPO/artifacts/params/publish" -type f | sort | md5sum)" "$before"
	assert_equal "$(versions)" 1
}

@test "changing one parameter re-runs only the stages after it" {
	local n
	n=$(wc -l <"$REPO/artifacts/run.log")
	pipe LOGREG_C=1,10
	assert_success
	run log_since "$n"
	for s in fit-logreg select drift publish; do assert_line --partial "train: stage $s: done"; done
	for s in clean encode split fit-gbt; do refute_line --partial "train: stage $s:"; done
	# a drift setting re-runs the drift reference and publish only
	n=$(wc -l <"$REPO/artifacts/run.log")
	pipe LOGREG_C=1,10 DRIFT_BINS=20
	assert_success
	run log_since "$n"
	for s in drift publish; do assert_line --partial "train: stage $s: done"; done
	for s in clean encode split fit-logreg fit-gbt select; do refute_line --partial "train: stage $s:"; done
	# and back: the same stages again, nothing else
	n=$(wc -l <"$REPO/artifacts/run.log")
	pipe
	assert_success
	run log_since "$n"
	assert_line --partial "train: stage fit-logreg: done"
	refute_line --partial "train: stage fit-gbt:"
	refute_line --partial "train: stage split:"
}

@test "drill: a corrupt data file stops the run: checksum mismatch, nothing published" {
	local v sha n
	v=$(versions) sha=$(sha256sum <"$REPO/artifacts/model/model.pkl")
	n=$(wc -l <"$REPO/artifacts/run.log")
	cp --remove-destination "$CACHE/raw_data.csv" "$REPO/data/raw/raw_data.csv"
	echo "1,1,2024-01-02" >>"$REPO/data/raw/raw_data.csv"
	pipe
	rm "$REPO/data/raw/raw_data.csv" # the next run fetches it again
	assert_nothing_published "$v" "$sha" "$n"
	run log_since "$n"
	assert_line --regexp 'train: error: stage params: data/raw/raw_data.csv: checksum mismatch \(md5 [0-9a-f]{32}, expected 05663184eaf8f324162e4d1bc14be387\); run make data; nothing registered or exported$'
	refute_line --partial "stage clean"
}

@test "drill: a stage exiting non-zero (an impossible parameter) stops the run, nothing published" {
	local v sha n
	v=$(versions) sha=$(sha256sum <"$REPO/artifacts/model/model.pkl")
	n=$(wc -l <"$REPO/artifacts/run.log")
	pipe SPLIT_FRACTION=1.5
	assert_nothing_published "$v" "$sha" "$n"
	run log_since "$n"
	assert_line --regexp 'train: error: stage split: split exited with status 2; nothing registered or exported$'
	refute_line --partial "stage fit-logreg"
}

@test "drill: a killed stage stops the run, nothing published" {
	local v sha n wrap="$BATS_TEST_TMPDIR/bin"
	v=$(versions) sha=$(sha256sum <"$REPO/artifacts/model/model.pkl")
	n=$(wc -l <"$REPO/artifacts/run.log")
	# The tools, but fit-gbt is killed (SIGKILL) 0.3 s into a search of minutes.
	mkdir -p "$wrap"
	for t in "$PIPEML_BIN"/*; do ln -s "$t" "$wrap/"; done
	rm "$wrap/fit-gbt"
	# shellcheck disable=SC2016 # $@, $! and $pid are the wrapper's
	printf '#!/bin/sh\n"%s" "$@" & pid=$!\nsleep 0.3\nkill -KILL $pid\nwait $pid\n' \
		"$PIPEML_BIN/fit-gbt" >"$wrap/fit-gbt"
	chmod +x "$wrap/fit-gbt"
	pipe PIPEML_BIN="$wrap" GBT_SEARCH=1000 # a search long enough to be killed in
	assert_nothing_published "$v" "$sha" "$n"
	run log_since "$n"
	assert_line --regexp 'train: error: stage fit-gbt: fit-gbt was killed by signal 9 \(KILL\); nothing registered or exported$'
	[ ! -e "$REPO/artifacts/work/forest.model" ] || [ "$REPO/artifacts/work/forest.model" -ot "$wrap/fit-gbt" ]
	[ -z "$(find "$REPO/artifacts/work" -name '*.model.*')" ] || fail "a temporary model was left"
}
