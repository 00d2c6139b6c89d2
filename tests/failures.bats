#!/usr/bin/env bats
# The bad-input matrix (issue 10): every tool that reads input, fed hostile or malformed
# input, exits with its documented status and one clear message, within bounded memory.
# CSV readers: from-csv, csvclean, score and drift through the states. Stream readers: to-csv,
# encode, split, fit-logreg, fit-gbt, pick-best, score, drift. Model readers: export, registry,
# pick-best, score, drift --model. State readers: csvclean, encode, score, drift. JSON
# readers: report.

load helper

# score and drift read CSV through states learned on n.csv (make_scorers)
CSV_TOOLS=("from-csv" "csvclean -o csv" "score -m lr.model -s c.state -s e.state"
	"drift --reference refc.mp --state c.state")
STREAM_TOOLS=("to-csv" "encode" "split -t test.st" "fit-logreg" "fit-gbt -j 1"
	"pick-best g.model -t" "score -m g.model" "drift --reference ref.mp"
	"drift --save-reference out.ref")

setup() {
	cd "$BATS_TEST_TMPDIR" || exit 1
	printf 'a,b,y\n1,2,0\n2,1,1\n3,3,0\n4,0,1\n5,1,1\n0,2,0\n' >n.csv
}

# A small stream with two features and a target, and a one-tree gbt model on it.
make_stream() {
	from-csv -r a=feature -r b=feature -r y=target n.csv >n.st
}
make_model() {
	make_stream
	fit-gbt -j 1 --param n_estimators=1 <n.st >g.model
}
# For score, drift and report, besides g.model: the cleaning and encoding states of n.csv
# (c.state, e.state), a logistic regression on them (lr.model), drift references of the
# stream (ref.mp) and of the CSV through the cleaning state (refc.mp), pick-best's report
# (pick.json).
make_scorers() {
	make_model
	csvclean --numeric a,b --role y=target --save-state c.state -o stream n.csv |
		encode -y y -s a,b -S e.state >enc.st
	fit-logreg enc.st >lr.model
	drift --save-reference ref.mp n.st
	drift --save-reference refc.mp --state c.state n.csv
	pick-best -R pick.json -t enc.st lr.model >/dev/null 2>&1
}

# Run "$@" (a tool and its arguments, word-split) with the virtual memory bounded to 1 GiB,
# so that an unbounded allocation fails instead of swapping; ASan reserves terabytes of
# address space, so the bound is left out under the sanitizers.
bounded() {
	# shellcheck disable=SC2068 # the tool's words are split on purpose
	(
		[ "${SANITIZE:-}" = 1 ] || ulimit -v 1048576
		exec $@
	)
}

# The first word of a tool's command line (its name in messages).
tool_name() { echo "${1%% *}"; }

@test "empty stdin: each CSV, stream and JSON reader exits 1 naming what it expected" {
	make_scorers
	local t
	for t in "${CSV_TOOLS[@]}"; do
		run_split bounded "$t" </dev/null
		assert_failure 1
		assert_equal "$stderr" "$(tool_name "$t"): stdin:1: empty input: expected a header line"
	done
	for t in "${STREAM_TOOLS[@]}"; do
		run_split bounded "$t" - </dev/null
		assert_failure 1
		assert_equal "$stderr" "$(tool_name "$t"): stdin: empty input: expected a pipeml stream header"
	done
	run_split bounded report </dev/null
	assert_failure 1
	assert_equal "$stderr" "report: stdin: empty input: expected a JSON report"
	[ ! -e out.ref ]
}

@test "only a header: CSV readers keep the columns and write no rows" {
	printf 'a,b\n' | from-csv | to-csv -r >out.csv
	assert_equal "$(cat out.csv)" "a:str:passthrough,b:str:passthrough"
	printf 'a,b\n' >h.csv
	run_split bounded csvclean -o csv h.csv
	assert_success
	assert_output "a,b"
	# learning a median from no rows (a memcpy from NULL, caught by UBSan)
	run_split bounded csvclean --numeric a --impute-median a -o csv h.csv
	assert_success
	assert_output "a,b"
	# score: no rows to score; drift: nothing to compare, but no reference from no rows
	make_scorers
	printf 'a,b,y\n' >h.csv
	run_split bounded score -m lr.model -s c.state -s e.state h.csv
	assert_success
	assert_output "probability,label"
	assert_equal "$stderr" "score: 0 rows in, 0 scored (0 positive at 0.5), 0 rejected"
	run_split bounded drift -q --reference refc.mp --state c.state h.csv
	assert_success
	run_split bounded drift --save-reference h.ref --state c.state h.csv
	assert_failure 1
	assert_equal "$stderr" "drift: h.csv: no rows: a reference is learned from the training rows"
	[ ! -e h.ref ]
}

