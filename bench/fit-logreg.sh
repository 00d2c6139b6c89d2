#!/usr/bin/env bash
# fit-logreg against LIBLINEAR (liblinear-train -s 0) and scikit-learn (lbfgs): l2, C = 1, on
# synthetic logistic data (bench/fit-logreg-data.py: a clean 0/1 target, the same rows as a
# stream, a LIBLINEAR text file and a .npy matrix). LIBLINEAR penalises its bias (-B 1), so it
# races fit-logreg --param penalize_intercept=true; scikit-learn does not, so it races plain
# fit-logreg. Each runs at its default tolerance; the objectives are printed to show they
# agree to 1e-6, and fit-logreg's peak memory against the dense float64 matrix.
# Sizes: FIT_LOGREG_BENCH="ROWSxFEATURES ..." (default: BENCH_ROWS rows x 12 and x 100);
# threads of fit-logreg in the races with the single-threaded peers: FIT_LOGREG_JOBS (1) —
# Debian's scikit-learn runs on the reference BLAS, one thread, as does liblinear-train. A
# third race puts fit-logreg at its default (all cores) against scikit-learn, reported apart.
# LIBLINEAR's time includes parsing its text input, scikit-learn's the Python start-up and
# loading the .npy files.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

sizes="${FIT_LOGREG_BENCH:-${BENCH_ROWS}x12 ${BENCH_ROWS}x100}"
jobs="${FIT_LOGREG_JOBS:-1}"
peer_py="$BENCH_ROOT/bench/fit-logreg-peer.py"
cores="$(nproc)"

# speedup JSON: the peer's median over pipeml's (above 1 = pipeml faster)
speedup() {
	jq -r '.results[1].median / .results[0].median | . * 100 | round / 100' "$1"
}

for size in $sizes; do
	n="${size%x*}"
	nf="${size#*x}"
	d="$BENCH_OUT/logreg-$n-$nf"
	if [ ! -s "$d.svm" ]; then
		"$BENCH_PY" "$BENCH_ROOT/bench/fit-logreg-data.py" "$n" "$nf" 1 "$d.tmp$$" ||
			bench_die "could not make $d.*"
		for ext in st svm X.npy y.npy; do mv -f "$d.tmp$$.$ext" "$d.$ext"; done
	fi
	bytes="$(wc -c <"$d.st")"
	bench_header "fit-logreg.sh: $n rows x $nf features, l2, C=1, -j $jobs"
	bench_compare "logreg-$nf-bias" "$bytes" "$n" \
		"'$BENCH_BIN/fit-logreg' -j $jobs --param penalize_intercept=true '$d.st' >'$d.pb.model'" \
		"liblinear-train -s 0" "liblinear-train -q -s 0 -c 1 -B 1 '$d.svm' '$d.ll.model'"
	bench_compare "logreg-$nf" "$bytes" "$n" \
		"'$BENCH_BIN/fit-logreg' -j $jobs '$d.st' >'$d.p.model'" \
		"sklearn lbfgs" "'$BENCH_PY' '$peer_py' sklearn '$d' '$d.sk.npy'"
	"$BENCH_PY" "$peer_py" objectives "$d" "$d.pb.model" "$d.ll.model" "$d.p.model" "$d.sk.npy"
	echo "speed-up at -j $jobs: $(speedup "$BENCH_OUT/fit-logreg-logreg-$nf-bias.json")x LIBLINEAR" \
		"(goal >= 1), $(speedup "$BENCH_OUT/fit-logreg-logreg-$nf.json")x scikit-learn (goal >= 3)"
	if [ "$cores" -gt 1 ] && [ "$jobs" != "$cores" ]; then
		bench_compare "logreg-$nf-j$cores" "$bytes" "$n" \
			"'$BENCH_BIN/fit-logreg' '$d.st' >'$d.pj.model'" \
			"sklearn lbfgs" "'$BENCH_PY' '$peer_py' sklearn '$d' '$d.sk.npy'"
		echo "speed-up at the default -j $cores (scikit-learn: one thread):" \
			"$(speedup "$BENCH_OUT/fit-logreg-logreg-$nf-j$cores.json")x scikit-learn"
	fi
	peak_kb="$(/usr/bin/time -f %M "$BENCH_BIN/fit-logreg" -j "$jobs" "$d.st" 2>&1 >/dev/null |
		tail -1)"
	awk -v kb="$peak_kb" -v n="$n" -v nf="$nf" 'BEGIN {
		m = n * nf * 8 / 1024
		printf "peak memory %.0f MiB = %.2fx the dense matrix (%.0f MiB; goal <= 1.5x)\n",
		    kb / 1024, kb / m, m / 1024 }'
done
