#!/usr/bin/env bats
# export: models that scikit-learn and XGBoost load and that predict what pipeml predicts.
# The tool is run as `pipeml export`: a bare `export` in a shell is the shell's builtin.
# $stderr is set by bats' run --separate-stderr.
# shellcheck disable=SC2154
load helper
bats_require_minimum_version 1.5.0

ORACLE="$BATS_TEST_DIRNAME/export-oracle.py"
PREP="$BATS_TEST_DIRNAME/fit-logreg-prep.py"

setup() {
	cd "$BATS_TEST_TMPDIR" || exit 1
}

# logistic_csv N NAMES SEED: y and the comma-separated feature columns NAMES, drawn from a
# logistic model (the first feature binary).
logistic_csv() {
	"$PY" - "$1" "$2" "$3" <<'EOF'
import sys
import numpy as np
n, names, seed = int(sys.argv[1]), sys.argv[2].split(","), int(sys.argv[3])
rng = np.random.default_rng(seed)
X = rng.normal(size=(n, len(names)))
X[:, 0] = rng.integers(0, 2, n)
p = 1 / (1 + np.exp(-(X @ rng.normal(size=len(names)) - 0.3)))
y = (rng.random(n) < p).astype(int)
print("y," + ",".join(names))
for i in range(n):
    print(f"{y[i]}," + ",".join(repr(float(v)) for v in X[i]))
EOF
}

# drop_column CSV NAME: CSV (no quoted fields) without the column NAME.
drop_column() {
	awk -F, -v name="$2" 'NR == 1 { for (j = 1; j <= NF; j++) if ($j == name) drop = j }
		{ out = ""; sep = ""; for (j = 1; j <= NF; j++) if (j != drop) { out = out sep $j; sep = "," } print out }' "$1"
}

# rows CSV: the data rows of CSV as model_tool reads them (spaces, an empty cell as nan).
rows() {
	tail -n +2 "$1" | awk -F, '{ for (j = 1; j <= NF; j++) if ($j == "") $j = "nan"; $1 = $1; print }'
}

# fit_csv CSV TARGET FIT-TOOL [args...]: fit on CSV (TARGET the target, the rest features)
# and write m.model, the features alone as x.csv and pipeml's predictions for them as probs.
fit_csv() {
	local csv="$1" target="$2" roles=() col
	shift 2
	IFS=, read -r -a cols <"$csv"
	for col in "${cols[@]}"; do
		if [ "$col" = "$target" ]; then roles+=(-r "$col=target"); else roles+=(-r "$col=feature"); fi
	done
	from-csv "${roles[@]}" "$csv" | "$@" >m.model
	drop_column "$csv" "$target" >x.csv
	rows x.csv | "$PIPEML_UNIT/model_tool" predict m.model >probs
}

@test "export sklearn: joblib loads a LogisticRegression that predicts as pipeml (1e-12)" {
	logistic_csv 400 age,income,visits,score 1 >d.csv
	fit_csv d.csv y fit-logreg --param C=0.5
	pipeml export --format sklearn m.model >m.pkl
	run_split "$PY" "$ORACLE" sklearn m.pkl m.model x.csv probs
	assert_success
	[ -z "$stderr" ]
	assert_line --index 0 "names"
	assert_line "C=0.5"
	assert_line "penalty='l2'"
	assert_line "solver='lbfgs'"
	assert_line "tol=0.0001"
	assert_line "max_iter=100"
	assert_line "class_weight=None"
	assert_line "l1_ratio=None"
	assert_line "fit_intercept=True"
}

