#!/usr/bin/env bats
# fit-gbt: quality against XGBoost 1.7 (tree_method=hist), determinism, bad input, bad models.
load helper

ORACLE="$BATS_TEST_DIRNAME/gbt_oracle.py"
PREDICT="$PIPEML_UNIT/gbt_predict"

# A CSV whose column y is the target and every other column a feature, as a stream.
to_stream() {
	local roles=(-r y=target) c
	for c in $(head -1 "$1" | tr , ' '); do
		[ "$c" = y ] || roles+=(-r "$c=feature")
	done
	from-csv "${roles[@]}" "$1" >"$2"
}

raw_split() {
	local raw
	raw="$(raw_data)" || skip "raw_data.csv is not available"
	"$PY" "$ORACLE" rawdata "$raw" "$BATS_TEST_TMPDIR"
	to_stream "$BATS_TEST_TMPDIR/train.csv" "$BATS_TEST_TMPDIR/train.s"
	to_stream "$BATS_TEST_TMPDIR/test.csv" "$BATS_TEST_TMPDIR/test.s"
}

synth_split() {
	"$PY" "$ORACLE" synth 3000 8 1 "$BATS_TEST_TMPDIR"
	to_stream "$BATS_TEST_TMPDIR/train.csv" "$BATS_TEST_TMPDIR/train.s"
	to_stream "$BATS_TEST_TMPDIR/test.csv" "$BATS_TEST_TMPDIR/test.s"
}

# fit_and_compare PARAMS_JSON forest|boost [fit-gbt options]: fit, predict the test half and
# leave the oracle's line "logloss X O auc X O maxdiff D" in $cmp.
fit_and_compare() {
	local params="$1" mode="$2" d="$BATS_TEST_TMPDIR"
	shift 2
	fit-gbt --no-timestamp "$@" "$d/train.s" >"$d/m.gbt"
	"$PREDICT" "$d/m.gbt" "$d/test.s" >"$d/pred.txt"
	cmp="$("$PY" "$ORACLE" compare "$d" "$d/pred.txt" "$params" "$mode")"
	echo "$cmp"
}

# within TOL_METRIC TOL_PRED: log loss and AUC within TOL_METRIC of XGBoost's, and every
# prediction within TOL_PRED.
within() {
	awk -v tm="$1" -v tp="$2" '{
		dl = $2 - $3; if (dl < 0) dl = -dl
		da = $5 - $6; if (da < 0) da = -da
		if (dl > tm || da > tm || $8 > tp) {
			printf "logloss diff %g, auc diff %g, max prediction diff %g\n", dl, da, $8
			exit 1
		}
	}' <<<"$cmp"
}

@test "fit-gbt binary:logistic on raw_data matches XGBoost (100 rounds, depth 6)" {
	raw_split
	fit_and_compare '{"n_estimators": 100, "max_depth": 6}' boost \
		--param n_estimators=100 --param max_depth=6
	within 0.005 1e-5
}

@test "fit-gbt reg:logistic on raw_data matches XGBoost" {
	raw_split
	fit_and_compare '{"objective": "reg:logistic"}' boost --param objective=reg:logistic
	within 0.005 1e-5
}

@test "fit-gbt reg:squarederror on raw_data matches XGBoost" {
	raw_split
	fit_and_compare '{"objective": "reg:squarederror"}' boost --param objective=reg:squarederror
	within 0.005 1e-5
}

@test "fit-gbt regularisation parameters mean what XGBoost's mean" {
	raw_split
	fit_and_compare '{"reg_alpha": 0.5, "reg_lambda": 3, "min_child_weight": 4, "min_split_loss": 0.2, "max_depth": 4, "learning_rate": 0.1, "scale_pos_weight": 1.5, "base_score": 0.3}' \
		boost --param reg_alpha=0.5 --param reg_lambda=3 --param min_child_weight=4 \
		--param min_split_loss=0.2 --param max_depth=4 --param learning_rate=0.1 \
		--param scale_pos_weight=1.5 --param base_score=0.3
	within 0.005 1e-5
}

