#!/usr/bin/env bats
# fit-logreg: scikit-learn's optimum, the search, the model file, bad input.
# $stderr is set by bats' run --separate-stderr.
# shellcheck disable=SC2154
load helper
bats_require_minimum_version 1.5.0

ORACLE="$BATS_TEST_DIRNAME/fit-logreg-oracle.py"
PREP="$BATS_TEST_DIRNAME/fit-logreg-prep.py"

# A CSV of n rows, nf normal features (x1 binary), target y from a logistic model.
synth_csv() {
	"$PY" - "$1" "$2" "$3" <<'EOF'
import sys
import numpy as np
n, nf, seed = map(int, sys.argv[1:4])
rng = np.random.default_rng(seed)
X = rng.normal(size=(n, nf))
X[:, 0] = rng.integers(0, 2, n)
p = 1 / (1 + np.exp(-(X @ rng.normal(size=nf) - 0.3)))
y = (rng.random(n) < p).astype(int)
print("y," + ",".join(f"x{j + 1}" for j in range(nf)))
for i in range(n):
    print(f"{y[i]}," + ",".join(repr(float(v)) for v in X[i]))
EOF
}

# to_stream CSV TARGET: the CSV as a stream, TARGET the target and every other column a feature.
to_stream() {
	local roles=() col
	IFS=, read -r -a cols <"$1"
	for col in "${cols[@]}"; do
		if [ "$col" = "$2" ]; then roles+=(-r "$col=target"); else roles+=(-r "$col=feature"); fi
	done
	from-csv "${roles[@]}" "$1"
}

setup() {
	cd "$BATS_TEST_TMPDIR" || exit 1
}

raw_split() {
	local raw
	raw="$(raw_data)" || skip "raw_data.csv not available"
	"$PY" "$PREP" "$raw" train.csv test.csv 2>/dev/null
	to_stream train.csv lead_indicator >train.st
}

# l2_and_none CSV TARGET STREAM: fit-logreg l2 with C = 100, 10, 1, 0.1, 0.01 and penalty
# none on STREAM, each checked against scikit-learn on CSV by the oracle.
l2_and_none() {
	local specs=() C
	for C in 100 10 1 0.1 0.01; do
		fit-logreg --param C="$C" "$3" >"l2-$C.model"
		specs+=("l2-$C.model:l2:$C")
	done
	fit-logreg --param penalty=none "$3" >none.model
	specs+=(none.model:none:1)
	run "$PY" "$ORACLE" "$1" "$2" "${specs[@]}"
	assert_success
	assert_output --partial "newton-cg: objective ours"
}

@test "fit-logreg l2 (C = 100 … 0.01) and none equal scikit-learn on raw_data's training split" {
	raw_split
	l2_and_none train.csv lead_indicator train.st
}

@test "fit-logreg l2, none and balanced weights equal scikit-learn on synthetic data" {
	synth_csv 5000 6 1 >s.csv
	to_stream s.csv y >s.st
	specs=()
	for C in 100 1 0.01; do
		fit-logreg --param C="$C" s.st >"s-$C.model"
		specs+=("s-$C.model:l2:$C")
	done
	fit-logreg --param penalty=none s.st >none.model
	fit-logreg --param C=0.1 --param class_weight=balanced s.st >bal.model
	run "$PY" "$ORACLE" s.csv y "${specs[@]}" none.model:none:1 bal.model:l2:0.1::balanced
	assert_success
}

@test "fit-logreg l2 (C = 100 … 0.01) and none equal scikit-learn on 100k synthetic rows" {
	synth_csv 100000 8 21 >s.csv
	to_stream s.csv y >s.st
	l2_and_none s.csv y s.st
}

@test "fit-logreg with 60 features (conjugate gradients, no Hessian matrix) equals scikit-learn" {
	synth_csv 3000 60 12 >s.csv
	to_stream s.csv y >s.st
	fit-logreg --param C=0.1 s.st >a.model
	fit-logreg --param C=10 --param class_weight=balanced s.st >b.model
	run "$PY" "$ORACLE" s.csv y a.model:l2:0.1 b.model:l2:10::balanced
	assert_success
}

