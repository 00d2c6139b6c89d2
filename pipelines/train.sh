#!/usr/bin/env bash
# The full training run: raw_data.csv in, a registered model and its exports out.
#
#   pipelines/train.sh            every stage in order (the two searches at once)
#   pipelines/train.sh STAGE ...  the named stages only (what make's stage targets call)
#   pipelines/train.sh changed    the stages make finds out of date (what `make pipeline` calls)
#
# Stages: params clean encode split fit-logreg fit-gbt select drift publish. Settings live in
# pipelines/params.sh (each overridable from the environment).
# Every stage logs with a UTC timestamp to stderr and to $ARTIFACTS/run.log; a failing tool
# stops the run with its exit status and a logged error. Only `publish`, the last stage,
# registers the model and writes artifacts/model/: a run that fails anywhere registers and
# exports nothing.
set -Eeuo pipefail

# Few processes of its own: on the 2,500 rows of raw_data.csv the shell's own work is a good
# part of the run's time.
case $0 in */*) cd "${0%/*}" ;; esac
cd ..
root=$PWD
# shellcheck source=pipelines/params.sh
. "$root/pipelines/params.sh"
# Tools are called by path: `split` and `export` would otherwise be coreutils' and the shell's.
BIN="${PIPEML_BIN:-$root/bin}"
LOGREG_JOBS="${LOGREG_JOBS:-1}"
GBT_JOBS="${GBT_JOBS:-}" # empty: fit-gbt's default, every core

W="$ARTIFACTS/work"       # intermediate streams, states and models
R="$ARTIFACTS/reports"    # metrics, classification reports, CV tables
M="$ARTIFACTS/model"      # the exported models
P="$ARTIFACTS/params"     # one file per stage: its parameters (make's dependencies)
if [ ! -d "$W" ] || [ ! -d "$R" ] || [ ! -d "$P" ]; then mkdir -p "$W" "$R" "$P"; fi

stage=""
temps=() # this process's temporary files and directories, removed when it exits
cleanup() {
	local t left=()
	for t in "${temps[@]}" "$W/.stderr.$BASHPID"; do [ ! -e "$t" ] || left+=("$t"); done
	[ ${#left[@]} -eq 0 ] || rm -rf "${left[@]}"
}
# tmpname NAME: a temporary path for NAME in $W (this process's, removed when it exits)
tmpname() {
	tmp="$W/.$1.$BASHPID"
	temps+=("$tmp")
}
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
	local tool=$1 err="" rc=0 line ef="$W/.stderr.$BASHPID"
	shift
	# the tool's standard error into $err (through a file: no subshell to fork), its
	# standard output where run's goes
	"$BIN/$tool" "$@" 2>"$ef" || rc=$?
	IFS= read -r -d '' err <"$ef" || true
	while [ "${err%$'\n'}" != "$err" ]; do err=${err%$'\n'}; done
	[ -z "${RUN_ERR:-}" ] || printf '%s%s' "$err" "${err:+$'\n'}" >"$RUN_ERR"
	if [ -n "$err" ] && { [ -z "${RUN_ERR:-}" ] || [ "$rc" -ne 0 ]; }; then
		while IFS= read -r line; do log "  $line"; done <<<"$err"
	fi
	if [ "$rc" -ne 0 ]; then
		local why="exited with status $rc"
		[ "$rc" -le 128 ] || why="was killed by signal $((rc - 128)) ($(kill -l "$((rc - 128))" 2>/dev/null || echo '?'))"
		log "error: stage $stage: $tool $why; nothing registered or exported"
		exit "$rc"
	fi
}

# stage_params STAGE: sp=(the parameters STAGE depends on); the data's checksum is the `data` file.
stage_params() {
	sp=()
	case $1 in
	clean) sp=("CLEAN_DATE=$CLEAN_DATE" "CLEAN_DROP=$CLEAN_DROP" "CLEAN_REQUIRE=$CLEAN_REQUIRE" \
		"CLEAN_KEEP=$CLEAN_KEEP" "CLEAN_CATEGORICAL=$CLEAN_CATEGORICAL" "CLEAN_NUMERIC=$CLEAN_NUMERIC" \
		"CLEAN_CLIP=$CLEAN_CLIP" "CLEAN_IMPUTE_MEAN=$CLEAN_IMPUTE_MEAN" "CLEAN_FILL=$CLEAN_FILL" \
		"CLEAN_IMPUTE_MODE=$CLEAN_IMPUTE_MODE" "CLEAN_MAP=$CLEAN_MAP" "CLEAN_ORDER=$CLEAN_ORDER" \
		"CLEAN_TARGET=$CLEAN_TARGET" "CLEAN_ID=$CLEAN_ID") ;;
	encode) sp=("ENCODE_POSITIVE=$ENCODE_POSITIVE" "ENCODE_DROP=$ENCODE_DROP" \
		"ENCODE_SCALE=$ENCODE_SCALE" "ENCODE_ONEHOT=$ENCODE_ONEHOT") ;;
	split) sp=("SPLIT_FRACTION=$SPLIT_FRACTION" "SPLIT_SEED=$SPLIT_SEED" "SPLIT_METHOD=$SPLIT_METHOD") ;;
	fit-logreg) sp=("LOGREG_SEARCH=$LOGREG_SEARCH" "LOGREG_CV=$LOGREG_CV" \
		"LOGREG_SCORING=$LOGREG_SCORING" "LOGREG_SEED=$LOGREG_SEED" "LOGREG_SOLVER=$LOGREG_SOLVER" \
		"LOGREG_PENALTY=$LOGREG_PENALTY" "LOGREG_C=$LOGREG_C") ;;
	fit-gbt) sp=("GBT_SEARCH=$GBT_SEARCH" "GBT_CV=$GBT_CV" "GBT_SCORING=$GBT_SCORING" \
		"GBT_SEED=$GBT_SEED" "GBT_LEARNING_RATE=$GBT_LEARNING_RATE" \
		"GBT_MIN_SPLIT_LOSS=$GBT_MIN_SPLIT_LOSS" "GBT_MAX_DEPTH=$GBT_MAX_DEPTH" \
		"GBT_SUBSAMPLE=$GBT_SUBSAMPLE" "GBT_OBJECTIVE=$GBT_OBJECTIVE" \
		"GBT_EVAL_METRIC=$GBT_EVAL_METRIC") ;;
	select) sp=("SELECT_METRIC=$SELECT_METRIC") ;;
	drift) sp=("DRIFT_BINS=$DRIFT_BINS" "DRIFT_POINTS=$DRIFT_POINTS") ;;
	publish) sp=("SELECT_METRIC=$SELECT_METRIC" "MODEL_NAME=$MODEL_NAME" "PROMOTE=$PROMOTE" \
		"REGISTRY=$REGISTRY") ;;
	esac
}

# write_if_changed FILE LINE...: the lines to FILE, only when they differ (keeps make's mtimes).
write_if_changed() {
	local f=$1 new old
	shift
	printf -v new '%s\n' "$@"
	if [ -f "$f" ]; then
		IFS= read -r -d '' old <"$f" || true
		[ "$new" != "$old" ] || return 0
	fi
	# written in place: a torn write only makes the stage look changed, so it runs again
	printf '%s' "$new" >"$f"
}

# params: check the data against data/checksums and record what each stage depends on.
stage_params_step() {
	[ -f "$RAW_DATA" ] || fail "$RAW_DATA: no such file (make data)"
	local md5 sha want="" dir name n a b pid tmp
	# both checksums at once
	tmpname md5
	md5sum <"$RAW_DATA" >"$tmp" &
	pid=$!
	sha=$(sha256sum <"$RAW_DATA")
	sha=${sha%% *}
	wait "$pid" || fail "md5sum $RAW_DATA failed"
	read -r md5 _ <"$tmp"
	# The fetched file must still be what data/checksums pins (an edited or corrupt file
	# is refused); a RAW_DATA given from elsewhere is recorded by its checksum only.
	case $RAW_DATA in */*) dir=${RAW_DATA%/*} name=${RAW_DATA##*/} ;; *) dir=. name=$RAW_DATA ;; esac
	if [ "$dir" -ef "$root/data/raw" ]; then
		while read -r n a b _; do
			[ "$n" != "$name" ] || want="$a $b"
		done <data/checksums
		if [ -n "$want" ] && [ "$want" != "$md5 $sha" ]; then
			fail "$RAW_DATA: checksum mismatch (md5 $md5, expected ${want%% *}); run make data"
		fi
	fi
	write_if_changed "$P/data" "md5=$md5" "sha256=$sha"
	local s sp
	for s in clean encode split fit-logreg fit-gbt select drift publish; do
		stage_params "$s"
		write_if_changed "$P/$s" "${sp[@]}"
	done
	log "data: $RAW_DATA md5 $md5"
}

