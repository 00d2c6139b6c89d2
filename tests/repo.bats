#!/usr/bin/env bats
# The repository itself: workflows, the data step, the deps step, install.

load helper

@test "every workflow file is valid YAML with jobs that run make deps and make test" {
	run "$PY" - "$ROOT"/.github/workflows/*.yml <<'PY'
import sys, yaml
for path in sys.argv[1:]:
    wf = yaml.safe_load(open(path))
    assert isinstance(wf, dict) and wf.get("jobs"), path
    # YAML 1.1 reads the key "on" as True
    assert "on" in wf or True in wf, path
    for name, job in wf["jobs"].items():
        assert job.get("runs-on") == "ubuntu-latest", (path, name)
        assert all(isinstance(s, dict) for s in job["steps"]), (path, name)
ci = yaml.safe_load(open([p for p in sys.argv[1:] if p.endswith("/ci.yml")][0]))
runs = [s.get("run", "") for s in ci["jobs"]["test"]["steps"]]
assert "make deps" in runs and "make test" in runs, runs
on = ci.get("on", ci.get(True))
assert "push" in on and "pull_request" in on, on
print("ok")
PY
	assert_success
	assert_output "ok"
}

@test "train.yml: train uploads the artifact model (model.pkl), validate needs train and runs the validator" {
	run "$PY" - "$ROOT/.github/workflows/train.yml" "$ROOT/.github/workflows/ci.yml" <<'PY'
import re, sys, yaml
wf = yaml.safe_load(open(sys.argv[1]))
on = wf.get("on", wf.get(True))
assert on["push"]["branches"] == ["main"] and "workflow_dispatch" in on, on
jobs = wf["jobs"]
assert set(jobs) == {"train", "validate"}, jobs
train, validate = jobs["train"], jobs["validate"]
assert "needs" not in train and validate["needs"] == "train", validate
runs = [s.get("run") for s in train["steps"] if "run" in s]
assert runs == ["make deps", "make pipeline"], runs
uses = [s["uses"] for s in train["steps"] if "uses" in s]
assert uses[0].startswith("actions/checkout@"), uses
# third-party actions pinned to a release (the validator is the course's, at main)
for u in uses:
    assert re.fullmatch(r"actions/[a-z-]+@v\d+\.\d+\.\d+", u), u
ups = [s for s in train["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")]
assert [u["with"]["name"] for u in ups] == ["model", "reports"], ups
assert ups[0]["with"]["path"] == "artifacts/model/model.pkl", ups[0]
assert [s.get("uses") for s in validate["steps"]] == ["lasselundstenjensen/itu-sdse-project-model-validator@main"]
# ci.yml stays for the tests
ci = yaml.safe_load(open(sys.argv[2]))
assert list(ci["jobs"]) == ["test"], ci["jobs"]
print("ok")
PY
	assert_success
	assert_output "ok"
}

@test "make data copies from DATA_CACHE and verifies the checksum" {
	[ -f "${DATA_CACHE:-/nonexistent}/raw_data.csv" ] || skip "DATA_CACHE not set"
	local d="$BATS_TEST_TMPDIR/repo"
	mkdir -p "$d/data"
	cp "$ROOT/data/fetch.sh" "$ROOT/data/checksums" "$d/data/"
	run_split sh "$d/data/fetch.sh" raw_data.csv
	assert_success
	[ "$(md5sum <"$d/data/raw/raw_data.csv" | cut -d' ' -f1)" = 05663184eaf8f324162e4d1bc14be387 ]
}

@test "make data with a corrupt cache fails and leaves no file" {
	local d="$BATS_TEST_TMPDIR/repo"
	mkdir -p "$d/data" "$d/cache"
	cp "$ROOT/data/fetch.sh" "$ROOT/data/checksums" "$d/data/"
	echo "lead_id" >"$d/cache/raw_data.csv"
	DATA_CACHE="$d/cache" run_split sh "$d/data/fetch.sh" raw_data.csv
	assert_failure 1
	assert_equal "$stderr" "fetch: raw_data.csv from $d/cache/raw_data.csv: checksum mismatch (md5 $(md5sum <"$d/cache/raw_data.csv" | cut -d' ' -f1), expected 05663184eaf8f324162e4d1bc14be387)"
	run ls -A "$d/data/raw"
	assert_output ""
}

@test "make data without DATA_CACHE and without network fails clearly and leaves no file" {
	local d="$BATS_TEST_TMPDIR/repo"
	mkdir -p "$d/data"
	cp "$ROOT/data/fetch.sh" "$d/data/"
	# The real address, made unreachable: the same step, with curl pointed at a closed port.
	sed 's|https://raw.githubusercontent.com/[^ ]*|http://127.0.0.1:9/raw_data.csv|' \
		"$ROOT/data/checksums" >"$d/data/checksums"
	DATA_CACHE="" run_split sh "$d/data/fetch.sh" raw_data.csv
	assert_failure 1
	assert_regex "$stderr" '^fetch: raw_data.csv: download from http://127.0.0.1:9/raw_data.csv failed: .*Failed to connect.* \(no network\? set DATA_CACHE to a directory holding raw_data.csv\)$'
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	run ls -A "$d/data/raw"
	assert_output ""
}

@test "make deps with everything present is quick and installs nothing" {
	run bash -c "time -p sh '$ROOT/.ci/deps'" 
	assert_success
	secs=$(printf '%s\n' "$output" | awk '/^real/ { print $2 }')
	"$PY" -c "import sys; sys.exit(0 if float('$secs') < 1.0 else 1)" || fail "make deps took $secs s"
	refute_output --partial "installing"
}

@test "make install puts the tools in a private libexec dir behind one front command" {
	local d="$BATS_TEST_TMPDIR/inst"
	[ -z "${SANITIZE:-}" ] || skip "install uses the normal build"
	run make -s -C "$ROOT" install NO_DEPS=1 DESTDIR="$d" PREFIX=/usr
	assert_success
	[ -x "$d/usr/bin/pipeml" ]
	[ ! -e "$d/usr/bin/split" ] && [ ! -e "$d/usr/bin/to-csv" ]
	[ -x "$d/usr/libexec/pipeml/to-csv" ]
	[ -f "$d/usr/share/man/man1/pipeml-to-csv.1" ]
	[ -f "$d/usr/share/man/man5/pipeml-stream.5" ]
	[ -f "$d/usr/share/man/man7/pipeml.7" ]
	run bash -c "printf 'a\n1\n' | '$d/usr/bin/pipeml' from-csv | '$d/usr/bin/pipeml' to-csv"
	assert_success
	assert_output "$(printf 'a\n1')"
	run_split "$d/usr/bin/pipeml" nosuchtool
	assert_failure 2
	assert_equal "$stderr" "pipeml: nosuchtool: not a pipeml tool (see pipeml --help)"
	run make -s -C "$ROOT" uninstall DESTDIR="$d" PREFIX=/usr
	assert_success
	run find "$d" -type f
	assert_output ""
}

@test "the data set is never committed" {
	run git -C "$ROOT" ls-files
	refute_output --partial "raw_data.csv"
	refute_output --partial "X_test.csv"
}
