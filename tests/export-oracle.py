"""Checks an exported model with the real libraries (scikit-learn 1.2.1, XGBoost 1.7).

usage: export-oracle.py sklearn PKL MODEL X_CSV PROBS
         joblib.load with every warning an error; the state has exactly the keys and types of
         a LogisticRegression that scikit-learn fits itself; coef_ and intercept_ are the
         model file's doubles bit for bit; predict_proba equals PROBS (pipeml's predictions
         for the rows of X_CSV, one a line) to 1e-12; predict on the rows (a DataFrame with
         the feature names when the export has them, else an array) gives classes_ items.
         Prints "names" or "no names", then get_params() as name=value lines.
       export-oracle.py xgboost JSON X_CSV PROBS
         xgboost.Booster(model_file=JSON) predicts the rows of X_CSV (empty cells missing)
         equal to PROBS to 1e-6 (a DataFrame with the feature names when the model has
         them, else an array). Prints "N trees, names a,b,..." or "N trees, no names".
"""
import sys
import warnings

import numpy as np
import pandas as pd

warnings.simplefilter("error")


def sklearn(pkl, model, x_csv, probs):
    import joblib
    import msgpack
    from sklearn.linear_model import LogisticRegression

    m = joblib.load(pkl)
    assert type(m) is LogisticRegression, type(m)
    X = pd.read_csv(x_csv, float_precision="round_trip")
    named = hasattr(m, "feature_names_in_")
    ref = LogisticRegression().fit(X if named else X.to_numpy(), np.arange(len(X)) % 2)
    ours, theirs = vars(m), vars(ref)
    assert sorted(ours) == sorted(theirs), (sorted(ours), sorted(theirs))
    for k in theirs:
        a, b = ours[k], theirs[k]
        if k in ("penalty", "class_weight", "l1_ratio"):
            continue  # None or a value, as the model's params say
        assert type(a) is type(b), (k, type(a), type(b))
        if isinstance(b, np.ndarray):
            want = np.float64 if k == "classes_" else b.dtype
            assert a.dtype == want and a.shape == b.shape, (k, a.dtype, a.shape)
    assert list(m.classes_) == [0.0, 1.0]
    with open(model, "rb") as f:
        fitted = msgpack.unpackb(f.read())
    coef = np.frombuffer(fitted["fitted"]["coef"], "<f8")
    assert m.coef_.tobytes() == coef.astype("<f8").tobytes(), "coef_ is not exact"
    assert m.intercept_[0] == fitted["fitted"]["intercept"]
    assert m.n_features_in_ == len(fitted["features"])
    if named:
        assert list(m.feature_names_in_) == fitted["features"]
        rows = X[fitted["features"]]
    else:
        rows = X.to_numpy()
    want = np.loadtxt(probs, ndmin=1)
    got = m.predict_proba(rows)[:, 1]
    err = np.max(np.abs(got - want))
    assert err <= 1e-12, f"predict_proba differs from pipeml's by {err}"
    pred = m.predict(rows)
    assert pred.dtype == np.float64 and set(pred) <= {0.0, 1.0}
    assert np.array_equal(pred, (got > 0.5).astype(float))
    print("names" if named else "no names")
    for k, v in sorted(m.get_params().items()):
        print(f"{k}={v!r}")


def xgboost(path, x_csv, probs):
    import xgboost as xgb

    b = xgb.Booster(model_file=path)
    X = pd.read_csv(x_csv, float_precision="round_trip")
    names = b.feature_names
    d = xgb.DMatrix(X[names] if names else X.to_numpy(), missing=np.nan)
    got = b.predict(d)
    want = np.loadtxt(probs, ndmin=1)
    err = np.max(np.abs(got - want))
    assert err <= 1e-6, f"predictions differ from pipeml's by {err}"
    print(f"{len(b.get_dump())} trees,", f"names {','.join(names)}" if names else "no names")


if __name__ == "__main__":
    {"sklearn": sklearn, "xgboost": xgboost}[sys.argv[1]](*sys.argv[2:])
