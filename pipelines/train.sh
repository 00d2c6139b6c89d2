#!/usr/bin/env bash
# The full training run: raw_data.csv in, a registered model and its exports out.
#
#   pipelines/train.sh            every stage in order (the two searches at once)
#   pipelines/train.sh STAGE ...  the named stages only (what `make pipeline` calls)
#
# Stages: params clean encode split fit-logreg fit-gbt select drift publish (and `uptodate`,
# which only logs). Settings live in pipelines/params.sh (each overridable from the environment).
# Every stage logs with a UTC timestamp to stderr and to $ARTIFACTS/run.log; a failing tool
# stops the run with its exit status and a logged error. Only `publish`, the last stage,
# registers the model and writes artifacts/model/: a run that fails anywhere registers and
# exports nothing.
set -Eeuo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"
# shellcheck source=pipelines/params.sh
. "$here/params.sh"
# Tools are called by path: `split` and `export` would otherwise be coreutils' and the shell's.
BIN="${PIPEML_BIN:-$root/bin}"
LOGREG_JOBS="${LOGREG_JOBS:-1}"
GBT_JOBS="${GBT_JOBS:-$(nproc 2>/dev/null || echo 2)}"

W="$ARTIFACTS/work"       # intermediate streams, states and models
R="$ARTIFACTS/reports"    # metrics, classification reports, CV tables
M="$ARTIFACTS/model"      # the exported models
P="$ARTIFACTS/params"     # one file per stage: its parameters (make's dependencies)
mkdir -p "$W" "$R" "$P"