@test "only a header, JSON: report names the first member it misses" {
	run_split bounded report <<<'{}'
	assert_failure 1
	assert_equal "$stderr" 'report: stdin: "metric" is missing, expected a string (pick-best --report)'
}

@test "a header only stream: the stream readers that need rows say so" {
	printf 'a,y\n' | from-csv -n a,y -r a=feature -r y=target >h.st
	run_split to-csv -r h.st
	assert_success
	assert_output "a:f64:feature,y:f64:target"
	run_split fit-logreg h.st
	assert_failure 1
	[[ "$stderr" == "fit-logreg: h.st: "* ]] || fail "$stderr"
	run_split fit-gbt -j 1 h.st
	assert_failure 1
	[[ "$stderr" == "fit-gbt: h.st: "* ]] || fail "$stderr"
	make_scorers
	printf 'a,b,y\n' | from-csv -n a,b,y -r a=feature -r b=feature -r y=target >h.st
	run_split bounded score -m g.model h.st
	assert_success
	assert_output "probability,label"
	assert_equal "$stderr" "score: 0 rows in, 0 scored (0 positive at 0.5), 0 rejected"
	run_split bounded drift -q --reference ref.mp h.st
	assert_success
	# a reference from no rows would call anything drift-free: refused, and refused to load
	run_split bounded drift --save-reference h.ref h.st
	assert_failure 1
	assert_equal "$stderr" "drift: h.st: no rows: a reference is learned from the training rows"
	[ ! -e h.ref ]
	"$PY" -c '
import msgpack
with open("ref.mp", "rb") as f:
    r = msgpack.unpackb(f.read())
r["rows"] = 0
with open("empty.ref", "wb") as f:
    f.write(msgpack.packb(r))'
	run_split bounded drift --reference empty.ref n.st
	assert_failure 1
	assert_equal "$stderr" "drift: empty.ref: a reference of no rows"
}

@test "duplicate header names are refused by the CSV readers" {
	printf 'a,b,a\n1,2,3\n' >d.csv
	run_split bounded from-csv d.csv
	assert_failure 1
	assert_equal "$stderr" "from-csv: d.csv:1: duplicate column name 'a'"
	run_split bounded csvclean -o csv d.csv
	assert_failure 1
	assert_equal "$stderr" "csvclean: d.csv:1: duplicate column name 'a' (column 3)"
	make_scorers
	printf 'a,b,a\n1,2,0\n' >d.csv
	local t
	for t in "${CSV_TOOLS[@]:2}"; do
		run_split bounded "$t" d.csv
		assert_failure 1
		assert_equal "$stderr" "$(tool_name "$t"): d.csv:1: duplicate column name 'a' (column 3)"
	done
}

@test "duplicate column names in a stream header are refused; in JSON the last key counts" {
	make_scorers
	"$PY" -c '
import msgpack, sys
u = msgpack.Unpacker(open("n.st", "rb"), raw=False)
objs = list(u)
objs[0]["columns"][1]["name"] = "a"
sys.stdout.buffer.write(b"".join(msgpack.packb(o) for o in objs))' >d.st
	local t
	for t in "${STREAM_TOOLS[@]}"; do
		run_split bounded "$t" d.st
		assert_failure 1
		assert_equal "$stderr" "$(tool_name "$t"): d.st: duplicate column name 'a' in the stream header"
	done
	# JSON leaves a repeated key open: report takes the last, as Python's json does (the
	# registry's log, which report also reads, holds such objects)
	sed 's/"winner":0,/"winner":0,"metric":"accuracy",/' pick.json >d.json
	[ "$(grep -o '"metric"' d.json | wc -l)" -eq 2 ] || fail "no duplicate made"
	run_split bounded report d.json
	assert_success
	[[ "$output" == *"Chosen by <b>accuracy</b>"* ]] || fail "not the last metric"
}