@test "export sklearn: the model's params become the constructor parameters" {
	logistic_csv 300 a,b,c 2 >d.csv
	fit_csv d.csv y fit-logreg --param penalty=elasticnet --param solver=saga --param l1_ratio=0.25 \
		--param C=2 --param class_weight=balanced --param max_iter=50 --param tol=1e-6
	pipeml export -f sklearn m.model >m.pkl
	run "$PY" "$ORACLE" sklearn m.pkl m.model x.csv probs
	assert_success
	assert_line "penalty='elasticnet'"
	assert_line "solver='saga'"
	assert_line "l1_ratio=0.25"
	assert_line "C=2.0"
	assert_line "class_weight='balanced'"
	assert_line "max_iter=50"
	assert_line "tol=1e-06"
	fit_csv d.csv y fit-logreg --param penalty=none --param fit_intercept=false
	pipeml export -f sklearn m.model >m.pkl
	run "$PY" "$ORACLE" sklearn m.pkl m.model x.csv probs
	assert_success
	assert_line "penalty=None"
	assert_line "fit_intercept=False"
}

@test "export sklearn: features named x0, x1, ... export without names, like a model fitted on an array" {
	logistic_csv 300 x0,x1,x2 3 >d.csv
	fit_csv d.csv y fit-logreg
	pipeml export -f sklearn m.model >m.pkl
	run_split "$PY" "$ORACLE" sklearn m.pkl m.model x.csv probs
	assert_success
	[ -z "$stderr" ]
	assert_line --index 0 "no names"
	pipeml export -f sklearn --feature-names m.model >m.pkl
	run "$PY" "$ORACLE" sklearn m.pkl m.model x.csv probs
	assert_success
	assert_line --index 0 "names"
	logistic_csv 300 p,q 4 >d.csv
	fit_csv d.csv y fit-logreg
	pipeml export -f sklearn --no-feature-names m.model >m.pkl
	run "$PY" "$ORACLE" sklearn m.pkl m.model x.csv probs
	assert_success
	assert_line --index 0 "no names"
}

@test "export sklearn: a model fitted on synth data through from-csv" {
	synth -n 600 --seed 7 --features 3 >s.csv
	"$PY" -c 'import pandas as pd; pd.read_csv("s.csv")[["lead_indicator", "x1", "x2", "x3"]].dropna().to_csv("d.csv", index=False)'
	fit_csv d.csv lead_indicator fit-logreg
	pipeml export -f sklearn m.model >m.pkl
	run "$PY" "$ORACLE" sklearn m.pkl m.model x.csv probs
	assert_success
	assert_line --index 0 "names"
}

@test "export sklearn: a model fitted on raw_data.csv's training split predicts its test split" {
	local raw
	raw="$(raw_data)" || skip "raw_data.csv not available"
	"$PY" "$PREP" "$raw" train.csv test.csv 2>/dev/null
	fit_csv train.csv lead_indicator fit-logreg
	drop_column test.csv lead_indicator >x.csv
	rows x.csv | "$PIPEML_UNIT/model_tool" predict m.model >probs
	pipeml export -f sklearn --output model.pkl m.model
	run "$PY" "$ORACLE" sklearn model.pkl m.model x.csv probs
	assert_success
	assert_line --index 0 "names"
}

@test "export sklearn: the validator's check — predict X_test.csv as a DataFrame gives 0/1 floats" {
	local raw
	[ -f "$DATA_CACHE/validator/X_test.csv" ] || skip "no \$DATA_CACHE/validator/X_test.csv"
	raw="$(raw_data)" || skip "raw_data.csv not available"
	"$PY" "$PREP" "$raw" train.csv test.csv 2>/dev/null
	fit_csv train.csv lead_indicator fit-logreg
	mkdir model
	pipeml export -f sklearn --output model/model.pkl m.model
	run_split "$PY" -W error - "$DATA_CACHE/validator" <<'EOF'
import sys
import joblib
import numpy as np
import pandas as pd
with open("model/model.pkl", "rb") as f:
    model = joblib.load(f)
X = pd.read_csv(sys.argv[1] + "/X_test.csv")
y = pd.read_csv(sys.argv[1] + "/y_test.csv").iloc[:, 0].to_numpy()
p = model.predict(X)
assert p.dtype == np.float64 and set(p) <= {0.0, 1.0}, p
print(list(model.feature_names_in_) == list(X.columns), len(p))
print("first five", p[:5].tolist(), "accuracy", round(float((p == y).mean()), 3))
EOF
	assert_success
	[ -z "$stderr" ]
	assert_line --index 0 "True 36"
	assert_line --index 1 --regexp '^first five \[([01]\.0, ){4}[01]\.0\] accuracy 0\.[0-9]+$'
}

