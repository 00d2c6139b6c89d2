#!/usr/bin/env bats
# encode: scaling, one-hot, target, ids; learn and apply a state; every error.

# shellcheck disable=SC2154 # $stderr is set by bats' run --separate-stderr
# shellcheck disable=SC2016 # sh -c scripts take their arguments as $1, $2
# shellcheck disable=SC2002 # a cat makes the input a pipe where that matters

load helper
bats_require_minimum_version 1.5.0

# A small clean table as a stream: $T/in.pml from the CSV on stdin.
stream() {
	from-csv -t id,y,grp,flag >"$BATS_TEST_TMPDIR/in.pml"
}

setup() {
	T=$BATS_TEST_TMPDIR
	printf '%s\n' id,y,grp,flag,x,n \
		a,1,b,True,10,1 \
		b,0,a,False,20,2 \
		c,1,c,True,30,3 \
		d,0,a,True,40,4 >"$T/in.csv"
	stream <"$T/in.csv"
}

learn() {
	encode -y y -i id -s x -c grp,flag -S "$T/state" "$T/in.pml"
}

@test "encode on raw_data.csv equals pandas get_dummies(drop_first) + MinMaxScaler to 1e-12" {
	raw=$(raw_data) || skip "raw_data.csv not available (make data DATA_CACHE=...)"
	"$PY" "$ROOT/tests/gold_table.py" "$raw" "$T/gold.csv"
	from-csv -t lead_id,lead_indicator,customer_group,onboarding "$T/gold.csv" |
		encode -y lead_indicator -i lead_id -d customer_code,date_part \
			-s purchases,time_spent,n_visits -c customer_group,onboarding,bin_source,source |
		to-csv -r >"$T/enc.csv"
	run "$PY" - "$T/gold.csv" "$T/enc.csv" "$ROOT/../shared/data/validator/X_test.csv" <<'EOF'
import sys
import numpy as np, pandas as pd
from sklearn.preprocessing import MinMaxScaler
gold, enc, xtest = sys.argv[1:4]
d = pd.read_csv(gold, dtype=str, keep_default_na=False, float_precision="round_trip")
cont = ["purchases", "time_spent", "n_visits"]
d[cont] = MinMaxScaler().fit_transform(d[cont].astype(float))
X = d.drop(columns=["lead_id", "customer_code", "date_part", "lead_indicator"])
X = pd.get_dummies(X, columns=["customer_group", "onboarding", "bin_source", "source"],
                   drop_first=True).astype(float)
e = pd.read_csv(enc, dtype={"lead_id:str:id": str}, float_precision="round_trip")
want = ["lead_id:str:id", "lead_indicator:f64:target"] + [c + ":f64:feature" for c in X.columns]
assert list(e.columns) == want, list(e.columns)
e.columns = ["lead_id", "lead_indicator"] + list(X.columns)
assert len(e) == 2937, len(e)
assert (e["lead_id"].values == d["lead_id"].values).all()
assert (e["lead_indicator"].values == (d["lead_indicator"] == "1").astype(float).values).all()
err = np.abs(e[X.columns].values - X.values).max()
assert err <= 1e-12, err
assert list(X.columns) == list(pd.read_csv(xtest, nrows=0).columns)
print(len(X.columns), "features", round(e["lead_indicator"].mean(), 3))
EOF
	assert_success
	assert_output "12 features 0.468"
}

@test "encode lays out ids, target, scaled columns, then dummies; single categories give none" {
	printf '%s\n' id,y,grp,one,flag,x \
		a,1,b,k,True,10 \
		b,0,a,k,False,20 \
		c,1,c,k,True,30 >"$T/f.csv"
	from-csv -t id,y,grp,one,flag "$T/f.csv" | encode -y y -i id -s x -c grp,one,flag | to-csv -r >"$T/out"
	run cat "$T/out"
	assert_output "$(printf '%s\n' \
		'id:str:id,y:f64:target,x:f64:feature,grp_b:f64:feature,grp_c:f64:feature,flag_True:f64:feature' \
		a,1,0,1,0,1 b,0,0.5,0,0,0 c,1,1,0,1,1)"
}

