#!/usr/bin/env bats
# split: stratified train/test split and fold column; sizes as scikit-learn; every error.

# shellcheck disable=SC2154 # $stderr is set by bats' run --separate-stderr
# shellcheck disable=SC2016 # sh -c scripts take their arguments as $1, $2

load helper
bats_require_minimum_version 1.5.0

setup() {
	T=$BATS_TEST_TMPDIR
}

# n rows: id i, y 1 for the first p rows, else 0; as a stream with y the target.
rows() {
	awk -v n="$1" -v p="$2" 'BEGIN { print "id,y,x"; for (i = 0; i < n; i++) print "r" i "," (i < p) "," i }' |
		from-csv -t id -r y=target
}

# The raw_data.csv gold table (NOTEBOOK steps 1-9) as a stream, or skip.
gold() {
	local raw
	raw=$(raw_data) || skip "raw_data.csv not available (make data DATA_CACHE=...)"
	"$PY" "$ROOT/tests/gold_table.py" "$raw" "$T/gold.csv"
	from-csv -t lead_id,lead_indicator,customer_group,onboarding -r lead_indicator=target \
		"$T/gold.csv" >"$T/gold.pml"
}

# "rows positives" of a stream's target column (y or lead_indicator, column 2).
count() {
	to-csv "$1" | awk -F, 'NR > 1 { n++; p += ($2 == 1) } END { print n + 0, p + 0 }'
}

@test "split on raw_data.csv: 2,937 rows give 2,496 train and 441 test, class counts as scikit-learn's" {
	gold
	split -t "$T/test.pml" "$T/gold.pml" >"$T/train.pml"
	run count "$T/train.pml"
	assert_output "2496 1169"
	run count "$T/test.pml"
	assert_output "441 206"
	run "$PY" -c 'import sys, numpy as np, pandas as pd
from sklearn.model_selection import StratifiedShuffleSplit
y = pd.read_csv(sys.argv[1])["lead_indicator"].values
tr, te = next(StratifiedShuffleSplit(1, test_size=0.15, random_state=42).split(np.zeros(len(y)), y))
print(len(tr), int(y[tr].sum()), len(te), int(y[te].sum()))' "$T/gold.csv"
	assert_output "2496 1169 441 206"
}

@test "split keeps every row once, in input order within each half" {
	gold
	split -t "$T/test.pml" "$T/gold.pml" >"$T/train.pml"
	to-csv "$T/gold.pml" | tail -n +2 | sort >"$T/all"
	{ to-csv "$T/train.pml" | tail -n +2; to-csv "$T/test.pml" | tail -n +2; } | sort >"$T/both"
	cmp "$T/all" "$T/both"
	to-csv "$T/gold.pml" | tail -n +2 | cut -d, -f1 | cat -n | awk '{ print $2, $1 }' | sort >"$T/pos"
	for half in train test; do
		to-csv "$T/$half.pml" | tail -n +2 | cut -d, -f1 >"$T/ids"
		run sh -c 'awk "NR == FNR { p[\$1] = \$2; next } { if (p[\$1] <= last) bad = 1; last = p[\$1] } END { print bad + 0 }" "$1" "$2"' _ "$T/pos" "$T/ids"
		assert_output 0
	done
}

@test "split: each class's share in each half is within one row of proportional" {
	for spec in "100 37" "1000 501" "57 13" "10 4"; do
		read -r n p <<<"$spec"
		rows "$n" "$p" >"$T/in.pml"
		split -f 0.3 -t "$T/test.pml" "$T/in.pml" >"$T/train.pml"
		read -r tn tp < <(count "$T/test.pml")
		read -r rn rp < <(count "$T/train.pml")
		want=$("$PY" -c "import math; print(math.ceil(0.3 * $n))")
		[ "$tn" -eq "$want" ] || fail "$spec: test has $tn rows, want $want"
		[ $((tn + rn)) -eq "$n" ] && [ $((tp + rp)) -eq "$p" ]
		"$PY" -c "import sys
n, p, tn, tp = $n, $p, $tn, $tp
assert abs(tp - p * tn / n) < 1 and abs((tn - tp) - (n - p) * tn / n) < 1, (n, p, tn, tp)"
	done
}

