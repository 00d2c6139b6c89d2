"""XGBoost 1.7 as fit-gbt's benchmark peer (run with /usr/bin/python3).

gbt_peer.py prep SYNTH_CSV OUT      the pipeline's 12 features (purchases, time_spent,
        n_visits, customer_group_2..9, onboarding_True) plus any x_j of synth --features,
        target lead_indicator (rows without one dropped), missing values kept: OUT.csv for
        from-csv and OUT.npz for XGBoost
gbt_peer.py prep-big SYNTH_CSV OUT  the same rows, read in chunks, as OUT.npz and a pipeml
        stream OUT.mp written directly (no CSV: 10M x 100 would not fit in memory as
        DataFrames, and writing it as text takes longer than the races)
gbt_peer.py fit NPZ NTHREAD MODEL   the timed peer: DMatrix (binning) + 100 rounds, depth 6
gbt_peer.py score TEST_NPZ MODEL OURS_PRED
        test log loss and ROC AUC of XGBoost's model and of fit-gbt's predictions
"""
import sys

import numpy as np


def features(d):
    """The features and target of the synth rows d that have a target."""
    import pandas as pd
    d = d[d.lead_indicator.notna()]
    X = pd.DataFrame({"purchases": d.purchases, "time_spent": d.time_spent,
                      "n_visits": d.n_visits})
    for g in range(2, 10):
        X["customer_group_%d" % g] = (d.customer_group == g).astype(float)
    X["onboarding_True"] = (d.onboarding.astype(str) == "True").astype(float)
    for c in d.columns:
        if c.startswith("x"):
            X[c] = d[c]
    return X, d.lead_indicator.astype(float)


def prep(src, out):
    import pandas as pd
    X, y = features(pd.read_csv(src))
    np.savez(out + ".npz", X=X.to_numpy(dtype=np.float64), y=y.to_numpy())
    X["y"] = y
    X.to_csv(out + ".csv", index=False, na_rep="")


def prep_big(src, out):
    import msgpack
    import pandas as pd
    xs, ys, names = [], [], None
    for chunk in pd.read_csv(src, chunksize=1 << 20):
        X, y = features(chunk)
        names = list(X.columns)
        xs.append(X.to_numpy(dtype=np.float64))
        ys.append(y.to_numpy())
        del X, y, chunk
    X = np.concatenate(xs)
    del xs
    y = np.concatenate(ys)
    np.savez(out + ".npz", X=X, y=y)
    # the stream from-csv would make of prep's CSV: the features, then the target y
    with open(out + ".mp.tmp", "wb") as f:
        cols = [{"name": c, "type": "f64", "role": "feature"} for c in names]
        cols.append({"name": "y", "type": "f64", "role": "target"})
        f.write(msgpack.packb({"format": "pipeml-stream", "version": 1, "columns": cols,
                               "meta": {}}))
        for lo in range(0, len(y), 8192):
            hi = min(len(y), lo + 8192)
            batch = ["b", hi - lo]
            batch += [np.ascontiguousarray(X[lo:hi, j]).astype("<f8").tobytes()
                      for j in range(X.shape[1])]
            batch.append(y[lo:hi].astype("<f8").tobytes())
            f.write(msgpack.packb(batch, use_bin_type=True))
        f.write(msgpack.packb(["e", len(y)]))


PARAMS = {"tree_method": "hist", "objective": "binary:logistic", "max_depth": 6, "eta": 0.3,
          "max_bin": 256}


def fit(npz, nthread, model):
    import xgboost as xgb
    z = np.load(npz)
    d = xgb.DMatrix(z["X"], z["y"], nthread=nthread)
    b = xgb.train(dict(PARAMS, nthread=nthread), d, 100)
    b.save_model(model)


def score(npz, model, ours):
    import xgboost as xgb
    from sklearn.metrics import log_loss, roc_auc_score
    z = np.load(npz)
    b = xgb.Booster(model_file=model)
    p = b.predict(xgb.DMatrix(z["X"]))
    o = np.loadtxt(ours)
    print("xgboost logloss %.5f auc %.5f; fit-gbt logloss %.5f auc %.5f; auc diff %.5f" % (
        log_loss(z["y"], p), roc_auc_score(z["y"], p), log_loss(z["y"], o),
        roc_auc_score(z["y"], o), roc_auc_score(z["y"], o) - roc_auc_score(z["y"], p)))


if __name__ == "__main__":
    if sys.argv[1] == "prep":
        prep(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "prep-big":
        prep_big(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "fit":
        fit(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif sys.argv[1] == "score":
        score(sys.argv[2], sys.argv[3], sys.argv[4])