stage=""
temps=() # this process's temporary files and directories, removed when it exits
cleanup() { [ ${#temps[@]} -eq 0 ] || rm -rf "${temps[@]}"; }
trap cleanup EXIT
log() {
	local ts line
	TZ=UTC0 printf -v ts '%(%Y-%m-%dT%H:%M:%SZ)T' -1
	line="$ts train: $*"
	printf '%s\n' "$line" >&2
	printf '%s\n' "$line" >>"$ARTIFACTS/run.log"
}
fail() {
	log "error: ${stage:+stage $stage: }$*; nothing registered or exported"
	exit 1
}
trap 'rc=$?; log "error: ${stage:+stage $stage: }command failed (exit $rc) at line $LINENO; nothing registered or exported"; exit $rc' ERR
trap 'log "error: ${stage:+stage $stage: }interrupted; nothing registered or exported"; exit 130' INT
trap 'log "error: ${stage:+stage $stage: }terminated; nothing registered or exported"; exit 143' TERM

# run TOOL ARGS...: run $BIN/TOOL, its standard error logged line by line with timestamps
# (or, with RUN_ERR=FILE, kept in FILE and logged only on failure); a failure (or a death by
# signal) is logged and ends the run with the tool's status.
run() {
	local tool=$1 err rc=0
	shift
	err=$(mktemp "$W/.stderr.XXXXXX")
	temps+=("$err")
	"$BIN/$tool" "$@" 2>"$err" || rc=$?
	if [ -z "${RUN_ERR:-}" ] || [ "$rc" -ne 0 ]; then
		while IFS= read -r line; do log "  $line"; done <"$err"
	fi
	if [ -n "${RUN_ERR:-}" ]; then mv -f "$err" "$RUN_ERR"; else rm -f "$err"; fi
	if [ "$rc" -ne 0 ]; then
		local why="exited with status $rc"
		[ "$rc" -le 128 ] || why="was killed by signal $((rc - 128)) ($(kill -l "$((rc - 128))" 2>/dev/null || echo '?'))"
		log "error: stage $stage: $tool $why; nothing registered or exported"
		exit "$rc"
	fi
}

# The parameters each stage depends on (the data's checksum is the `data` file).
stage_params() {
	case $1 in
	clean) echo "CLEAN_DATE=$CLEAN_DATE" "CLEAN_DROP=$CLEAN_DROP" "CLEAN_REQUIRE=$CLEAN_REQUIRE" \
		"CLEAN_KEEP=$CLEAN_KEEP" "CLEAN_CATEGORICAL=$CLEAN_CATEGORICAL" "CLEAN_NUMERIC=$CLEAN_NUMERIC" \
		"CLEAN_CLIP=$CLEAN_CLIP" "CLEAN_IMPUTE_MEAN=$CLEAN_IMPUTE_MEAN" "CLEAN_FILL=$CLEAN_FILL" \
		"CLEAN_IMPUTE_MODE=$CLEAN_IMPUTE_MODE" "CLEAN_MAP=$CLEAN_MAP" "CLEAN_ORDER=$CLEAN_ORDER" \
		"CLEAN_TARGET=$CLEAN_TARGET" "CLEAN_ID=$CLEAN_ID" ;;
	encode) echo "ENCODE_POSITIVE=$ENCODE_POSITIVE" "ENCODE_DROP=$ENCODE_DROP" \
		"ENCODE_SCALE=$ENCODE_SCALE" "ENCODE_ONEHOT=$ENCODE_ONEHOT" ;;
	split) echo "SPLIT_FRACTION=$SPLIT_FRACTION" "SPLIT_SEED=$SPLIT_SEED" ;;
	fit-logreg) echo "LOGREG_SEARCH=$LOGREG_SEARCH" "LOGREG_CV=$LOGREG_CV" \
		"LOGREG_SCORING=$LOGREG_SCORING" "LOGREG_SEED=$LOGREG_SEED" "LOGREG_SOLVER=$LOGREG_SOLVER" \
		"LOGREG_PENALTY=$LOGREG_PENALTY" "LOGREG_C=$LOGREG_C" ;;
	fit-gbt) echo "GBT_SEARCH=$GBT_SEARCH" "GBT_CV=$GBT_CV" "GBT_SCORING=$GBT_SCORING" \
		"GBT_SEED=$GBT_SEED" "GBT_LEARNING_RATE=$GBT_LEARNING_RATE" \
		"GBT_MIN_SPLIT_LOSS=$GBT_MIN_SPLIT_LOSS" "GBT_MAX_DEPTH=$GBT_MAX_DEPTH" \
		"GBT_SUBSAMPLE=$GBT_SUBSAMPLE" "GBT_OBJECTIVE=$GBT_OBJECTIVE" \
		"GBT_EVAL_METRIC=$GBT_EVAL_METRIC" ;;
	select) echo "SELECT_METRIC=$SELECT_METRIC" ;;
	drift) echo "DRIFT_BINS=$DRIFT_BINS" "DRIFT_POINTS=$DRIFT_POINTS" ;;
	publish) echo "SELECT_METRIC=$SELECT_METRIC" "MODEL_NAME=$MODEL_NAME" "PROMOTE=$PROMOTE" \
		"REGISTRY=$REGISTRY" ;;
	esac | tr ' ' '\n'
}

# write_if_changed FILE: standard input to FILE, only when it differs (keeps make's mtimes).
write_if_changed() {
	local new old=""
	new=$(cat)
	[ ! -f "$1" ] || old=$(<"$1")
	[ -f "$1" ] && [ "$new" = "$old" ] && return 0
	printf '%s\n' "$new" >"$1.tmp.$$"
	mv -f "$1.tmp.$$" "$1"
}