stage_clean() {
	local tmp
	tmpname clean.stream
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
	tmpname encoded.stream
	run encode -y "$CLEAN_TARGET" -p "$ENCODE_POSITIVE" -i "$CLEAN_ID" -d "$ENCODE_DROP" \
		-s "$ENCODE_SCALE" -c "$ENCODE_ONEHOT" -S "$W/encode.state" "$W/clean.stream" >"$tmp"
	mv -f "$tmp" "$W/encoded.stream"
	features >"$R/features.txt"
}

# The feature names, from the encoded stream's header (to-csv -r): one line, comma-separated.
features() (
	set +o pipefail # awk ends to-csv early
	"$BIN/to-csv" -r "$W/encoded.stream" | awk -F, '{
		for (i = 1; i <= NF; i++) {
			n = split($i, f, ":")
			if (n == 3 && f[3] == "feature") { printf "%s%s", sep, f[1]; sep = "," }
		}
		print ""
		exit
	}'
)

stage_split() {
	local how=()
	case $SPLIT_METHOD in
	sklearn) how=(--sklearn) ;;
	pipeml) ;;
	*) fail "SPLIT_METHOD=$SPLIT_METHOD: expected sklearn or pipeml" ;;
	esac
	run split "${how[@]}" -f "$SPLIT_FRACTION" -s "$SPLIT_SEED" -t "$W/test.stream" \
		-T "$W/train.stream" "$W/encoded.stream"
}