@test "fit-logreg with 60 features on 24000 sorted rows and a rare column (sampled preconditioner) equals scikit-learn" {
	# Above 48 parameters and 61·32 + n/64 rows the conjugate gradients are preconditioned
	# by the Hessian of every k-th row: rows sorted by the target, x2 set in 4 rows only
	# (two of each class; the sample may miss them), with and without the penalty.
	synth_csv 24000 60 5 | "$PY" -c '
import sys
import pandas as pd
d = pd.read_csv(sys.stdin)
d["x2"] = 0.0
d.loc[list(d.index[d.y == 0][[10, 9000]]) + list(d.index[d.y == 1][[20, 9000]]), "x2"] = 1.0
d.sort_values("y", kind="stable").to_csv(sys.stdout, index=False)' >s.csv
	to_stream s.csv y >s.st
	fit-logreg --param C=1 s.st >a.model
	fit-logreg --param penalty=none s.st >b.model
	run "$PY" "$ORACLE" s.csv y a.model:l2:1 b.model:none:1
	assert_success
}

@test "fit-logreg l1 and elasticnet reach saga's objective with the same zeros" {
	synth_csv 2000 8 2 >s.csv
	to_stream s.csv y >s.st
	fit-logreg --param solver=saga --param penalty=l1 --param C=1 s.st >l1a.model
	fit-logreg --param solver=liblinear --param penalty=l1 --param C=0.01 \
		--param penalize_intercept=false s.st >l1b.model
	fit-logreg --param solver=saga --param penalty=elasticnet --param l1_ratio=0.5 \
		--param C=0.01 s.st >en.model
	run "$PY" "$ORACLE" s.csv y l1a.model:l1:1 l1b.model:l1:0.01 en.model:elasticnet:0.01:0.5
	assert_success
	assert_output --partial "zeros: ours [0 2 3 7] saga [0 2 3 7]"
}

@test "fit-logreg writes the model format: kind, features, params, fitted, meta" {
	synth_csv 300 3 3 >s.csv
	to_stream s.csv y >s.st
	fit-logreg --param C=0.5 --no-timestamp s.st >m.model
	run "$PY" -c '
import msgpack, sys
m = msgpack.unpackb(open("m.model", "rb").read())
f = m["fitted"]
print(m["format"], m["version"], m["kind"], m["features"], m["target"], m["params"])
print(sorted(f), len(f["coef"]), f["converged"], f["iterations"] > 0)
print(sorted(m["meta"]), m["meta"]["rows"])'
	assert_success
	assert_line --index 0 "pipeml-model 1 logreg ['x1', 'x2', 'x3'] y {'C': 0.5}"
	assert_line --index 1 "['coef', 'converged', 'grad_norm', 'intercept', 'iterations', 'objective'] 24 True True"
	assert_line --index 2 "['data_sha256', 'positives', 'rows', 'tool'] 300"
}

@test "fit-logreg is deterministic: the same model bytes twice and with -j 2" {
	synth_csv 500 4 4 >s.csv
	to_stream s.csv y >s.st
	fit-logreg -j 1 --no-timestamp --param C=2 s.st >a.model
	fit-logreg -j 1 --no-timestamp --param C=2 s.st >b.model
	SOURCE_DATE_EPOCH=0 fit-logreg -j 2 --param C=2 s.st >c.model
	cmp a.model b.model
	cmp a.model c.model
}

@test "fit-logreg's data_sha256 is the digest of the names and rows, hashed while reading or after, and fit-gbt's too" {
	# 30000 rows of 60 features: several stream batches (each larger than a read), matrix
	# moves and hashing chunks; from a file, and from a pipe (short reads)
	synth_csv 30000 60 8 >s.csv
	to_stream s.csv y >s.st
	fit-logreg -j 1 --no-timestamp --param max_iter=1 s.st >a.model 2>/dev/null
	fit-logreg -j 3 --no-timestamp --param max_iter=1 s.st >b.model 2>/dev/null
	cmp a.model b.model
	fit-logreg -j 1 --no-timestamp --param max_iter=1 < <(cat s.st) >p.model 2>/dev/null
	cmp a.model p.model
	# fit-gbt holds the data column-major: the same digest
	fit-gbt --no-timestamp --param n_estimators=1 --param max_depth=1 s.st >g.model
	run "$PY" -c '
import msgpack
a, g = (msgpack.unpackb(open(f, "rb").read())["meta"]["data_sha256"] for f in ("a.model", "g.model"))
print(a == g)'
	assert_output "True"
	run "$PY" -c '
import hashlib, msgpack, sys
import numpy as np, pandas as pd
d = pd.read_csv("s.csv", float_precision="round_trip")
m = msgpack.unpackb(open("a.model", "rb").read())
h = hashlib.sha256(b"".join(f.encode() + b"\0" for f in m["features"] + ["y"]))
rows = np.column_stack([d[m["features"]].to_numpy(float), d["y"].to_numpy(float)])
h.update(rows.astype("<f8").tobytes())
print(m["meta"]["data_sha256"] == h.hexdigest(), m["meta"]["rows"])'
	assert_success
	assert_output "True 30000"
}

