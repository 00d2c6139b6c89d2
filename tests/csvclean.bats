#!/usr/bin/env bats
# csvclean: the notebook's cleaning on raw_data.csv, every rule and every error on fixtures.

load helper

# The flags that reproduce NOTEBOOK.md steps 1–7 and 9 on raw_data.csv (as in csvclean(1)).
NOTEBOOK_FLAGS=(
	--date 'date_part=2024-01-01..2024-01-31'
	--drop 'is_active,marketing_consent,first_booking,existing_customer,last_seen,domain,country,visited_learn_more_before_booking,visited_faq'
	--require 'lead_indicator,lead_id'
	--keep 'source=signup'
	--categorical 'lead_id,lead_indicator,customer_group,onboarding,source,customer_code,date_part'
	--numeric 'purchases,time_spent,n_visits'
	--clip 2
	--impute-mean 'purchases,time_spent,n_visits'
	--fill 'customer_code=None'
	--impute-mode 'customer_group,onboarding,source,date_part'
	--map 'bin_source=source:li=socials,fb=socials,organic=group1,signup=group1'
	--order 'lead_id,lead_indicator,date_part,source,customer_group,onboarding,customer_code,purchases,time_spent,n_visits,bin_source'
	--role 'lead_indicator=target'
	--role 'lead_id=id'
)

setup() {
	T="$BATS_TEST_TMPDIR"
}

# Clean raw_data.csv with the notebook's flags once per test that needs it.
notebook_run() {
	RAW="$(raw_data)" || skip "raw_data.csv unavailable (set DATA_CACHE)"
	csvclean "${NOTEBOOK_FLAGS[@]}" -o csv --report-dir "$T/rep" --save-state "$T/state.mp" \
		"$RAW" >"$T/out.csv"
}

# assert_close ACTUAL EXPECTED: equal to 1e-9 relative.
assert_close() {
	"$PY" -c 'import sys; a, e = float(sys.argv[1]), float(sys.argv[2]); sys.exit(abs(a - e) > 1e-9 * abs(e))' "$1" "$2" ||
		fail "$1 is not $2 to 1e-9"
}

# field FILE ROWKEY COLUMN: a cell of a report CSV by first-column key and header name.
field() {
	awk -F, -v key="$2" -v col="$3" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
		$1 == key { print $c }' "$1"
}

@test "raw_data.csv: 12,345 rows in, 2,937 out, 16 customer_code filled with None" {
	notebook_run
	[ "$(wc -l <"$T/out.csv")" -eq 2938 ]
	run "$PY" -c 'import json,sys; r = json.load(open(sys.argv[1]))["rows"]; print(r["in"], r["kept"])' "$T/rep/state.json"
	assert_output "12345 2937"
	[ "$(awk -F, 'NR > 1 && $7 == "None"' "$T/out.csv" | wc -l)" -eq 16 ]
}

@test "raw_data.csv: output columns in the notebook's gold order" {
	notebook_run
	run head -1 "$T/out.csv"
	assert_output "lead_id,lead_indicator,date_part,source,customer_group,onboarding,customer_code,purchases,time_spent,n_visits,bin_source"
	csvclean "${NOTEBOOK_FLAGS[@]}" "$RAW" | to-csv -r | head -1 >"$T/h"
	run cat "$T/h"
	assert_output "lead_id:str:id,lead_indicator:str:target,date_part:str:passthrough,source:str:passthrough,customer_group:str:passthrough,onboarding:str:passthrough,customer_code:str:passthrough,purchases:f64:passthrough,time_spent:f64:passthrough,n_visits:f64:passthrough,bin_source:str:passthrough"
}

@test "raw_data.csv: clip bounds are mean ± 2 sample sd, with the notebook's clipped counts" {
	notebook_run
	s="$T/rep/outlier_summary.csv"
	assert_close "$(field "$s" purchases clip_lo)" 0.5781629551
	assert_close "$(field "$s" purchases clip_hi)" 9.494700511
	assert_close "$(field "$s" time_spent clip_lo)" 80.08240443
	assert_close "$(field "$s" time_spent clip_hi)" 119.9024053
	assert_close "$(field "$s" n_visits clip_lo)" -4.252576115
	assert_close "$(field "$s" n_visits clip_hi)" 22.33429215
	[ "$(field "$s" purchases clipped)" -eq 115 ]
	[ "$(field "$s" time_spent clipped)" -eq 127 ]
	[ "$(field "$s" n_visits clipped)" -eq 106 ]
}