@test "encode sorts categories by bytes and orders dummies as --onehot lists them" {
	printf '%s\n' y,g,h,x 1,b,z,1 0,B,y,2 1,10,x,3 0,9,x,4 >"$T/f.csv"
	from-csv -t y,g,h "$T/f.csv" | encode -y y -c h,g | to-csv >"$T/out"
	run head -1 "$T/out"
	assert_output "y,x,h_y,h_z,g_9,g_B,g_b"
}

@test "encode passes numeric columns named nowhere as features, unscaled" {
	run sh -c 'encode -y y -i id -c grp,flag "$1" | to-csv | cut -d, -f3,4 | tail -1' _ "$T/in.pml"
	assert_success
	assert_output "40,4"
}

@test "encode maps the larger label to 1 by default, --positive chooses" {
	run sh -c 'encode -y y -i id -d grp,flag "$1" | to-csv | cut -d, -f2 | paste -sd" "' _ "$T/in.pml"
	assert_output "y 1 0 1 0"
	run sh -c 'encode -y y -p 0 -i id -d grp,flag "$1" | to-csv | cut -d, -f2 | paste -sd" "' _ "$T/in.pml"
	assert_output "y 0 1 0 1"
	printf '%s\n' y,x yes,1 no,2 >"$T/f.csv"
	run sh -c 'from-csv "$1" | encode -y y | to-csv | cut -d, -f1 | paste -sd" "' _ "$T/f.csv"
	assert_output "y 1 0"
}

@test "encode reads a numeric target and the target role" {
	printf '%s\n' y,x 1,1 0,2 1,3 >"$T/f.csv"
	run sh -c 'from-csv -r y=target "$1" | encode | to-csv -r' _ "$T/f.csv"
	assert_success
	assert_output "$(printf '%s\n' y:f64:target,x:f64:feature 1,1 0,2 1,3)"
}

@test "encode --standardize equals scikit-learn's StandardScaler" {
	run sh -c 'encode -y y -i id -z x,n -c grp,flag "$1" | to-csv | cut -d, -f3,4 | tail -n +2' _ "$T/in.pml"
	assert_success
	"$PY" -c 'from sklearn.preprocessing import StandardScaler
import numpy as np
for r in StandardScaler().fit_transform(np.array([[10,1],[20,2],[30,3],[40,4]], float)):
    print(",".join(repr(float(v)) for v in r))' >"$T/want"
	"$PY" -c 'import sys
a = [list(map(float, l.split(","))) for l in open(sys.argv[1])]
b = [list(map(float, l.split(","))) for l in sys.argv[2].splitlines()]
assert all(abs(x - y) <= 1e-12 for r, s in zip(a, b) for x, y in zip(r, s)) and len(a) == len(b) == 4' "$T/want" "$output"
}

@test "encode --state reproduces training's output byte for byte" {
	learn >"$T/train.pml"
	encode --state "$T/state" "$T/in.pml" >"$T/apply.pml"
	cmp "$T/train.pml" "$T/apply.pml"
}

@test "encode saves a readable msgpack state" {
	learn >/dev/null
	run "$PY" -c 'import msgpack, sys
s = msgpack.unpackb(open(sys.argv[1], "rb").read())
c = {x["name"]: x for x in s["columns"]}
print(s["format"], s["version"], s["features"], c["x"]["min"], c["x"]["max"], c["grp"]["categories"], c["y"]["labels"])' "$T/state"
	assert_output "pipeml-encode-state 1 ['x', 'n', 'grp_b', 'grp_c', 'flag_True'] 10.0 40.0 ['a', 'b', 'c'] ['0', '1']"
}

@test "encode --state: unseen categories are zeros and one warning line counts them" {
	learn >/dev/null
	printf '%s\n' id,y,grp,flag,x,n e,1,z,True,50,1 f,0,b,Maybe,0,2 g,,y,False,25,3 |
		stream
	run_split sh -c 'encode --state "$1" "$2" | to-csv' _ "$T/state" "$T/in.pml"
	assert_success
	assert_output "$(printf '%s\n' id,y,x,n,grp_b,grp_c,flag_True e,1,1.3333333333333335,1,0,0,1 \
		f,0,-0.3333333333333333,2,1,0,0 g,,0.5,3,0,0,0)"
	[ "$stderr" = "encode: $T/in.pml: 3 values not seen in training encoded as all zeros (grp 2, flag 1)" ]
}

