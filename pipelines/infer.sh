#!/usr/bin/env bash
# The inference run: raw CSV of new leads in (a path or stdin), the production model from the
# registry with its cleaning and encoding states, predictions out (stdout or -o FILE).
#
# usage: pipelines/infer.sh [-m NAME@STAGE] [-j N] [-S SSHLOGIN] [-t T] [-D] [-r REJECTS]
#                           [-o FILE] [input.csv]
#   -m  the model version (lead_model@production)
#   -j  score N blocks at once with GNU parallel (output byte-identical to one process)
#   -S  GNU parallel's --sshlogin (e.g. 4/host1,4/host2,:): the cluster form; the hosts need
#       pipeml on their PATH (PIPEML_BIN) and the registry's objects at the same path
#   -t  the label's threshold (0.5); -D reject the rows training's rules would drop;
#   -r  write the rejected rows there (not with -S); -o write the predictions to FILE (atomically)
# The registry is $PIPEML_REGISTRY (default: registry); INFER_BLOCK is the block size (4M). Every run appends one inference record
# to it (registry runs -t score). Stages log to stderr and to $ARTIFACTS/infer.log; any failure
# exits non-zero with an error line in the log and leaves no predictions file.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
# shellcheck source=pipelines/params.sh
. "$here/params.sh"
BIN="${PIPEML_BIN:-$root/bin}"
PATH="$BIN:$PATH"
export PIPEML_REGISTRY="${PIPEML_REGISTRY:-registry}"

mkdir -p "$ARTIFACTS"
log() {
	printf '%s infer: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" | tee -a "$ARTIFACTS/infer.log" >&2
}
usage() {
	sed -n '5,8p' "$0" | sed 's/^# //' >&2
	exit 2
}

model=lead_model@production jobs=1 sshlogin="" threshold=0.5 reject="" rejects="" out=""
while getopts "m:j:S:t:Dr:o:h" c; do
	case $c in
	m) model=$OPTARG ;;
	j) jobs=$OPTARG ;;
	S) sshlogin=$OPTARG ;;
	t) threshold=$OPTARG ;;
	D) reject=--reject-dropped ;;
	r) rejects=$OPTARG ;;
	o) out=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -le 1 ] || usage
input="${1:--}"
case $jobs in '' | *[!0-9]* | 0) log "error: -j: expected a positive number, not '$jobs'"; exit 2 ;; esac

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
trap 'log "error: inference failed (exit $?) on $input; no predictions file written"' ERR

model_path="$(registry path "$model")"
log "model $model: $model_path (registry $PIPEML_REGISTRY)"
[ "$input" = - ] || [ -r "$input" ] || { log "error: $input: cannot read"; exit 1; }
dest=/dev/stdout
if [ -n "$out" ]; then
	dest="$out.partial.$$" # beside $out, renamed over it at the end
	trap 'rm -rf "$tmp" "$dest"' EXIT
fi

if [ "$jobs" -eq 1 ] && [ -z "$sshlogin" ]; then
	opts=(-m "$model" -t "$threshold" ${reject:+"$reject"})
	[ -z "$rejects" ] || opts+=(-r "$rejects")
	if [ "$input" = - ]; then score "${opts[@]}" >"$dest"; else score "${opts[@]}" "$input" >"$dest"; fi
else
	# Blocks of the CSV, each with the header, scored by files (the jobs do not log: one
	# record is written for the whole run below); only the first block keeps its header.
	states=()
	for name in $(registry show --json "$model" | jq -r '.states[]?.name'); do
		states+=(-s "$(registry path -s "$name" "$model")")
	done
	sargs=$(printf '%q ' -m "$model_path" "${states[@]}" -t "$threshold" ${reject:+"$reject"})
	where=(-j "$jobs")
	[ -z "$sshlogin" ] || where=(--sshlogin "$sshlogin")
	# local jobs write their rejects to one file a block, joined in order below
	[ -z "$rejects" ] || [ -n "$sshlogin" ] || sargs="$sargs -r $(printf '%q' "$tmp")/rejects.{#}"
	[ "$input" != - ] || { input="$tmp/input.csv"; cat >"$input"; }
	PARALLEL_SHELL=bash parallel --pipe --header 1 --keep-order --halt now,fail=1 "${where[@]}" \
		--block "${INFER_BLOCK:-4M}" \
		"set -o pipefail; env -u PIPEML_REGISTRY score $sargs | if [ {#} -eq 1 ]; then cat; else tail -n +2; fi" \
		<"$input" >"$dest" 2>"$tmp/stderr" || status=$?
	grep -v '^score: [0-9]* rows in, ' "$tmp/stderr" >&2 || true
	if [ "${status:-0}" -ne 0 ]; then
		log "error: inference failed (exit $status) on ${1:--}; no predictions file written"
		exit 1
	fi
	# rows in, scored, positive, rejected: the jobs' summaries added up
	read -r rin rout pos rej < <(awk '/^score: [0-9]* rows in, / { i += $2; o += $5; p += substr($7, 2); r += $11 }
		END { print i + 0, o + 0, p + 0, r + 0 }' "$tmp/stderr")
	registry run-add -t score -p "model=$model" -p "model_sha256=$(sha256sum <"$model_path" | cut -d' ' -f1)" \
		-p "input=${1:--}" -p "threshold=$threshold" -p "jobs=$jobs" \
		-m "rows_in=$rin" -m "rows_out=$rout" -m "rows_rejected=$rej" -m "positives=$pos" \
		-i "$(sha256sum <"$input" | cut -d' ' -f1)" >/dev/null
	log "$rin rows in, $rout scored ($pos positive at $threshold), $rej rejected ($jobs jobs)"
	if [ -n "$rejects" ] && [ -n "$sshlogin" ]; then
		log "note: with -S the rejected rows are counted, not written to $rejects"
	elif [ -n "$rejects" ]; then
		first=1
		while read -r f; do
			if [ $first -eq 1 ]; then cat "$tmp/$f"; else tail -n +2 "$tmp/$f"; fi
			first=0
		done < <(find "$tmp" -maxdepth 1 -name 'rejects.*' -printf '%f\n' | sort -t. -k2,2n) >"$tmp/joined.csv"
		mv "$tmp/joined.csv" "$rejects"
	fi
fi
if [ -n "$out" ]; then
	mv "$dest" "$out"
	log "predictions: $out ($(($(wc -l <"$out") - 1)) rows)"
fi
log "done"
