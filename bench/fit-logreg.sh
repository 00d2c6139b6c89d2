#!/usr/bin/env bash
# fit-logreg against LIBLINEAR (liblinear-train -s 0) and scikit-learn (lbfgs): l2, C = 1, on
# synthetic rows. LIBLINEAR penalises its bias (-B 1), so it races fit-logreg with
# penalize_intercept=true; scikit-learn does not, so it races plain fit-logreg. Each peer
# runs at its default tolerance; the objectives are printed to show they agree to 1e-6.
# Sizes: FIT_LOGREG_BENCH="ROWSxFEATURES ..." (default 1000000x12 1000000x100).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${PIPEML_BIN:-$ROOT/bin}"
PY=/usr/bin/python3
RUNS="${BENCH_RUNS:-3}"
SIZES="${FIT_LOGREG_BENCH:-1000000x12 1000000x100}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/fit-logreg-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

median() {
	"$PY" -c 'import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
print("%.3f %.3f" % (r[sys.argv[2]]["median"], r[sys.argv[2]]["user"]))' "$WORK/h.json" "$1"
}

for size in $SIZES; do
	n="${size%x*}"
	nf="${size#*x}"
	echo "== fit-logreg: $n rows x $nf features, l2, C=1"
	"$PY" "$ROOT/bench/fit-logreg-data.py" "$n" "$nf" 1 "$WORK/d"
	hyperfine --runs "$RUNS" --warmup 1 --export-json "$WORK/h.json" --style basic \
		-n pipeml-B "$BIN/fit-logreg --param penalize_intercept=true $WORK/d.st >$WORK/pb.model" \
		-n liblinear "liblinear-train -q -s 0 -c 1 -B 1 $WORK/d.svm $WORK/ll.model" \
		-n pipeml "$BIN/fit-logreg $WORK/d.st >$WORK/p.model" \
		-n sklearn "$PY $ROOT/bench/fit-logreg-peer.py sklearn $WORK/d $WORK/sk.npy" >/dev/null
	read -r pb_med pb_user < <(median pipeml-B)
	read -r ll_med ll_user < <(median liblinear)
	read -r p_med p_user < <(median pipeml)
	read -r sk_med sk_user < <(median sklearn)
	"$PY" "$ROOT/bench/fit-logreg-peer.py" objectives "$WORK/d" "$WORK/pb.model" \
		"$WORK/ll.model" "$WORK/p.model" "$WORK/sk.npy"
	awk -v a="$pb_med" -v b="$ll_med" -v au="$pb_user" -v bu="$ll_user" 'BEGIN {
		printf "pipeml (-B) %.3f s, liblinear %.3f s: %.2fx (user time %.2fx; goal >= 1.0x)\n",
		    a, b, b / a, bu / au }'
	awk -v a="$p_med" -v b="$sk_med" -v au="$p_user" -v bu="$sk_user" 'BEGIN {
		printf "pipeml %.3f s, sklearn lbfgs %.3f s: %.2fx (user time %.2fx; goal >= 3x)\n",
		    a, b, b / a, bu / au }'
	peak_kb="$(/usr/bin/time -f %M "$BIN/fit-logreg" "$WORK/d.st" 2>&1 >/dev/null | tail -1)"
	awk -v kb="$peak_kb" -v n="$n" -v nf="$nf" 'BEGIN {
		m = n * nf * 8 / 1024
		printf "peak memory %.0f MiB = %.2fx the dense matrix (%.0f MiB; goal <= 1.5x)\n",
		    kb / 1024, kb / m, m / 1024 }'
	rm -f "$WORK"/d.*
done