@test "a 10 MB single field is refused at the 1 MiB field limit, in bounded memory" {
	make_scorers
	{
		printf 'a,b,y\n'
		head -c 10000000 /dev/zero | tr '\0' x
		printf '\n'
	} >big.csv
	local t
	for t in "${CSV_TOOLS[@]}"; do
		run_split bounded "$t" big.csv
		assert_failure 1
		assert_equal "$stderr" "$(tool_name "$t"): big.csv:2: field 1 is longer than 1048576 bytes"
	done
	# quoted: libcsv's path
	{
		printf 'a\n"'
		head -c 10000000 /dev/zero | tr '\0' x
		printf '"\n'
	} >bigq.csv
	run_split bounded from-csv bigq.csv
	assert_failure 1
	assert_equal "$stderr" "from-csv: bigq.csv:2: field 1 is longer than 1048576 bytes"
}

@test "a 10 MB JSON string is data to report: its page holds it, in bounded memory" {
	make_scorers
	"$PY" -c '
s = open("pick.json").read()
assert "\"lr.model\"" in s
open("big.json", "w").write(s.replace("\"lr.model\"", "\"" + "x" * 10**7 + "\""))'
	bounded report big.json >big.html 2>err.txt || fail "exit $?: $(cat err.txt)"
	[ ! -s err.txt ] || fail "$(cat err.txt)"
	"$PY" -c 'assert b"x" * 10**7 in open("big.html", "rb").read()'
	# an endless input is cut at the 256 MiB limit
	run_split bounded report /dev/zero
	assert_failure 1
	assert_equal "$stderr" "report: /dev/zero: over 268435456 bytes: not a report"
}

@test "a line of one million commas is refused at the 65536-field limit" {
	make_scorers
	{
		printf 'a,b,y\n'
		head -c 1000000 /dev/zero | tr '\0' ,
		printf '\n'
	} >commas.csv
	local t
	for t in "${CSV_TOOLS[@]}"; do
		run_split bounded "$t" commas.csv
		assert_failure 1
		assert_equal "$stderr" "$(tool_name "$t"): commas.csv:2: more than 65536 fields in a record"
	done
	# JSON: an array of a million empty elements
	{
		printf '['
		head -c 1000000 /dev/zero | tr '\0' ,
		printf ']'
	} >commas.json
	run_split bounded report commas.json
	assert_failure 1
	assert_equal "$stderr" "report: commas.json: offset 1: expected a JSON value"
}

@test "a NUL byte in a field is an error naming line and field" {
	make_scorers
	printf 'a,b,y\n1,2,0\n3,x\0y,1\n' >nul.csv
	local t
	for t in "${CSV_TOOLS[@]}"; do
		run_split bounded "$t" nul.csv
		assert_failure 1
		assert_equal "$stderr" "$(tool_name "$t"): nul.csv:3: field 2 holds a NUL byte"
	done
	# JSON: raw in a string (a control character) or between values
	sed 's/"lr.model"/"lr\x00.model"/' pick.json >nul.json
	run_split bounded report nul.json
	assert_failure 1
	[[ "$stderr" =~ ^report:\ nul\.json:\ offset\ [0-9]+:\ control\ character\ in\ string$ ]] || fail "$stderr"
	printf '\0' | cat pick.json - >nul2.json
	run_split bounded report nul2.json
	assert_failure 1
	assert_equal "$stderr" "report: nul2.json: offset $(stat -c %s pick.json): trailing characters after the JSON value"
}

@test "invalid UTF-8 is data: its bytes go through unchanged" {
	printf 'a,b\n\xff\xfe,1\n\xc3(,2\n' >bad.csv
	from-csv bad.csv | to-csv >out.csv
	cmp bad.csv out.csv
	csvclean -o csv bad.csv >out2.csv
	cmp bad.csv out2.csv
}

