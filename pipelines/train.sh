#!/usr/bin/env bash
# The full training run: raw_data.csv in, a validated, registered model out.
# Settings live in pipelines/params.sh; every stage logs with a timestamp to stderr and to
# $ARTIFACTS/run.log, and any failure stops the run with a non-zero exit.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"
# shellcheck source=pipelines/params.sh
. "$here/params.sh"
# Tools are called by path: `split` and `export` would otherwise be coreutils' and the shell's.
BIN="${PIPEML_BIN:-$root/bin}"

mkdir -p "$ARTIFACTS"
log() {
	printf '%s train: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" | tee -a "$ARTIFACTS/run.log" >&2
}
trap 'log "error: stage failed (exit $?); nothing registered or exported"' ERR

[ -f "$RAW_DATA" ] || { log "error: $RAW_DATA missing (make data)"; exit 1; }
log "data: $RAW_DATA md5 $(md5sum <"$RAW_DATA" | cut -d' ' -f1)"

# The stages, in order, with the tool each needs.
stages="clean:csvclean encode:encode split:split fit-logreg:fit-logreg fit-gbt:fit-gbt
select:pick-best register:registry export:export"
missing=""
for s in $stages; do
	tool=${s#*:}
	if [ -x "$BIN/$tool" ]; then
		log "stage ${s%%:*}: $tool available"
	else
		missing="$missing ${s%%:*}"
	fi
done
if [ -n "$missing" ]; then
	log "stages not built yet:$missing — no model was trained"
	exit 0
fi