# params: check the data against data/checksums and record what each stage depends on.
stage_params_step() {
	[ -f "$RAW_DATA" ] || fail "$RAW_DATA: no such file (make data)"
	local md5 sha want
	md5=$(md5sum <"$RAW_DATA" | cut -d' ' -f1)
	sha=$(sha256sum <"$RAW_DATA" | cut -d' ' -f1)
	# The fetched file must still be what data/checksums pins (an edited or corrupt file
	# is refused); a RAW_DATA given from elsewhere is recorded by its checksum only.
	if [ "$(cd "$(dirname "$RAW_DATA")" && pwd)" = "$root/data/raw" ]; then
		want=$(awk -v n="$(basename "$RAW_DATA")" '$1 == n { print $2, $3 }' data/checksums)
		if [ -n "$want" ] && [ "$want" != "$md5 $sha" ]; then
			fail "$RAW_DATA: checksum mismatch (md5 $md5, expected ${want%% *}); run make data"
		fi
	fi
	printf 'md5=%s\nsha256=%s\n' "$md5" "$sha" | write_if_changed "$P/data"
	local s
	for s in clean encode split fit-logreg fit-gbt select drift publish; do
		stage_params "$s" | write_if_changed "$P/$s"
	done
	log "data: $RAW_DATA md5 $md5"
}

stage_clean() {
	local tmp
	tmp=$(mktemp "$W/clean.stream.XXXXXX")
	temps+=("$tmp")
	run csvclean --date "$CLEAN_DATE" --drop "$CLEAN_DROP" --require "$CLEAN_REQUIRE" \
		--keep "$CLEAN_KEEP" --categorical "$CLEAN_CATEGORICAL" --numeric "$CLEAN_NUMERIC" \
		--clip "$CLEAN_CLIP" --impute-mean "$CLEAN_IMPUTE_MEAN" --fill "$CLEAN_FILL" \
		--impute-mode "$CLEAN_IMPUTE_MODE" --map "$CLEAN_MAP" --order "$CLEAN_ORDER" \
		--role "$CLEAN_TARGET=target" --role "$CLEAN_ID=id" \
		--save-state "$W/clean.state" --report-dir "$R/clean" "$RAW_DATA" >"$tmp"
	mv -f "$tmp" "$W/clean.stream"
}

stage_encode() {
	local tmp
	tmp=$(mktemp "$W/encoded.stream.XXXXXX")
	temps+=("$tmp")
	run encode -y "$CLEAN_TARGET" -p "$ENCODE_POSITIVE" -i "$CLEAN_ID" -d "$ENCODE_DROP" \
		-s "$ENCODE_SCALE" -c "$ENCODE_ONEHOT" -S "$W/encode.state" "$W/clean.stream" >"$tmp"
	mv -f "$tmp" "$W/encoded.stream"
	features >"$R/features.txt"
}

# The feature names, from the encoded stream's header (to-csv -r): one line, comma-separated.
features() (
	set +o pipefail # head ends to-csv early
	"$BIN/to-csv" -r "$W/encoded.stream" | head -n 1 | tr ',' '\n' |
		awk -F: '$3 == "feature" { printf "%s%s", sep, $1; sep = "," } END { print "" }'
)

stage_split() {
	run split -f "$SPLIT_FRACTION" -s "$SPLIT_SEED" -t "$W/test.stream" -T "$W/train.stream" \
		"$W/encoded.stream"
}

