#!/usr/bin/env bash
# make bench: run every bench/*.sh (but this file and lib.sh), each printing a table of
# pipeml's median time against a peer's, measured in the same run, and appending to
# bench/out/results.tsv. A failing script is reported and the others still run.
set -euo pipefail
cd "$(dirname "$0")/.."

failed=()
for script in bench/*.sh; do
	case "${script##*/}" in
	run.sh | lib.sh) continue ;;
	esac
	if ! bash "$script"; then
		failed+=("${script##*/}")
	fi
	echo
done
echo "results appended to bench/out/results.tsv"
if [ ${#failed[@]} -gt 0 ]; then
	echo "bench: failed: ${failed[*]}" >&2
	exit 1
fi
