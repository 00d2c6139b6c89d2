"""The end-to-end peer of `score -s clean.state -s encode.state raw.csv`: what the notebook's
stack does to score raw leads. pandas reads the raw CSV and applies the training-time cleaning
and encoding (the values learned in training, read from pipeml's two states with msgpack: the
imputation fills, the clip bounds, the source map, the min-max ranges, the one-hot categories),
then scikit-learn's predict_proba (sklearn) or XGBoost's inplace_predict (xgboost NTHREAD)
scores the rows and the id, probability and label are written as CSV, as score writes them.

usage: score-raw-peer.py sklearn MODEL.pkl | xgboost MODEL.json NTHREAD  STATE_DIR RAW.csv OUT.csv
"""
import sys

import msgpack
import numpy as np
import pandas as pd


def load(path):
    with open(path, "rb") as f:
        return msgpack.unpackb(f.read(), raw=False, strict_map_key=False)


def rule(clean, name):
    return [v for k, v in clean["rules"] if k == name]


def main():
    kind = sys.argv[1]
    if kind == "sklearn":
        model, states, raw, out = sys.argv[2:6]
        nthread = 1
    else:
        model, nthread, states, raw, out = sys.argv[2], int(sys.argv[3]), *sys.argv[4:7]
    clean = load(f"{states}/clean.state")
    enc = load(f"{states}/encode.state")
    cols = {c["name"]: c for c in clean["columns"]}
    numeric = [n for n, c in cols.items() if c["kind"] == "numeric"]
    df = pd.read_csv(raw, dtype=str, keep_default_na=False, na_values=[""])
    for n in numeric:
        c = cols[n]
        x = pd.to_numeric(df[n], errors="coerce").fillna(c["fill"])
        df[n] = x.clip(c["clip_lo"], c["clip_hi"])
    for n, c in cols.items():
        if c["kind"] != "numeric" and c.get("fill") is not None:
            df[n] = df[n].fillna(c["fill"])
    for m in rule(clean, "map"):
        dst, rest = m.split("=", 1)
        src, pairs = rest.split(":", 1)
        table = dict(p.split("=", 1) for p in pairs.split(","))
        df[dst] = df[src].map(table).fillna(df[src])
    X = pd.DataFrame(index=df.index)
    ecols = {c["name"]: c for c in enc["columns"]}
    for f in enc["features"]:
        if f in ecols and ecols[f]["use"] == "minmax":
            c = ecols[f]
            span = c["max"] - c["min"]
            X[f] = (df[f] - c["min"]) / span if span > 0 else 0.0
        else:
            base = next(n for n in enc["onehot_order"] if f.startswith(n + "_"))
            X[f] = (df[base] == f[len(base) + 1:]).astype(np.float64)
    if kind == "sklearn":
        import joblib
        m = joblib.load(model)
        p = m.predict_proba(X[list(m.feature_names_in_)])[:, 1]
    else:
        import xgboost
        b = xgboost.Booster(model_file=model)
        b.set_param({"nthread": nthread})
        p = b.inplace_predict(X[b.feature_names].to_numpy())
    ids = [c["name"] for c in enc["columns"] if c["use"] == "id"]
    res = df[ids].copy()
    res["probability"] = p
    res["label"] = (p >= 0.5).astype(int)
    res.to_csv(out, index=False, float_format="%.17g")


main()
