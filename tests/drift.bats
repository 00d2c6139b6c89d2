#!/usr/bin/env bats
# drift: reference profiles, PSI and KS against independent oracles, drift that trips exactly
# the columns that changed, schema changes by name, prediction drift, every error.

# shellcheck disable=SC2154 # $stderr is set by bats' run --separate-stderr
# shellcheck disable=SC2016 # python and sh -c scripts take their arguments as $1, $2

load helper
bats_require_minimum_version 1.5.0

# Once per file: the notebook's cleaning learned on raw_data.csv's first 8000 rows (without
# --keep, so that source varies), the rest as new data; the reference built from the cleaned
# training rows, as training records it; an encoding and a model for prediction drift.
setup_file() {
	local F=$BATS_FILE_TMPDIR raw
	raw="$(raw_data)"
	head -8001 "$raw" >"$F/train.csv"
	{ head -1 "$raw"; tail -n +8002 "$raw"; } >"$F/new.csv"
	csvclean --date 'date_part=2024-01-01..2024-01-31' \
		--drop 'is_active,marketing_consent,first_booking,existing_customer,last_seen,domain,country,visited_learn_more_before_booking,visited_faq' \
		--require 'lead_indicator,lead_id' \
		--categorical 'lead_id,lead_indicator,customer_group,onboarding,source,customer_code,date_part' \
		--numeric 'purchases,time_spent,n_visits' --clip 2 \
		--impute-mean 'purchases,time_spent,n_visits' --fill 'customer_code=None' \
		--impute-mode 'customer_group,onboarding,source,date_part' \
		--role 'lead_indicator=target' --role 'lead_id=id' \
		--save-state "$F/clean.state" "$F/train.csv" >"$F/train.pml"
	drift --save-reference "$F/ref" "$F/train.pml"
	encode -y lead_indicator -i lead_id -d customer_code,date_part \
		-s purchases,time_spent,n_visits -c source,customer_group,onboarding \
		-S "$F/enc.state" "$F/train.pml" | fit-logreg -T >"$F/model"
	drift --save-reference "$F/ref-model" --encode-state "$F/enc.state" --model "$F/model" \
		"$F/train.pml"
}

setup() {
	T=$BATS_TEST_TMPDIR
	F=$BATS_FILE_TMPDIR
}

# The columns a report says drifted, space-separated.
drifted() {
	"$PY" -c 'import json, sys
r = json.load(open(sys.argv[1]))
print(" ".join(c["name"] for c in r["columns"] if c["status"] == "drift"))' "$1"
}

# train.csv with column $1's values rewritten by the Python expression $2 (x is the text).
rewrite() {
	"$PY" -c 'import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
j = rows[0].index(sys.argv[2])
f = eval("lambda i, x: " + sys.argv[3])
for i, r in enumerate(rows[1:]):
    r[j] = f(i, r[j])
csv.writer(sys.stdout, lineterminator="\n").writerows(rows)' "$F/train.csv" "$1" "$2"
}

@test "drift's PSI and KS equal PSI's formula and scipy's ks_2samp to 1e-9" {
	to-csv -r "$F/train.pml" >"$T/train.clean.csv"
	csvclean --state "$F/clean.state" "$F/new.csv" | to-csv -r >"$T/new.clean.csv"
	run drift --state "$F/clean.state" --reference "$F/ref" --report "$T/r.json" -q "$F/new.csv"
	assert_equal "$status" 3
	"$PY" "$ROOT/tests/drift-oracle.py" "$T/train.clean.csv" "$T/new.clean.csv" 10 >"$T/oracle"
	run "$PY" -c 'import json, sys
r = {c["name"]: c for c in json.load(open(sys.argv[1]))["columns"]}
n = 0
for line in open(sys.argv[2]):
    name, psi, second = line.split()
    c = r[name]
    got = c["ks"] if c["type"] == "f64" else c["unseen"]
    assert abs(c["psi"] - float(psi)) < 1e-9, (name, c["psi"], psi)
    assert abs(got - float(second)) < 1e-9, (name, got, second)
    assert c["type"] != "f64" or c["ks_exact"]
    n += 1
print(n, round(r["time_spent"]["ks"], 6), round(r["purchases"]["psi"], 6))' "$T/r.json" "$T/oracle"
	assert_success
	assert_output "8 0.012587 0.00683"
}

