"""Helpers of bench/fit-logreg.sh.

fit-logreg-peer.py sklearn PREFIX OUT
    fit scikit-learn's LogisticRegression (lbfgs, C = 1, its default tol 1e-4) on PREFIX.X.npy,
    PREFIX.y.npy and save [coef..., intercept] to OUT (.npy)
fit-logreg-peer.py objectives PREFIX PIPEML_PENALISED LIBLINEAR PIPEML SKLEARN
    print each solution's objective and the relative differences: with the intercept
    penalised (pipeml --param penalize_intercept=true vs liblinear-train -B 1) and not
    (pipeml vs scikit-learn)
"""
import sys

import msgpack
import numpy as np


def sklearn(prefix, out):
    from sklearn.linear_model import LogisticRegression

    X, y = np.load(prefix + ".X.npy"), np.load(prefix + ".y.npy")
    m = LogisticRegression(C=1.0, solver="lbfgs", max_iter=10000).fit(X, y)
    np.save(out, np.append(m.coef_[0], m.intercept_[0]))


def pipeml(path):
    f = msgpack.unpackb(open(path, "rb").read())["fitted"]
    return np.append(np.frombuffer(f["coef"], "<f8"), f["intercept"])


def liblinear(path):
    lines = open(path).read().split("\n")
    labels = next(l for l in lines if l.startswith("label")).split()[1:]
    w = np.array([float(v) for v in lines[lines.index("w") + 1:] if v.strip()])
    return w if labels[0] == "1" else -w


def objective(X, y, theta, penalise_b):
    w, b = theta[:-1], theta[-1]
    z = X @ w + b
    loss = np.logaddexp(0, np.where(y == 1, -z, z)).sum()
    return 0.5 * (w @ w + (b * b if penalise_b else 0)) + loss


def objectives(prefix, pen, ll, plain, sk):
    X, y = np.load(prefix + ".X.npy"), np.load(prefix + ".y.npy")
    a, b = objective(X, y, pipeml(pen), True), objective(X, y, liblinear(ll), True)
    c, d = objective(X, y, pipeml(plain), False), objective(X, y, np.load(sk), False)
    print(f"objective, intercept penalised:   pipeml {a:.12g}  liblinear {b:.12g}  "
          f"rel diff {(b - a) / a:.2e}")
    print(f"objective, intercept unpenalised: pipeml {c:.12g}  sklearn   {d:.12g}  "
          f"rel diff {(d - c) / c:.2e}")


if sys.argv[1] == "sklearn":
    sklearn(*sys.argv[2:4])
else:
    objectives(*sys.argv[2:7])