@test "raw_data.csv: means after clipping, in the summary and the state" {
	notebook_run
	s="$T/rep/outlier_summary.csv"
	assert_close "$(field "$s" purchases mean)" 5.000105353
	assert_close "$(field "$s" time_spent mean)" 100.0152303
	assert_close "$(field "$s" n_visits mean)" 8.884043231
	[ "$(field "$s" purchases count)" -eq 2937 ]
	[ "$(field "$s" purchases missing)" -eq 0 ]
	run "$PY" -c '
import json, sys
cols = {c["name"]: c for c in json.load(open(sys.argv[1]))["columns"]}
print(" ".join(repr(cols[n]["fill"]) for n in ("purchases", "time_spent", "n_visits")))' "$T/rep/state.json"
	read -r p t n <<<"$output"
	assert_close "$p" 5.000105353
	assert_close "$t" 100.0152303
	assert_close "$n" 8.884043231
}

@test "raw_data.csv: modes with pandas' tie rule, and the date limits" {
	notebook_run
	m="$T/rep/cat_missing_impute.csv"
	[ "$(field "$m" customer_group mode)" = 5 ]
	[ "$(field "$m" onboarding mode)" = True ]
	[ "$(field "$m" source mode)" = signup ]
	[ "$(field "$m" customer_code mode)" = AAAEJOLSFX ]
	[ "$(field "$m" date_part mode)" = 2024-01-06 ]
	run cat "$T/rep/date_limits.json"
	assert_output '{"min_date": "2024-01-01", "max_date": "2024-01-31"}'
}

@test "raw_data.csv: the whole output equals the same cleaning in pandas, row by row" {
	notebook_run
	run "$PY" - "$RAW" "$T/out.csv" <<'PY'
import sys
import numpy as np
import pandas as pd

cats = ["lead_id", "lead_indicator", "customer_group", "onboarding", "source", "customer_code", "date_part"]
cont = ["purchases", "time_spent", "n_visits"]
df = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)
df = df.replace("", np.nan)
df["date_part"] = pd.to_datetime(df["date_part"])
df = df[(df.date_part >= "2024-01-01") & (df.date_part <= "2024-01-31")]
df["date_part"] = df.date_part.dt.strftime("%Y-%m-%d")
df = df.drop(columns=["is_active", "marketing_consent", "first_booking", "existing_customer", "last_seen",
                      "domain", "country", "visited_learn_more_before_booking", "visited_faq"])
df = df.dropna(subset=["lead_indicator"]).dropna(subset=["lead_id"])
df = df[df.source == "signup"]
for c in cont:
    df[c] = df[c].astype(float)
    lo, hi = df[c].mean() - 2 * df[c].std(), df[c].mean() + 2 * df[c].std()
    df[c] = df[c].clip(lo, hi)
    df[c] = df[c].fillna(df[c].mean())
df["customer_code"] = df["customer_code"].fillna("None")
for c in cats:
    df[c] = df[c].fillna(df[c].mode()[0])
df["bin_source"] = df.source.map({"li": "socials", "fb": "socials", "organic": "group1", "signup": "group1"})
order = ["lead_id", "lead_indicator", "date_part", "source", "customer_group", "onboarding", "customer_code",
         "purchases", "time_spent", "n_visits", "bin_source"]
want = df[order].reset_index(drop=True)
got = pd.read_csv(sys.argv[2], dtype=str, keep_default_na=False)
assert list(got.columns) == order, list(got.columns)
assert len(got) == len(want), (len(got), len(want))
for c in order:
    if c in cont:
        g = got[c].astype(float).to_numpy()
        w = want[c].to_numpy()
        assert np.allclose(g, w, rtol=1e-12, atol=0), c
    else:
        bad = (got[c] != want[c].fillna("")).to_numpy().nonzero()[0]
        assert len(bad) == 0, (c, got[c][bad[0]], want[c][bad[0]])
print(len(got), "rows equal")
PY
	assert_success
	assert_output "2937 rows equal"
}