@test "encode --clip keeps min-max values in [0, 1]" {
	learn >/dev/null
	printf '%s\n' id,y,grp,flag,x,n e,1,a,True,50,1 f,0,b,True,0,2 | stream
	run sh -c 'encode --state "$1" --clip "$2" | to-csv | cut -d, -f3 | paste -sd" "' _ "$T/state" "$T/in.pml"
	assert_output "x 1 0"
}

@test "encode --strict: an unseen category is an error" {
	learn >/dev/null
	printf '%s\n' id,y,grp,flag,x,n e,1,a,True,5,1 f,0,q,True,0,2 | stream
	run_split encode --state "$T/state" --strict "$T/in.pml"
	assert_failure 1
	[ "$stderr" = "encode: $T/in.pml: row 2: column 'grp': category 'q' was not seen in training (--strict)" ]
}

@test "encode --state: a state from another schema is an error" {
	learn >/dev/null
	printf '%s\n' id,y,grp,flag,x,m a,1,a,True,5,1 | stream
	run_split encode --state "$T/state" "$T/in.pml"
	assert_failure 1
	[ "$stderr" = "encode: $T/in.pml: column 'm' is not in the state's schema (the state was learned on other columns)" ]
	printf '%s\n' id,y,grp,flag,x a,1,a,True,5 | stream
	run_split encode --state "$T/state" "$T/in.pml"
	assert_failure 1
	[ "$stderr" = "encode: $T/in.pml: the stream lacks column 'n', which the state uses" ]
	printf '%s\n' id,y,grp,flag,x,n a,1,a,True,5,1 >"$T/g.csv"
	from-csv -t id,y,grp,flag,n "$T/g.csv" >"$T/in.pml"
	run_split encode --state "$T/state" "$T/in.pml"
	assert_failure 1
	[ "$stderr" = "encode: $T/in.pml: column 'n' is str in the stream but was f64 in training" ]
}

@test "encode --state: a corrupt or truncated state is an error" {
	learn >/dev/null
	head -c 100 "$T/state" >"$T/short"
	run_split encode --state "$T/short" "$T/in.pml"
	assert_failure 1
	[[ "$stderr" == "encode: $T/short: not an encode state (truncated"* ]]
	run_split encode --state "$T/in.pml" "$T/in.pml"
	assert_failure 1
	[[ "$stderr" == "encode: $T/in.pml: not an encode state ("*" bytes after the state)" ]]
	"$PY" -c 'import msgpack, sys
s = msgpack.unpackb(open(sys.argv[1], "rb").read())
s["features"][0] = "z"
open(sys.argv[1], "wb").write(msgpack.packb(s))' "$T/state"
	run_split encode --state "$T/state" "$T/in.pml"
	assert_failure 1
	[ "$stderr" = "encode: $T/state: feature 1 is not 'x'" ]
	run_split encode --state "$T/nonexistent" "$T/in.pml"
	assert_failure 1
	[ "$stderr" = "encode: $T/nonexistent: No such file or directory" ]
}

@test "encode: a column named in a flag that the stream lacks is an error" {
	run_split encode -y y -i id -s x,nope -c grp,flag "$T/in.pml"
	assert_failure 1
	[ "$stderr" = "encode: $T/in.pml: --scale: no column 'nope' in the stream" ]
	[ "$output" = "" ]
}

@test "encode: a non-numeric value to scale is an error" {
	run_split encode -y y -i id -s grp -d flag "$T/in.pml"
	assert_failure 1
	[ "$stderr" = "encode: $T/in.pml: row 1: column 'grp': 'b' is not a number" ]
	printf '%s\n' id,y,grp,flag,x,n a,1,a,True,5,1 b,0,a,True,7,1 >"$T/g.csv"
	from-csv -t id,y,grp,flag,x "$T/g.csv" | encode -y y -i id -s x -c grp,flag -S "$T/tstate" >/dev/null
	printf '%s\n' id,y,grp,flag,x,n a,1,a,True,5,1 b,0,a,True,zz,1 >"$T/g.csv"
	run_split sh -c 'from-csv -t id,y,grp,flag,x "$1" | encode --state "$2"' _ "$T/g.csv" "$T/tstate"
	assert_failure 1
	[ "$stderr" = "encode: stdin: row 2: column 'x': 'zz' is not a number" ]
}