@test "fit-logreg says when it did not converge, on stderr and in the model" {
	synth_csv 300 3 5 >s.csv
	to_stream s.csv y >s.st
	run --separate-stderr fit-logreg --param max_iter=1 s.st
	assert_success
	[[ "$stderr" == "fit-logreg: did not converge in 1 iterations (gradient norm "* ]]
	fit-logreg --param max_iter=1 s.st 2>/dev/null >m.model
	run "$PY" -c 'import msgpack; print(msgpack.unpackb(open("m.model","rb").read())["fitted"]["converged"])'
	assert_output False
}

@test "fit-logreg -v reports iterations, objective and gradient norm" {
	synth_csv 300 3 6 >s.csv
	to_stream s.csv y >s.st
	run --separate-stderr fit-logreg -v s.st
	assert_success
	[[ "$stderr" =~ ^fit-logreg:\ [0-9]+\ iterations,\ objective\ [0-9.]+,\ gradient\ norm\  ]]
}

@test "fit-logreg search: the notebook's space, failures as scikit-learn words them, report JSON" {
	raw_split
	# the model to a file: a shell variable cannot hold its NUL bytes
	fit-logreg --param solver=newton-cg,lbfgs,liblinear,sag,saga \
		--param penalty=none,l1,l2,elasticnet --param C=100,10,1,0.1,0.01 \
		--search 10 --cv 3 --seed 42 --report report.json --table cv.tsv train.st \
		>best.model 2>err.txt
	[[ "$(cat err.txt)" == *"fit-logreg: search: 10 candidates, 3-fold CV accuracy, "* ]]
	run "$PY" - <<'EOF'
import csv, json, msgpack, numpy as np, pandas as pd
from sklearn.metrics import f1_score
r = json.load(open("report.json"))
s = r["search"]
assert len(s["candidates"]) == 10 and s["folds"] == 3 and s["scoring"] == "accuracy"
# --table: the same candidates as the report, one tab-separated line each
rows = list(csv.reader(open("cv.tsv"), delimiter="\t", quoting=csv.QUOTE_NONE))
assert rows[0] == ["candidate", "mean", "sd", "fit_seconds", "params", "failure"], rows[0]
assert len(rows) == 11
for i, (row, c) in enumerate(zip(rows[1:], s["candidates"])):
    assert row[0] == str(i) and row[3] != "" and float(row[3]) == c["fit_seconds"]
    assert row[4] == " ".join(f"{k}={v}" for k, v in c["params"].items()), row
    if c["failure"]:
        assert row[1] == row[2] == "" and row[5] == c["failure"], row
    else:
        assert float(row[1]) == c["mean"] and float(row[2]) == c["sd"] and row[5] == "", row
reasons = {c["failure"] for c in s["candidates"] if c["failure"]}
ok = [c for c in s["candidates"] if not c["failure"]]
assert all(len(c["fold_scores"]) == 3 and c["sd"] >= 0 for c in ok)
best = s["candidates"][s["best"]]
assert best["mean"] == max(c["mean"] for c in ok)
m = msgpack.unpackb(open("best.model", "rb").read())
assert m["params"] == {k: (float(v) if k == "C" else v) for k, v in best["params"].items()}
assert m["meta"]["cv"]["folds"] == 3 and m["meta"]["seed"] == 42
t = pd.read_csv("test.csv")
w = np.frombuffer(m["fitted"]["coef"], "<f8")
pred = (t[m["features"]].to_numpy() @ w + m["fitted"]["intercept"]) > 0
f1 = f1_score(t["lead_indicator"], pred)
print(sorted(reasons))
print(f"test F1 {f1:.3f}", "ok" if f1 >= 0.747 - 0.01 else "LOW")
EOF
	assert_success
	assert_output --partial "supports only 'l2' or 'none' penalties, got l1 penalty."
	assert_line --index 1 --regexp "^test F1 0\.[0-9]+ ok$"
}