@test "apply mode: a saved state cleans new rows exactly as training did, rows without target kept" {
	notebook_run
	# New data: the same rows with the target blanked on every third row.
	awk -F, -v OFS=, 'NR > 1 && NR % 3 == 0 { $2 = "" } { print }' "$RAW" >"$T/new.csv"
	csvclean --state "$T/state.mp" -o csv "$T/new.csv" >"$T/applied.csv"
	# Rows that still have a target are exactly training's rows.
	awk -F, 'NR == 1 || $2 != ""' "$T/applied.csv" >"$T/with_target.csv"
	awk -F, 'NR == FNR { if (FNR > 1 && $2 != "") keep[$1] = 1; next }
		FNR == 1 || ($1 in keep)' "$T/with_target.csv" "$T/out.csv" >"$T/expected.csv"
	cmp "$T/with_target.csv" "$T/expected.csv"
	# Rows without a target are kept, cleaned with training's values (no re-fitting).
	[ "$(awk -F, 'NR > 1 && $2 == ""' "$T/applied.csv" | wc -l)" -gt 900 ]
	run grep -c '^1,,2024-01-01,signup,2,False,AGMVEYWACO,5,119.90240534202512,1,group1$' "$T/applied.csv"
	assert_output 1
}

@test "apply mode: the target column may be absent; its values are then missing" {
	printf 'id,y,x\na,1,1\nb,0,3\nc,1,\n' >"$T/train.csv"
	csvclean --numeric x --impute-mean x --role y=target --save-state "$T/s.mp" -o csv "$T/train.csv" >/dev/null
	printf 'id,x\nd,\ne,5\n' | csvclean --state "$T/s.mp" -o csv >"$T/o.csv"
	run cat "$T/o.csv"
	assert_output "$(printf 'id,y,x\nd,,2\ne,,5')"
}

@test "apply mode: memory does not grow with the rows (same output, batch by batch)" {
	printf 'k,x\n' >"$T/big.csv"
	awk 'BEGIN { for (i = 0; i < 50000; i++) printf "%d,%d\n", i % 7, i % 100 }' >>"$T/big.csv"
	csvclean --numeric x --clip 1 --save-state "$T/s.mp" -o csv "$T/big.csv" >"$T/train.csv"
	csvclean --state "$T/s.mp" -o csv "$T/big.csv" >"$T/apply.csv"
	cmp "$T/train.csv" "$T/apply.csv"
}

@test "--date parses leniently, writes ISO dates and keeps the window inclusive" {
	printf 'd,v\n2024-01-1,a\n2024-1-31,b\n2023-12-31,c\n2024-02-01,d\n2024-1-15,e\n,f\n' >"$T/in.csv"
	run csvclean --date 'd=2024-01-01..2024-01-31' -o csv "$T/in.csv"
	assert_success
	assert_output "$(printf 'd,v\n2024-01-01,a\n2024-01-31,b\n2024-01-15,e')"
	run csvclean --date 'd=..2024-01-01' -o csv "$T/in.csv"
	assert_output "$(printf 'd,v\n2024-01-01,a\n2023-12-31,c')"
	run csvclean --date d -o csv "$T/in.csv"
	assert_output "$(printf 'd,v\n2024-01-01,a\n2024-01-31,b\n2023-12-31,c\n2024-02-01,d\n2024-01-15,e\n,f')"
	run csvclean --date d -o csv <<<"$(printf 'd\n2024-2-29\n2000-02-29\n1999-12-31')"
	assert_output "$(printf 'd\n2024-02-29\n2000-02-29\n1999-12-31')"
	for bad in 2023-02-29 1900-02-29 2024-04-31 2024-00-10 2024-01-00 24-01-01 2024-001-01 '2024-01-01 ' 2024/01/01; do
		run csvclean --date d -o csv <<<"$(printf 'd\n%s' "$bad")"
		assert_failure 1
	done
}

@test "--drop removes columns" {
	run csvclean --drop b,c -o csv <<<"$(printf 'a,b,c,d\n1,2,3,4')"
	assert_output "$(printf 'a,d\n1,4')"
}

@test "--require drops rows empty in any given column" {
	run csvclean --require a,b -o csv <<<"$(printf 'a,b,c\n1,2,\n,2,3\n1,,3\n4,5,6')"
	assert_output "$(printf 'a,b,c\n1,2,\n4,5,6')"
}

@test "--keep keeps rows whose column is one of the values; spaces are data" {
	run csvclean --keep s=x,y -o csv <<<"$(printf 's,v\nx,1\nz,2\ny,3\n x,4\nx ,5')"
	assert_output "$(printf 's,v\nx,1\ny,3')"
}