@test "drift --points 100: PSI stays exact, KS a lower bound within 1/100 of scipy's" {
	to-csv -r "$F/train.pml" >"$T/train.clean.csv"
	csvclean --state "$F/clean.state" "$F/new.csv" 2>/dev/null | to-csv -r >"$T/new.clean.csv"
	drift --save-reference "$T/ref100" --points 100 "$F/train.pml"
	run drift --state "$F/clean.state" --reference "$T/ref100" --report "$T/r.json" -q \
		--ignore customer_code "$F/new.csv"
	assert_success
	"$PY" "$ROOT/tests/drift-oracle.py" "$T/train.clean.csv" "$T/new.clean.csv" 10 >"$T/oracle"
	run "$PY" -c 'import json, sys
r = {c["name"]: c for c in json.load(open(sys.argv[1]))["columns"]}
for line in open(sys.argv[2]):
    name, psi, ks = line.split()
    c = r.get(name)
    if c is None or c["type"] != "f64":
        continue
    assert abs(c["psi"] - float(psi)) < 1e-9, (name, c["psi"], psi)
    assert float(ks) - 0.01 - 1e-12 <= c["ks"] <= float(ks) + 1e-12, (name, c["ks"], ks)
    print(name, c["ks_exact"], abs(c["ks"] - float(ks)) < 1e-9)' \
		"$T/r.json" "$T/oracle"
	assert_success
	assert_output "purchases True True
time_spent False False
n_visits True True"
}

@test "drift on the training data itself reports no drift and exits 0" {
	run_split drift --reference "$F/ref" --report "$T/r.json" "$F/train.pml"
	assert_success
	assert_equal "$(tail -1 <<<"$stderr")" "drift: ok"
	run "$PY" -c 'import json, sys
r = json.load(open(sys.argv[1]))
print(r["status"], r["rows"], sorted({c["psi"] for c in r["columns"]}),
      sorted({c.get("ks", 0) for c in r["columns"]}))' "$T/r.json"
	assert_output "ok 7609 [0] [0]"
	# --report - writes the same report to stdout, and no file named -
	run_split drift --reference "$F/ref" --report - --quiet "$F/train.pml"
	assert_success
	assert_equal "$output" "$(cat "$T/r.json")"
	assert [ ! -e - ]
}

@test "time_spent shifted by +2 sd trips time_spent and nothing else (exit 3)" {
	"$PY" -c 'import csv, statistics, sys
v = [float(r["time_spent"]) for r in csv.DictReader(open(sys.argv[1])) if r["time_spent"]]
print(statistics.pstdev(v))' "$F/train.csv" >"$T/sd"
	rewrite time_spent "x if x == '' else repr(float(x) + 2 * $(cat "$T/sd"))" >"$T/shift.csv"
	run_split drift --state "$F/clean.state" --reference "$F/ref" --report "$T/r.json" \
		--ignore customer_code "$T/shift.csv"
	assert_equal "$status" 3
	assert_equal "$(drifted "$T/r.json")" "time_spent"
	assert_equal "$(grep -c '  drift$' <<<"$stderr")" 1
	assert_equal "$(grep '^time_spent ' <<<"$stderr" | awk '{print $NF}')" "drift"
	assert_equal "$(tail -1 <<<"$stderr")" "drift: drift"
}

@test "a new source value trips source and nothing else, with its unseen share" {
	rewrite source "'tiktok' if i % 5 == 0 else x" >"$T/new-source.csv"
	run drift --state "$F/clean.state" --reference "$F/ref" --report "$T/r.json" -q \
		--ignore customer_code "$T/new-source.csv"
	assert_equal "$status" 3
	assert_equal "$(drifted "$T/r.json")" "source"
	run "$PY" -c 'import json, sys
c = [c for c in json.load(open(sys.argv[1]))["columns"] if c["name"] == "source"][0]
print(c["unseen"])' "$T/r.json"
	assert_output "0.2"
}