# With 32 bins XGBoost's sketch of time_spent (2,496 values) is no longer exact, so its cuts
# differ a little from fit-gbt's exact quantiles: close, not equal.
@test "fit-gbt max_bin 32 stays as good as XGBoost's" {
	raw_split
	fit_and_compare '{"max_bin": 32}' boost --param max_bin=32
	within 0.005 1
}

@test "fit-gbt --forest on raw_data is as good as XGBRFClassifier" {
	raw_split
	fit_and_compare '{}' forest --forest
	within 0.005 1
}

@test "fit-gbt forest mode with reg:squarederror is as good as XGBRFRegressor" {
	raw_split
	fit_and_compare '{"objective": "reg:squarederror"}' forest --forest \
		--param objective=reg:squarederror
	within 0.005 1
}

@test "fit-gbt with missing values matches XGBoost (learned default direction)" {
	synth_split
	fit_and_compare '{}' boost
	within 0.005 1e-5
	fit_and_compare '{"objective": "reg:logistic"}' boost --param objective=reg:logistic
	within 0.005 1e-5
	fit_and_compare '{"objective": "reg:squarederror"}' boost --param objective=reg:squarederror
	within 0.005 1e-5
}

@test "fit-gbt forest mode with missing values is as good as XGBRFClassifier" {
	synth_split
	fit_and_compare '{}' forest --forest
	within 0.005 1
}

# The random draws differ from XGBoost's, so on 450 test rows the metrics differ by chance.
@test "fit-gbt row and column subsampling stay as good as XGBoost's" {
	synth_split
	fit_and_compare '{"subsample": 0.7, "colsample_bytree": 0.8, "colsample_bynode": 0.7, "learning_rate": 0.1}' \
		boost --param subsample=0.7 --param colsample_bytree=0.8 \
		--param colsample_bynode=0.7 --param learning_rate=0.1
	within 0.02 1
}

@test "fit-gbt feature importance equals XGBoost's get_score (weight, gain, cover)" {
	raw_split
	local d="$BATS_TEST_TMPDIR"
	fit-gbt --report "$d/r.json" "$d/train.s" >/dev/null
	run "$PY" "$ORACLE" importance "$d" "$d/r.json" '{}'
	assert_success
	awk '{ if ($3 > 1e-4) { print "relative difference " $3; exit 1 } }' <<<"$output"
}

@test "fit-gbt --early-stopping keeps XGBoost's best iteration" {
	raw_split
	local d="$BATS_TEST_TMPDIR"
	run "$PY" "$ORACLE" early "$d" '{"learning_rate": 0.3}' 5
	assert_success
	local want="${output#best_iteration }"
	fit-gbt --valid "$d/test.s" --early-stopping 5 --report "$d/r.json" "$d/train.s" >"$d/m.gbt"
	run "$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["best_iteration"])' "$d/r.json"
	assert_output "$want"
	run "$PY" -c 'import msgpack, sys; m = msgpack.unpackb(open(sys.argv[1], "rb").read()); print(len(m["fitted"]["trees"]))' "$d/m.gbt"
	assert_output "$((want + 1))"
}

@test "fit-gbt gives the same model bit for bit for any -j" {
	synth_split
	local d="$BATS_TEST_TMPDIR"
	fit-gbt --no-timestamp -j 1 --param subsample=0.8 "$d/train.s" >"$d/m1"
	fit-gbt --no-timestamp -j 2 --param subsample=0.8 "$d/train.s" >"$d/m2"
	fit-gbt --no-timestamp -j 5 --param subsample=0.8 "$d/train.s" >"$d/m5"
	cmp "$d/m1" "$d/m2"
	cmp "$d/m1" "$d/m5"
	fit-gbt --no-timestamp -j 1 --forest "$d/train.s" >"$d/f1"
	fit-gbt --no-timestamp -j 2 --forest "$d/train.s" >"$d/f2"
	cmp "$d/f1" "$d/f2"
}