@test "invalid UTF-8 is data to score and drift; report's page shows it as U+FFFD" {
	make_scorers
	# score: an id's bytes go to the output unchanged
	printf 'id,a,b,y\n\xff\xfe,1,2,0\n\xc3(,2,1,1\n' >bad.csv
	from-csv -r id=id -r a=feature -r b=feature -r y=target bad.csv >bad.st
	run_split bounded score -m g.model bad.st
	assert_success
	assert_output "$(printf 'id,probability,label\n\xff\xfe,0.5,1\n\xc3(,0.5,1')"
	# drift: a category like any other
	from-csv -r y=target bad.csv >cat.st
	run_split bounded drift --save-reference cat.ref cat.st
	assert_success
	run_split bounded drift -q --reference cat.ref cat.st
	assert_success
	# report: the page stays UTF-8 (and well formed): each bad byte, and a control
	# character, is U+FFFD
	sed 's/"lr.model"/"\xff\xfe.model"/; s/"f1":/"metric\\u0001":0,"f1":/' pick.json >u.json
	bounded report u.json >u.html
	"$PY" -c '
p = open("u.html", encoding="utf-8").read()
assert "\ufffd\ufffd.model" in p, "no U+FFFD for the bad bytes"
assert "\x01" not in p'
}

@test "CRLF and lone CR end records; a lone CR then LF loses no record" {
	local t want
	want=$'a,b\n1,2\n3,4\n5,6'
	for input in 'a,b\r\n1,2\r\n3,4\r\n5,6\r\n' 'a,b\r1,2\r3,4\r5,6\r' 'a,b\n1,2\r3,4\n5,6\n' \
		'a,b\r\n1,2\r3,4\n5,6' '\xef\xbb\xbfa,b\r\n1,2\r\n3,4\r\n5,6'; do
		# shellcheck disable=SC2059 # the inputs are printf formats
		printf "$input" >in.csv
		run_split csvclean -o csv in.csv
		assert_success
		assert_equal "$output" "$want"
		from-csv in.csv | to-csv >out.csv
		assert_equal "$(cat out.csv)" "$want"
	done
	# line numbers count CR, CRLF and LF alike
	printf 'a,b\r\n1,2\r3,4\n5,x,1\r\n' >in.csv
	run_split from-csv in.csv
	assert_failure 1
	assert_equal "$stderr" "from-csv: in.csv:4: 3 fields where the header has 2"
}

@test "CRLF, lone CR and a byte-order mark: score, drift and report read them as LF" {
	make_scorers
	score -m lr.model -s c.state -s e.state n.csv >lf.out 2>/dev/null
	drift -q --reference refc.mp --state c.state --report lf.json n.csv
	report <pick.json >lf.html
	local f
	for f in crlf cr bom; do
		case $f in
		crlf) sed 's/$/\r/' n.csv ;;
		cr) tr '\n' '\r' <n.csv ;;
		bom) printf '\xef\xbb\xbf' | cat - n.csv ;;
		esac >"$f.csv"
		run_split bounded score -m lr.model -s c.state -s e.state "$f.csv"
		assert_success
		assert_equal "$output" "$(cat lf.out)"
		run_split bounded drift -q --reference refc.mp --state c.state --report "$f.json" "$f.csv"
		assert_success
		cmp lf.json "$f.json"
		# JSON: CR and LF are white space; a leading BOM is skipped
		case $f in
		crlf) sed 's/,/,\r\n/g' pick.json ;;
		cr) sed 's/,/,\r/g' pick.json ;;
		bom) printf '\xef\xbb\xbf' | cat - pick.json ;;
		esac >"$f.pick"
		bounded report <"$f.pick" >"$f.html" || fail "report, $f: exit $?"
		cmp lf.html "$f.html"
	done
}

@test "a byte-order mark is not part of the first column's name" {
	printf '\xef\xbb\xbfa,b\n1,2\n' >bom.csv
	run_split bash -c 'from-csv -r a=target bom.csv | to-csv -r'
	assert_success
	assert_output "$(printf 'a:f64:target,b:f64:passthrough\n1,2')"
	run_split csvclean --numeric a -o csv bom.csv
	assert_success
	assert_output "$(printf 'a,b\n1,2')"
}

