#!/usr/bin/env bats
# report: the curves are scikit-learn's, the page is well-formed and self-contained, it
# shows what the run decided, and Chromium renders it.
# shellcheck disable=SC2154
load helper
bats_require_minimum_version 1.5.0

ORACLE="$BATS_TEST_DIRNAME/report-oracle.py"
HTMLCHECK="$BATS_TEST_DIRNAME/report-html.py"

# Synthetic leads through the real tools: clean, encode, split, two fits (one a search),
# pick-best twice into a registry (the first promoted to production), then the page.
make_run() {
	local cat=source,customer_group,onboarding,is_active,marketing_consent,existing_customer
	local num=purchases,time_spent,n_visits,visited_faq,visited_learn_more_before_booking
	synth -n 600 --seed 3 |
		csvclean --drop date_part,first_booking,last_seen,customer_code,domain,country \
			--require lead_indicator --categorical "$cat" --impute-mode "$cat" \
			--numeric "$num" --impute-median "$num" |
		encode -y lead_indicator -i lead_id -s "$num" -c "$cat" |
		split -s 1 -f 0.3 -t test.st >train.st
	fit-logreg -T --search 6 --cv 3 --seed 1 --param C=loguniform:0.01:10 -R lr.json \
		train.st >lr.model 2>/dev/null
	fit-gbt --no-timestamp --search 4 --cv 3 --seed 1 -j 1 --param max_depth=2,3 \
		--param n_estimators=10,20 --report gbt.json train.st >gbt.model 2>/dev/null
	# a stump: 2 trees of one split, few distinct scores, many ties; no search
	fit-gbt --no-timestamp --param n_estimators=2 --param max_depth=1 --report stump.json \
		train.st >stump.model
	pick-best -d reg --promote production lr.model <test.st >/dev/null 2>&1
	pick-best -d reg -R pick.json --scores scores.csv lr.model gbt.model stump.model \
		<test.st \
		>best.model 2>/dev/null
	report -s lr.json -s gbt.json -s stump.json -d reg pick.json >page.html
}