@test "fit-gbt: another seed gives another forest, the same seed the same" {
	synth_split
	local d="$BATS_TEST_TMPDIR"
	fit-gbt --no-timestamp --forest --seed 1 "$d/train.s" >"$d/a"
	fit-gbt --no-timestamp --forest --seed 1 "$d/train.s" >"$d/b"
	fit-gbt --no-timestamp --forest --seed 2 "$d/train.s" >"$d/c"
	cmp "$d/a" "$d/b"
	run ! cmp -s "$d/a" "$d/c"
}

@test "fit-gbt writes a pipeml-model with the gbt kind, features in order, target and params" {
	local d="$BATS_TEST_TMPDIR"
	printf 'a,b,y\n1,5,0\n2,4,1\n3,,0\n4,2,1\n5,1,1\n' >"$d/t.csv"
	to_stream "$d/t.csv" "$d/t.s"
	fit-gbt --param max_depth=2 --param n_estimators=3 --param min_child_weight=0 \
		"$d/t.s" >"$d/m.gbt"
	SOURCE_DATE_EPOCH=86400 fit-gbt --param max_depth=2 --param n_estimators=3 \
		--param min_child_weight=0 "$d/t.s" >"$d/m2.gbt"
	run "$PY" -c '
import msgpack, sys
m = msgpack.unpackb(open(sys.argv[1], "rb").read())
print(m["format"], m["version"], m["kind"], m["features"], m["target"])
print(m["params"]["max_depth"], m["params"]["n_estimators"], m["params"]["objective"])
print(len(m["fitted"]["trees"]), m["fitted"]["base_score"], m["meta"]["rows"], m["meta"]["positives"])
print(len(m["meta"]["created"]), len(m["meta"]["data_sha256"]))
print("created" in msgpack.unpackb(open(sys.argv[2], "rb").read())["meta"])' "$d/m.gbt" "$d/m2.gbt"
	assert_success
	assert_line --index 0 "pipeml-model 1 gbt ['a', 'b'] y"
	assert_line --index 1 "2 3 binary:logistic"
	assert_line --index 2 "3 0.5 5 3"
	assert_line --index 3 "20 64"
	assert_line --index 4 "False"
}

@test "fit-gbt rejects a single-class target" {
	printf 'x,y\n1,1\n2,1\n' | from-csv -r y=target -r x=feature >"$BATS_TEST_TMPDIR/t.s"
	run_split fit-gbt "$BATS_TEST_TMPDIR/t.s"
	assert_failure 1
	assert_equal "$stderr" "fit-gbt: $BATS_TEST_TMPDIR/t.s: the target has a single class (every label is 1)"
	assert_output ""
}

@test "fit-gbt rejects a missing (NaN) label, naming the row and column" {
	run_split bash -c "printf 'x,y\n1,1\n2,\n3,0\n' | from-csv -r y=target -r x=feature | fit-gbt"
	assert_failure 1
	assert_equal "$stderr" "fit-gbt: stdin: row 2, column 'y': the target is missing"
}

@test "fit-gbt rejects a label other than 0 or 1" {
	run_split bash -c "printf 'x,y\n1,1\n2,2\n' | from-csv -r y=target -r x=feature | fit-gbt"
	assert_failure 1
	assert_equal "$stderr" "fit-gbt: stdin: row 2, column 'y': the target is 2, not 0 or 1"
}

@test "fit-gbt rejects zero rows" {
	run_split bash -c "printf 'x,y\n' | from-csv -n x,y -r y=target -r x=feature | fit-gbt"
	assert_failure 1
	assert_equal "$stderr" "fit-gbt: stdin: no rows"
}