# cv_table JSON TSV: a search's candidates as a table (rank by mean score).
cv_table() {
	jq -r '["candidate", "mean", "sd", "fit_seconds", "params", "failure"],
		(.search.candidates | to_entries[] | [.key, .value.mean, .value.sd, .value.fit_seconds,
		 (.value.params | to_entries | map("\(.key)=\(.value)") | join(" ")), .value.failure])
		| map(. // "" | tostring) | @tsv' "$1" >"$2.tmp"
	mv -f "$2.tmp" "$2"
}

stage_fit_logreg() {
	local tmp
	tmp=$(mktemp "$W/logreg.model.XXXXXX")
	temps+=("$tmp")
	run fit-logreg --param "solver=$LOGREG_SOLVER" --param "penalty=$LOGREG_PENALTY" \
		--param "C=$LOGREG_C" --search "$LOGREG_SEARCH" --cv "$LOGREG_CV" \
		--scoring "$LOGREG_SCORING" --seed "$LOGREG_SEED" -j "$LOGREG_JOBS" \
		--report "$R/cv_logreg.json" "$W/train.stream" >"$tmp"
	cv_table "$R/cv_logreg.json" "$R/cv_logreg.tsv"
	mv -f "$tmp" "$W/logreg.model"
}

stage_fit_gbt() {
	local tmp
	tmp=$(mktemp "$W/forest.model.XXXXXX")
	temps+=("$tmp")
	run fit-gbt --forest --search "$GBT_SEARCH" --cv "$GBT_CV" --scoring "$GBT_SCORING" \
		--seed "$GBT_SEED" -j "$GBT_JOBS" \
		--param "learning_rate=$GBT_LEARNING_RATE" --param "min_split_loss=$GBT_MIN_SPLIT_LOSS" \
		--param "max_depth=$GBT_MAX_DEPTH" --param "subsample=$GBT_SUBSAMPLE" \
		--param "objective=$GBT_OBJECTIVE" --param "eval_metric=$GBT_EVAL_METRIC" \
		--report "$R/cv_forest.json" "$W/train.stream" >"$tmp"
	cv_table "$R/cv_forest.json" "$R/cv_forest.tsv"
	mv -f "$tmp" "$W/forest.model"
}

# select: score both models on the test split (and on the train split), pick the best.
stage_select() {
	local tmp m
	tmp=$(mktemp "$W/best.model.XXXXXX")
	temps+=("$tmp")
	for m in logreg forest; do
		"$BIN/pick-best" -m "$SELECT_METRIC" -t "$W/test.stream" "$W/$m.model" \
			2>"$R/classification_report_$m.txt" >/dev/null ||
			fail "pick-best could not score $m.model: $(head -n 1 "$R/classification_report_$m.txt")"
	done
	RUN_ERR="$R/selection_train.txt" run pick-best -m "$SELECT_METRIC" -t "$W/train.stream" \
		-R "$R/metrics_train.json" "$W/logreg.model" "$W/forest.model" >/dev/null
	RUN_ERR="$R/selection.txt" run pick-best -m "$SELECT_METRIC" -t "$W/test.stream" \
		-R "$R/metrics.json" "$W/logreg.model" "$W/forest.model" >"$tmp"
	mv -f "$tmp" "$W/best.model"
	# The HTML report (report(1)): curves, confusion matrices, both searches' CV scores.
	tmp=$(mktemp "$R/report.html.XXXXXX")
	temps+=("$tmp")
	run report -s "$R/cv_logreg.json" -s "$R/cv_forest.json" "$R/metrics.json" >"$tmp"
	chmod 644 "$tmp"
	mv -f "$tmp" "$R/report.html"
	local c
	for c in 0 1; do
		log "$(jq -r --arg m "$SELECT_METRIC" --argjson c "$c" '.candidates[$c] as $x |
			"\(if .winner == $c then "selected" else "candidate" end) \($x.file | sub(".*/"; "")) (\($x.kind)): test \($m) \($x.metrics[$m] * 10000 | round / 10000), accuracy \($x.metrics.accuracy * 10000 | round / 10000)"' \
			"$R/metrics.json")"
	done
}

# drift: the reference profile new data is checked against before scoring (drift(1)): the
# rows csvclean kept in training, with the selected model's scores of them (prediction drift).
stage_drift() {
	local tmp
	tmp=$(mktemp "$W/drift.ref.XXXXXX")
	temps+=("$tmp")
	run drift --save-reference "$tmp" --bins "$DRIFT_BINS" --points "$DRIFT_POINTS" \
		--encode-state "$W/encode.state" --model "$W/best.model" "$W/clean.stream"
	mv -f "$tmp" "$W/drift.ref"
	log "drift reference: $W/drift.ref (the cleaned training rows, best.model's scores of them)"
}

# publish: export, register and promote, then move the exports into place — the only stage
# that changes the registry or artifacts/model/, and the last one.
stage_publish() {
	local stg f
	stg=$(mktemp -d "$ARTIFACTS/.publish.XXXXXX")
	temps+=("$stg")
	run export -f sklearn --output "$stg/model.pkl" "$W/logreg.model"
	run export -f xgboost-json --output "$stg/forest.json" "$W/forest.model"
	cp "$W/logreg.model" "$W/forest.model" "$W/clean.state" "$W/encode.state" "$W/drift.ref" "$stg/"
	# The run's record (NOTEBOOK step 19): every parameter, the data's sha256, the metrics.
	local args=() line
	while IFS= read -r line; do args+=(-p "$line"); done < <(awk '!seen[$0]++' "$P"/{clean,encode,split,fit-logreg,fit-gbt,select,drift,publish})
	while IFS= read -r line; do args+=(-m "$line"); done < <(jq -r '.candidates[] |
		(.file | sub(".*/"; "") | sub("\\.model$"; "")) as $n | .metrics |
		"\($n)_test_f1=\(.f1)", "\($n)_test_accuracy=\(.accuracy)"' "$R/metrics.json")
	RUN_ERR="$R/run.err" run registry -d "$REGISTRY" run-add -t train.sh "${args[@]}" \
		-i "$(sed -n 's/^sha256=//p' "$P/data")" --seed "$SPLIT_SEED" >"$R/run.txt"
	rm -f "$R/run.err"
	log "run $(cat "$R/run.txt") recorded in $REGISTRY (parameters, data sha256, metrics)"
	# Registration is the last step that can fail; the moves after it are renames. It scores
	# the same rows as select, so its winner (standard output) is select's best.model.
	RUN_ERR="$R/registry.txt" run pick-best -m "$SELECT_METRIC" -t "$W/test.stream" -d "$REGISTRY" -n "$MODEL_NAME" \
		-s "$W/clean.state" -s "$W/encode.state" -s "$W/drift.ref" --promote "$PROMOTE" \
		-R "$R/registry.json" "$W/logreg.model" "$W/forest.model" >"$stg/best.model"
	mkdir -p "$M"
	for f in best.model logreg.model forest.model forest.json clean.state encode.state drift.ref \
		model.pkl; do
		mv -f "$stg/$f" "$M/$f"
	done
	log "registry: $(jq -r '.registry | if .registered then "\(.model) version \(.version) registered (\(.reason))"
		else "nothing registered: \(.reason)" end' "$R/registry.json")"
	log "exported $M/model.pkl (logistic regression, scikit-learn), $M/best.model, $M/forest.json"
}

do_stage() {
	stage=$1
	local t0=$SECONDS
	case $1 in
	params) stage_params_step; stage=""; return ;;
	uptodate) log "pipeline: up to date (data, parameters and tools unchanged): nothing to do"; return ;;
	clean | encode | split | select | drift | publish) ;;
	fit-logreg | fit-gbt) ;;
	*) stage=""; fail "unknown stage $1" ;;
	esac
	log "stage $1: start"
	"stage_${1//-/_}"
	log "stage $1: done ($((SECONDS - t0)) s)"
	stage=""
}

if [ $# -gt 0 ]; then
	for s in "$@"; do do_stage "$s"; done
	exit 0
fi

log "pipeline: start"
for s in params clean encode split; do do_stage "$s"; done
# The two searches at once, from the same split.
# (A background subshell does not inherit the EXIT trap that removes temporary files.)
(trap cleanup EXIT; do_stage fit-logreg) & lr=$!
(trap cleanup EXIT; do_stage fit-gbt) & gb=$!
rc=0
wait "$lr" || rc=$?
wait "$gb" || rc=$((rc ? rc : $?))
[ "$rc" -eq 0 ] || fail "a search failed (exit $rc)"
for s in select drift publish; do do_stage "$s"; done
log "pipeline: done"