@test "split is deterministic; another seed gives another split" {
	rows 500 200 >"$T/in.pml"
	split -t "$T/a.test" "$T/in.pml" >"$T/a.train"
	split -t "$T/b.test" <"$T/in.pml" >"$T/b.train"
	cmp "$T/a.train" "$T/b.train"
	cmp "$T/a.test" "$T/b.test"
	split -s 7 -t "$T/c.test" "$T/in.pml" >"$T/c.train"
	run cmp -s "$T/a.test" "$T/c.test"
	assert_failure 1
	run count "$T/c.test"
	assert_output "75 30"
}

@test "split --train writes the train rows to a file, not stdout" {
	rows 40 20 >"$T/in.pml"
	run split -t "$T/te" -T "$T/tr" "$T/in.pml"
	assert_success
	assert_output ""
	run count "$T/tr"
	assert_output "34 17"
}

@test "split --folds gives stratified folds with scikit-learn's per-fold class counts" {
	gold
	split -k 10 "$T/gold.pml" | to-csv -r >"$T/folds.csv"
	run head -1 "$T/folds.csv"
	assert_output --regexp ',bin_source:str:passthrough,fold:f64:fold$'
	tail -n +2 "$T/folds.csv" | awk -F, '{ print $NF, $2 }' | sort | uniq -c | awk '{ print $2, $3, $1 }' >"$T/mine"
	"$PY" -c 'import sys, numpy as np, pandas as pd
from sklearn.model_selection import StratifiedKFold
y = pd.read_csv(sys.argv[1])["lead_indicator"].values
for k, (_, te) in enumerate(StratifiedKFold(10, shuffle=True, random_state=0).split(np.zeros(len(y)), y)):
    for c in (0, 1):
        print(k, c, int((y[te] == c).sum()))' "$T/gold.csv" | sort >"$T/sklearn"
	run diff "$T/mine" "$T/sklearn"
	assert_success
}

@test "split --folds with --test numbers the train rows only" {
	rows 200 80 >"$T/in.pml"
	split -k 3 -t "$T/te" "$T/in.pml" | to-csv -r >"$T/tr.csv"
	run head -1 "$T/tr.csv"
	assert_output "id:str:passthrough,y:f64:target,x:f64:passthrough,fold:f64:fold"
	run sh -c 'tail -n +2 "$1" | cut -d, -f4 | sort | uniq -c | awk "{ print \$2, \$1 }" | paste -sd" "' _ "$T/tr.csv"
	assert_output "0 57 1 57 2 56"
	run sh -c 'to-csv -r "$1" | head -1' _ "$T/te"
	assert_output "id:str:passthrough,y:f64:target,x:f64:passthrough"
}

@test "split stratifies on a named text column with more than two classes" {
	printf '%s\n' id,c a,x b,y c,z d,x e,y f,z g,x h,y i,z j,x >"$T/f.csv"
	from-csv "$T/f.csv" >"$T/in.pml"
	split -y c -f 0.3 -t "$T/te" "$T/in.pml" >"$T/tr"
	run sh -c 'to-csv "$1" | tail -n +2 | cut -d, -f2 | sort | paste -sd" "' _ "$T/te"
	assert_output "x y z"
}

@test "split --sklearn takes scikit-learn's train_test_split rows, in its order, for any seed" {
	# sizes, class balances, three classes with tied remainders, text labels, and seeds
	# 0, 42 and 2^32 - 1 (numpy's largest): the id columns of both halves, in order
	"$PY" - "$T" <<'EOF'
import sys
import numpy as np
t = sys.argv[1]
rng = np.random.default_rng(5)
cases = [(2937, [1562, 1375], 0.15), (1000, [500, 500], 0.2), (30, [10, 10, 10], 0.3),
         (97, [40, 33, 24], 0.25), (12, [6, 6], 0.5), (5001, [4000, 900, 101], 0.1),
         (10, [5, 5], 0.5), (21, [7, 7, 7], 0.5), (41, [13, 14, 14], 0.5)]
with open(t + "/cases.txt", "w") as out:
    for k, (n, counts, f) in enumerate(cases):
        y = np.repeat(np.arange(len(counts)), counts)
        rng.shuffle(y)
        labels = y if k != 3 else np.array(["b", "a", "c"])[y]
        with open(f"{t}/c{k}.csv", "w") as c:
            c.write("id,y\n" + "".join(f"r{i},{labels[i]}\n" for i in range(n)))
        print(k, f, file=out)
EOF
	while read -r k f; do
		from-csv -t id,y -r y=target "$T/c$k.csv" >"$T/c$k.pml"
		for seed in 0 42 4294967295; do
			split --sklearn -f "$f" -s "$seed" -t "$T/te.pml" -T "$T/tr.pml" "$T/c$k.pml"
			to-csv "$T/tr.pml" | tail -n +2 | cut -d, -f1 >"$T/ours-$k-$seed-train"
			to-csv "$T/te.pml" | tail -n +2 | cut -d, -f1 >"$T/ours-$k-$seed-test"
		done
	done <"$T/cases.txt"
	run "$PY" - "$T" <<'EOF'
import sys
import pandas as pd
from sklearn.model_selection import train_test_split
t = sys.argv[1]
for line in open(t + "/cases.txt"):
    k, f = line.split()
    d = pd.read_csv(f"{t}/c{k}.csv", dtype=str)
    for seed in (0, 42, 4294967295):
        tr, te = train_test_split(d, test_size=float(f), stratify=d.y, random_state=seed)
        for half, rows in (("train", tr), ("test", te)):
            ours = open(f"{t}/ours-{k}-{seed}-{half}").read().split()
            assert ours == list(rows.id), (k, seed, half, ours[:5], list(rows.id)[:5])
print("ok")
EOF
	assert_success
	assert_output "ok"
}

