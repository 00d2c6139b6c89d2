#!/usr/bin/env bats
# The pipeml stream: round trips, readers in other languages, and every malformed input.

load helper

setup() {
	T="$BATS_TEST_TMPDIR"
	ST="$PIPEML_UNIT/stream_tool"
}

@test "stream round-trips byte-identically (write, read, write)" {
	"$ST" gen 20000 >"$T/a.mp"
	"$ST" cat <"$T/a.mp" >"$T/b.mp"
	cmp "$T/a.mp" "$T/b.mp"
	run "$ST" count <"$T/a.mp"
	assert_success
	assert_output "20000 rows 3 batches"
}

@test "an empty stream (header and trailer, no rows) round-trips" {
	"$ST" gen 0 >"$T/a.mp"
	"$ST" cat <"$T/a.mp" >"$T/b.mp"
	cmp "$T/a.mp" "$T/b.mp"
	run to-csv "$T/a.mp"
	assert_success
	assert_output "id,x,y,label"
}

@test "Python's msgpack reads a stream the tools wrote" {
	printf 'name,score,flag\nann,1.5,x\nbob,,"y,z"\n' | from-csv -r score=feature >"$T/s.mp"
	run "$PY" - "$T/s.mp" <<'PY'
import msgpack, struct, sys
objs = list(msgpack.Unpacker(open(sys.argv[1], "rb"), raw=False))
h, batch, trailer = objs
assert h["format"] == "pipeml-stream" and h["version"] == 1, h
assert [c["name"] for c in h["columns"]] == ["name", "score", "flag"]
assert [c["type"] for c in h["columns"]] == ["str", "f64", "str"]
assert [c["role"] for c in h["columns"]] == ["passthrough", "feature", "passthrough"]
assert batch[0] == "b" and batch[1] == 2
score = struct.unpack("<2d", batch[3])
assert score[0] == 1.5 and score[1] != score[1]  # NaN is missing
off = struct.unpack("<3I", batch[4][0])
text = batch[4][1]
assert [text[off[i]:off[i + 1]] for i in range(2)] == [b"x", b"y,z"]
assert trailer == ["e", 2]
print("ok")
PY
	assert_success
	assert_output "ok"
}

@test "to-csv shows names, types and roles with -r" {
	printf 'a,b\n1,x\n' | from-csv -r a=target >"$T/s.mp"
	run to-csv -r "$T/s.mp"
	assert_success
	assert_output "$(printf 'a:f64:target,b:str:passthrough\n1,x')"
}

@test "a stream cut at every byte offset fails with exit 1 and one message" {
	local off size
	"$ST" gen 3 >"$T/a.mp"
	size=$(stat -c %s "$T/a.mp")
	for ((off = 0; off < size; off++)); do
		head -c "$off" "$T/a.mp" >"$T/cut.mp"
		run_split to-csv "$T/cut.mp"
		[ "$status" -eq 1 ] || fail "cut at $off: exit $status"
		[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ] || fail "cut at $off: $stderr"
		[[ "$stderr" == "to-csv: $T/cut.mp: "* ]] || fail "cut at $off: $stderr"
	done
}

@test "a stream missing its trailer says the stage before may have failed" {
	"$ST" gen 10 >"$T/a.mp"
	size=$(stat -c %s "$T/a.mp")
	head -c $((size - 4)) "$T/a.mp" >"$T/cut.mp"
	run_split to-csv "$T/cut.mp"
	assert_failure 1
	assert_equal "$stderr" "to-csv: $T/cut.mp: truncated stream: no trailer after 10 rows (did the stage before this one fail?)"
}

@test "a trailer whose count disagrees with the rows is an error" {
	"$ST" gen 10 >"$T/a.mp"
	size=$(stat -c %s "$T/a.mp")
	{ head -c $((size - 1)) "$T/a.mp"; printf '\x0b'; } >"$T/bad.mp"
	run_split to-csv "$T/bad.mp"
	assert_failure 1
	assert_equal "$stderr" "to-csv: $T/bad.mp: trailer counts 11 rows but the stream held 10"
}

@test "bytes after the trailer are an error" {
	"$ST" gen 2 >"$T/a.mp"
	printf 'x' >>"$T/a.mp"
	run_split to-csv "$T/a.mp"
	assert_failure 1
	assert_equal "$stderr" "to-csv: $T/a.mp: data after the stream's trailer"
}

@test "a header declaring a length of 2^32 is refused before allocation" {
	# map32 with 2^32-1 entries, then a str32 of 2^32-1 bytes
	printf '\xdf\xff\xff\xff\xff' >"$T/m.mp"
	run_split to-csv "$T/m.mp"
	assert_failure 1
	assert_equal "$stderr" "to-csv: $T/m.mp: object declares 8589934590 elements, over the limit of 4194304"
	printf '\x81\xdb\xff\xff\xff\xff' >"$T/s.mp"
	run_split to-csv "$T/s.mp"
	assert_failure 1
	assert_equal "$stderr" "to-csv: $T/s.mp: object declares a length of 4294967295 bytes, over the limit of 1073741824"
}