@test "--numeric columns are f64 in the stream, other columns text as written" {
	printf 'g,n,t\n5,1.5,True\n05,,False\n' | csvclean --numeric n --categorical g | to-csv -r >"$T/o"
	run cat "$T/o"
	assert_output "$(printf 'g:str:passthrough,n:f64:passthrough,t:str:passthrough\n5,1.5,True\n05,,False')"
}

@test "--numeric: a value that is not a number stops with line and column; --coerce reads it as missing" {
	printf 'a,n\nx,1\ny,abc\nz,3\n' >"$T/in.csv"
	run_split csvclean --numeric n -o csv "$T/in.csv"
	assert_failure 1
	[ "$stderr" = "csvclean: $T/in.csv:3: column 'n': 'abc' is not a number (--coerce reads it as missing)" ]
	run csvclean --numeric n --coerce --impute-mean n -o csv "$T/in.csv"
	assert_success
	assert_output "$(printf 'a,n\nx,1\ny,2\nz,3')"
}

@test "--clip clips at mean ± k sample sd" {
	# values 0..9 and 100: mean 13.636…, sample sd 28.7…; k=1 clips 100 (and nothing low).
	{ echo x; seq 0 9; echo 100; } >"$T/in.csv"
	run "$PY" -c 'import statistics as s; v = list(range(10)) + [100]; print(repr(s.mean(v) + s.stdev(v)))'
	hi="$output"
	run csvclean --numeric x --clip x=1 -o csv "$T/in.csv"
	assert_success
	assert_close "$(tail -1 <<<"$output")" "$hi"
	[ "$(sed -n 2p <<<"$output")" = 0 ]
}

@test "--impute-mean and --impute-median fill missing numbers" {
	printf 'a,b\n1,1\n2,2\n,\n10,3\n' >"$T/in.csv"
	run csvclean --numeric a,b --impute-mean a --impute-median b -o csv "$T/in.csv"
	assert_output "$(printf 'a,b\n1,1\n2,2\n4.333333333333333,2\n10,3')"
	printf 'k,b\nu,1\nv,2\nw,\nx,3\ny,4\n' | csvclean --numeric b --impute-median b -o csv >"$T/o"
	[ "$(sed -n 4p "$T/o")" = w,2.5 ]
}

@test "--impute-mode fills with the most frequent value, ties to the smallest (numbers by value)" {
	run csvclean --impute-mode a,b -o csv <<<"$(printf 'a,b\n9,y\n10,x\n,\n10,x\n9,y')"
	assert_output "$(printf 'a,b\n9,y\n10,x\n9,x\n10,x\n9,y')"
}

@test "--fill fills a constant; --impute-mode learns nothing from missing cells" {
	run csvclean --fill code=None --fill n=0 --numeric n -o csv <<<"$(printf 'code,n\nA,1\n,\nB,2')"
	assert_output "$(printf 'code,n\nA,1\nNone,0\nB,2')"
}

@test "--map derives a column; unmapped values are missing unless *= says otherwise" {
	printf 'source\nli\nfb\norganic\nsignup\nother\n' >"$T/in.csv"
	run csvclean --map 'bin=source:li=socials,fb=socials,organic=group1,signup=group1' -o csv "$T/in.csv"
	assert_output "$(printf 'source,bin\nli,socials\nfb,socials\norganic,group1\nsignup,group1\nother,')"
	run csvclean --map 'bin=source:li=socials,*=Others' -o csv "$T/in.csv"
	assert_output "$(printf 'source,bin\nli,socials\nfb,Others\norganic,Others\nsignup,Others\nother,Others')"
}

@test "--order puts columns first; --role sets stream roles" {
	printf 'a,b,c\n1,2,3\n' | csvclean --order c,a --role b=target --role a=id | to-csv -r >"$T/o"
	run cat "$T/o"
	assert_output "$(printf 'c:str:passthrough,a:str:id,b:str:target\n3,1,2')"
}

@test "--bad-rows collects malformed rows with line and reason, and stderr counts them" {
	printf 'd,n\n2024-01-01,1\n2024-13-01,2\n2024-01-02,x\n2024-01-03\n2024-01-04,4\n' >"$T/in.csv"
	run_split csvclean --date d --numeric n --bad-rows "$T/bad.csv" -o csv "$T/in.csv"
	assert_success
	assert_output "$(printf 'd,n\n2024-01-01,1\n2024-01-04,4')"
	[ "$stderr" = "csvclean: 3 bad rows written to $T/bad.csv" ]
	run cat "$T/bad.csv"
	assert_output "$(printf '%s\n' 'line,reason,d,n' \
		"3,column 'd': '2024-13-01' is not a date (YYYY-MM-DD),2024-13-01,2" \
		"4,column 'n': 'x' is not a number (--coerce reads it as missing),2024-01-02,x" \
		'5,1 fields where the header has 2,2024-01-03')"
}