@test "encode: a target with more than two values is an error" {
	printf '%s\n' y,x a,1 b,2 a,3 c,4 >"$T/f.csv"
	run_split sh -c 'from-csv "$1" | encode -y y' _ "$T/f.csv"
	assert_failure 1
	[ "$stderr" = "encode: stdin: row 4: the target 'y' has a third value 'c' (after 'a' and 'b'); it must have two" ]
	printf '%s\n' y,x a,1 a,2 >"$T/f.csv"
	run_split sh -c 'from-csv "$1" | encode -y y' _ "$T/f.csv"
	assert_failure 1
	[ "$stderr" = "encode: stdin: the target 'y' has a single value; it must have two values" ]
	printf '%s\n' y,x a,1 ,2 >"$T/f.csv"
	run_split sh -c 'from-csv "$1" | encode -y y' _ "$T/f.csv"
	assert_failure 1
	[ "$stderr" = "encode: stdin: row 2: the target 'y' is missing" ]
	learn >/dev/null
	printf '%s\n' id,y,grp,flag,x,n a,2,a,True,5,1 | stream
	run_split encode --state "$T/state" "$T/in.pml"
	assert_failure 1
	[ "$stderr" = "encode: $T/in.pml: row 1: the target 'y' is '2', neither '0' nor '1'" ]
}

@test "encode: a --positive that is not a label is an error" {
	run_split encode -y y -p 2 -i id -c grp,flag "$T/in.pml"
	assert_failure 1
	[ "$stderr" = "encode: $T/in.pml: --positive: '2' is not a value of the target 'y' ('0', '1')" ]
}

@test "encode: a text column without an encoding, or one-hot of a number, is an error" {
	run_split encode -y y -i id -c grp "$T/in.pml"
	assert_failure 1
	[ "$stderr" = "encode: $T/in.pml: text column 'flag' has no encoding: name it in --onehot, --id or --drop (or --scale if it holds numbers)" ]
	run_split encode -y y -i id -c grp,flag,x "$T/in.pml"
	assert_failure 1
	[ "$stderr" = "encode: $T/in.pml: --onehot: column 'x' is numeric; one-hot encoding needs a text column" ]
	run_split encode -y y -i id,grp -c grp,flag "$T/in.pml"
	assert_failure 1
	[ "$stderr" = "encode: $T/in.pml: column 'grp' is named by --id and by --onehot" ]
}

@test "encode: dummy names that collide are an error" {
	printf '%s\n' y,g,g_b 1,a,1 0,b,2 >"$T/f.csv"
	run_split sh -c 'from-csv -t y,g "$1" | encode -y y -c g' _ "$T/f.csv"
	assert_failure 1
	[ "$stderr" = "encode: stdin: the output would have two columns named 'g_b'" ]
}

@test "encode: usage errors exit 2" {
	run_split encode --state "$T/s" -s x "$T/in.pml"
	assert_failure 2
	[ "$stderr" = "encode: --state applies a saved state: it takes no --target, --positive, --id, --drop, --scale, --standardize, --onehot or --save-state" ]
	run_split encode --strict "$T/in.pml"
	assert_failure 2
	[ "$stderr" = "encode: --strict needs --state (in training every category is seen)" ]
	run_split encode -s x -s n "$T/in.pml"
	assert_failure 2
	[ "$stderr" = "encode: -s given twice: give one comma-separated list" ]
	run_split encode --bogus
	assert_failure 2
}