stage_fit_logreg() {
	local tmp
	tmpname logreg.model
	run fit-logreg --param "solver=$LOGREG_SOLVER" --param "penalty=$LOGREG_PENALTY" \
		--param "C=$LOGREG_C" --search "$LOGREG_SEARCH" --cv "$LOGREG_CV" \
		--scoring "$LOGREG_SCORING" --seed "$LOGREG_SEED" -j "$LOGREG_JOBS" \
		--report "$R/cv_logreg.json" --table "$R/cv_logreg.tsv" "$W/train.stream" >"$tmp"
	mv -f "$tmp" "$W/logreg.model"
}

stage_fit_gbt() {
	local tmp
	tmpname forest.model
	run fit-gbt --forest --search "$GBT_SEARCH" --cv "$GBT_CV" --scoring "$GBT_SCORING" \
		--seed "$GBT_SEED" ${GBT_JOBS:+-j "$GBT_JOBS"} \
		--param "learning_rate=$GBT_LEARNING_RATE" --param "min_split_loss=$GBT_MIN_SPLIT_LOSS" \
		--param "max_depth=$GBT_MAX_DEPTH" --param "subsample=$GBT_SUBSAMPLE" \
		--param "objective=$GBT_OBJECTIVE" --param "eval_metric=$GBT_EVAL_METRIC" \
		--report "$R/cv_forest.json" --table "$R/cv_forest.tsv" "$W/train.stream" >"$tmp"
	mv -f "$tmp" "$W/forest.model"
}

