#!/usr/bin/env bats
# synth: synthetic lead data shaped like raw_data.csv.

# shellcheck disable=SC2154 # $stderr is set by bats' run --separate-stderr

load helper
bats_require_minimum_version 1.5.0

HEADER=lead_id,lead_indicator,date_part,is_active,marketing_consent,first_booking,existing_customer,last_seen,source,domain,country,visited_learn_more_before_booking,visited_faq,purchases,time_spent,customer_group,onboarding,customer_code,n_visits
USAGE='usage: synth -n rows [--seed S] [--features N]'

@test "synth writes raw_data.csv's exact header" {
	run synth -n 3
	assert_success
	assert_line --index 0 "$HEADER"
	local raw
	if raw="$(raw_data)"; then
		assert_equal "$(head -1 "$raw" | tr -d '\r')" "$HEADER"
	fi
}

@test "synth writes exactly the rows asked for, 19 fields each, ids counting from 0" {
	synth -n 1234 >"$BATS_TEST_TMPDIR/s.csv"
	run wc -l <"$BATS_TEST_TMPDIR/s.csv"
	assert_output 1235
	run awk -F, 'NF != 19 { bad++ } END { print bad + 0 }' "$BATS_TEST_TMPDIR/s.csv"
	assert_output 0
	run awk -F, 'NR > 1 && $1 != "" && $1 != NR - 2 { bad++ } END { print bad + 0 }' \
		"$BATS_TEST_TMPDIR/s.csv"
	assert_output 0
	run synth -n 0
	assert_success
	assert_output "$HEADER"
}

@test "synth is deterministic for a seed; another seed gives other data" {
	synth -n 5000 --seed 7 >"$BATS_TEST_TMPDIR/a.csv"
	synth -n 5000 --seed 7 >"$BATS_TEST_TMPDIR/b.csv"
	synth -n 5000 --seed 8 >"$BATS_TEST_TMPDIR/c.csv"
	cmp "$BATS_TEST_TMPDIR/a.csv" "$BATS_TEST_TMPDIR/b.csv"
	run cmp -s "$BATS_TEST_TMPDIR/a.csv" "$BATS_TEST_TMPDIR/c.csv"
	assert_failure
	# The default seed is 42; a prefix of a longer run is the shorter run.
	cmp <(synth -n 300) <(synth -n 300 --seed 42)
	cmp <(synth -n 300) <(synth -n 3000 | head -301)
	# Same bytes as when this test was written (catches an accidental change of the data).
	run bash -c 'synth -n 1000 | md5sum'
	assert_output "4a7af67519337f9223c0c6662edbd3fc  -"
}

@test "synth values look like raw_data.csv and the dirt comes in the documented shares" {
	synth -n 20000 --seed 3 >"$BATS_TEST_TMPDIR/s.csv"
	run "$PY" - "$BATS_TEST_TMPDIR/s.csv" <<'EOF'
import sys, re
import pandas as pd
d = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)
n = len(d)
def share(mask): return mask.sum() / n
def between(name, x, lo, hi):
    print(name, "ok" if lo <= x <= hi else "BAD %.5f not in [%g, %g]" % (x, lo, hi))
between("empty target", share(d.lead_indicator == ""), 0.040, 0.056)
between("empty id", share(d.lead_id == ""), 0.0015, 0.0045)
between("empty code", share(d.customer_code == ""), 0.003, 0.007)
for c in ["purchases", "time_spent", "n_visits"]:
    between("missing " + c, share(d[c] == ""), 0.007, 0.013)
print("targets", sorted(set(d.lead_indicator)))
print("dates", all(re.fullmatch(r"20(24-0[12]|23-12)-([1-9]|[12][0-9]|3[01])", x) for x in d.date_part))
between("unpadded days", share(d.date_part.str.len() == 9), 0.25, 0.33)
between("outside January", share(~d.date_part.str.startswith("2024-01-")), 0.015, 0.025)
src = d.source.value_counts() / n
print("sources", sorted(src.index))
for s in ["li", "fb", "organic", "signup"]:
    between("source " + s, src[s], 0.235, 0.265)