@test "fit-logreg --table without --search: a usage error" {
	synth_csv 100 2 1 >s.csv
	to_stream s.csv y >s.st
	run --separate-stderr fit-logreg --table cv.tsv s.st
	assert_failure 2
	assert_equal "$stderr" "fit-logreg: --table needs --search"
	[ ! -e cv.tsv ]
}

@test "fit-logreg search scores folds as scikit-learn's StratifiedKFold, whatever -j" {
	synth_csv 600 4 7 >s.csv
	to_stream s.csv y >s.st
	fit-logreg --param solver=newton-cg --param C=0.1,1 --search 2 --cv 4 --seed 1 \
		--no-timestamp --report r1.json s.st >a.model 2>/dev/null
	fit-logreg -j 2 --param solver=newton-cg --param C=0.1,1 --search 2 --cv 4 --seed 1 \
		--no-timestamp --report r2.json s.st >b.model 2>/dev/null
	run "$PY" - <<'EOF'
import json, warnings
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
warnings.filterwarnings("ignore")
d = pd.read_csv("s.csv", float_precision="round_trip")
y = d.pop("y")
for f in ("r1.json", "r2.json"):
    for c in json.load(open(f))["search"]["candidates"]:
        C = float(c["params"]["C"])
        sk = cross_val_score(LogisticRegression(C=C, solver="newton-cg", tol=1e-10, max_iter=100), d, y, cv=4)
        assert list(sk) == c["fold_scores"], (C, list(sk), c["fold_scores"])
print("same")
EOF
	assert_success
	assert_output same
	cmp a.model b.model
}

@test "fit-logreg search scores f1, roc_auc and log_loss as scikit-learn does" {
	synth_csv 400 3 13 >s.csv
	to_stream s.csv y >s.st
	for m in f1 roc_auc log_loss; do
		fit-logreg --param solver=newton-cg --param C=0.5 --search 1 --cv 3 --scoring "$m" \
			--report "$m.json" s.st >/dev/null 2>&1
	done
	run "$PY" - <<'EOF'
import json, warnings
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
warnings.filterwarnings("ignore")
d = pd.read_csv("s.csv", float_precision="round_trip")
y = d.pop("y")
lr = LogisticRegression(C=0.5, solver="newton-cg", tol=1e-10, max_iter=100)
for m, sk in (("f1", "f1"), ("roc_auc", "roc_auc"), ("log_loss", "neg_log_loss")):
    ours = json.load(open(m + ".json"))["search"]["candidates"][0]["fold_scores"]
    theirs = cross_val_score(lr, d, y, cv=3, scoring=sk)
    assert np.allclose(ours, theirs, rtol=1e-9, atol=0), (m, ours, list(theirs))
print("same")
EOF
	assert_output same
}

@test "fit-logreg search with distributions draws the same candidates for the same seed" {
	synth_csv 300 3 8 >s.csv
	to_stream s.csv y >s.st
	fit-logreg --param C=loguniform:0.01:100 --param max_iter=randint:50:60 --search 4 \
		--cv 3 --seed 9 --report a.json s.st >/dev/null 2>&1
	fit-logreg --param C=loguniform:0.01:100 --param max_iter=randint:50:60 --search 4 \
		--cv 3 --seed 9 --report b.json s.st >/dev/null 2>&1
	run "$PY" -c '
import json
a = [c["params"] for c in json.load(open("a.json"))["search"]["candidates"]]
b = [c["params"] for c in json.load(open("b.json"))["search"]["candidates"]]
assert a == b and len({c["C"] for c in a}) == 4
assert all(0.01 <= float(c["C"]) < 100 and 50 <= int(c["max_iter"]) < 60 for c in a)
print("ok")'
	assert_output ok
}

@test "fit-logreg rejects a single-class target" {
	printf 'y,x1\n1,0.5\n1,0.25\n' >s.csv
	to_stream s.csv y >s.st
	run --separate-stderr fit-logreg s.st
	assert_failure 1
	assert_equal "$stderr" 'fit-logreg: s.st: target "y" has a single class (every row is 1)'
	assert_equal "$output" ""
}

