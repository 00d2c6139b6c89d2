#!/usr/bin/env bats
# registry: versions, stages, aliases, tags, runs, verify; concurrency, crashes, a full disk.
# shellcheck disable=SC2154
load helper
bats_require_minimum_version 1.5.0

setup() {
	cd "$BATS_TEST_TMPDIR" || exit 1
	if [ ! -f "$BATS_FILE_TMPDIR/a.model" ]; then
		"$PY" - >"$BATS_FILE_TMPDIR/train.csv" <<'EOF2'
import numpy as np
rng = np.random.default_rng(7)
X = rng.normal(size=(120, 2))
y = (rng.random(120) < 1 / (1 + np.exp(-X @ [1.0, -1.0]))).astype(int)
print("y,x1,x2")
for i in range(120):
    print(f"{y[i]},{X[i, 0]!r},{X[i, 1]!r}")
EOF2
		from-csv -r y=target -r x1=feature -r x2=feature "$BATS_FILE_TMPDIR/train.csv" >train.st
		for c in 1 0.1 0.01; do
			fit-logreg -T --param C="$c" train.st >"$BATS_FILE_TMPDIR/m$c.model"
		done
		cp "$BATS_FILE_TMPDIR/m1.model" "$BATS_FILE_TMPDIR/a.model"
	fi
	cp "$BATS_FILE_TMPDIR"/*.model .
}

sha() { sha256sum <"$1" | cut -c1-64; }

# Every file of the registry with its size, mode and hash: equal before and after = unchanged.
snapshot() {
	(cd reg && find . -type f -printf '%p %s %m\n' | sort && find . -type f -exec sha256sum {} + | sort)
}

@test "registry add, list, show, path: content-addressed immutable versions" {
	run registry -d reg add -m f1=0.75 -m accuracy=0.8 m1.model
	assert_success
	assert_output "lead_model@1"
	run registry -d reg add -n other m0.1.model
	assert_output "other@1"
	run registry -d reg add m0.01.model
	assert_output "lead_model@2"
	obj="reg/objects/$(sha m1.model)"
	cmp "$obj" m1.model
	[ "$(stat -c %a "$obj")" = 444 ]
	[ "$(registry -d reg path lead_model@1)" = "$obj" ]
	[ "$(registry -d reg path lead_model)" = "reg/objects/$(sha m0.01.model)" ]
	run registry -d reg show --json lead_model@1
	assert_success
	[ "$(jq -c '[.model, .version, .stage, .metrics.f1, .metrics.accuracy, .sha256]' <<<"$output")" = "[\"lead_model\",1,\"none\",0.75,0.8,\"$(sha m1.model)\"]" ]
	run registry -d reg list
	assert_line --index 0 --regexp '^MODEL +VERSION +STAGE +SHA256 +CREATED +ALIASES$'
	assert_line --index 1 --regexp '^lead_model +1  none +[0-9a-f]{12}  20'
	assert_line --index 2 --regexp '^other +1  none'
	assert_line --index 3 --regexp '^lead_model +2  none'
	run registry -d reg show lead_model
	assert_line --index 0 'model:    lead_model'
	assert_line 'metrics:  f1=0.75 accuracy=0.8'
	run registry -d reg verify
	assert_success
	assert_output ok
}

@test "registry promote moves stages and archives the previous holder; path follows the stage" {
	for m in m1 m0.1 m0.01; do registry -d reg add "$m.model" >/dev/null; done
	registry -d reg promote lead_model@1 staging 2>/dev/null
	registry -d reg promote lead_model@1 production 2>/dev/null
	registry -d reg promote lead_model@2 staging 2>/dev/null
	[ "$(registry -d reg path lead_model@production)" = "reg/objects/$(sha m1.model)" ]
	run --separate-stderr registry -d reg promote lead_model@3 production
	assert_success
	[ "$stderr" = "registry: lead_model@3 is now in stage production" ]
	run registry -d reg list --json
	[ "$(jq -r '"\(.version) \(.stage)"' <<<"$output" | paste -sd,)" = "1 archived,2 staging,3 production" ]
	[ "$(registry -d reg path lead_model@production)" = "reg/objects/$(sha m0.01.model)" ]
	[ "$(tail -n1 reg/log.jsonl | jq -c '[.event, .version, .stage, .from, .archived]')" = '["promote",3,"production","none",[1]]' ]
	run --separate-stderr registry -d reg promote lead_model@3 production
	assert_failure 1
	[ "$stderr" = "registry: lead_model@3 is already in stage production" ]
}

@test "registry alias and tag; an alias moves between versions" {
	registry -d reg add m1.model >/dev/null
	registry -d reg add m0.1.model >/dev/null
	registry -d reg alias lead_model@1 champion
	registry -d reg tag lead_model@1 owner=data-team
	[ "$(registry -d reg path lead_model@champion)" = "reg/objects/$(sha m1.model)" ]
	registry -d reg alias lead_model@2 champion
	[ "$(registry -d reg path lead_model@champion)" = "reg/objects/$(sha m0.1.model)" ]
	[ "$(registry -d reg show --json lead_model@1 | jq -c '[.aliases, .tags]')" = '[[],{"owner":"data-team"}]' ]
	# any text survives the log: quotes, backslashes, control characters, UTF-8
	value=$(printf 'a "q" \\ b\tc\nd\001 é€😀')
	registry -d reg tag lead_model@2 "note=$value"
	[ "$(registry -d reg show --json lead_model@2 | jq -r .tags.note)" = "$value" ]
	"$PY" -c 'import json, sys; [json.loads(l) for l in open("reg/log.jsonl")]'
	run --separate-stderr registry -d reg alias lead_model@1 production
	assert_failure 1
	[ "$stderr" = "registry: bad alias 'production' (not a number, not a stage, no '@' or white space)" ]
}

@test "registry keeps state files content-addressed with the version" {
	printf 'mean,sd\n1,2\n' >clean.state
	printf 'dummies\n' >encode.state
	registry -d reg add -s clean.state -s encode.state m1.model >/dev/null
	cmp clean.state "$(registry -d reg path -s clean.state lead_model@1)"
	cmp encode.state "$(registry -d reg path -s encode.state lead_model@1)"
	[ "$(registry -d reg path -s encode.state lead_model@1)" = "reg/objects/$(sha encode.state)" ]
	run --separate-stderr registry -d reg path -s nope lead_model@1
	assert_failure 1
	[ "$stderr" = "registry: lead_model@1 has no state nope" ]
}

@test "registry runs: recorded with run-add, filtered by tool, sorted by a metric, as JSON lines" {
	export PIPEML_REGISTRY=reg
	registry run-add -t fit-logreg -p C=1 -m f1=0.7 -i "$(sha m1.model)" --seed 42 >id1
	registry run-add -t fit-gbt -m f1=0.9 >/dev/null
	registry run-add -t fit-logreg -p C=10 -m f1=0.8 >id3
	run registry runs --tool fit-logreg --sort f1 --json
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	[ "$(jq -r .run <<<"${lines[0]}")" = "$(cat id3)" ]
	[ "$(jq -c '[.tool, .params.C, .metrics.f1, .seed, (.input_sha256 | length)]' <<<"${lines[1]}")" = '["fit-logreg","1",0.7,42,64]' ]
	jq -e '.start and .end and (.duration >= 0) and .host and .user and .pipeml_version' <<<"${lines[1]}"
	run registry runs --sort f1
	assert_line --index 0 --regexp '^RUN +TOOL +START +SECONDS +METRICS$'
	assert_line --index 1 --regexp ' fit-gbt .* f1=0\.9$'
	assert_line --index 3 --regexp ' fit-logreg .* f1=0\.7$'
}

@test "registry: 20 concurrent adds give 20 distinct versions, a complete log, verify clean" {
	registry -d reg add m1.model >/dev/null
	for i in $(seq 2 21); do
		m=m1
		[ $((i % 3)) -ne 0 ] || m=m0.1
		registry -d reg add -m "i=$i" "$m.model" >"out.$i" 3>&- &
	done
	wait
	[ "$(cat out.* | sort -u | wc -l)" -eq 20 ]
	[ "$(registry -d reg list --json | jq .version | paste -sd,)" = "$(seq -s, 1 21)" ]
	[ "$(jq -s 'map(.metrics.i) | map(select(.)) | sort | map(tostring) | join(",")' -r reg/log.jsonl)" = "$(seq -s, 2 21)" ]
	[ "$(jq -s 'map(.seq) | map(tostring) | join(",")' -r reg/log.jsonl)" = "$(seq -s, 1 21)" ]
	run registry -d reg verify
	assert_success
	assert_output ok
}

@test "registry: a writer killed with SIGKILL at random points (50 times or more) never leaves a state verify rejects" {
	registry -d reg add m1.model >/dev/null
	# how long one add takes here (most of it fsync), the quickest of three (one slow fsync
	# would spread the kill points past most adds): kill points are drawn over all of it
	span=""
	for i in 1 2 3; do
		head -c 300000 /dev/urandom >big.state
		start=$(date +%s%N)
		registry -d reg add -s big.state m0.1.model >/dev/null
		ms=$((($(date +%s%N) - start) / 1000000 + 5))
		[ -n "$span" ] && [ "$span" -le "$ms" ] || span=$ms
	done
	# 50 kills at random points, more (up to 200) until at least one lands during an add
	killed=0 tries=0
	while [ "$tries" -lt 50 ] || { [ "$killed" -eq 0 ] && [ "$tries" -lt 200 ]; }; do
		tries=$((tries + 1))
		head -c 300000 /dev/urandom >big.state
		registry -d reg add -s big.state m0.1.model >/dev/null 2>&1 3>&- &
		pid=$!
		ms=$((RANDOM % span))
		sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
		kill -9 "$pid" 2>/dev/null || true
		rc=0
		wait "$pid" 2>/dev/null || rc=$?
		[ "$rc" -ne 137 ] || killed=$((killed + 1))
		registry -d reg verify >verify.out || {
			cat verify.out
			false
		}
	done
	echo "# killed $killed of $tries (span ${span} ms)" >&3
	[ "$killed" -gt 0 ]
	# every complete line parses; the sequence numbers and versions are unbroken
	"$PY" -c '
import json, sys
lines = open("reg/log.jsonl").read().split("\n")
events = [json.loads(l) for l in lines[:-1]]
assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
assert [e["version"] for e in events] == list(range(1, len(events) + 1))
'
	registry -d reg add m0.01.model >/dev/null
	run registry -d reg verify
	assert_success
	[ "${lines[-1]}" = ok ]
	[ "$(grep -vc '^note: ' <<<"$output")" -eq 1 ]
}

@test "registry: a torn last line is reported by verify, ignored by readers, cut off by the next writer" {
	registry -d reg add m1.model >/dev/null
	printf '{"seq":2,"time":"2026-' >>reg/log.jsonl
	run registry -d reg verify
	assert_success
	assert_output $'note: reg/log.jsonl: a torn last line (an interrupted write) is ignored\nok'
	[ "$(registry -d reg list --json | wc -l)" -eq 1 ]
	run registry -d reg add m0.1.model
	assert_output "lead_model@2"
	jq -e . reg/log.jsonl >/dev/null
	[ "$(registry -d reg verify)" = ok ]
}

@test "registry verify: a changed object, a lost, garbled or inconsistent line are problems (exit 1)" {
	registry -d reg add m1.model >/dev/null
	registry -d reg add m0.1.model >/dev/null
	cp -r reg good
	obj="reg/objects/$(sha m1.model)"
	chmod u+w "$obj"
	printf x >>"$obj"
	run --separate-stderr registry -d reg verify
	assert_failure 1
	assert_output --regexp "^lead_model@1: $obj: content hashes to [0-9a-f]{64}$"
	[ "$stderr" = "registry: 1 problem found" ]
	rm -rf reg && cp -r good reg
	sed -i 1d reg/log.jsonl
	run --separate-stderr registry -d reg verify
	assert_failure 1
	assert_output "reg/log.jsonl:1: sequence number is not 1"
	rm -rf reg && cp -r good reg
	sed -i '1s/"seq":1,/"seq":1,,/' reg/log.jsonl
	run --separate-stderr registry -d reg verify
	assert_failure 1
	assert_output --regexp '^reg/log.jsonl:1: offset 9: expected a string key$'
	rm -rf reg && cp -r good reg
	registry -d reg promote lead_model@1 production 2>/dev/null
	registry -d reg promote lead_model@2 production 2>/dev/null
	sed -i '4s/"archived":\[1\]/"archived":[]/' reg/log.jsonl
	run --separate-stderr registry -d reg verify
	assert_failure 1
	assert_output "reg/log.jsonl:4: promote: archived list differs from the replay's"
	# a version no long holds, a fraction, zero: refused by name, never cast (the fuzzer's)
	for v in 13333333333333333333 1.5 0 -1; do
		rm -rf reg && cp -r good reg
		sed -i "2s/\"version\":2,/\"version\":$v,/" reg/log.jsonl
		run --separate-stderr registry -d reg verify
		assert_failure 1
		assert_output "reg/log.jsonl:2: add: bad model, version or sha256"
	done
}

@test "registry: a write that fails for lack of space (ulimit -f) changes nothing" {
	registry -d reg add m1.model >/dev/null
	registry -d reg add m0.1.model >/dev/null
	# a new object larger than the limit
	head -c 200000 /dev/urandom >big.state
	before="$(snapshot)"
	run --separate-stderr bash -c 'ulimit -f 100; registry -d reg add -s big.state m1.model'
	assert_failure 1
	[ "$stderr" = "registry: reg/objects/$(sha big.state): File too large" ]
	[ "$(snapshot)" = "$before" ]
	# the log line crosses the limit: a partial write, undone
	[ "$(stat -c %s reg/log.jsonl)" -lt 1024 ]
	run --separate-stderr bash -c "ulimit -f 1; registry -d reg add -D $(printf '%0600d' 0) m1.model"
	assert_failure 1
	[ "$stderr" = "registry: reg/log.jsonl: File too large" ]
	[ "$(snapshot)" = "$before" ]
	# the log is already past the limit
	registry -d reg add -D "$(printf '%0400d' 0)" m0.01.model >/dev/null
	[ "$(stat -c %s reg/log.jsonl)" -gt 1024 ]
	before="$(snapshot)"
	run bash -c 'ulimit -f 1; registry -d reg promote lead_model@1 production'
	assert_failure 1
	[ "$(snapshot)" = "$before" ]
	[ "$(registry -d reg verify)" = ok ]
}

@test "registry bad usage and unknown names" {
	run --separate-stderr registry -d reg promote lead_model@1 live
	assert_failure 2
	[ "$stderr" = "registry: 'live': expected a stage: none, staging, production or archived" ]
	run --separate-stderr registry -d reg promote lead_model staging
	assert_failure 2
	[ "$stderr" = "registry: 'lead_model': expected NAME@VERSION (a version number)" ]
	run --separate-stderr registry -d reg frobnicate
	assert_failure 2
	[ "$stderr" = "registry: unknown command 'frobnicate'" ]
	run --separate-stderr registry -d reg list
	assert_failure 1
	[ "$stderr" = "registry: reg: no registry there" ]
	registry -d reg add m1.model >/dev/null
	run --separate-stderr registry -d reg path lead_model@production
	assert_failure 1
	[ "$stderr" = "registry: reg: lead_model has no production version" ]
	run --separate-stderr registry -d reg show nope
	assert_failure 1
	[ "$stderr" = "registry: reg: no model nope" ]
	printf 'not a model' >bad.model
	run --separate-stderr registry -d reg add bad.model
	assert_failure 1
	[ "$(registry -d reg list --json | wc -l)" -eq 1 ]
	run --separate-stderr registry -d reg add -n 'a b' m1.model
	assert_failure 1
	[ "$stderr" = "registry: bad model name 'a b' (no '@', no white space)" ]
}

@test "registry --help lists every option, each in the man page" {
	run registry --help
	assert_success
	while read -r o; do
		grep -q -- "${o#--}" "$ROOT/man/registry.1" || {
			echo "missing $o"
			false
		}
	done < <(grep -oE -- '--[a-z0-9-]+' <<<"$output" | sort -u)
}

@test "registry's JSON parser (the log's) reads RFC 8259 and names what is wrong" {
	cat >in.txt <<'EOF2'
{"a":[1,2.5,-0,1e300,true,false,null],"b":{"c":"d\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}}
  [ ]  
-12.5e-3
{"a":1,}
[1 2]
{"a" 1}
01
1.
"\x"
"\ud800"
"abc
nul
{"a":1} x
"\u0000"
EOF2
	# a number past a double's range, a byte-order mark
	printf '[1e400]\n\xef\xbb\xbf[1]\n' >>in.txt
	run "$PIPEML_UNIT/json_tool" <in.txt
	assert_success
	assert_output - <<'EOF2'
{"a":[1,2.5,-0,1e+300,true,false,null],"b":{"c":"d\"\\/\u0008\u000c\n\u000d\té😀"}}
[]
-0.0125
error: offset 7: expected a string key
error: offset 3: expected ',' or ']'
error: offset 5: expected ':'
error: offset 1: trailing characters after the JSON value
error: offset 2: expected a digit after '.'
error: offset 3: bad escape in string
error: offset 7: unpaired surrogate
error: offset 4: unterminated string
error: offset 0: expected a JSON value
error: offset 8: trailing characters after the JSON value
error: offset 7: \u0000 in string
error: offset 1: number out of the range of a double
[1]
EOF2
	# what it writes back means what it read
	head -3 in.txt >valid.txt
	"$PIPEML_UNIT/json_tool" <valid.txt >again.txt
	"$PY" -c 'import json, sys; a, b = (open(f).read().splitlines() for f in sys.argv[1:]); assert [json.loads(x) for x in a] == [json.loads(x) for x in b]' valid.txt again.txt
	printf '%*s%s%*s\n' 70 '' '' 0 '' | tr ' ' '[' >deep.txt
	run "$PIPEML_UNIT/json_tool" <deep.txt
	assert_output "error: offset 65: nested too deeply"
}