@test "split --sklearn on a pipe and on a file agree; its usage errors" {
	rows 50 20 >"$T/in.pml"
	split --sklearn -t "$T/te1" "$T/in.pml" >"$T/tr1"
	split --sklearn -t "$T/te2" <"$T/in.pml" >"$T/tr2"
	cmp "$T/te1" "$T/te2"
	cmp "$T/tr1" "$T/tr2"
	run_split split --sklearn -k 3 "$T/in.pml"
	assert_failure 2
	[ "$stderr" = "split: --sklearn needs --test FILE" ]
	run_split split --sklearn -k 3 -t "$T/te" "$T/in.pml"
	assert_failure 2
	[ "$stderr" = "split: --sklearn does not take --folds" ]
	run_split split --sklearn -s 4294967296 -t "$T/te" "$T/in.pml"
	assert_failure 2
	[ "$stderr" = "split: --seed 4294967296: --sklearn takes a seed of 0 .. 2^32-1, as numpy" ]
	[ ! -e "$T/te" ]
}

@test "split: a fraction outside (0, 1) is a usage error" {
	rows 10 5 >"$T/in.pml"
	for f in 0 1 1.5 -0.2; do
		run_split split -f "$f" -t "$T/te" "$T/in.pml"
		assert_failure 2
		[ "$stderr" = "split: --fraction: $f is outside (0, 1)" ]
	done
	run_split split -f abc -t "$T/te" "$T/in.pml"
	assert_failure 2
	[ "$stderr" = "split: --fraction: invalid number 'abc'" ]
	[ ! -e "$T/te" ]
}

@test "split: a class with a single row is an error, and no file is left" {
	rows 10 1 >"$T/in.pml"
	run_split split -t "$T/te" "$T/in.pml"
	assert_failure 1
	[ "$stderr" = "split: $T/in.pml: class '1' of the target 'y' has a single row; stratifying needs at least 2 rows of each class" ]
	[ "$output" = "" ]
	[ ! -e "$T/te" ]
	[ -z "$(find "$T" -name 'te.tmp*')" ]
}

@test "split: fewer rows than the classes need is an error" {
	rows 6 3 >"$T/in.pml"
	run_split split -f 0.15 -t "$T/te" "$T/in.pml"
	assert_failure 1
	[ "$stderr" = "split: $T/in.pml: 6 rows at a test fraction of 0.15 give 5 train and 1 test rows; each needs at least one row of each of the 2 classes" ]
	run_split split -f 0.9 -t "$T/te" "$T/in.pml"
	assert_failure 1
	[ "$stderr" = "split: $T/in.pml: 6 rows at a test fraction of 0.9 give 0 train and 6 test rows; each needs at least one row of each of the 2 classes" ]
	printf 'id,y\n' | from-csv -r y=target >"$T/empty.pml"
	run_split split -t "$T/te" "$T/empty.pml"
	assert_failure 1
	[ "$stderr" = "split: $T/empty.pml: no rows to split" ]
}