@test "fit-logreg rejects NaN (missing) and infinite features" {
	printf 'y,x1,x2\n1,0.5,1\n0,,2\n' >s.csv
	to_stream s.csv y >s.st
	run --separate-stderr fit-logreg s.st
	assert_failure 1
	assert_equal "$stderr" 'fit-logreg: s.st: row 2, column "x1": feature missing or NaN'
	# a stream with 12345.5 in it, that value's bytes then replaced by +inf's
	printf 'y,x1,x2\n1,0.5,1\n0,0.1,12345.5\n' >i.csv
	to_stream i.csv y >f.st
	"$PY" -c 'import struct, sys
d = open("f.st", "rb").read()
open("i.st", "wb").write(d.replace(struct.pack("<d", 12345.5), struct.pack("<d", float("inf"))))'
	run --separate-stderr fit-logreg i.st
	assert_failure 1
	assert_equal "$stderr" 'fit-logreg: i.st: row 2, column "x2": feature infinite'
	# the rows are checked two columns by two rows at a time, odd ones one by one: a missing
	# value in an odd last column, in an odd last row, and in the second tile of 64 rows
	printf 'y,x1,x2,x3
1,1,2,3
0,4,5,
1,6,7,8
' >c.csv
	to_stream c.csv y >c.st
	run --separate-stderr fit-logreg c.st
	assert_failure 1
	assert_equal "$stderr" 'fit-logreg: c.st: row 2, column "x3": feature missing or NaN'
	printf 'y,x1,x2
1,1,2
0,4,5
1,6,
' >r.csv
	to_stream r.csv y >r.st
	run --separate-stderr fit-logreg r.st
	assert_failure 1
	assert_equal "$stderr" 'fit-logreg: r.st: row 3, column "x2": feature missing or NaN'
	{
		echo y,x1,x2
		for i in $(seq 1 99); do
			if [ "$i" = 70 ]; then echo "$((i % 2)),$i,"; else echo "$((i % 2)),$i,$i.5"; fi
		done
	} >t.csv
	to_stream t.csv y >t.st
	run --separate-stderr fit-logreg t.st
	assert_failure 1
	assert_equal "$stderr" 'fit-logreg: t.st: row 70, column "x2": feature missing or NaN'
}

@test "fit-logreg rejects zero rows, no target column and a target other than 0/1" {
	printf 'y,x1\n' >e.csv
	from-csv -n y,x1 -r y=target -r x1=feature e.csv >e.st
	run --separate-stderr fit-logreg e.st
	assert_failure 1
	assert_equal "$stderr" "fit-logreg: e.st: no rows"
	printf 'y,x1\n1,0.5\n0,0.25\n' >s.csv
	from-csv -r x1=feature -r y=feature s.csv >n.st
	run --separate-stderr fit-logreg n.st
	assert_failure 1
	assert_equal "$stderr" "fit-logreg: n.st: no target column (a column with role target)"
	printf 'y,x1\n1,0.5\n2,0.25\n' >t.csv
	to_stream t.csv y >t.st
	run --separate-stderr fit-logreg t.st
	assert_failure 1
	assert_equal "$stderr" 'fit-logreg: t.st: row 2, column "y": target not 0 or 1; expected 0 or 1'
}

@test "fit-logreg rejects C <= 0 and a forbidden solver/penalty pair (exit 1), unknown names (exit 2)" {
	synth_csv 100 2 9 >s.csv
	to_stream s.csv y >s.st
	run --separate-stderr fit-logreg --param C=0 s.st
	assert_failure 1
	assert_equal "$stderr" 'fit-logreg: C "0": expected a number > 0'
	run --separate-stderr fit-logreg --param C=-1 s.st
	assert_failure 1
	run --separate-stderr fit-logreg --param solver=lbfgs --param penalty=l1 s.st
	assert_failure 1
	assert_equal "$stderr" "fit-logreg: Solver lbfgs supports only 'l2' or 'none' penalties, got l1 penalty."
	run --separate-stderr fit-logreg --param solver=saga --param penalty=elasticnet s.st
	assert_failure 1
	assert_equal "$stderr" "fit-logreg: l1_ratio must be specified when penalty is elasticnet."
	run --separate-stderr fit-logreg --param alpha=1 s.st
	assert_failure 2
	assert_equal "$stderr" 'fit-logreg: unknown parameter "alpha" for logreg'
	run --separate-stderr fit-logreg --param C=1,2 s.st
	assert_failure 2
	assert_equal "$stderr" "fit-logreg: --param C: several values need --search"
}