# select: score both models on the test split (and on the train split), pick the best.
stage_select() {
	local tmp best m k rc line pids=() errs=()
	tmpname best.model
	best=$tmp
	# At once, beside the selection: each model's classification report on the test rows,
	# and both models' scores on the train rows (pick-best's standard error is the report).
	for m in logreg forest; do
		"$BIN/pick-best" -m "$SELECT_METRIC" -t "$W/test.stream" "$W/$m.model" \
			2>"$R/classification_report_$m.txt" >/dev/null &
		pids+=($!) errs+=("$R/classification_report_$m.txt")
	done
	"$BIN/pick-best" -m "$SELECT_METRIC" -t "$W/train.stream" -R "$R/metrics_train.json" \
		"$W/logreg.model" "$W/forest.model" 2>"$R/selection_train.txt" >/dev/null &
	pids+=($!) errs+=("$R/selection_train.txt")
	RUN_ERR="$R/selection.txt" run pick-best -m "$SELECT_METRIC" -t "$W/test.stream" \
		-R "$R/metrics.json" --metrics "$R/metrics.tsv" "$W/logreg.model" "$W/forest.model" >"$best"
	# The HTML report (report(1)): curves, confusion matrices, both searches' CV scores.
	tmp="$R/.report.html.$BASHPID"
	temps+=("$tmp")
	run report -s "$R/cv_logreg.json" -s "$R/cv_forest.json" "$R/metrics.json" >"$tmp"
	for k in "${!pids[@]}"; do
		rc=0
		wait "${pids[$k]}" || rc=$?
		if [ "$rc" -ne 0 ]; then
			IFS= read -r line <"${errs[$k]}" || true
			fail "pick-best exited with status $rc (${errs[$k]}: $line)"
		fi
	done
	mv -f "$tmp" "$R/report.html"
	mv -f "$best" "$W/best.model"
	# pick-best's table of the test scores (the winner starred) and its choice
	while IFS= read -r line && [ -n "$line" ]; do log "test: $line"; done <"$R/selection.txt"
	while IFS= read -r line; do
		case $line in "best by "*) log "selected by ${line#best by }" ;; esac
	done <"$R/selection.txt"
}

# drift: the reference profile new data is checked against before scoring (drift(1)): the
# rows csvclean kept in training, with the selected model's scores of them (prediction drift).
stage_drift() {
	local tmp
	tmpname drift.ref
	run drift --save-reference "$tmp" --bins "$DRIFT_BINS" --points "$DRIFT_POINTS" \
		--encode-state "$W/encode.state" --model "$W/best.model" "$W/clean.stream"
	mv -f "$tmp" "$W/drift.ref"
	log "drift reference: $W/drift.ref (the cleaned training rows, best.model's scores of them)"
}

# publish: export, register and promote, then move the exports into place — the only stage
# that changes the registry or artifacts/model/, and the last one.
stage_publish() {
	local stg="$ARTIFACTS/.publish.$BASHPID" f pid rc=0 line
	temps+=("$stg")
	mkdir -p "$stg" "$M"
	# the two exports at once (export's standard error kept in the staging directory)
	"$BIN/export" -f xgboost-json --output "$stg/forest.json" "$W/forest.model" 2>"$stg/export.err" &
	pid=$!
	run export -f sklearn --output "$stg/model.pkl" "$W/logreg.model"
	wait "$pid" || rc=$?
	if [ "$rc" -ne 0 ]; then
		IFS= read -r line <"$stg/export.err" || true
		fail "export -f xgboost-json exited with status $rc: $line"
	fi
	cp "$W/logreg.model" "$W/forest.model" "$W/clean.state" "$W/encode.state" "$W/drift.ref" "$stg/"
	# The run's record (NOTEBOOK step 19): every parameter, the data's sha256, the metrics.
	local args=() sha="" runid
	local -A seen=()
	for f in "$P"/{clean,encode,split,fit-logreg,fit-gbt,select,drift,publish}; do
		while IFS= read -r line; do
			[ -n "${seen[$line]:-}" ] || args+=(-p "$line")
			seen[$line]=1
		done <"$f"
	done
	while IFS= read -r line; do
		case $line in sha256=*) sha=${line#sha256=} ;; esac
	done <"$P/data"
	# every test metric of both models (pick-best --metrics: model, metric, value), but one
	# that is not a finite number (nan: undefined), which the registry would refuse
	local model metric value
	{
		read -r _
		while IFS=$'\t' read -r model metric value; do
			case $value in nan | inf | -inf) ;; *) args+=(-m "${model}_test_$metric=$value") ;; esac
		done
	} <"$R/metrics.tsv"
	RUN_ERR="$stg/run.err" run registry -d "$REGISTRY" run-add -t train.sh "${args[@]}" \
		-i "$sha" --seed "$SPLIT_SEED" >"$R/run.txt"
	read -r runid <"$R/run.txt"
	log "run $runid recorded in $REGISTRY (parameters, data sha256, metrics)"
	# Registration is the last step that can fail; the moves after it are renames. It scores
	# the same rows as select, so its winner (standard output) is select's best.model.
	RUN_ERR="$R/registry.txt" run pick-best -m "$SELECT_METRIC" -t "$W/test.stream" -d "$REGISTRY" -n "$MODEL_NAME" \
		-s "$W/clean.state" -s "$W/encode.state" -s "$W/drift.ref" --promote "$PROMOTE" \
		-R "$R/registry.json" "$W/logreg.model" "$W/forest.model" >"$stg/best.model"
	# one rename per file (each atomic), model.pkl, the validator's, last
	mv -f "$stg"/{best.model,logreg.model,forest.model,forest.json,clean.state,encode.state,drift.ref,model.pkl} "$M/"
	# pick-best's word on the registration: registered (and promoted), or why not
	while IFS= read -r line; do
		case $line in "pick-best: "*) log "registry: ${line#pick-best: }" ;; esac
	done <"$R/registry.txt"
	log "exported $M/model.pkl (logistic regression, scikit-learn), $M/best.model, $M/forest.json"
}

