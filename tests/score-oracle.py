"""Checks score's predictions against an independent computation and the real libraries.

usage: score-oracle.py logreg MODEL PKL ENC_CSV SCORES_CSV
         ENC_CSV: the encoded rows (to-csv); SCORES_CSV: score's output (id,probability,label).
         p = 1/(1+exp(-(w.x+b))) with w, b read from the model file (msgpack) equals score's
         probability to 1e-12, and so does scikit-learn's predict_proba on the exported
         pickle; the label is p >= 0.5. Prints "N rows ok".
       score-oracle.py xgboost JSON ENC_CSV SCORES_CSV
         xgboost.Booster(model_file=JSON).inplace_predict on the features equals score's
         probability to 1e-6. Prints "N rows ok".
"""
import sys
import warnings

import numpy as np
import pandas as pd

warnings.simplefilter("ignore")


def load(enc_csv, scores_csv, features):
    X = pd.read_csv(enc_csv, float_precision="round_trip")
    S = pd.read_csv(scores_csv, float_precision="round_trip")
    assert list(S.columns) == ["lead_id", "probability", "label"], list(S.columns)
    assert len(S) == len(X), (len(S), len(X))
    assert (S["lead_id"].astype(str).to_numpy() == X["lead_id"].astype(str).to_numpy()).all()
    return X[features].to_numpy(dtype=np.float64), S


def logreg(model, pkl, enc_csv, scores_csv):
    import joblib
    import msgpack

    with open(model, "rb") as f:
        m = msgpack.unpackb(f.read())
    w = np.frombuffer(m["fitted"]["coef"], "<f8")
    b = float(m["fitted"]["intercept"])
    X, S = load(enc_csv, scores_csv, m["features"])
    p = S["probability"].to_numpy()
    z = np.array([sum(w[j] * row[j] for j in range(len(w))) + b for row in X])
    ref = 1.0 / (1.0 + np.exp(-z))
    assert np.max(np.abs(ref - p)) <= 1e-12, np.max(np.abs(ref - p))
    sk = joblib.load(pkl).predict_proba(X)[:, 1]
    assert np.max(np.abs(sk - p)) <= 1e-12, np.max(np.abs(sk - p))
    assert (S["label"].to_numpy() == (p >= 0.5)).all()
    print(f"{len(p)} rows ok")


def xgb(json_path, enc_csv, scores_csv):
    import xgboost

    booster = xgboost.Booster(model_file=json_path)
    X, S = load(enc_csv, scores_csv, booster.feature_names)
    ref = booster.inplace_predict(X)
    p = S["probability"].to_numpy()
    assert np.max(np.abs(ref - p)) <= 1e-6, np.max(np.abs(ref - p))
    print(f"{len(p)} rows ok")


if __name__ == "__main__":
    if sys.argv[1] == "logreg":
        logreg(*sys.argv[2:6])
    elif sys.argv[1] == "xgboost":
        xgb(*sys.argv[2:5])
    else:
        sys.exit("unknown check " + sys.argv[1])
