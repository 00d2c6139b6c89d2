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

# For score, drift and report: a model (g.model), the states of n.csv (c.state, e.state), a
# drift reference (ref.mp) and pick-best's report (pick.json).
make_scorers() {
	fit-gbt -j 1 --param n_estimators=1 n.st >g.model
	csvclean --numeric a,b --role y=target --save-state c.state -o stream n.csv |
		encode -y y -s a,b -S e.state >/dev/null
	drift --save-reference ref.mp n.st
	pick-best -R pick.json -t n.st g.model >/dev/null 2>&1
}

# Tool command lines that write stdout, each with its input (score and report: make_scorers).
WRITERS=("from-csv n.csv" "to-csv n.st" "csvclean -o csv n.csv" "csvclean n.csv" "encode n.st"
	"encode -o csv n.st" "fit-logreg n.st" "fit-gbt -j 1 n.st" "synth -n 10" "score -m g.model n.st"
	"score -m g.model -s c.state -s e.state n.csv" "score -m g.model -o stream n.st"
	"report pick.json")

@test "stdout closed: every writer exits 1 with one message" {
	make_scorers
	local t
	for t in "${WRITERS[@]}"; do
		run_split bash -c "exec $t >&-"
		assert_failure 1
		assert_equal "$stderr" "${t%% *}: write error on stdout: Bad file descriptor"
	done
}

@test "stdout a full disk (/dev/full): every writer exits 1 with one message" {
	make_scorers
	local t
	for t in "${WRITERS[@]}"; do
		run_split bash -c "exec $t >/dev/full"
		assert_failure 1
		assert_equal "$stderr" "${t%% *}: write error on stdout: No space left on device"
	done
}

@test "drift writes no stdout: closed or full it does not matter; its files on a full disk fail" {
	make_scorers
	run_split bash -c 'exec drift -q --reference ref.mp n.st >&-'
	assert_success
	assert_equal "$stderr" ""
	run_split bash -c 'exec drift -q --reference ref.mp n.st >/dev/full'
	assert_success
	run_split drift -q --reference ref.mp --report /dev/full n.st
	assert_failure 1
	assert_equal "$stderr" "drift: /dev/full: No space left on device"
	run_split drift --save-reference /dev/full n.st
	assert_failure 1
	assert_equal "$stderr" "drift: /dev/full: No space left on device"
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
	make_scorers
	local t
	for t in from-csv to-csv csvclean encode fit-logreg fit-gbt "pipeml export -f sklearn" \
		"score -m g.model" "score -m g.model -s c.state -s e.state" "drift --reference ref.mp" \
		"drift --save-reference out.ref" report; do
		# shellcheck disable=SC2086
		run_split $t <.
		assert_failure 1
		case "$t" in
		pipeml*) assert_equal "$stderr" "export: stdin: is a directory" ;;
		*) assert_equal "$stderr" "${t%% *}: stdin: is a directory" ;;
		esac
	done
	[ ! -e out.ref ]
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

@test "SIGPIPE from | head -1: score and report stop quietly (drift writes no stdout)" {
	make_scorers
	awk 'BEGIN { print "a,b,y"; for (i = 0; i < 200000; i++) print i % 7 "," i % 5 "," i % 2 }' |
		from-csv -r a=feature -r b=feature -r y=target >big.st
	run_split bash -c 'set -o pipefail; score -m g.model big.st | head -1 >/dev/null'
	assert_equal "$stderr" ""
	[ "$status" -eq 141 ] || fail "score: exit $status"
	# a page of over 10 MB: a candidate's file name of 10^7 bytes
	"$PY" -c '
s = open("pick.json").read()
open("big.json", "w").write(s.replace("\"g.model\"", "\"" + "x" * 10**7 + "\"", 1))'
	run_split bash -c 'set -o pipefail; report big.json | head -1 >/dev/null'
	assert_equal "$stderr" ""
	[ "$status" -eq 141 ] || fail "report: exit $status"
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

@test "SIGTERM mid-run: score, drift and report die and leave no temporary file" {
	make_scorers
	mkdir out
	mkfifo in.fifo
	local pid i rc t
	for t in score drift report; do
		case $t in
		score) score -m g.model -s c.state -s e.state -r out/rej.csv <in.fifo >out.txt 2>err.txt & ;;
		drift) drift --save-reference out/ref.mp --report out/drift.json <in.fifo >out.txt 2>err.txt & ;;
		report) report <in.fifo >out.txt 2>err.txt & ;;
		esac
		pid=$!
		rc=0
		# fd 3 is bats' own; the fifo stays open on 7 so that the tool waits for more input
		exec 7>in.fifo
		case $t in
		score) printf 'a,b,y\n1,2,0\n' >&7 ;;
		drift) head -c 50 n.st >&7 ;;
		report) head -c 100 pick.json >&7 ;;
		esac
		if [ "$t" = score ]; then
			for ((i = 0; i < 100; i++)); do
				[ -z "$(ls -A out)" ] || break
				sleep 0.05
			done
			[[ "$(ls -A out)" == rej.csv.tmp.* ]] || fail "no temporary file: $(ls -A out)"
		else
			sleep 0.3
		fi
		kill -TERM "$pid"
		wait "$pid" || rc=$?
		exec 7>&-
		[ "$rc" -eq 143 ] || fail "$t: exit $rc: $(cat err.txt)"
		[ -z "$(ls -A out)" ] || fail "$t left behind: $(ls -A out)"
	done
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