@test "export sklearn: the pickle is deterministic and its doubles are exact" {
	logistic_csv 200 a,b 5 >d.csv
	fit_csv d.csv y fit-logreg --param C=0.1
	pipeml export -f sklearn m.model >one.pkl
	pipeml export -f sklearn <m.model >two.pkl
	cmp one.pkl two.pkl
	run "$PY" -c '
import pickletools, sys
ops = [op.name for op, arg, pos in pickletools.genops(open("one.pkl", "rb"))]
print(ops[0], ops[-1], ops.count("BINFLOAT"), "BINPUT" in ops)'
	assert_success
	# C, tol, 2 classes, 2 coefficients, the intercept
	assert_output "PROTO STOP 7 False"
}

# missing_csv N NAMES SEED: logistic_csv with about 10% of the feature cells empty (missing).
missing_csv() {
	logistic_csv "$@" | awk -F, -v OFS=, -v seed="$3" 'BEGIN { srand(seed) }
		NR > 1 { for (j = 2; j <= NF; j++) if (rand() < 0.1) $j = "" } { print }'
}

@test "export xgboost-json: boosted trees with missing values predict as pipeml in XGBoost (1e-6)" {
	missing_csv 500 a,b,c,d 11 >d.csv
	fit_csv d.csv y fit-gbt -j 1 --param n_estimators=30 --param max_depth=4
	pipeml export --format xgboost-json m.model >m.json
	run_split "$PY" "$ORACLE" xgboost m.json x.csv probs
	assert_success
	[ -z "$stderr" ]
	assert_output "30 trees, names a,b,c,d"
}

@test "export xgboost-json: values at and around each float32 threshold are routed as pipeml routes them" {
	missing_csv 400 a,b,c 12 >d.csv
	fit_csv d.csv y fit-gbt -j 1 --param n_estimators=10 --param max_depth=3
	pipeml export -f xgboost-json m.model >m.json
	# for each split (feature j, threshold t): t, the doubles beside t, the float32 below t,
	# the midpoint between the two (float32 rounding ties to even) and the doubles beside it
	"$PY" - m.json >edge.csv <<'PY'
import json, sys
import numpy as np
with open(sys.argv[1]) as f:
    trees = json.load(f)["learner"]["gradient_booster"]["model"]["trees"]
print("a,b,c")
for t in trees:
    for k, left in enumerate(t["left_children"]):
        if left < 0:
            continue
        j, th = t["split_indices"][k], np.float32(t["split_conditions"][k])
        below = np.nextafter(th, np.float32(-np.inf))
        mid = (float(th) + float(below)) / 2
        for v in (float(th), np.nextafter(float(th), -1e300), np.nextafter(float(th), 1e300),
                  float(below), mid, np.nextafter(mid, -1e300), np.nextafter(mid, 1e300)):
            row = ["", "", ""]
            row[j] = repr(float(v))
            print(",".join(row))
PY
	rows edge.csv | "$PIPEML_UNIT/model_tool" predict m.model >edge.probs
	run "$PY" "$ORACLE" xgboost m.json edge.csv edge.probs
	assert_success
	assert_output "10 trees, names a,b,c"
	[ "$(wc -l <edge.csv)" -gt 100 ]
}