@test "error: a flag names a column the header lacks" {
	run_split csvclean --drop nope -o csv <<<"$(printf 'a,b\n1,2')"
	assert_failure 1
	[ "$stderr" = "csvclean: stdin:1: no such column 'nope' in the header (named by --drop)" ]
	[ -z "$output" ]
}

@test "error: a duplicate header name" {
	run_split csvclean -o csv <<<"$(printf 'a,b,a\n1,2,3')"
	assert_failure 1
	[ "$stderr" = "csvclean: stdin:1: duplicate column name 'a' (column 3)" ]
}

@test "error: a ragged row names its line" {
	run_split csvclean -o csv <<<"$(printf 'a,b\n1,2\n1,2,3')"
	assert_failure 1
	[ "$stderr" = "csvclean: stdin:3: 3 fields where the header has 2" ]
}

@test "error: an unparsable date in the date column names line and column" {
	run_split csvclean --date d -o csv <<<"$(printf 'x,d\n1,2024-01-01\n2,2024-02-30')"
	assert_failure 1
	[ "$stderr" = "csvclean: stdin:3: column 'd': '2024-02-30' is not a date (YYYY-MM-DD)" ]
}

@test "error: an empty input has no header" {
	run_split csvclean -o csv </dev/null
	assert_failure 1
	[ "$stderr" = "csvclean: stdin:1: empty input: expected a header line" ]
}

@test "apply mode matches raw columns by name: any order, extra columns ignored with a warning" {
	printf 'a,b,y\n1,x,0\n2,z,1\n' | csvclean --numeric a --role y=target --save-state "$T/s.mp" -o csv >/dev/null
	run_split csvclean --state "$T/s.mp" -o csv <<<"$(printf 'extra,b,a,y\nq,z,5,1\nr,x,,0')"
	assert_success
	[ "$output" = "$(printf 'a,b,y\n5,z,1\n,x,0')" ]
	[ "$stderr" = "csvclean: stdin:1: column 'extra' is not in the state's schema: ignored" ]
	# the target alone may be missing; twelve extra columns: ten named, then their number
	run_split csvclean --state "$T/s.mp" -o csv <<<"$(printf 'b,a,c1,c2,c3,c4,c5,c6,c7,c8,c9,c10,c11,c12\nx,3,1,2,3,4,5,6,7,8,9,10,11,12')"
	assert_success
	[ "$output" = "$(printf 'a,b,y\n3,x,')" ]
	[ "$(wc -l <<<"$stderr")" -eq 11 ]
	[ "$(tail -n 1 <<<"$stderr")" = "csvclean: stdin:1: and 2 more columns not in the state's schema: ignored" ]
}

@test "error: a state learned on another schema is rejected, and no output file is left" {
	printf 'a,b\n1,2\n' | csvclean --save-state "$T/s.mp" -o csv >/dev/null
	run_split csvclean --state "$T/s.mp" -o csv <<<"$(printf 'a,c\n1,2')"
	assert_failure 1
	[ "$stderr" = "csvclean: stdin:1: the header lacks column 'b' of the state's schema" ]
	printf 'not a state' >"$T/junk"
	run_split csvclean --state "$T/junk" <<<"$(printf 'a,b\n1,2')"
	assert_failure 1
	[ "$stderr" = "csvclean: $T/junk: not a csvclean state (10 bytes after the state)" ]
}

@test "error: a failing run leaves no state, report or bad-rows file behind" {
	run csvclean --numeric n --save-state "$T/s.mp" --report-dir "$T/rep" --bad-rows "$T/bad.csv" \
		-o csv <<<"$(printf 'n\n1\n"x\n')"
	assert_failure 1
	[ ! -e "$T/s.mp" ]
	[ ! -e "$T/bad.csv" ]
	[ -z "$(find "$T" -mindepth 1 -maxdepth 1 ! -name rep ! -name 'stderr*')" ]
}