@test "a header declaring 2^31 columns is refused" {
	"$PY" - "$T/h.mp" <<'PY'
import sys
# {"format": "pipeml-stream", "version": 1, "columns": array32 of 2^31 ...}
h = b"\x83\xa6format\xadpipeml-stream\xa7version\x01\xa7columns\xdd\x80\x00\x00\x00"
open(sys.argv[1], "wb").write(h)
PY
	run_split to-csv "$T/h.mp"
	assert_failure 1
	assert_equal "$stderr" "to-csv: $T/h.mp: object declares 2147483648 elements, over the limit of 4194304"
}

@test "a wrong version, a wrong format and a type mismatch are errors" {
	"$PY" - "$T" <<'PY'
import msgpack, struct, sys
d = sys.argv[1]
col = [{"name": "x", "type": "f64", "role": "feature"}]
def w(name, *objs):
    with open(f"{d}/{name}", "wb") as f:
        for o in objs:
            f.write(msgpack.packb(o, use_bin_type=True))
w("v2.mp", {"format": "pipeml-stream", "version": 2, "columns": col}, ["e", 0])
w("fmt.mp", {"format": "other", "version": 1, "columns": col}, ["e", 0])
w("type.mp", {"format": "pipeml-stream", "version": 1, "columns": col}, ["b", 2, b"\0" * 12], ["e", 2])
w("str.mp", {"format": "pipeml-stream", "version": 1, "columns": col}, ["b", 1, "text"], ["e", 1])
w("dup.mp", {"format": "pipeml-stream", "version": 1, "columns": col + col}, ["e", 0])
w("role.mp", {"format": "pipeml-stream", "version": 1,
              "columns": [{"name": "x", "type": "f64", "role": "boss"}]}, ["e", 0])
w("off.mp", {"format": "pipeml-stream", "version": 1,
             "columns": [{"name": "s", "type": "str", "role": "id"}]},
  ["b", 2, [struct.pack("<3I", 0, 5, 3), b"abc"]], ["e", 2])
PY
	run_split to-csv "$T/v2.mp"
	assert_failure 1
	assert_equal "$stderr" "to-csv: $T/v2.mp: stream version 2 is not supported (this reader: 1)"
	run_split to-csv "$T/fmt.mp"
	assert_failure 1
	assert_equal "$stderr" "to-csv: $T/fmt.mp: not a pipeml stream (no header with format \"pipeml-stream\")"
	run_split to-csv "$T/type.mp"
	assert_failure 1
	assert_equal "$stderr" "to-csv: $T/type.mp: batch 1: column 'x' is not 2 little-endian doubles"
	run_split to-csv "$T/str.mp"
	assert_failure 1
	assert_equal "$stderr" "to-csv: $T/str.mp: batch 1: column 'x' is not 1 little-endian doubles"
	run_split to-csv "$T/dup.mp"
	assert_failure 1
	assert_equal "$stderr" "to-csv: $T/dup.mp: duplicate column name 'x' in the stream header"
	run_split to-csv "$T/role.mp"
	assert_failure 1
	assert_equal "$stderr" "to-csv: $T/role.mp: column 1 has an unknown role"
	run_split to-csv "$T/off.mp"
	assert_failure 1
	assert_equal "$stderr" "to-csv: $T/off.mp: batch 1: text column 's' has decreasing offsets"
}

@test "random bytes, empty input and a directory give exit 1 and one message" {
	local seed
	for seed in 1 2 3 4 5 6 7 8; do
		"$PY" -c "import random,sys; random.seed($seed); sys.stdout.buffer.write(bytes(random.getrandbits(8) for _ in range(4096)))" >"$T/r.mp"
		run_split to-csv "$T/r.mp"
		[ "$status" -eq 1 ] || fail "seed $seed: exit $status: $stderr"
		[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ] || fail "seed $seed: $stderr"
	done
	run_split to-csv </dev/null
	assert_failure 1
	assert_equal "$stderr" "to-csv: stdin: empty input: expected a pipeml stream header"
	run_split to-csv "$T"
	assert_failure 1
	assert_equal "$stderr" "to-csv: $T: is a directory"
}

@test "reading and writing 10 million rows runs in constant memory" {
	rows=10000000
	[ -z "${SANITIZE:-}" ] || rows=1000000
	run bash -c "'$ST' gen $rows | /usr/bin/time -f '%M' -o '$T/rss' '$ST' cat | '$ST' count"
	assert_success
	assert_output "$rows rows $(((rows + 8191) / 8192)) batches"
	rss_kb=$(cat "$T/rss")
	[ "$rss_kb" -lt 51200 ] || fail "peak RSS ${rss_kb} KiB"
}

@test "a reader downstream of a closed pipe ends quietly" {
	run bash -c "'$ST' gen 1000000 | to-csv | head -1"
	assert_success
	assert_output "id,x,y,label"
}

@test "to-csv writes missing values as empty fields and quotes text" {
	"$ST" gen 4 >"$T/a.mp"
	run to-csv "$T/a.mp"
	assert_success
	assert_output "$(printf 'id,x,y,label\n0,-3.25,0,\n1,-2.75,1,"a,b"\n2,-2.25,0,"a,b"\n3,,1,')"
}
