#!/bin/sh
# Print the closing line of a bats TAP log: "N passed, N failed, N skipped".
set -eu
log=$1
passed=$(grep -c '^ok ' "$log" | tr -d ' ') || true
skipped=$(grep -c '^ok .* # skip' "$log" | tr -d ' ') || true
failed=$(grep -c '^not ok ' "$log" | tr -d ' ') || true
echo "$((passed - skipped)) passed, $failed failed, $skipped skipped"
