#!/usr/bin/env bats
# Man pages: every page lints clean; every tool has one that lists each option of --help.

load helper

@test "every man page is clean under mandoc -Tlint" {
	local page
	for page in "$ROOT"/man/*.[157]; do
		run mandoc -Tlint -Wwarning "$page"
		[ "$status" -eq 0 ] || fail "$page: $output"
		[ -z "$output" ] || fail "$page: $output"
	done
}

@test "every man page renders without warnings under groff" {
	local page
	for page in "$ROOT"/man/*.[157]; do
		run groff -mandoc -ww -z "$page"
		[ "$status" -eq 0 ] || fail "$page: $output"
		[ -z "$output" ] || fail "$page: $output"
	done
}

@test "every tool has a man page naming each option of its --help" {
	local tool name opt
	for tool in "$ROOT"/tools/*.c; do
		name=$(basename "$tool" .c)
		[ -f "$ROOT/man/$name.1" ] || fail "no man/$name.1"
		run "$PIPEML_BIN/$name" --help
		[ "$status" -eq 0 ] || fail "$name --help: exit $status"
		for opt in $(printf '%s\n' "$output" | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
			grep -qE -- "Fl (\\\\)?-${opt#--}([^a-z0-9-]|\$)" "$ROOT/man/$name.1" ||
				fail "man/$name.1 does not document $opt"
		done
	done
}

@test "every tool answers --version and rejects an unknown option with exit 2" {
	local tool name
	for tool in "$ROOT"/tools/*.c; do
		name=$(basename "$tool" .c)
		run "$PIPEML_BIN/$name" --version
		[ "$status" -eq 0 ] || fail "$name --version: exit $status"
		[[ "$output" == "$name "* ]] || fail "$name --version: $output"
		[ "$name" = pipeml ] && continue
		run_split "$PIPEML_BIN/$name" --no-such-option
		[ "$status" -eq 2 ] || fail "$name --no-such-option: exit $status"
	done
}