@test "drift reports missing, extra and retyped columns by name" {
	printf '%s\n' id,x,g,y 1,1.5,a,0 2,2.5,b,1 3,3.5,a,0 >"$T/train.csv"
	printf '%s\n' id,x,z,y 1,one,7,0 2,two,8,1 >"$T/new.csv"
	from-csv -r id=id -r y=target "$T/train.csv" >"$T/train.pml"
	from-csv -r id=id -r y=target "$T/new.csv" >"$T/new.pml"
	drift --save-reference "$T/ref" "$T/train.pml"
	run_split drift --reference "$T/ref" --report "$T/r.json" "$T/new.pml"
	assert_equal "$status" 3
	assert_equal "$(grep '^schema' <<<"$stderr")" "schema: column 'g' missing
schema: extra column 'z'
schema: column 'x' was f64, is str"
	run "$PY" -c 'import json, sys
s = json.load(open(sys.argv[1]))["schema"]
print(s["missing_columns"], s["extra_columns"], s["type_changes"])' "$T/r.json"
	assert_output "['g'] ['z'] [{'name': 'x', 'reference': 'f64', 'new': 'str'}]"
	run drift --reference "$T/ref" --ignore g,z,x -q "$T/new.pml"
	assert_success
}

@test "drift --target checks that the target is present or absent as expected" {
	cut -d, -f1,3- "$F/new.csv" >"$T/no-target.csv"
	run drift --state "$F/clean.state" --reference "$F/ref" --ignore customer_code \
		--target absent -q "$T/no-target.csv"
	assert_success
	run_split drift --state "$F/clean.state" --reference "$F/ref" --ignore customer_code \
		--target present "$T/no-target.csv"
	assert_equal "$status" 3
	assert_equal "$(grep '^schema' <<<"$stderr")" \
		"schema: target 'lead_indicator' absent, expected present"
}

@test "drift's thresholds are flags: a lower PSI drift threshold trips more" {
	run drift --state "$F/clean.state" --reference "$F/ref" --ignore customer_code -q \
		"$F/new.csv"
	assert_success
	run drift --state "$F/clean.state" --reference "$F/ref" --ignore customer_code -q \
		--psi-warn 0.005 --psi-drift 0.01 --report "$T/r.json" "$F/new.csv"
	assert_equal "$status" 3
	assert_equal "$(drifted "$T/r.json")" "date_part"
}

@test "drift exits 2 on bad usage and 1 on a corrupt reference" {
	run_split drift "$F/new.csv"
	assert_equal "$status" 2
	assert_equal "$stderr" "drift: give one of --reference and --save-reference"
	run_split drift --reference "$F/ref" --target maybe "$F/new.csv"
	assert_equal "$status" 2
	assert_equal "$stderr" "drift: --target: expected present or absent, not 'maybe'"
	head -c 1000 "$F/ref" >"$T/cut"
	run_split drift --reference "$T/cut" --state "$F/clean.state" "$F/new.csv"
	assert_equal "$status" 1
	assert_regex "$stderr" \
		"^drift: $T/cut: not a drift reference \\(truncated: an object at byte [0-9]+ declares [0-9]+ bytes\\)\$"
	run_split drift --reference "$F/clean.state" --state "$F/clean.state" "$F/new.csv"
	assert_equal "$status" 1
	assert_equal "$stderr" \
		"drift: $F/clean.state: not a drift reference (format is not pipeml-drift-reference)"
}

@test "drift --model: training scores give no prediction drift, shifted n_visits does" {
	run drift --reference "$F/ref-model" --encode-state "$F/enc.state" --model "$F/model" \
		--report "$T/r.json" -q "$F/train.pml"
	assert_success
	run "$PY" -c 'import json, sys
p = json.load(open(sys.argv[1]))["prediction"]
print(p["name"], p["rows"], p["psi"], p["ks"], p["status"])' "$T/r.json"
	assert_output "(prediction) 7609 0 0 ok"
	rewrite n_visits "x if x == '' else repr(float(x) + 100)" >"$T/shift.csv"
	run drift --state "$F/clean.state" --reference "$F/ref-model" --encode-state "$F/enc.state" \
		--model "$F/model" --ignore customer_code,n_visits --report "$T/r.json" -q \
		"$T/shift.csv"
	assert_equal "$status" 3
	run "$PY" -c 'import json, sys
r = json.load(open(sys.argv[1]))
print(r["prediction"]["status"], r["prediction"]["psi"] > 0.25,
      [c["name"] for c in r["columns"] if c["status"] != "ok"])' "$T/r.json"
	assert_output "drift True []"
}