setup() {
	cd "$BATS_FILE_TMPDIR" || exit 1
	[ -f page.html ] || make_run
	cp -r ./*.json ./*.model scores.csv test.st page.html reg "$BATS_TEST_TMPDIR"
	cd "$BATS_TEST_TMPDIR" || exit 1
}

@test "report's curve points, in pick-best's JSON and on the page, equal scikit-learn's to 1e-12" {
	run "$PY" "$ORACLE" scores.csv pick.json page.html
	assert_success
	refute_output --partial MISMATCH
	# 3 candidates × (ROC, PR: x, y, thresholds; calibration: x, y; page: 3 curves × x, y)
	[ "$(grep -c '^ok' <<<"$output")" -eq 42 ]
	# the stump's scores are tied in groups: the curves collapse them as scikit-learn does
	[ "$(tail -n +2 scores.csv | cut -d, -f5 | sort -u | wc -l)" -le 4 ]
	# the ROC curve's first point is (0, 0) and its last (1, 1), as roc_curve's
	run jq -c '[.candidates[].roc | [.fpr[0], .tpr[0], .fpr[-1], .tpr[-1]]]' pick.json
	assert_output '[[0,0,1,1],[0,0,1,1],[0,0,1,1]]'
}

@test "report writes well-formed HTML with one SVG per figure, no script and nothing to fetch" {
	run "$PY" "$HTMLCHECK" page.html
	assert_success
	refute_output --partial ERROR
	# 3 curves + the 2 searches' CV plots + 3 importance charts
	assert_output $'figures 8\nsvgs 8\nfigures-with-one-svg 8\nscripts 0\nexternal 0'
	run xmllint --html --noout page.html
	refute_output --partial 'parser error : Unexpected end tag'
	refute_output --partial 'Opening and ending tag mismatch'
}

@test "report's legends give each candidate's AUC and AP and mark the chosen one" {
	local auc ap
	for k in 0 1 2; do
		auc=$(jq -r ".candidates[$k].metrics.roc_auc" pick.json)
		ap=$(jq -r ".candidates[$k].metrics.average_precision" pick.json)
		name=$(jq -r ".candidates[$k].file" pick.json)
		mark=""
		[ "$(jq .winner pick.json)" -eq "$k" ] && mark=" *"
		grep -qF ">$name (AUC $(printf %.3f "$auc"))$mark</text>" page.html
		grep -qF ">$name (AP $(printf %.3f "$ap"))$mark</text>" page.html
	done
	grep -qF '>False positive rate</text>' page.html
	grep -qF '>True positive rate</text>' page.html
	grep -qF '>Mean predicted P(y = 1)</text>' page.html
}

@test "report draws precision-recall as steps (the area average precision measures), ROC as segments" {
	run "$PY" - page.html <<'EOF2'
import re, sys
for m in re.finditer(r'<polyline [^>]*data-curve="(\w+)" data-candidate="(\d)"[^>]*'
                     r'data-x="([^"]*)" data-y="([^"]*)" points="([^"]*)"', open(sys.argv[1]).read()):
    curve, k, xs, ys, pts = m.groups()
    n, npts = len(xs.split()), len(pts.split())
    pairs = [tuple(map(float, p.split(","))) for p in pts.split()]
    if curve == "pr":
        # steps-post: between points i and i+1 a horizontal run at y[i], then the jump
        ok = npts == 2 * n - 1 and all(pairs[2 * i + 1][1] == pairs[2 * i][1] and
                                       pairs[2 * i + 1][0] == pairs[2 * i + 2][0]
                                       for i in range(n - 1))
    else:
        ok = npts == n
    print(curve, k, "ok" if ok else f"BAD {n} points drawn as {npts}")
EOF2
	assert_success
	assert_output $'roc 0 ok\nroc 1 ok\nroc 2 ok\npr 0 ok\npr 1 ok\npr 2 ok\ncalibration 0 ok\ncalibration 1 ok\ncalibration 2 ok'
}

@test "report shows each confusion matrix and classification report with pick-best's numbers" {
	local cells
	cells=$(grep -oE '<td style="background:rgba\(0,114,178,[0-9.]+\);color:#[0-9a-f]+">[0-9]+<br>' page.html |
		sed -E 's/.*>([0-9]+)<br>/\1/' | paste -sd' ')
	assert_equal "$cells" "$(jq -r '[.candidates[].confusion_matrix[][]] | map(tostring) | join(" ")' pick.json)"
	for k in 0 1 2; do
		for cls in 0 1 'macro avg' 'weighted avg'; do
			row=$(jq -r ".candidates[$k].classification_report[\"$cls\"] | \"\\(.precision) \\(.recall) \\(.[\"f1-score\"]) \\(.support)\"" pick.json)
			read -r p r f s <<<"$row"
			grep -qF "<tr><th class=\"l\">$cls</th><td>$(printf %.3f "$p")</td><td>$(printf %.3f "$r")</td><td>$(printf %.3f "$f")</td><td>$(printf %.0f "$s")</td></tr>" page.html
		done
	done
}

@test "report plots every search candidate's folds, marks the chosen one and ranks the table by mean" {
	local best n folds k total=0
	for f in lr.json gbt.json; do
		n=$(jq '.search.candidates | length' "$f")
		folds=$(jq .search.folds "$f")
		total=$((total + n * folds))
		best=$(jq .search.best "$f")
		# the search's table: first row the chosen candidate (rank 1, its number, highlighted)
		sed -n "/<h3>$f<\/h3>/,/<\/table>/p" page.html >section.html
		grep -qF "<tr class=\"chosen\"><td>1</td><td>$((best + 1))</td>" section.html
		# its fold dots in the chosen colour carry the chosen candidate's number
		[ "$(grep -c "<circle [^>]*fill=\"#D55E00\"><title>#$((best + 1)) fold " section.html)" -eq "$folds" ]
		[ "$(grep -c '>chosen</text>' section.html)" -eq 1 ]
	done
	[ "$(grep -c '<circle [^>]*><title>#[0-9]* fold ' page.html)" -eq "$total" ]
	grep -qF '<h3>stump.json</h3>' page.html
	grep -qF '<p>No search: a single fit.</p>' page.html
	# a failed candidate: a cross on the plot, last in the table with its reason
	# (not the chosen one: that row is drawn apart)
	k=$(jq '.search.best == 0 | if . then 1 else 0 end' lr.json)
	jq --argjson k "$k" '.search.candidates[$k] |= (.mean = null | .sd = null | .fold_scores = [null, null, null] | .failure = "did not converge")' \
		lr.json >failed.json
	report -s failed.json pick.json >failed.html
	[ "$(grep -c '>×</text>' failed.html)" -eq 1 ]
	sed -n '/<h3>failed.json/,/<\/table>/p' failed.html | grep '<tr>' | tail -n 1 >last.html
	grep -qE "^<tr><td>6</td><td>$((k + 1))</td><td class=\"l\">C=[0-9.e+-]+; failed: did not converge</td><td>–</td><td>–</td>" last.html
}

@test "report draws |coef| for logreg and gain for gbt, largest first" {
	local top k
	for k in 0 1 2; do
		top=$(jq -r ".candidates[$k].importance | [.features, .values] | transpose | max_by(.[1]) | .[0]" pick.json)
		# the first bar's label of candidate k's chart
		first=$(awk -v k="$k" '/<figure class="importance">/ { f++ } f == k + 1 && /text-anchor="end" font-size="12"/ { print; exit }' page.html |
			sed -E 's/.*>([^<]*)<\/text>/\1/')
		assert_equal "$first" "$top"
	done
	grep -qF '>lr.model: |coefficient|</text>' page.html
	grep -qF ">gbt.model: average gain of the feature&#39;s splits</text>" page.html
}

@test "pick-best's importance is |coef| of the logreg model file and fit-gbt's gain of the gbt" {
	run "$PY" - <<'EOF2'
import json, struct
import msgpack
pick = json.load(open("pick.json"))
lr = msgpack.unpackb(open("lr.model", "rb").read(), raw=False)
coef = struct.unpack(f"<{len(lr['features'])}d", lr["fitted"]["coef"])
imp = pick["candidates"][0]["importance"]
print(imp["measure"], imp["features"] == lr["features"],
      imp["values"] == [abs(c) for c in coef])
gbt = json.load(open("gbt.json"))["importance"]
imp = pick["candidates"][1]["importance"]
print(imp["measure"], imp["values"] == [gbt[f]["gain"] for f in imp["features"]])
EOF2
	assert_success
	assert_output $'abs_coef True True\ngain True'
}

@test "report --registry puts production's recorded metrics beside the candidates' and lists the runs" {
	grep -qF '<th>production lead_model@1</th>' page.html
	f1=$(jq -r '.candidates[0].metrics.f1' pick.json)
	grep -qE "<tr><td class=\"l\">f1 \\(selection\\)</td>.*<td>$(printf %.4f "$f1")</td></tr>" page.html
	grep -qF "Production's f1 on these test rows, measured by pick-best: $(printf %.4f "$(jq .registry.production_score pick.json)")." page.html
	grep -qF '<h3>Runs in the registry (the last 2 of 2)</h3>' page.html
	[ "$(grep -c '<td class="l"><code>pick-best</code></td>' page.html)" -eq 2 ]
	grep -qF "Test data sha256 <code>$(jq -r .data_sha256 pick.json)</code>" page.html
	# without a registry: no production column, no runs
	PIPEML_REGISTRY='' report pick.json >plain.html
	run ! grep -q '<th>production lead_model' plain.html
	run ! grep -q 'Runs in the registry' plain.html
	# a name without a production version
	report -n other -d reg pick.json >other.html
	grep -qF 'No production version of other in the registry.</p>' other.html
	run ! grep -q '<th>production ' other.html
}

@test "report is deterministic and reads stdin" {
	report -s lr.json -s gbt.json -s stump.json -d reg pick.json >again.html
	cmp page.html again.html
	report -s lr.json -s gbt.json -s stump.json -d reg <pick.json >stdin.html
	diff <(sed 's/from <code>[^<]*</from </' page.html) <(sed 's/from <code>[^<]*</from </' stdin.html)
}

@test "headless Chromium renders the page at 1280x800 to a PNG that is not one colour" {
	command -v chromium >/dev/null || skip "chromium not installed (.ci/deps)"
	profile=$(mktemp -d)
	run timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$profile" --screenshot="$PWD/shot.png" --window-size=1280,800 \
		"file://$PWD/page.html"
	rm -rf "$profile"
	[ -s shot.png ]
	run "$PY" - shot.png <<'EOF2'
import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert("RGB")
colors = im.getcolors(1 << 24)
top = max(colors)[0]
print(im.size[0], im.size[1], len(colors) > 100, top / (im.size[0] * im.size[1]) < 0.9)
EOF2
	assert_output '1280 800 True True'
}

@test "report bad input: not JSON, not pick-best's report, a bad winner, a missing file; bad usage" {
	echo '{' >bad.json
	run_split report bad.json
	[ "$status" -eq 1 ]
	[ "$stderr" = "report: bad.json: offset 2: expected a string key" ]
	run_split report <<<'[1]'
	[ "$status" -eq 1 ]
	[ "$stderr" = "report: stdin: not a JSON object (pick-best --report)" ]
	run_split report <<<'{"metric":"f1"}'
	[ "$status" -eq 1 ]
	[ "$stderr" = 'report: stdin: "candidates" is missing, expected an array (pick-best --report)' ]
	jq '.winner = 3' pick.json >w.json
	run_split report w.json
	[ "$status" -eq 1 ]
	[ "$stderr" = 'report: w.json: "winner" 3 is not one of the 3 candidates' ]
	jq 'del(.candidates[2].roc)' pick.json >r.json
	run_split report r.json
	[ "$status" -eq 1 ]
	[ "$stderr" = 'report: r.json: candidates[2]: "roc" is missing, expected an object (pick-best --report)' ]
	run_split report -s nope.json pick.json
	[ "$status" -eq 1 ]
	[ "$stderr" = "report: nope.json: No such file or directory" ]
	[ -z "$output" ]
	run_split report -d nowhere pick.json
	[ "$status" -eq 1 ]
	[ "$stderr" = "report: nowhere: no registry there" ]
	[ ! -e nowhere ]
	run_split report a.json b.json
	[ "$status" -eq 2 ]
	[ "$stderr" = "usage: report [-s file] ... [-d dir] [-n name] [-t title] [file]" ]
}
