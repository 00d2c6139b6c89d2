#!/usr/bin/env bash
# The inference run: raw CSV of new leads in (a path or stdin), the production model from the
# registry with its cleaning and encoding states, checked for drift, predictions out (stdout or -o FILE).
#
# usage: pipelines/infer.sh [-m NAME@STAGE] [-j N] [-S SSHLOGIN] [-t T] [-D] [-r REJECTS]
#                           [-G | -N] [-R REPORT] [-o FILE] [input.csv]
#   -m  the model version (lead_model@production)
#   -j  score N blocks at once with GNU parallel (output byte-identical to one process)
#   -S  GNU parallel's --sshlogin (e.g. 4/host1,4/host2,:): the cluster form; the hosts need
#       pipeml on their PATH (PIPEML_BIN) and the registry's objects at the same path
#   -t  the label's threshold (0.5); -D reject the rows training's rules would drop;
#   -r  write the rejected rows there (not with -S); -o write the predictions to FILE (atomically)
#   -G  gate on drift: when the input drifted, score nothing and exit 3; -N no drift check
#   -R  drift's JSON report (default $ARTIFACTS/drift/TIME-PID.json)
# Before scoring, drift(1) checks the input (stdin is saved first) against the drift reference
# stored with the version (train.sh records it) through the same states, with --ignore
# $DRIFT_IGNORE --target $DRIFT_TARGET (pipelines/params.sh), on the rows training's rules keep.
# A drift is logged with the drifted checks by name and scoring goes on (with -G it stops the
# run: exit 3, no predictions); a version without a reference is scored with drift skipped.
# The registry is $PIPEML_REGISTRY (default: registry); INFER_BLOCK is the block size (4M). Every
# run appends one inference record to it (registry runs -t score), scored or gated: model,
# input, rows and, from drift, drift=ok|warn|drift|skipped, drift_drifted (names),
# drift_report and the metric drift_checks_drifted. Stages log to stderr and to
# $ARTIFACTS/infer.log; any failure exits non-zero with an error line in the log and leaves no
# predictions file.
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
	sed -n '5,14p' "$0" | sed 's/^# //' >&2
	exit 2
}

model=lead_model@production jobs=1 sshlogin="" threshold=0.5 reject="" rejects="" out=""
gate=0 check_drift=1 drift_report=""
while getopts "m:j:S:t:Dr:GNR:o:h" c; do
	case $c in
	m) model=$OPTARG ;;
	j) jobs=$OPTARG ;;
	S) sshlogin=$OPTARG ;;
	t) threshold=$OPTARG ;;
	D) reject=--reject-dropped ;;
	r) rejects=$OPTARG ;;
	G) gate=1 ;;
	N) check_drift=0 ;;
	R) drift_report=$OPTARG ;;
	o) out=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -le 1 ] || usage
input="${1:--}" input_name="${1:--}"
case $jobs in '' | *[!0-9]* | 0) log "error: -j: expected a positive number, not '$jobs'"; exit 2 ;; esac
[ "$gate" -eq 0 ] || [ "$check_drift" -eq 1 ] || { log "error: -G gates on drift: not with -N"; exit 2; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
trap 'log "error: inference failed (exit $?) on $input_name; no predictions file written"' ERR

# The version, resolved once: its model and states are read by number from here on.
version="$(registry show --json "$model" | jq -r '"\(.model)@\(.version)"')"
model_path="$(registry path "$version")"
log "model $model: $version, $model_path (registry $PIPEML_REGISTRY)"
[ "$input" = - ] || [ -r "$input" ] || { log "error: $input: cannot read"; exit 1; }
# drift and score both read the input: standard input is saved first
[ "$input" != - ] || { input="$tmp/input.csv"; cat >"$input"; }
dest=/dev/stdout
if [ -n "$out" ]; then
	dest="$out.partial.$$" # beside $out, renamed over it at the end
	trap 'rm -rf "$tmp" "$dest"' EXIT
fi

# The stored files by their format marker (the msgpack map's first key): the scoring states,
# and the cleaning state, the encoding state and the drift reference that drift needs.
states=() clean_state="" encode_state="" drift_ref=""
for name in $(registry show --json "$version" | jq -r '.states[]?.name'); do
	f="$(registry path -s "$name" "$version")"
	case "$(head -c 40 "$f" | tr -c 'a-z-' ' ')" in
	*pipeml-drift-reference*) drift_ref=$f; continue ;;
	*pipeml-csvclean-state*) clean_state=$f ;;
	*pipeml-encode-state*) encode_state=$f ;;
	esac
	states+=(-s "$f")
done