between("source referral", src["referral"], 0.002, 0.006)
print("groups", sorted(set(d.customer_group)), "onboarding", sorted(set(d.onboarding)))
print("flags", sorted(set(d.is_active)), sorted(set(d.marketing_consent)), sorted(set(d.existing_customer)))
print("codes", all(re.fullmatch(r"[A-Z]{10}|", x) for x in d.customer_code))
x = pd.read_csv(sys.argv[1])
between("purchases median", x.purchases.median(), 5, 5)
between("time_spent median", x.time_spent.median(), 99, 101)
between("n_visits median", x.n_visits.median(), 6, 8)
between("visited_faq mean", x.visited_faq.mean(), 3.8, 4.2)
between("purchase outliers", share(x.purchases >= 20), 0.001, 0.0035)
between("time_spent outliers", share(x.time_spent >= 200), 0.001, 0.0035)
between("n_visits outliers", share(x.n_visits >= 60), 0.001, 0.0035)
print("integers", all(x[c].dropna().eq(x[c].dropna().round()).all() for c in ["purchases", "n_visits"]))
EOF
	assert_success
	refute_output --partial BAD
	assert_line "targets ['', '0', '1']"
	assert_line "dates True"
	assert_line "sources ['fb', 'li', 'organic', 'referral', 'signup']"
	assert_line "groups ['1', '2', '3', '4', '5', '6', '7', '8', '9'] onboarding ['False', 'True']"
	assert_line "flags ['0', '1'] ['false', 'true'] ['false', 'true']"
	assert_line "codes True"
	assert_line "integers True"
}

@test "synth's target is learnable: logistic regression on cleaned rows beats the base rate" {
	synth -n 20000 --seed 5 >"$BATS_TEST_TMPDIR/s.csv"
	run "$PY" - "$BATS_TEST_TMPDIR/s.csv" <<'EOF'
import sys
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.metrics import accuracy_score, f1_score
c = pd.read_csv(sys.argv[1])
date = pd.to_datetime(c.date_part, format="%Y-%m-%d")
c = c[(date >= "2024-01-01") & (date <= "2024-01-31")]
c = c.dropna(subset=["lead_indicator", "lead_id"])
c = c[c.source == "signup"]
for col in ["purchases", "time_spent", "n_visits"]:
    m, sd = c[col].mean(), c[col].std()
    c[col] = c[col].clip(m - 2 * sd, m + 2 * sd)
    c[col] = c[col].fillna(c[col].mean())
    c[col] = (c[col] - c[col].min()) / (c[col].max() - c[col].min())
X = pd.concat([c[["purchases", "time_spent", "n_visits"]],
               pd.get_dummies(c.customer_group.astype(str), prefix="g", drop_first=True),
               pd.get_dummies(c.onboarding, prefix="o", drop_first=True)], axis=1).astype(float)
y = c.lead_indicator.astype(int)
Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.15, stratify=y, random_state=42)
p = LogisticRegression(C=100, max_iter=2000).fit(Xtr, ytr).predict(Xte)
base = max(y.mean(), 1 - y.mean())
print("rows %d positive %.3f" % (len(c), y.mean()))
print("accuracy %.3f base %.3f f1 %.3f" % (accuracy_score(yte, p), base, f1_score(yte, p)))
print("learnable", accuracy_score(yte, p) > base + 0.2 and 0.72 < f1_score(yte, p) < 0.88
      and 0.42 < y.mean() < 0.52)
EOF
	assert_success
	assert_line "learnable True"
}

