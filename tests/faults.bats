#!/usr/bin/env bats
# Fault drills (issue 10): stdout closed or full, stdin a directory, an output directory that
# cannot be written, SIGPIPE, SIGTERM mid-run, two writers on one registry. Each: the
# documented exit status, one message, and no file (or temporary file) left behind.

load helper

setup() {
	cd "$BATS_TEST_TMPDIR" || exit 1
	printf 'a,b,y\n1,2,0\n2,1,1\n3,3,0\n4,0,1\n5,1,1\n0,2,0\n' >n.csv
	from-csv -r a=feature -r b=feature -r y=target n.csv >n.st
}

# Tool command lines that write stdout, each with its input.
WRITERS=("from-csv n.csv" "to-csv n.st" "csvclean -o csv n.csv" "csvclean n.csv" "encode n.st"
	"encode -o csv n.st" "fit-logreg n.st" "fit-gbt -j 1 n.st" "synth -n 10")

@test "stdout closed: every writer exits 1 with one message" {
	local t
	for t in "${WRITERS[@]}"; do
		run_split bash -c "exec $t >&-"
		assert_failure 1
		assert_equal "$stderr" "${t%% *}: write error on stdout: Bad file descriptor"
	done
}

@test "stdout a full disk (/dev/full): every writer exits 1 with one message" {
	local t
	for t in "${WRITERS[@]}"; do
		run_split bash -c "exec $t >/dev/full"
		assert_failure 1
		assert_equal "$stderr" "${t%% *}: write error on stdout: No space left on device"
	done
}

@test "a named output on a full disk fails with exit 1 and no file left" {
	mkdir out
	# files are limited to 1 KiB (the messages fit; a limit of 0 would silence them too)
	run_split bash -c 'ulimit -f 1; trap "" XFSZ; synth -n 20000 >out/big.csv'
	assert_failure 1
	assert_equal "$stderr" "synth: write error on stdout: File too large"
	fit-gbt -j 1 --param n_estimators=20 n.st >g.model
	run_split bash -c 'ulimit -f 1; trap "" XFSZ; pipeml export -f xgboost-json --output out/m.json g.model'
	assert_failure 1
	assert_equal "$stderr" "export: out/m.json: File too large"
	[ "$(ls out)" = big.csv ] || fail "left behind: $(ls out)"
}

@test "stdin a directory: every reader exits 1 saying so" {
	local t
	for t in from-csv to-csv csvclean encode fit-logreg fit-gbt "pipeml export -f sklearn"; do
		# shellcheck disable=SC2086
		run_split $t <.
		assert_failure 1
		case "$t" in
		pipeml*) assert_equal "$stderr" "export: stdin: is a directory" ;;
		*) assert_equal "$stderr" "$t: stdin: is a directory" ;;
		esac
	done
}

@test "an output directory that cannot be written: exit 1 naming the file, nothing left" {
	local ro=ro
	mkdir ro
	chmod 555 ro
	# root writes through permission bits; /sys refuses even root
	[ "$(id -u)" != 0 ] || ro=/sys
	fit-gbt -j 1 n.st >g.model
	run_split csvclean --save-state "$ro/s.st" -o csv n.csv
	assert_failure 1
	assert_equal "$stderr" "csvclean: $ro/s.st: Permission denied"
	run_split encode -S "$ro/e.st" n.st
	assert_failure 1
	assert_equal "$stderr" "encode: $ro/e.st: Permission denied"
	run_split pipeml export -f xgboost-json --output "$ro/m.json" g.model
	assert_failure 1
	assert_output ""
	assert_equal "$stderr" "export: $ro/m.json: Permission denied"
	run_split fit-gbt -j 1 --report "$ro/r.json" n.st
	assert_failure 1
	assert_equal "$stderr" "fit-gbt: $ro/r.json: Permission denied"
	[ -z "$(ls -A ro)" ]
}

@test "SIGPIPE from | head -1: the writer stops quietly" {
	run_split bash -c 'set -o pipefail; synth -n 200000 | head -1 >/dev/null'
	assert_equal "$stderr" ""
	[ "$status" -eq 141 ] || [ "$status" -eq 0 ] || fail "synth: exit $status"
	synth -n 20000 >big.csv
	run_split bash -c 'set -o pipefail; from-csv big.csv | to-csv | head -1 >/dev/null'
	assert_equal "$stderr" ""
	[ "$status" -eq 141 ] || [ "$status" -eq 0 ] || fail "to-csv: exit $status"
	run_split bash -c 'set -o pipefail; csvclean -o csv big.csv | head -1 >/dev/null'
	assert_equal "$stderr" ""
	[ "$status" -eq 141 ] || [ "$status" -eq 0 ] || fail "csvclean: exit $status"
}

@test "SIGTERM mid-run: the tool dies and leaves no temporary file" {
	mkdir out
	mkfifo in.fifo
	csvclean --bad-rows out/bad.csv -o csv <in.fifo >out.csv 2>err.txt &
	local pid=$! i rc=0
	# fd 3 is bats' own; the fifo stays open on 7 so that csvclean waits for more input
	exec 7>in.fifo
	synth -n 3000 >&7 # over the reader's 256 KiB chunk: the header gets read
	for ((i = 0; i < 100; i++)); do
		[ -z "$(ls -A out)" ] || break
		sleep 0.05
	done
	[[ "$(ls -A out)" == bad.csv.tmp.* ]] || fail "no temporary file: $(ls -A out)"
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	exec 7>&-
	[ "$rc" -eq 143 ] || fail "exit $rc: $(cat err.txt)"
	[ -z "$(ls -A out)" ] || fail "left behind: $(ls -A out)"
}

@test "two pipelines writing one registry at once: both versions land, verify is clean" {
	fit-logreg n.st >a.model
	fit-gbt -j 1 n.st >b.model
	local i
	for i in 1 2 3 4; do
		registry -d reg add -n m a.model >"a$i.out" &
		registry -d reg add -n m b.model >"b$i.out" &
	done
	wait
	run registry -d reg verify
	assert_success
	run registry -d reg list
	assert_success
	# 8 adds, one model name: versions 1..8, each once
	[ "$(grep -c '^{' reg/log.jsonl)" -ge 8 ] || fail "$(cat reg/log.jsonl)"
	run bash -c 'cat a?.out b?.out | sort'
	assert_output "$(printf 'm@%d\n' 1 2 3 4 5 6 7 8 | sort)"
}