# drift: ok, warn, drift or skipped; the drifted checks by name (schema findings, columns,
# the prediction) and how many.
drift=skipped drifted="" ndrifted=0 drift_rows=0
run_drift() {
	if [ "$check_drift" -eq 0 ]; then
		log "drift: skipped (-N)"
		return
	elif [ -z "$drift_ref" ]; then
		log "drift: skipped: $version has no drift reference"
		return
	elif [ -z "$clean_state" ] || [ -z "$encode_state" ]; then
		log "drift: skipped: $version has no cleaning and encoding states to check raw CSV through"
		return
	fi
	[ -n "$drift_report" ] || drift_report="$ARTIFACTS/drift/$(date -u +%Y%m%dT%H%M%SZ)-$$.json"
	mkdir -p "$(dirname "$drift_report")"
	local rc=0
	drift --reference "$drift_ref" --state "$clean_state" --encode-state "$encode_state" \
		--model "$model_path" --ignore "$DRIFT_IGNORE" --target "$DRIFT_TARGET" -q \
		--report "$drift_report" "$input" 2>"$tmp/drift.err" || rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
		cat "$tmp/drift.err" >&2
		log "error: drift failed (exit $rc) on $input_name; no predictions file written"
		exit 1
	fi
	read -r drift drift_rows < <(jq -r '"\(.status) \(.rows)"' "$drift_report")
	drifted=$(jq -r '[(.schema.missing_columns[] | "missing:\(.)"), (.schema.extra_columns[] | "extra:\(.)"),
		(.schema.type_changes[] | "type:\(.name)"),
		(.schema.target | select(. != null and .status == "drift") | "target:\(.name)"),
		(.columns[], .prediction | select(. != null and .status == "drift") | .name)] | join(",")' "$drift_report")
	[ -z "$drifted" ] || ndrifted=$(tr ',' '\n' <<<"$drifted" | wc -l)
	case $drift in
	drift) log "drift: $ndrifted check$([ "$ndrifted" -eq 1 ] || echo s) drifted: $drifted ($drift_rows rows checked, those training's rules keep; report $drift_report)" ;;
	warn) log "drift: warn: $(jq -r '[.columns[], .prediction | select(. != null and .status == "warn") | .name] | join(",")' "$drift_report") ($drift_rows rows checked, nothing drifted; report $drift_report)" ;;
	*) log "drift: ok ($drift_rows rows checked, those training's rules keep; report $drift_report)" ;;
	esac
}

# record OUTCOME [-m name=value ...]: the run's inference record, with drift's findings.
record() {
	local outcome=$1
	shift
	local args=(-p "model=$model" -p "model_version=$version"
		-p "model_sha256=$(sha256sum <"$model_path" | cut -d' ' -f1)" -p "input=${input_name}"
		-p "threshold=$threshold" -p "jobs=$jobs" -p "reject_dropped=$([ -n "$reject" ] && echo true || echo false)"
		-p "outcome=$outcome" -p "drift=$drift" -p "drift_gate=$([ "$gate" -eq 1 ] && echo on || echo off)")
	[ "$drift" = skipped ] || args+=(-p "drift_drifted=$drifted" -p "drift_report=$drift_report"
		-m "drift_checks_drifted=$ndrifted" -m "drift_rows=$drift_rows")
	registry run-add -t score "${args[@]}" "$@" -i "$(sha256sum <"$input" | cut -d' ' -f1)" >/dev/null
}

run_drift
if [ "$drift" = drift ] && [ "$gate" -eq 1 ]; then
	record gated
	log "error: -G: the input drifted ($drifted); nothing scored, no predictions file written"
	exit 3
fi

sargs=(-m "$model_path" "${states[@]}" -t "$threshold" ${reject:+"$reject"})
status=0
if [ "$jobs" -eq 1 ] && [ -z "$sshlogin" ]; then
	[ -z "$rejects" ] || sargs+=(-r "$rejects")
	env -u PIPEML_REGISTRY score "${sargs[@]}" "$input" >"$dest" 2>"$tmp/stderr" || status=$?
else
	# Blocks of the CSV, each with the header, scored by files (the jobs do not log: one
	# record is written for the whole run below); only the first block keeps its header.
	# (each job a block on one thread: the jobs are the parallelism)
	pargs="-j 1 $(printf '%q ' "${sargs[@]}")"
	where=(-j "$jobs")
	[ -z "$sshlogin" ] || where=(--sshlogin "$sshlogin")
	# local jobs write their rejects to one file a block, joined in order below
	[ -z "$rejects" ] || [ -n "$sshlogin" ] || pargs="$pargs -r $(printf '%q' "$tmp")/rejects.{#}"
	PARALLEL_SHELL=bash parallel --pipe --header 1 --keep-order --halt now,fail=1 "${where[@]}" \
		--block "${INFER_BLOCK:-4M}" \
		"set -o pipefail; env -u PIPEML_REGISTRY score $pargs | if [ {#} -eq 1 ]; then cat; else tail -n +2; fi" \
		<"$input" >"$dest" 2>"$tmp/stderr" || status=$?
fi
grep -v '^score: [0-9]* rows in, ' "$tmp/stderr" >&2 || true
if [ "$status" -ne 0 ]; then
	log "error: inference failed (exit $status) on $input_name; no predictions file written"
	exit 1
fi
# rows in, scored, positive, rejected: the jobs' summaries added up
read -r rin rout pos rej < <(awk '/^score: [0-9]* rows in, / { i += $2; o += $5; p += substr($7, 2); r += $11 }
	END { print i + 0, o + 0, p + 0, r + 0 }' "$tmp/stderr")
record scored -m "rows_in=$rin" -m "rows_out=$rout" -m "rows_rejected=$rej" -m "positives=$pos"
log "$rin rows in, $rout scored ($pos positive at $threshold), $rej rejected ($jobs jobs)"
if [ -n "$rejects" ] && [ -n "$sshlogin" ]; then
	log "note: with -S the rejected rows are counted, not written to $rejects"
elif [ -n "$rejects" ] && { [ "$jobs" -gt 1 ] || [ -n "$sshlogin" ]; }; then
	first=1
	while read -r f; do
		if [ $first -eq 1 ]; then cat "$tmp/$f"; else tail -n +2 "$tmp/$f"; fi
		first=0
	done < <(find "$tmp" -maxdepth 1 -name 'rejects.*' -printf '%f\n' | sort -t. -k2,2n) >"$tmp/joined.csv"
	mv "$tmp/joined.csv" "$rejects"
fi
if [ -n "$out" ]; then
	mv "$dest" "$out"
	log "predictions: $out ($(($(wc -l <"$out") - 1)) rows)"
fi
log "done"
