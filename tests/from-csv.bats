#!/usr/bin/env bats
# from-csv: CSV to stream — types, roles, and every malformed input.

load helper

@test "from-csv infers numeric and text columns and keeps values exactly" {
	run bash -c "printf 'id,x,s\n007,1.5,a\n8,,b\n9,-2e3, c \n' | from-csv | to-csv -r"
	assert_success
	assert_output "$(printf 'id:f64:passthrough,x:f64:passthrough,s:str:passthrough\n7,1.5,a\n8,,b\n9,-2000," c "')"
}

@test "from-csv --text and --numeric force types; --role sets roles" {
	run bash -c "printf 'id,x,y\n007,1,0\n' | from-csv -t id -n y -r y=target -r x=feature | to-csv -r"
	assert_success
	assert_output "$(printf 'id:str:passthrough,x:f64:feature,y:f64:target\n007,1,0')"
}

@test "from-csv round-trips raw_data.csv through to-csv as pandas sees it" {
	data=$(raw_data) || skip "raw_data.csv not available (set DATA_CACHE)"
	from-csv "$data" | to-csv >"$BATS_TEST_TMPDIR/back.csv"
	run "$PY" -c "
import pandas as pd, sys
a = pd.read_csv(sys.argv[1]); b = pd.read_csv(sys.argv[2])
print(a.equals(b), a.shape)" "$data" "$BATS_TEST_TMPDIR/back.csv"
	assert_success
	assert_output "True (12345, 19)"
}

@test "from-csv: a text value in a column inferred numeric names line and column" {
	run_split bash -c "printf 'a,b\n1,2\n3,x\n' | from-csv -i 1"
	assert_failure 1
	assert_equal "$stderr" "from-csv: stdin:3: column 'b': 'x' is not a number (typed numeric from the first rows; use --text to keep it as text)"
}

@test "from-csv: a forced numeric column with text is an error" {
	run_split bash -c "printf 'a,b\n1,y\n' | from-csv -n b"
	assert_failure 1
	assert_equal "$stderr" "from-csv: stdin:2: column 'b': 'y' is not a number"
}

@test "from-csv: 1e400 is out of range, -0 is a number" {
	run_split bash -c "printf 'a\n1\n1e400\n' | from-csv -i 1"
	assert_failure 1
	assert_equal "$stderr" "from-csv: stdin:3: column 'a': 1e400 is out of the range of a double"
	run bash -c "printf 'a\n-0\n' | from-csv | to-csv"
	assert_success
	assert_output "$(printf 'a\n-0')"
}

@test "from-csv: nan, 0x10 and ' 5 ' make a column text" {
	run bash -c "printf 'a,b,c\nnan,0x10, 5 \n' | from-csv | to-csv -r"
	assert_success
	assert_output "$(printf 'a:str:passthrough,b:str:passthrough,c:str:passthrough\nnan,0x10," 5 "')"
}

@test "from-csv: malformed CSV is one message with the line, exit 1" {
	run_split bash -c "printf 'a,b\n1,2\n3\n' | from-csv"
	assert_failure 1
	assert_equal "$stderr" "from-csv: stdin:3: 1 fields where the header has 2"
	run_split bash -c "printf 'a,b\n1,\"2\n' | from-csv"
	assert_failure 1
	assert_equal "$stderr" "from-csv: stdin:2: unterminated quoted field at end of input"
	run_split bash -c "printf 'a,a\n1,2\n' | from-csv"
	assert_failure 1
	assert_equal "$stderr" "from-csv: stdin:1: duplicate column name 'a'"
	run_split bash -c "printf 'a,b\n1,\0002\n' | from-csv"
	assert_failure 1
	assert_equal "$stderr" "from-csv: stdin:2: field 2 holds a NUL byte"
	run_split from-csv </dev/null
	assert_failure 1
	assert_equal "$stderr" "from-csv: stdin:1: empty input: expected a header line"
}

@test "from-csv: a 10 MB field and a line of a million commas are refused" {
	run_split bash -c "{ echo a; head -c 10000000 /dev/zero | tr '\\0' x; echo; } | from-csv"
	assert_failure 1
	assert_equal "$stderr" "from-csv: stdin:2: field 1 is longer than 1048576 bytes"
	run_split bash -c "{ head -c 1000000 /dev/zero | tr '\\0' ,; echo; } | from-csv"
	assert_failure 1
	assert_equal "$stderr" "from-csv: stdin:1: more than 65536 fields in a record"
}

@test "from-csv: a header only gives a stream with no rows; CRLF and a BOM are read" {
	run bash -c "printf '\357\273\277a,b\r\n' | from-csv | to-csv -r"
	assert_success
	assert_output "a:str:passthrough,b:str:passthrough"
	run bash -c "printf 'a,b\r\n1,2\r\n' | from-csv | to-csv"
	assert_success
	assert_output "$(printf 'a,b\n1,2')"
}

@test "from-csv: usage errors exit 2" {
	run_split from-csv --role x=boss /dev/null
	assert_failure 2
	assert_equal "$stderr" "from-csv: --role x=boss: expected COLUMN=ROLE, ROLE one of feature, target, id, fold, passthrough"
	run_split bash -c "printf 'a\n1\n' | from-csv --role x=target"
	assert_failure 1
	assert_equal "$stderr" "from-csv: --role: x: no such column in the header of stdin"
	run_split from-csv --infer 0
	assert_failure 2
	assert_equal "$stderr" "from-csv: --infer: 0 is out of range [1, 100000000]"
	run_split from-csv a b
	assert_failure 2
}

@test "from-csv: a missing file is named" {
	run_split from-csv /nonexistent.csv
	assert_failure 1
	assert_equal "$stderr" "from-csv: /nonexistent.csv: No such file or directory"
}