@test "numbers: 1e400, nan, inf, 0x10 and ' 5 ' are not numbers; -0 is" {
	local v
	for v in 1e400 nan inf 0x10 ' 5 '; do
		printf 'a,b\n%s,1\n' "$v" >num.csv
		# inferred: the column is text
		run_split bash -c 'from-csv num.csv | to-csv -r | head -1'
		assert_output "a:str:passthrough,b:f64:passthrough"
		# forced numeric: an error naming line, column and value
		run_split from-csv -n a num.csv
		assert_failure 1
		case "$v" in
		1e400) assert_equal "$stderr" "from-csv: num.csv:2: column 'a': 1e400 is out of the range of a double" ;;
		*) assert_equal "$stderr" "from-csv: num.csv:2: column 'a': '$v' is not a number" ;;
		esac
		run_split csvclean --numeric a -o csv num.csv
		assert_failure 1
		case "$v" in
		1e400) assert_equal "$stderr" "csvclean: num.csv:2: column 'a': 1e400 is out of the range of a double" ;;
		*) assert_equal "$stderr" "csvclean: num.csv:2: column 'a': '$v' is not a number (--coerce reads it as missing)" ;;
		esac
	done
	printf 'a,b\n-0,1\n' >num.csv
	run_split bash -c 'from-csv num.csv | to-csv -r'
	assert_output "$(printf 'a:f64:passthrough,b:f64:passthrough\n-0,1')"
	run_split csvclean --numeric a --coerce -o csv num.csv
	assert_output "$(printf 'a,b\n-0,1')"
}

@test "numbers: score rejects the row that drift refuses; -0 is 0 to both" {
	make_scorers
	local v msg
	for v in 1e400 nan inf 0x10 ' 5 '; do
		printf 'a,b,y\n%s,1,0\n' "$v" >num.csv
		case "$v" in
		1e400) msg="1e400 is out of the range of a double" ;;
		*) msg="'$v' is not a number (--coerce reads it as missing)" ;;
		esac
		run_split bounded score -m lr.model -s c.state -s e.state -r rej.csv num.csv
		assert_success
		assert_output "probability,label"
		assert_equal "$stderr" "score: 1 rows in, 0 scored (0 positive at 0.5), 1 rejected to rej.csv"
		[[ "$(tail -1 rej.csv)" == *",line 2: column 'a': $msg" ]] || fail "$(cat rej.csv)"
		run_split bounded drift --reference refc.mp --state c.state num.csv
		assert_failure 1
		assert_equal "$stderr" "drift: num.csv:2: column 'a': $msg"
	done
	sed 's/^0,2,0$/-0,2,0/' n.csv >negz.csv
	grep -q '^-0,' negz.csv
	score -m lr.model -s c.state -s e.state n.csv >pos.out 2>/dev/null
	run_split bounded score -m lr.model -s c.state -s e.state negz.csv
	assert_success
	assert_equal "$output" "$(cat pos.out)"
	run_split bounded drift -q --reference refc.mp --state c.state negz.csv
	assert_success
}

@test "numbers in a stream: NaN scores as missing, ±inf and -0 as numbers" {
	make_scorers
	"$PY" -c '
import msgpack, struct, sys
objs = list(msgpack.Unpacker(open("enc.st", "rb"), raw=False))
names = [c["name"] for c in objs[0]["columns"]]
objs[1][2 + names.index("a")] = struct.pack("<6d", float("nan"), float("inf"), -0.0, 1e308,
                                            float("-inf"), 0.5)
sys.stdout.buffer.write(b"".join(msgpack.packb(o) for o in objs))' >special.st
	run_split bounded score -m lr.model special.st
	assert_success
	assert_equal "${lines[1]}" ","
	assert_equal "${lines[2]}" "1,1"
	assert_equal "${lines[5]}" "0,0"
	assert_equal "$stderr" "score: 1 rows have no probability: a feature the model needs is missing (NaN) in them, so their probability and label are empty
score: 6 rows in, 6 scored (2 positive at 0.5), 0 rejected"
	run_split bounded drift --reference ref.mp special.st
	[ "$status" -eq 3 ] || fail "exit $status: $stderr"
	assert_equal "${stderr##*$'\n'}" "drift: drift"
}