@test "synth --features N appends x1..xN and leaves the other columns but targets alone" {
	synth -n 2000 >"$BATS_TEST_TMPDIR/plain.csv"
	synth -n 2000 --features 12 >"$BATS_TEST_TMPDIR/wide.csv"
	run head -1 "$BATS_TEST_TMPDIR/wide.csv"
	assert_output "$HEADER,x1,x2,x3,x4,x5,x6,x7,x8,x9,x10,x11,x12"
	run awk -F, 'NF != 31 { bad++ } END { print bad + 0 }' "$BATS_TEST_TMPDIR/wide.csv"
	assert_output 0
	cmp <(cut -d, -f1,3-19 "$BATS_TEST_TMPDIR/plain.csv") \
		<(cut -d, -f1,3-19 "$BATS_TEST_TMPDIR/wide.csv")
	run "$PY" -c '
import sys, pandas as pd
x = pd.read_csv(sys.argv[1]).loc[:, "x1":"x12"]
v = x.stack()
print("mean %.1f sd %.1f" % (abs(v.mean()), v.std()), "missing", x.isna().values.sum() > 0)
y = pd.read_csv(sys.argv[1]).dropna(subset=["lead_indicator"])
print("x1 helps", y[y.x1 > 1].lead_indicator.mean() > y[y.x1 < -1].lead_indicator.mean())
' "$BATS_TEST_TMPDIR/wide.csv"
	assert_line "mean 0.0 sd 1.0 missing True"
	assert_line "x1 helps True"
}

@test "synth ends quietly when its reader goes away" {
	run bash -c 'synth -n 5000000 | head -2 | wc -l; echo "status ${PIPESTATUS[0]}"'
	assert_output $'2\nstatus 141'
}

@test "synth reports a failed write and exits 1" {
	run --separate-stderr bash -c 'synth -n 10 >/dev/full'
	assert_failure 1
	assert_equal "$stderr" "synth: write error on stdout: No space left on device"
}

@test "synth rejects a missing or bad -n with exit 2" {
	run --separate-stderr synth
	assert_failure 2
	assert_equal "$stderr" "synth: -n rows is required"
	run --separate-stderr synth -n abc
	assert_failure 2
	assert_equal "$stderr" "synth: -n: invalid integer 'abc'"
	run --separate-stderr synth -n -5
	assert_failure 2
	assert_equal "$stderr" "synth: -n: -5 is out of range [0, 9223372036854775807]"
	run --separate-stderr synth -n ''
	assert_failure 2
	assert_equal "$stderr" "synth: -n: invalid integer ''"
	assert_output ""
}

@test "synth rejects bad --seed and --features, unknown options and operands with exit 2" {
	run --separate-stderr synth -n 5 --seed 1.5
	assert_failure 2
	assert_equal "$stderr" "synth: --seed: invalid integer '1.5'"
	run --separate-stderr synth -n 5 --features 10001
	assert_failure 2
	assert_equal "$stderr" "synth: --features: 10001 is out of range [0, 10000]"
	run --separate-stderr synth -n 5 --bogus
	assert_failure 2
	assert_equal "$stderr" "synth: unrecognized option '--bogus'"$'\n'"$USAGE"
	run --separate-stderr synth -n 5 extra
	assert_failure 2
	assert_equal "$stderr" "$USAGE"
	assert_output ""
}

@test "synth --help lists every option, each in the man page; --version" {
	run synth --help
	assert_success
	assert_line --index 0 "$USAGE"
	local opts opt
	opts="$(synth --help | grep -oE -- '--[a-z-]+' | sort -u)"
	assert_equal "$(echo "$opts" | tr '\n' ' ')" "--features --help --rows --seed --version "
	for opt in $opts; do
		grep -qF -- "Fl -${opt#--}" "$ROOT/man/synth.1"
	done
	run synth --version
	assert_success
	assert_output --regexp '^synth [^ ]+$'
	run mandoc -Tlint -Wwarning "$ROOT/man/synth.1"
	assert_success
	assert_output ""
}