@test "drift --model without training scores in the reference is an error" {
	run_split drift --reference "$F/ref" --encode-state "$F/enc.state" --model "$F/model" \
		"$F/train.pml"
	assert_equal "$status" 1
	assert_equal "$stderr" \
		"drift: $F/ref: no training scores: build it with --model to check prediction drift"
}

@test "drift as inference runs it: raw leads without the target, both states and the model" {
	cut -d, -f1,3- "$F/new.csv" >"$T/leads.csv"
	run_split drift --reference "$F/ref-model" --state "$F/clean.state" \
		--encode-state "$F/enc.state" --model "$F/model" --ignore customer_code,date_part \
		--target absent --report "$T/r.json" "$T/leads.csv"
	assert_success
	assert_equal "$(tail -1 <<<"$stderr")" "drift: ok"
	run "$PY" -c 'import json, sys
r = json.load(open(sys.argv[1]))
print(r["status"], r["rows"], r["schema"]["target"]["present"], r["prediction"]["rows"],
      [c["name"] for c in r["columns"]])' "$T/r.json"
	assert_output "ok 4345 False 4345 ['source', 'purchases', 'time_spent', 'customer_group', 'onboarding', 'n_visits']"
}

@test "drift -j 1, 2 and 3 on raw CSV: the same report and table over many batches" {
	synth -n 30000 --seed 9 >"$T/many.csv"
	for j in 1 2 3; do
		run_split drift -j "$j" --reference "$F/ref-model" --state "$F/clean.state" \
			--encode-state "$F/enc.state" --model "$F/model" --ignore customer_code \
			--report "$T/r$j.json" "$T/many.csv"
		echo "$status" >"$T/status$j"
		echo "$stderr" >"$T/table$j"
	done
	for j in 2 3; do
		cmp "$T/r1.json" "$T/r$j.json"
		cmp "$T/table1" "$T/table$j"
		cmp "$T/status1" "$T/status$j"
	done
	run jq .rows "$T/r1.json"
	assert [ "$output" -gt 8192 ]
}

@test "drift: a reference declaring 2^28 elements is refused before msgpack-c allocates" {
	printf '\xdd\x10\x00\x00\x00' >"$BATS_TEST_TMPDIR/big.ref"
	printf 'a\n1\n' | from-csv >"$BATS_TEST_TMPDIR/one.st"
	run_split drift --reference "$BATS_TEST_TMPDIR/big.ref" "$BATS_TEST_TMPDIR/one.st"
	assert_failure 1
	assert_equal "$stderr" "drift: $BATS_TEST_TMPDIR/big.ref: not a drift reference (an object at byte 5 declares 268435456 elements, more than the file holds)"
}

@test "drift: a reference's categories out of byte order load and compare the same; a repeat is refused" {
	run "$PY" - "$F/ref" "$T" <<'PY'
import msgpack, sys
ref = msgpack.unpackb(open(sys.argv[1], "rb").read(), raw=False)
col = next(c for c in ref["columns"] if c["name"] == "customer_group")
assert len(col["categories"]) > 8 and col["categories"] == sorted(col["categories"])  # hashed
col["categories"].reverse()
col["counts"].reverse()
open(sys.argv[2] + "/rev.ref", "wb").write(msgpack.packb(ref, use_bin_type=True))
col["categories"][1] = col["categories"][0]
open(sys.argv[2] + "/dup.ref", "wb").write(msgpack.packb(ref, use_bin_type=True))
PY
	assert_success
	drift --reference "$F/ref" -q --report "$T/a.json" "$F/train.pml"
	drift --reference "$T/rev.ref" -q --report "$T/b.json" "$F/train.pml"
	run "$PY" -c 'import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
for x, y in zip(a["columns"], b["columns"]):
    assert x["name"] == y["name"] and x["status"] == y["status"], (x, y)
    assert abs(x["psi"] - y["psi"]) < 1e-12, (x, y)
print(len(a["columns"]), a["status"])' "$T/a.json" "$T/b.json"
	assert_success
	assert_output "8 ok"
	run_split drift --reference "$T/dup.ref" "$F/train.pml"
	assert_failure 1
	assert_equal "$stderr" "drift: $T/dup.ref: column 'customer_group': bad or repeated category"
}