@test "numbers in report's JSON: out of range, nan and hex are errors, a string is not a number" {
	make_scorers
	local v
	for v in 1e400 nan 0x10 '" 5 "' -0 2147483648; do
		sed "s/\"winner\":0,/\"winner\":$v,/" pick.json >num.json
		run_split bounded report num.json
		case "$v" in
		1e400) msg="number out of the range of a double" ;;
		nan) msg="expected a JSON value" ;;
		0x10) msg="expected ',' or '}'" ;;
		esac
		case "$v" in
		-0) assert_success ;;
		'" 5 "') assert_failure 1
			assert_equal "$stderr" 'report: num.json: "winner" is a string, expected a number (pick-best --report)' ;;
		2147483648) assert_failure 1
			assert_equal "$stderr" 'report: num.json: "winner" 2147483648 is not one of the 1 candidates' ;;
		*) assert_failure 1
			[[ "$stderr" =~ ^report:\ num\.json:\ offset\ [0-9]+:\ (.*)$ ]] || fail "$stderr"
			assert_equal "${BASH_REMATCH[1]}" "$msg" ;;
		esac
	done
	sed 's/"rows":6,/"rows":" 5 ",/' pick.json >num.json
	run_split bounded report num.json
	assert_failure 1
	assert_equal "$stderr" 'report: num.json: "rows" is a string, expected a number (pick-best --report)'
}

# stream.bats cuts at every offset for to-csv; the other readers share its code, so every
# third offset of a two-row stream keeps this quick (under the sanitizers too); score and
# drift, the inference side, at every offset.
@test "a stream cut at every third byte offset (score, drift: every): each stream reader exits 1 with one message" {
	make_scorers
	printf 'a,b,y\n1,2,0\n2,1,1\n' | from-csv -r a=feature -r b=feature -r y=target >n2.st
	local size off t name step rc err
	size=$(stat -c %s n2.st)
	for t in "${STREAM_TOOLS[@]}"; do
		name=$(tool_name "$t")
		case "$name" in
		score | drift) step=1 ;;
		*) step=3 ;;
		esac
		for ((off = 0; off < size; off += step)); do
			head -c "$off" n2.st >cut.st
			rc=0
			bounded "$t" cut.st >/dev/null 2>cut.err || rc=$?
			mapfile -t err <cut.err
			[ "$rc" -eq 1 ] && [ "${#err[@]}" -eq 1 ] && [[ "${err[0]}" == "$name: cut.st: "* ]] ||
				fail "$name, cut at $off: exit $rc: ${err[*]}"
		done
	done
	[ ! -e out.ref ] || fail "drift --save-reference left out.ref"
}

@test "pick-best's report cut at every byte offset: report exits 1 with one message, no page" {
	make_scorers
	local size off rc err
	# the last byte is the newline after the JSON value
	[ "$(tail -c 1 pick.json | od -An -tx1)" = " 0a" ] || fail "no newline at the end"
	size=$(($(stat -c %s pick.json) - 1))
	for ((off = 0; off < size; off++)); do
		head -c "$off" pick.json >cut.json
		rc=0
		bounded report cut.json >cut.html 2>cut.err || rc=$?
		mapfile -t err <cut.err
		[ "$rc" -eq 1 ] && [ "${#err[@]}" -eq 1 ] && [[ "${err[0]}" == "report: cut.json: "* ]] ||
			fail "cut at $off: exit $rc: ${err[*]}"
		[ ! -s cut.html ] || fail "cut at $off: a page"
	done
}

@test "a stream header declaring 2^31 columns is refused before any allocation" {
	make_scorers
	"$PY" -c '
import msgpack, struct, sys
h = b"\x83" + b"".join(msgpack.packb(x) for x in ("format", "pipeml-stream", "version", 1, "columns"))
sys.stdout.buffer.write(h + b"\xdd" + struct.pack(">I", 2**31) + b"\xc0" * 64)' >wide.st
	local t
	for t in "${STREAM_TOOLS[@]}"; do
		run_split bounded "$t" wide.st
		assert_failure 1
		assert_equal "$stderr" "$(tool_name "$t"): wide.st: object declares 2147483648 elements, over the limit of 4194304"
	done
	[ ! -e out.ref ] || fail "drift --save-reference left out.ref"
	# JSON declares no sizes: its bomb is depth (and an index, in the numbers test)
	"$PY" -c 'print("[" * 100000 + "]" * 100000)' >deep.json
	run_split bounded report deep.json
	assert_failure 1
	assert_equal "$stderr" "report: deep.json: offset 65: nested too deeply"
}

