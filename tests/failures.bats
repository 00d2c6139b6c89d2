#!/usr/bin/env bats
# The bad-input matrix (issue 10): every tool that reads input, fed hostile or malformed
# input, exits with its documented status and one clear message, within bounded memory.
# CSV readers: from-csv, csvclean. Stream readers: to-csv, encode, split, fit-logreg,
# fit-gbt, pick-best. Model readers: export, registry, pick-best. State readers: csvclean,
# encode.

load helper

CSV_TOOLS=("from-csv" "csvclean -o csv")
STREAM_TOOLS=("to-csv" "encode" "split -t test.st" "fit-logreg" "fit-gbt -j 1"
	"pick-best g.model -t")

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

@test "empty stdin: each CSV and stream reader exits 1 naming what it expected" {
	make_model
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
}

@test "duplicate header names are refused by the CSV readers" {
	printf 'a,b,a\n1,2,3\n' >d.csv
	run_split bounded from-csv d.csv
	assert_failure 1
	assert_equal "$stderr" "from-csv: d.csv:1: duplicate column name 'a'"
	run_split bounded csvclean -o csv d.csv
	assert_failure 1
	assert_equal "$stderr" "csvclean: d.csv:1: duplicate column name 'a' (column 3)"
}

@test "a 10 MB single field is refused at the 1 MiB field limit, in bounded memory" {
	{
		printf 'a\n'
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

@test "a line of one million commas is refused at the 65536-field limit" {
	{
		printf 'a\n'
		head -c 1000000 /dev/zero | tr '\0' ,
		printf '\n'
	} >commas.csv
	local t
	for t in "${CSV_TOOLS[@]}"; do
		run_split bounded "$t" commas.csv
		assert_failure 1
		assert_equal "$stderr" "$(tool_name "$t"): commas.csv:2: more than 65536 fields in a record"
	done
}

@test "a NUL byte in a field is an error naming line and field" {
	printf 'a,b\n1,2\n3,x\0y\n' >nul.csv
	local t
	for t in "${CSV_TOOLS[@]}"; do
		run_split bounded "$t" nul.csv
		assert_failure 1
		assert_equal "$stderr" "$(tool_name "$t"): nul.csv:3: field 2 holds a NUL byte"
	done
}

@test "invalid UTF-8 is data: its bytes go through unchanged" {
	printf 'a,b\n\xff\xfe,1\n\xc3(,2\n' >bad.csv
	from-csv bad.csv | to-csv >out.csv
	cmp bad.csv out.csv
	csvclean -o csv bad.csv >out2.csv
	cmp bad.csv out2.csv
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

# stream.bats cuts at every offset for to-csv; the other readers share its code, so every
# third offset of a two-row stream keeps this quick (under the sanitizers too).
@test "a stream cut at every third byte offset: every stream reader exits 1 with one message" {
	make_model
	printf 'a,b,y\n1,2,0\n2,1,1\n' | from-csv -r a=feature -r b=feature -r y=target >n2.st
	local size off t name
	size=$(stat -c %s n2.st)
	for t in "${STREAM_TOOLS[@]}"; do
		name=$(tool_name "$t")
		for ((off = 0; off < size; off += 3)); do
			head -c "$off" n2.st >cut.st
			run_split bounded "$t" cut.st
			[ "$status" -eq 1 ] || fail "$name, cut at $off: exit $status: $stderr"
			[[ "$stderr" == "$name: cut.st: "* ]] || fail "$name, cut at $off: $stderr"
			[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ] || fail "$name, cut at $off: $stderr"
		done
	done
}

@test "a stream header declaring 2^31 columns is refused before any allocation" {
	make_model
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