@test "split: folds beyond the largest class, or a fold column already there, are errors" {
	rows 6 3 >"$T/in.pml"
	run_split split -k 4 "$T/in.pml"
	assert_failure 1
	[ "$stderr" = "split: $T/in.pml: --folds: 4 folds need at least 4 rows in some class; the largest has 3" ]
	split -k 2 "$T/in.pml" >"$T/f.pml"
	run_split split -k 2 "$T/f.pml"
	assert_failure 1
	[ "$stderr" = "split: $T/f.pml: the stream already has a column named 'fold'" ]
	run_split split -k 1 "$T/in.pml"
	assert_failure 2
	[ "$stderr" = "split: --folds: 1 is out of range [2, 1000000]" ]
}

@test "split: a missing target, or none at all, is an error" {
	printf '%s\n' id,y a,1 b, c,0 | from-csv -t id -r y=target >"$T/in.pml"
	run_split split -t "$T/te" "$T/in.pml"
	assert_failure 1
	[ "$stderr" = "split: $T/in.pml: row 2: the target 'y' is missing" ]
	printf '%s\n' id,y a,1 b,0 | from-csv >"$T/in.pml"
	run_split split -t "$T/te" "$T/in.pml"
	assert_failure 1
	[ "$stderr" = "split: $T/in.pml: the stream has no column with the role target; name one with --target" ]
	run_split split -y nope -t "$T/te" "$T/in.pml"
	assert_failure 1
	[ "$stderr" = "split: $T/in.pml: --target: no column 'nope' in the stream" ]
}

@test "split: usage errors exit 2; a truncated stream is an error" {
	rows 20 10 >"$T/in.pml"
	run_split split "$T/in.pml"
	assert_failure 2
	[ "$stderr" = "split: nothing to do: give --test FILE for a train/test split, --folds K for a fold column, or both" ]
	run_split split -k 2 -f 0.2 "$T/in.pml"
	assert_failure 2
	[ "$stderr" = "split: --fraction needs --test FILE" ]
	run_split split -s -1 -t "$T/te" "$T/in.pml"
	assert_failure 2
	[ "$stderr" = "split: --seed: invalid seed '-1' (an integer 0 .. 2^64-1)" ]
	head -c 200 "$T/in.pml" >"$T/cut.pml"
	run_split split -t "$T/te" "$T/cut.pml"
	assert_failure 1
	[[ "$stderr" == "split: $T/cut.pml: truncated stream"* ]]
	[ ! -e "$T/te" ]
}

@test "split --help lists every option, and the man page documents each" {
	run split --help
	assert_success
	missing=$(grep -o -- '--[a-z-]*' <<<"$output" | sort -u | while read -r o; do
		grep -q -- "Fl ${o#-}" "$ROOT/man/split.1" || echo "$o"
	done)
	[ -z "$missing" ] || fail "man/split.1 lacks $missing"
	run split --version
	assert_success
	assert_output --regexp '^split '
}

@test "split --test to a FIFO writes through it and leaves the FIFO in place" {
	rows 100 40 >"$T/in.pml"
	mkfifo "$T/fifo"
	to-csv "$T/fifo" >"$T/test.csv" &
	split -t "$T/fifo" "$T/in.pml" >"$T/train.pml"
	wait
	[ -p "$T/fifo" ]
	run sh -c 'tail -n +2 "$1" | wc -l' _ "$T/test.csv"
	assert_output 15
}

@test "split gives the same from a file (read twice) as from a pipe (held in memory)" {
	rows 300 120 >"$T/in.pml"
	split -k 4 -t "$T/a.test" "$T/in.pml" >"$T/a.train"
	split -k 4 -t "$T/b.test" <"$T/in.pml" >"$T/b.train"
	# shellcheck disable=SC2002 # the cat makes the input a pipe
	cat "$T/in.pml" | split -k 4 -t "$T/c.test" >"$T/c.train"
	cmp "$T/a.train" "$T/b.train"
	cmp "$T/a.train" "$T/c.train"
	cmp "$T/a.test" "$T/c.test"
}

@test "split -o csv writes both halves as CSV" {
	rows 20 10 >"$T/in.pml"
	split -o csv -t "$T/te.csv" "$T/in.pml" >"$T/tr.csv"
	run head -1 "$T/tr.csv"
	assert_output "id,y,x"
	run sh -c 'tail -n +2 "$1" | wc -l; tail -n +2 "$2" | wc -l' _ "$T/tr.csv" "$T/te.csv"
	assert_output "$(printf '17\n3')"
	split -t "$T/te.pml" "$T/in.pml" | to-csv | cmp - "$T/tr.csv"
	run_split split -o xml -t "$T/te" "$T/in.pml"
	assert_failure 2
	[ "$stderr" = "split: -o: expected csv or stream, not 'xml'" ]
}