@test "export xgboost-json: base_score with reg:logistic and reg:squarederror" {
	missing_csv 300 a,b 13 >d.csv
	fit_csv d.csv y fit-gbt -j 1 --param n_estimators=8 --param objective=reg:logistic \
		--param base_score=0.3
	pipeml export -f xgboost-json m.model >m.json
	run "$PY" "$ORACLE" xgboost m.json x.csv probs
	assert_success
	grep -q '"base_score":"0.300000012"' m.json
	grep -q '"name":"reg:logistic"' m.json
	fit_csv d.csv y fit-gbt -j 1 --param n_estimators=8 --param objective=reg:squarederror \
		--param base_score=0.2
	pipeml export -f xgboost-json m.model >m.json
	run "$PY" "$ORACLE" xgboost m.json x.csv probs
	assert_success
	grep -q '"name":"reg:squarederror"' m.json
}

@test "export xgboost-json: a random forest keeps num_parallel_tree" {
	missing_csv 300 a,b,c 14 >d.csv
	fit_csv d.csv y fit-gbt -j 1 --forest --param num_parallel_tree=6 --param n_estimators=2 \
		--param max_depth=3
	pipeml export -f xgboost-json m.model >m.json
	run "$PY" "$ORACLE" xgboost m.json x.csv probs
	assert_success
	assert_output "12 trees, names a,b,c"
	grep -q '"num_trees":"12","num_parallel_tree":"6"' m.json
}

@test "export xgboost-json: features x0, x1, ... export without names; XGBoost then predicts arrays" {
	missing_csv 300 x0,x1,x2 15 >d.csv
	fit_csv d.csv y fit-gbt -j 1 --param n_estimators=5
	pipeml export -f xgboost-json m.model >m.json
	run "$PY" "$ORACLE" xgboost m.json x.csv probs
	assert_success
	assert_output "5 trees, no names"
	pipeml export -f xgboost-json --feature-names m.model >m.json
	run "$PY" "$ORACLE" xgboost m.json x.csv probs
	assert_success
	assert_output "5 trees, names x0,x1,x2"
}

@test "export xgboost-json: models fitted on raw_data.csv's split and on synth data" {
	local raw
	raw="$(raw_data)" || skip "raw_data.csv not available"
	"$PY" "$PREP" "$raw" train.csv test.csv 2>/dev/null
	fit_csv train.csv lead_indicator fit-gbt -j 1 --param n_estimators=20 --param max_depth=4
	drop_column test.csv lead_indicator >x.csv
	rows x.csv | "$PIPEML_UNIT/model_tool" predict m.model >probs
	pipeml export -f xgboost-json --output m.json m.model
	run "$PY" "$ORACLE" xgboost m.json x.csv probs
	assert_success
	assert_output --regexp '^20 trees, names purchases,time_spent,n_visits,customer_group_2,'
	grep -q ',1\.0,' m.json # a 0/1 feature's threshold 1, written as a float XGBoost accepts
	synth -n 600 --seed 7 --features 3 >s.csv
	"$PY" -c 'import pandas as pd; pd.read_csv("s.csv").dropna(subset=["lead_indicator"])[["lead_indicator", "purchases", "time_spent", "n_visits", "x1", "x2", "x3"]].to_csv("d.csv", index=False)'
	fit_csv d.csv lead_indicator fit-gbt -j 1 --param n_estimators=20
	pipeml export -f xgboost-json m.model >m.json
	run "$PY" "$ORACLE" xgboost m.json x.csv probs
	assert_success
	assert_output "20 trees, names purchases,time_spent,n_visits,x1,x2,x3"
}

@test "export: a feature name XGBoost refuses is an error unless the names are left out" {
	missing_csv 100 'a[1],b' 16 >d.csv
	fit_csv d.csv y fit-gbt -j 1 --param n_estimators=2
	run_split pipeml export -f xgboost-json m.model
	assert_failure 1
	assert_output ""
	assert_equal "$stderr" "export: m.model: feature 1: XGBoost does not allow [, ] or < in a feature name (export with --no-feature-names)"
	pipeml export -f xgboost-json --no-feature-names m.model >m.json
	run "$PY" "$ORACLE" xgboost m.json x.csv probs
	assert_success
	assert_output "2 trees, no names"
}