@test "fit-logreg --help lists every option of the man page" {
	run fit-logreg --help
	assert_success
	grep -o '^\.It Fl [a-zA-Z-]*' "$ROOT/man/fit-logreg.1" | awk '{print $3}' >opts
	[ -s opts ]
	while read -r o; do
		assert_output --partial -- "-$o"
	done <opts
}

@test "a logreg model loads, predicts P(y=1) = σ(w·x + b) and saves to the same bytes" {
	synth_csv 200 3 10 >s.csv
	to_stream s.csv y >s.st
	fit-logreg --no-timestamp --param C=0.3 s.st >m.model
	run "$PIPEML_UNIT/model_tool" load m.model
	assert_success
	assert_output "logreg 3 y"
	"$PIPEML_UNIT/model_tool" resave m.model >again.model
	cmp m.model again.model
	printf '0 0 0\n1 -0.5 2\n' >rows
	"$PIPEML_UNIT/model_tool" predict m.model <rows >probs
	run "$PY" -c '
import msgpack, numpy as np
m = msgpack.unpackb(open("m.model", "rb").read())
w = np.frombuffer(m["fitted"]["coef"], "<f8")
x = np.loadtxt("rows")
p = 1 / (1 + np.exp(-(x @ w + m["fitted"]["intercept"])))
got = np.loadtxt("probs")
print("same" if np.allclose(p, got, rtol=1e-15, atol=0) else (p, got))'
	assert_output same
}

@test "a corrupt or truncated model is a clear error" {
	synth_csv 200 3 11 >s.csv
	to_stream s.csv y >s.st
	fit-logreg --no-timestamp s.st >m.model
	"$PY" - <<'PYEOF'
import msgpack
raw = open("m.model", "rb").read()
m = msgpack.unpackb(raw)
def put(name, obj):
    open(name, "wb").write(msgpack.packb(obj) if not isinstance(obj, bytes) else obj)
put("trunc.model", raw[: len(raw) // 2])
put("trail.model", raw + b"\x00")
put("notmap.model", [1, 2])
put("format.model", {**m, "format": "other"})
put("version.model", {**m, "version": 2})
put("kind.model", {**m, "kind": "forest"})
put("dup.model", {**m, "features": ["x1", "x1", "x3"]})
put("coef.model", {**m, "fitted": {**m["fitted"], "coef": m["fitted"]["coef"][:16]}})
put("nan.model", {**m, "fitted": {**m["fitted"], "coef": b"\x00" * 16 + b"\x00" * 6 + b"\xf8\x7f"}})
put("extra.model", {**m, "other": 1})
put("empty.model", b"")
# an array header declaring 2^32 - 1 elements, and nothing after it
put("huge.model", raw[:1] + b"\xa6format\xac" + b"pipeml-model" + b"\xa8features\xdd\xff\xff\xff\xff")
PYEOF
	check() {
		run "$PIPEML_UNIT/model_tool" load "$1"
		assert_failure 1
		assert_output "model_tool: $1: $2"
	}
	run "$PIPEML_UNIT/model_tool" load trunc.model
	assert_failure 1
	assert_output --regexp '^model_tool: trunc.model: bad model: truncated'
	check trail.model "bad model: 1 bytes after the model"
	check notmap.model "bad model: not a model (not a msgpack map)"
	check format.model 'bad model: not a model (no "format": "pipeml-model")'
	check version.model "bad model: unsupported model version (this build reads 1)"
	check kind.model 'bad model: unknown model kind "forest"'
	check dup.model 'bad model: feature "x1" appears twice'
	check coef.model 'bad model: "coef" is not 3 little-endian doubles'
	check nan.model "bad model: coefficient 3 is not finite"
	check extra.model "bad model: unknown top-level key"
	check empty.model "empty model file"
	run "$PIPEML_UNIT/model_tool" load huge.model
	assert_failure 1
	assert_output --regexp '^model_tool: huge.model: bad model: .*(declares|truncated)'
}