@test "usage errors exit 2: rules with --state, conflicting kinds, a bad flag value" {
	run_split csvclean --state x --drop a
	assert_failure 2
	[ "$stderr" = "csvclean: rule flags cannot go with --state: the state holds the rules" ]
	run_split csvclean --numeric a --categorical a
	assert_failure 2
	[ "$stderr" = "csvclean: --categorical: column 'a' already has another kind" ]
	run_split csvclean --clip a=-1
	assert_failure 2
	[ "$stderr" = "csvclean: --clip a=-1: expected [COLUMNS=]K with K > 0" ]
	run_split csvclean --date 'd=2024-02-01..2024-01-01'
	assert_failure 2
	[ "$stderr" = "csvclean: --date d=2024-02-01..2024-01-01: the window is empty (MIN after MAX)" ]
	run_split csvclean -o xml
	assert_failure 2
}

@test "the state is msgpack with a format, a version and a schema fingerprint" {
	printf 'a,n\nx,1\ny,3\n' | csvclean --numeric n --clip 1 --impute-mean n --save-state "$T/s.mp" >/dev/null
	run "$PY" -c '
import msgpack, sys
s = msgpack.unpackb(open(sys.argv[1], "rb").read(), raw=False)
print(s["format"], s["version"], len(s["fingerprint"]), s["header"], s["rules"][0])
print(s["columns"][1]["clip_lo"], s["columns"][1]["clip_hi"], s["columns"][1]["fill"])' "$T/s.mp"
	assert_success
	assert_output "$(printf '%s\n' "pipeml-csvclean-state 1 16 ['a', 'n'] ['numeric', 'n']" \
		"0.5857864376269049 3.414213562373095 2.0")"
}

@test "every option of --help is in the man page" {
	run csvclean --help
	assert_success
	grep -oE -- '--[a-z-]+' <<<"$output" | sort -u >"$T/opts"
	while read -r o; do
		grep -q -- "${o#--}" "$ROOT/man/csvclean.1" || fail "$o is not in man/csvclean.1"
	done <"$T/opts"
	[ "$(wc -l <"$T/opts")" -ge 20 ]
}

@test "input without quotes (split in place) and with them (libcsv) clean the same" {
	notebook_run
	sed '1s/^lead_id,/"lead_id",/' "$RAW" >"$T/quoted.csv"
	csvclean "${NOTEBOOK_FLAGS[@]}" -o csv "$T/quoted.csv" >"$T/quoted.out"
	cmp "$T/out.csv" "$T/quoted.out"
	printf 'h,x\n 1 ,\t2\n\n,\n3,4' >"$T/a.csv"
	printf '"h",x\n 1 ,\t2\n\n,\n3,4' >"$T/b.csv"
	run csvclean -o csv "$T/a.csv"
	assert_output "$(printf 'h,x\n" 1 ",\t2\n,\n3,4')"
	run csvclean -o csv "$T/b.csv"
	assert_output "$(printf 'h,x\n" 1 ",\t2\n,\n3,4')"
}

@test "apply mode says how many rows the rules dropped; --keep-all keeps and cleans them" {
	printf 'd,s,y,n\n2024-01-05,a,1,1\n2024-01-06,a,0,3\n2024-03-01,a,0,\n2024-01-07,b,,\n,a,1,9\n' >"$T/in.csv"
	csvclean --date d=2024-01-01..2024-01-31 --keep s=a --require y --role y=target \
		--numeric n --impute-mean n --save-state "$T/s.mp" -o csv "$T/in.csv" >/dev/null
	run_split csvclean --state "$T/s.mp" -o csv "$T/in.csv"
	assert_success
	assert_output "$(printf 'd,s,y,n\n2024-01-05,a,1,1\n2024-01-06,a,0,3')"
	[ "$stderr" = "csvclean: 3 of 5 rows dropped by the rules: 2 outside the date window, 0 missing a required value, 1 not kept by --keep (--keep-all keeps them)" ]
	run_split csvclean --state "$T/s.mp" --keep-all -o csv "$T/in.csv"
	assert_success
	assert_output "$(printf 'd,s,y,n\n2024-01-05,a,1,1\n2024-01-06,a,0,3\n2024-03-01,a,0,2\n2024-01-07,b,,2\n,a,1,9')"
	[ "$stderr" = "csvclean: 3 of 5 rows kept that would be dropped by the rules: 2 outside the date window, 0 missing a required value, 1 not kept by --keep" ]
	run_split csvclean --keep-all -o csv "$T/in.csv"
	assert_failure 2
	[ "$stderr" = "csvclean: --keep-all applies a state: it needs --state" ]
}