@test "a model whose tree points to itself is refused by every model reader" {
	make_model
	"$PY" -c '
import msgpack, struct
with open("g.model", "rb") as f:
    m = msgpack.unpackb(f.read())
t = m["fitted"]["trees"][0]
t["left"] = struct.pack("<i", 0)
t["right"] = struct.pack("<i", 0)
with open("self.model", "wb") as f:
    f.write(msgpack.packb(m))'
	local msg="self.model: bad model: tree 0, node 0: a child index is out of range"
	run_split bounded pipeml export -f xgboost-json self.model
	assert_failure 1
	assert_equal "$stderr" "export: $msg"
	run_split bounded registry -d reg add self.model
	assert_failure 1
	assert_equal "$stderr" "registry: $msg"
	run_split bounded pick-best -t n.st self.model
	assert_failure 1
	assert_equal "$stderr" "pick-best: $msg"
	[ ! -e reg/objects ] || [ -z "$(ls -A reg/objects)" ]
}

@test "model readers: an empty file and a non-model are errors naming the file" {
	make_model
	: >empty.model
	printf '\x93\x01\x02\x03' >arr.model
	local t
	for t in "pipeml export -f xgboost-json" "registry -d reg add" "pick-best -t n.st"; do
		run_split bounded "$t" empty.model
		assert_failure 1
		[[ "$stderr" == *": empty.model: empty"* ]] || fail "$t: $stderr"
		run_split bounded "$t" arr.model
		assert_failure 1
		[[ "$stderr" == *": arr.model: bad model: "* ]] || fail "$t: $stderr"
	done
}

@test "a state file for another schema is refused by csvclean and encode" {
	make_stream
	csvclean --numeric a --save-state clean.state -o csv n.csv >/dev/null
	printf 'x,z\n1,2\n' >other.csv
	run_split csvclean --state clean.state -o csv other.csv
	assert_failure 1
	assert_equal "$stderr" "csvclean: other.csv:1: the header lacks column 'a' of the state's schema"
	encode -s a -S enc.state <n.st >/dev/null
	from-csv other.csv >other.st
	run_split encode --state enc.state other.st
	assert_failure 1
	assert_equal "$stderr" "encode: other.st: column 'x' is not in the state's schema (the state was learned on other columns)"
	# and a state of the other tool
	run_split encode --state clean.state n.st
	assert_failure 1
	[[ "$stderr" == "encode: "*"clean.state"* ]] || fail "$stderr"
	run_split csvclean --state enc.state -o csv n.csv
	assert_failure 1
	[[ "$stderr" == "csvclean: "*"enc.state"* ]] || fail "$stderr"
}

@test "score and drift: a state learned on other columns, or of the other tool, is refused" {
	make_scorers
	printf 'x,z,y\n1,2,0\n2,1,1\n' >other.csv
	csvclean --numeric x,z --role y=target --save-state oc.state -o stream other.csv |
		encode -y y -s x,z -S oe.state >/dev/null
	local msg="n.csv:1: the header lacks column 'x' of the state's schema"
	run_split bounded score -m lr.model -s oc.state -s e.state n.csv
	assert_failure 1
	assert_equal "$stderr" "score: $msg"
	run_split bounded drift --reference refc.mp --state oc.state n.csv
	assert_failure 1
	assert_equal "$stderr" "drift: $msg"
	run_split bounded score -m lr.model -s c.state -s oe.state n.csv
	assert_failure 1
	assert_equal "$stderr" "score: n.csv: column 'a' is not in the state's schema (the state was learned on other columns)"
	drift --save-reference refcm.mp --state c.state --encode-state e.state --model lr.model n.csv
	run_split bounded drift --reference refcm.mp --state c.state --encode-state oe.state \
		--model lr.model n.csv
	assert_failure 1
	assert_equal "$stderr" "drift: n.csv: column 'a' is not in the state's schema (the state was learned on other columns)"
	# an encode state where the cleaning state belongs
	run_split bounded drift --reference refc.mp --state e.state n.csv
	assert_failure 1
	assert_equal "$stderr" "drift: e.state: not a csvclean state (format is not pipeml-csvclean-state)"
	# report's search reports: pick-best's report, or a JSON array, is not one
	echo '[]' >arr.json
	for f in pick.json arr.json; do
		run_split bounded report -s "$f" pick.json
		assert_failure 1
		assert_output ""
		assert_equal "$stderr" "report: $f: not a search report (fit-logreg or fit-gbt --report): \"search\" is missing"
	done
}