@test "encode: a failing run leaves no state file; a truncated stream is an error" {
	run_split encode -y y -i id -s nope -S "$T/st" "$T/in.pml"
	assert_failure 1
	[ ! -e "$T/st" ]
	[ -z "$(find "$T" -name 'st.tmp*')" ]
	head -c 300 "$T/in.pml" >"$T/cut.pml"
	run_split encode -y y -i id -s x -c grp,flag -S "$T/st" "$T/cut.pml"
	assert_failure 1
	[[ "$stderr" == "encode: $T/cut.pml: truncated stream"* ]]
	[ ! -e "$T/st" ]
	run_split encode -y y -i id -s x -c grp,flag -S "$T/no/such/dir/st" "$T/in.pml"
	assert_failure 1
	[[ "$stderr" == "encode: $T/no/such/dir/st: No such file or directory" ]]
}

@test "encode --help lists every option, and the man page documents each" {
	run encode --help
	assert_success
	missing=$(grep -o -- '--[a-z-]*' <<<"$output" | sort -u | while read -r o; do
		grep -q -- "Fl ${o#-}" "$ROOT/man/encode.1" || echo "$o"
	done)
	[ -z "$missing" ] || fail "man/encode.1 lacks $missing"
	run encode --version
	assert_success
	assert_output --regexp '^encode '
}

@test "encode handles columns with many categories (hashed) as with few" {
	{
		echo y,g
		for i in 7 3 19 0 12 5 16 1 9 14 2 18 6 11 4 17 8 13 10 15 3 19; do
			echo "$((i % 2)),c$(printf %02d "$i")"
		done
	} >"$T/f.csv"
	from-csv -t y,g "$T/f.csv" | encode -y y -c g -S "$T/st" | to-csv >"$T/out"
	run head -1 "$T/out"
	assert_output "y,$(for i in $(seq 1 19); do printf 'g_c%02d,' "$i"; done | sed 's/,$//')"
	run sed -n 3p "$T/out"
	assert_output "1,0,0,1$(printf ',0%.0s' $(seq 1 16))"
	printf '%s\n' y,g 1,c05 0,zz 1,c00 | from-csv -t y,g | encode --state "$T/st" | to-csv >"$T/out2"
	run cut -d, -f1,6 "$T/out2"
	assert_output "$(printf '%s\n' y,g_c05 1,1 0,0 1,0)"
	printf '%s\n' y,g 1,zz | from-csv -t y,g >"$T/u.pml"
	run_split encode --strict --state "$T/st" "$T/u.pml"
	assert_failure 1
	[ "$stderr" = "encode: $T/u.pml: row 1: column 'g': category 'zz' was not seen in training (--strict)" ]
}

@test "encode learns the same from a file (read twice) as from a pipe (held in memory)" {
	learn >"$T/file.pml"
	cp "$T/state" "$T/file.state"
	encode -y y -i id -z x -s n -c grp,flag -S "$T/z.state" "$T/in.pml" >"$T/z1.pml"
	cat "$T/in.pml" | encode -y y -i id -s x -c grp,flag -S "$T/state" >"$T/pipe.pml"
	cmp "$T/file.pml" "$T/pipe.pml"
	cmp "$T/file.state" "$T/state"
	cat "$T/in.pml" | encode -y y -i id -z x -s n -c grp,flag -S "$T/z2.state" >"$T/z2.pml"
	cmp "$T/z1.pml" "$T/z2.pml"
	cmp "$T/z.state" "$T/z2.state"
	# stdin redirected from a file not at its start: only the rest is read, twice
	run sh -c '{ head -c 0; encode -y y -i id -s x -c grp,flag; } <"$1" | cmp - "$2"' _ "$T/in.pml" "$T/file.pml"
	assert_success
}

@test "encode -o csv writes CSV; -o takes csv or stream" {
	run sh -c 'encode -y y -i id -s x -c grp,flag -o csv "$1" | head -2' _ "$T/in.pml"
	assert_output "$(printf '%s\n' id,y,x,n,grp_b,grp_c,flag_True a,1,0,1,1,0,1)"
	run sh -c 'encode -y y -i id -s x -c grp,flag -o stream "$1" | to-csv | head -2' _ "$T/in.pml"
	assert_output "$(printf '%s\n' id,y,x,n,grp_b,grp_c,flag_True a,1,0,1,1,0,1)"
	run_split encode -o json "$T/in.pml"
	assert_failure 2
	[ "$stderr" = "encode: -o: expected csv or stream, not 'json'" ]
}