@test "fit-gbt rejects max_depth 0 or > 30, learning_rate <= 0, subsample outside (0, 1]" {
	printf 'x,y\n1,1\n2,0\n' | from-csv -r y=target -r x=feature >"$BATS_TEST_TMPDIR/t.s"
	local p want
	for p in max_depth=0:"max_depth must be in 1..30" max_depth=31:"max_depth must be in 1..30" \
		learning_rate=0:"learning_rate must be > 0" learning_rate=-0.5:"learning_rate must be > 0" \
		subsample=0:"subsample must be in (0, 1]" subsample=1.01:"subsample must be in (0, 1]"; do
		want="${p#*:}"
		run_split fit-gbt --param "${p%%:*}" "$BATS_TEST_TMPDIR/t.s"
		assert_failure 1
		assert_equal "$stderr" "fit-gbt: $want"
		assert_output ""
	done
}

@test "fit-gbt: an unknown parameter or a malformed value is a usage error" {
	run_split fit-gbt --param foo=1
	assert_failure 2
	assert_equal "$stderr" "fit-gbt: --param: unknown parameter 'foo'"
	run_split fit-gbt --param max_depth=six
	assert_failure 2
	assert_equal "$stderr" "fit-gbt: --param: max_depth: invalid integer 'six'"
	run_split fit-gbt --param objective=multi:softmax
	assert_failure 2
	assert_equal "$stderr" "fit-gbt: --param: objective: 'multi:softmax' is not binary:logistic, reg:logistic or reg:squarederror"
	run_split fit-gbt --early-stopping 3
	assert_failure 2
	assert_equal "$stderr" "fit-gbt: --early-stopping needs --valid"
}

@test "fit-gbt rejects text features and a stream without a target" {
	run_split bash -c "printf 'x,y\na,1\nb,0\n' | from-csv -r y=target -r x=feature | fit-gbt"
	assert_failure 1
	assert_equal "$stderr" "fit-gbt: stdin: column 'x': feature is text; encode it first"
	run_split bash -c "printf 'x,y\n1,1\n2,0\n' | from-csv -r x=feature | fit-gbt"
	assert_failure 1
	assert_equal "$stderr" "fit-gbt: stdin: no target column (give one the role target)"
}

# corrupt MODEL OUT PYTHON: apply a change to the unpacked model m and write it to OUT.
corrupt() {
	"$PY" -c '
import msgpack, struct, sys
m = msgpack.unpackb(open(sys.argv[1], "rb").read())
t = m["fitted"]["trees"][0]
def put(key, i, v, fmt="<i"):
    b = bytearray(t[key]); struct.pack_into(fmt, b, 4 * i, v); t[key] = bytes(b)
exec(sys.argv[3])
open(sys.argv[2], "wb").write(msgpack.packb(m))' "$@"
}