do_stage() {
	stage=$1
	local t0=$SECONDS
	case $1 in
	params) stage_params_step; stage=""; return ;;
	clean | encode | split | select | drift | publish) ;;
	fit-logreg | fit-gbt) ;;
	*) stage=""; fail "unknown stage $1" ;;
	esac
	log "stage $1: start"
	"stage_${1//-/_}"
	log "stage $1: done ($((SECONDS - t0)) s)"
	stage=""
}

# run_stages STAGE...: the stages in order; fit-logreg and fit-gbt, when both are named, at
# once (a background subshell does not inherit the EXIT trap that removes temporary files;
# it removes its own, not this process's).
run_stages() {
	local s lr gb rc=0 both=""
	case " $* " in *" fit-logreg "*) case " $* " in *" fit-gbt "*) both=1 ;; esac ;; esac
	for s in "$@"; do
		case $both$s in
		1fit-logreg)
			(temps=(); trap cleanup EXIT; do_stage fit-logreg) & lr=$!
			(temps=(); trap cleanup EXIT; do_stage fit-gbt) & gb=$!
			wait "$lr" || rc=$?
			wait "$gb" || rc=$((rc ? rc : $?))
			[ "$rc" -eq 0 ] || fail "a search failed (exit $rc)"
			;;
		1fit-gbt) ;;
		*) do_stage "$s" ;;
		esac
	done
}

# changed (what `make pipeline` runs): the params step, then the stages whose target make
# finds out of date (its dry run of pipeline-stages: one `bash pipelines/train.sh STAGE` per
# stage to redo), all in this one process; or, with none, say so.
run_changed() {
	local tmp line stale=()
	if [ ! -e "$P/data" ]; then
		# a first run (no parameters recorded yet): every stage, no need to ask make
		run_stages params clean encode split fit-logreg fit-gbt select drift publish
		return
	fi
	do_stage params
	tmpname stages
	"${MAKE:-make}" -s --no-print-directory -n pipeline-stages >"$tmp" ||
		fail "make -n pipeline-stages failed (exit $?)"
	while IFS= read -r line; do
		case $line in
		"bash pipelines/train.sh "*) stale+=("${line##* }") ;;
		*) fail "make -n pipeline-stages: unexpected line: $line" ;;
		esac
	done <"$tmp"
	if [ ${#stale[@]} -eq 0 ]; then
		log "pipeline: up to date (data, parameters and tools unchanged): nothing to do"
		return
	fi
	run_stages "${stale[@]}"
}

case $* in
"")
	log "pipeline: start"
	run_stages params clean encode split fit-logreg fit-gbt select drift publish
	log "pipeline: done"
	;;
changed) run_changed ;;
*) for s in "$@"; do do_stage "$s"; done ;;
esac