@test "score and drift: a model or reference cut short, or of another schema, is refused" {
	make_scorers
	local f off size rc err
	for f in lr.model ref.mp; do
		size=$(stat -c %s "$f")
		for ((off = 0; off < size; off += 5)); do
			head -c "$off" "$f" >"cut.$f"
			rc=0
			case $f in
			lr.model) bounded score -m "cut.$f" enc.st >/dev/null 2>cut.err || rc=$? ;;
			ref.mp) bounded drift --reference "cut.$f" n.st >/dev/null 2>cut.err || rc=$? ;;
			esac
			mapfile -t err <cut.err
			[ "$rc" -eq 1 ] && [ "${#err[@]}" -eq 1 ] && [[ "${err[0]}" == *": cut.$f: "* ]] ||
				fail "$f cut at $off: exit $rc: ${err[*]}"
		done
	done
	# drift --model: the model cut short
	drift --save-reference refm.mp --model g.model n.st
	head -c 100 g.model >cut.model
	run_split bounded drift --reference refm.mp --model cut.model n.st
	assert_failure 1
	[[ "$stderr" == "drift: cut.model: "* ]] || fail "$stderr"
	# another schema: a model on other features, files of the other kinds
	printf 'x,z,y\n1,2,0\n2,1,1\n3,3,0\n' | from-csv -r x=feature -r z=feature -r y=target >o.st
	fit-logreg o.st >o.model
	run_split bounded score -m o.model n.st
	assert_failure 1
	assert_equal "$stderr" "score: n.st: feature 'x' of the model is not in the input"
	run_split bounded score -m ref.mp n.st
	assert_failure 1
	assert_equal "$stderr" 'score: ref.mp: bad model: not a model (no "format": "pipeml-model")'
	run_split bounded drift --reference g.model n.st
	assert_failure 1
	assert_equal "$stderr" "drift: g.model: not a drift reference (format is not pipeml-drift-reference)"
	# a reference of other columns is schema drift, each column named (exit 3)
	drift --save-reference o.ref o.st
	run_split bounded drift --reference o.ref n.st
	[ "$status" -eq 3 ] || fail "exit $status: $stderr"
	assert_equal "$(grep '^schema' <<<"$stderr")" "$(printf "schema: column '%s' missing\n" x z)
$(printf "schema: extra column '%s'\n" a b)"
	assert_equal "${stderr##*$'\n'}" "drift: drift"
}

@test "a state declaring 2^28 elements is refused before msgpack-c allocates them" {
	make_stream
	printf '\x81\xa1a\xdd\x10\x00\x00\x00\xc0' >huge.state
	local msg="huge.state: not a csvclean state (an object at byte 8 declares 268435456 elements, more than the file holds)"
	run_split bounded csvclean --state huge.state -o csv n.csv
	assert_failure 1
	assert_equal "$stderr" "csvclean: $msg"
	run_split bounded encode --state huge.state n.st
	assert_failure 1
	assert_equal "$stderr" "encode: ${msg/a csvclean/an encode}"
}

@test "an encode state whose target label is not text is refused (it crashed encode)" {
	make_stream
	encode -S enc.state n.st >/dev/null
	"$PY" -c '
import msgpack
with open("enc.state", "rb") as f:
    s = msgpack.unpackb(f.read())
for c in s["columns"]:
    if c["use"] == "target":
        c["labels"][0] = 0
with open("bad.state", "wb") as f:
    f.write(msgpack.packb(s))'
	run_split bounded encode --state bad.state n.st
	assert_failure 1
	assert_equal "$stderr" "encode: bad.state: column 'y' has an empty or repeated category"
}

@test "an encode state one-hot encoding a numeric column is refused (it crashed encode)" {
	printf 'a,b,y\n1,x,0\n2,y,1\n' >t.csv
	from-csv -r y=target t.csv | encode -c b -S enc.state >/dev/null
	"$PY" -c '
import msgpack
with open("enc.state", "rb") as f:
    s = msgpack.unpackb(f.read())
for c in s["columns"]:
    if c["name"] == "b":
        c["type"] = "f64"
with open("bad.state", "wb") as f:
    f.write(msgpack.packb(s))'
	printf 'a,b,y\n1,2,0\n' | from-csv -r y=target >num.st
	run_split bounded encode --state bad.state num.st
	assert_failure 1
	assert_equal "$stderr" "encode: bad.state: column 'b' is one-hot encoded but not text"
}