@test "a truncated or corrupt gbt model is rejected on load" {
	local d="$BATS_TEST_TMPDIR"
	printf 'a,b,y\n1,5,0\n2,4,1\n3,3,0\n4,2,1\n5,1,1\n6,0,0\n' >"$d/t.csv"
	to_stream "$d/t.csv" "$d/t.s"
	fit-gbt --param max_depth=3 --param min_child_weight=0 "$d/t.s" >"$d/m.gbt"
	run "$PREDICT" "$d/m.gbt" "$d/t.s"
	assert_success
	assert_equal "${#lines[@]}" 6

	head -c 300 "$d/m.gbt" >"$d/trunc.gbt"
	run_split "$PREDICT" "$d/trunc.gbt" "$d/t.s"
	assert_failure 1
	[[ "$stderr" == "gbt_predict: $d/trunc.gbt: bad model: truncated: "* ]] || fail "$stderr"

	corrupt "$d/m.gbt" "$d/c1.gbt" 'put("left", 0, 999)'
	run_split "$PREDICT" "$d/c1.gbt" "$d/t.s"
	assert_failure 1
	assert_equal "$stderr" "gbt_predict: $d/c1.gbt: bad model: tree 0, node 0: a child index is out of range"

	corrupt "$d/m.gbt" "$d/c2.gbt" 'put("feature", 0, 2)'
	run_split "$PREDICT" "$d/c2.gbt" "$d/t.s"
	assert_failure 1
	assert_equal "$stderr" "gbt_predict: $d/c2.gbt: bad model: tree 0, node 0: a feature index is beyond the feature count"

	corrupt "$d/m.gbt" "$d/c3.gbt" 'put("left", 1, 0); put("right", 1, 0)'
	run_split "$PREDICT" "$d/c3.gbt" "$d/t.s"
	assert_failure 1
	assert_equal "$stderr" "gbt_predict: $d/c3.gbt: bad model: tree 0, node 1: a child index is out of range"

	corrupt "$d/m.gbt" "$d/c4.gbt" 'put("left", 2, 5)'
	run_split "$PREDICT" "$d/c4.gbt" "$d/t.s"
	assert_failure 1
	assert_equal "$stderr" "gbt_predict: $d/c4.gbt: bad model: tree 0, node 3: a node has two parents"

	corrupt "$d/m.gbt" "$d/c5.gbt" 't["value"] = t["value"][:-4]'
	run_split "$PREDICT" "$d/c5.gbt" "$d/t.s"
	assert_failure 1
	assert_equal "$stderr" "gbt_predict: $d/c5.gbt: bad model: tree 0: \"value\" is missing or not 7 4-byte values"
}

@test "common/gbt: parameters, fitting, missing values, threads, pack and unpack" {
	run "$PIPEML_UNIT/gbt_test"
	assert_success
	assert_output --regexp '^[0-9]+ checks, 0 failed$'
}

@test "common/gbt: counted histograms give the same model as added ones, for every kernel" {
	run "$PIPEML_UNIT/gbt_count_test"
	assert_success
	assert_output --regexp '^[0-9]+ checks, 0 failed$'
}

@test "fit-gbt: the notebook's random-forest search reaches a test F1 of at least 0.80" {
	raw_split
	local d="$BATS_TEST_TMPDIR"
	fit-gbt --forest --search 10 --cv 10 --seed 42 -j 2 \
		--param learning_rate=uniform:0.01:0.31 --param min_split_loss=uniform:0:10 \
		--param max_depth=randint:3:10 --param subsample=uniform:0:1 \
		--param objective=reg:squarederror,binary:logistic,reg:logistic \
		--param eval_metric=aucpr,error --report "$d/r.json" --table "$d/cv.tsv" "$d/train.s" \
		>"$d/m.gbt" 2>"$d/err.txt"
	run cat "$d/err.txt"
	assert_line --index 0 "fit-gbt: search: 10 candidates, 10-fold CV accuracy, 0 failed"
	# --table: the report's candidates, one line each, the same means
	assert_equal "$(head -n 1 "$d/cv.tsv")" "$(printf 'candidate\tmean\tsd\tfit_seconds\tparams\tfailure')"
	assert_equal "$(tail -n +2 "$d/cv.tsv" | cut -f 1,2 | tr '\t' ' ')" \
		"$(jq -r '.search.candidates | to_entries[] | "\(.key) \(.value.mean)"' "$d/r.json")"
	"$PREDICT" "$d/m.gbt" "$d/test.s" >"$d/pred.txt"
	run "$PY" -c '
import json, sys, numpy as np, pandas as pd
from sklearn.metrics import f1_score
y = pd.read_csv(sys.argv[1]).y; p = np.loadtxt(sys.argv[2])
r = json.load(open(sys.argv[3]))
print(len(r["search"]["candidates"]) if "candidates" in r["search"] else "?")
print("ok" if f1_score(y, p > 0.5) >= 0.80 else "F1 %.4f" % f1_score(y, p > 0.5))' \
		"$d/test.csv" "$d/pred.txt" "$d/r.json"
	assert_line --index 1 "ok"
}
