"""XGBoost 1.7 as the oracle for fit-gbt's tests (run with /usr/bin/python3).

gbt_oracle.py rawdata RAW_CSV DIR       write DIR/train.csv, DIR/test.csv from raw_data.csv
gbt_oracle.py synth N NF SEED DIR       the same from synthetic data with 10% missing values
gbt_oracle.py compare DIR PRED PARAMS [forest]
        fit XGBoost (tree_method=hist) with PARAMS (JSON) on DIR/train.csv, predict DIR/test.csv
        and print the test log loss and ROC AUC of both and the largest prediction difference
gbt_oracle.py importance DIR REPORT PARAMS
        print the largest relative difference between the importance in fit-gbt's report and
        XGBoost's get_score (weight, gain, cover)
gbt_oracle.py early DIR PARAMS ROUNDS   print XGBoost's best_iteration with DIR/test.csv as the
        validation set
"""
import json
import sys

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import train_test_split


def save_split(X, outdir):
    tr, te = train_test_split(X, test_size=0.15, stratify=X.y, random_state=42)
    tr.to_csv(outdir + "/train.csv", index=False, na_rep="")
    te.to_csv(outdir + "/test.csv", index=False, na_rep="")


def rawdata(raw, outdir):
    """The notebook's rows and 12 features, without its clipping and scaling (trees do not care)."""
    d = pd.read_csv(raw)
    dt = pd.to_datetime(d.date_part, errors="coerce")
    d = d[d.lead_indicator.notna() & d.lead_id.notna() & (d.source == "signup")
          & (dt >= "2024-01-01") & (dt <= "2024-01-31")]
    X = pd.DataFrame({"purchases": d.purchases, "time_spent": d.time_spent,
                      "n_visits": d.n_visits})
    for g in sorted(d.customer_group.dropna().unique())[1:]:
        X["customer_group_%d" % g] = (d.customer_group == g).astype(float)
    X["onboarding_True"] = (d.onboarding.astype(str) == "True").astype(float)
    X["y"] = d.lead_indicator.astype(float)
    save_split(X, outdir)


def synth(n, nf, seed, outdir):
    r = np.random.default_rng(seed)
    X = r.normal(size=(n, nf))
    X[:, 1] = np.round(X[:, 1] * 3)
    X[:, 2] = r.integers(0, 2, n)
    z = X[:, 0] + 0.8 * X[:, 1] - 1.2 * X[:, 2] + np.sin(2 * X[:, 3]) + 0.5 * X[:, 0] * X[:, 4]
    y = (z + r.logistic(size=n) > 0).astype(float)
    X[r.random((n, nf)) < 0.1] = np.nan
    d = pd.DataFrame(X, columns=["x%d" % j for j in range(nf)])
    d["y"] = y
    save_split(d, outdir)


def load(outdir):
    tr = pd.read_csv(outdir + "/train.csv")
    te = pd.read_csv(outdir + "/test.csv")
    return tr.drop(columns="y"), tr.y, te.drop(columns="y"), te.y


def model(params, forest):
    kw = dict(tree_method="hist", n_jobs=1, random_state=0)
    kw.update(params)
    classifier = kw.get("objective", "binary:logistic") == "binary:logistic"
    if forest:
        return (xgb.XGBRFClassifier if classifier else xgb.XGBRFRegressor)(**kw)
    return (xgb.XGBClassifier if classifier else xgb.XGBRegressor)(**kw)


def predict(m, X):
    return m.predict_proba(X)[:, 1] if hasattr(m, "predict_proba") else m.predict(X)


def compare(outdir, pred, params, forest):
    Xtr, ytr, Xte, yte = load(outdir)
    p = predict(model(params, forest).fit(Xtr, ytr), Xte)
    ours = np.loadtxt(pred)
    # reg:squarederror predicts outside [0, 1]: both sides clipped the same way for log loss
    clip = lambda v: np.clip(v, 1e-3, 1 - 1e-3)
    print("logloss %.6f %.6f auc %.6f %.6f maxdiff %.3g" % (
        log_loss(yte, clip(p)), log_loss(yte, clip(ours)),
        roc_auc_score(yte, p), roc_auc_score(yte, ours), np.max(np.abs(p - ours))))


def importance(outdir, report, params):
    Xtr, ytr, _, _ = load(outdir)
    booster = model(params, False).fit(Xtr, ytr).get_booster()
    ours = json.load(open(report))["importance"]
    worst = 0.0
    for kind in ("weight", "gain", "cover"):
        theirs = booster.get_score(importance_type=kind)
        for name, v in ours.items():
            t = theirs.get(name, 0.0)
            worst = max(worst, abs(v[kind] - t) / max(abs(t), 1e-9))
    print("importance maxrel %.3g" % worst)


def early(outdir, params, rounds):
    Xtr, ytr, Xte, yte = load(outdir)
    kw = dict(params, early_stopping_rounds=rounds)
    m = model(kw, False).fit(Xtr, ytr, eval_set=[(Xte, yte)], verbose=False)
    print("best_iteration %d" % m.best_iteration)


def main(argv):
    cmd = argv[1]
    if cmd == "rawdata":
        rawdata(argv[2], argv[3])
    elif cmd == "synth":
        synth(int(argv[2]), int(argv[3]), int(argv[4]), argv[5])
    elif cmd == "compare":
        compare(argv[2], argv[3], json.loads(argv[4]), len(argv) > 5 and argv[5] == "forest")
    elif cmd == "importance":
        importance(argv[2], argv[3], json.loads(argv[4]))
    elif cmd == "early":
        early(argv[2], json.loads(argv[3]), int(argv[4]))
    else:
        sys.exit("gbt_oracle.py: unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