@test "export --output writes the file atomically and nothing on stdout" {
	logistic_csv 100 a,b 6 >d.csv
	fit_csv d.csv y fit-logreg
	run_split pipeml export -f sklearn --output out.pkl m.model
	assert_success
	assert_output ""
	pipeml export -f sklearn m.model | cmp - out.pkl
	run_split pipeml export -f sklearn --output nodir/out.pkl m.model
	assert_failure 1
	assert_output ""
	[[ "$stderr" == "export: nodir/out.pkl: "* ]]
	run ls nodir
	assert_failure
}

@test "export: a model of the wrong kind for the format is an error" {
	logistic_csv 100 a,b 6 >d.csv
	fit_csv d.csv y fit-logreg
	run_split pipeml export --format xgboost-json --output m.json m.model
	assert_failure 1
	assert_output ""
	assert_equal "$stderr" "export: m.model: a logreg model cannot be exported as xgboost-json (it takes a gbt model)"
	[ ! -e m.json ]
	fit_csv d.csv y fit-gbt -j 1 --param n_estimators=2
	run_split pipeml export --format sklearn --output m.pkl m.model
	assert_failure 1
	assert_output ""
	assert_equal "$stderr" "export: m.model: a gbt model cannot be exported as sklearn (it takes a logreg model)"
	[ ! -e m.pkl ]
}

@test "export: a corrupt model (truncated, not msgpack, a bad tree, missing) is an error naming the file; no output is left" {
	logistic_csv 100 a,b 6 >d.csv
	fit_csv d.csv y fit-logreg
	head -c 60 m.model >trunc.model
	run_split pipeml export -f sklearn --output out.pkl trunc.model
	assert_failure 1
	assert_output ""
	[[ "$stderr" == "export: trunc.model: bad model: truncated"* ]]
	[ ! -e out.pkl ]
	printf 'junk' >junk.model
	run_split pipeml export -f sklearn junk.model
	assert_failure 1
	assert_output ""
	[[ "$stderr" == "export: junk.model: bad model: "* ]]
	fit_csv d.csv y fit-gbt -j 1 --param n_estimators=2
	"$PY" -c '
import msgpack, struct
with open("m.model", "rb") as f:
    m = msgpack.unpackb(f.read())
tree = m["fitted"]["trees"][0]
tree["left"] = struct.pack("<i", 999) + tree["left"][4:]
with open("child.model", "wb") as f:
    f.write(msgpack.packb(m))'
	run_split pipeml export -f xgboost-json --output out.json child.model
	assert_failure 1
	assert_output ""
	assert_equal "$stderr" "export: child.model: bad model: tree 0, node 0: a child index is out of range"
	[ ! -e out.json ]
	run_split pipeml export -f sklearn missing.model
	assert_failure 1
	assert_equal "$stderr" "export: missing.model: No such file or directory"
}

@test "export: a feature name that is not UTF-8 is an error" {
	printf 'y,a\xffb,c\n1,0.5,1\n0,1.5,2\n1,0.1,0\n0,2,1\n' >d.csv
	from-csv -r y=target -r $'a\xffb=feature' -r c=feature d.csv | fit-logreg >m.model
	run_split pipeml export -f sklearn m.model
	assert_failure 1
	assert_output ""
	assert_equal "$stderr" "export: m.model: feature 1: the name is not valid UTF-8"
}

@test "export: bad usage exits 2" {
	run_split pipeml export m.model
	assert_failure 2
	assert_equal "$stderr" "export: --format is required (sklearn or xgboost-json)"
	run_split pipeml export --format onnx m.model
	assert_failure 2
	assert_equal "$stderr" "export: --format onnx: expected sklearn or xgboost-json"
	run_split pipeml export -f sklearn a.model b.model
	assert_failure 2
	[[ "$stderr" == "usage: export --format sklearn|xgboost-json "* ]]
	run pipeml export --help
	assert_success
	assert_line --partial "--no-feature-names"
}
