"""Synthetic logistic data for bench/fit-logreg.sh: a pipeml stream, a LIBLINEAR (libsvm)
text file and a .npy matrix of the same rows.

usage: fit-logreg-data.py ROWS FEATURES SEED OUTPREFIX
"""
import sys

import msgpack
import numpy as np

n, nf, seed, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rng = np.random.default_rng(seed)
X = rng.normal(size=(n, nf))
X[:, : nf // 4] = (X[:, : nf // 4] > 0.5).astype(float)  # some one-hot-like columns
w = rng.normal(size=nf) / np.sqrt(nf)
y = (rng.random(n) < 1 / (1 + np.exp(-(X @ w - 0.3)))).astype(float)
np.save(out + ".X.npy", X)
np.save(out + ".y.npy", y)

names = [f"x{j + 1}" for j in range(nf)]
with open(out + ".st", "wb") as f:
    cols = [{"name": "y", "type": "f64", "role": "target"}]
    cols += [{"name": c, "type": "f64", "role": "feature"} for c in names]
    f.write(msgpack.packb({"format": "pipeml-stream", "version": 1, "columns": cols,
                           "meta": {}}))
    for lo in range(0, n, 8192):
        hi = min(n, lo + 8192)
        batch = ["b", hi - lo, y[lo:hi].astype("<f8").tobytes()]
        batch += [np.ascontiguousarray(X[lo:hi, j]).astype("<f8").tobytes() for j in range(nf)]
        f.write(msgpack.packb(batch, use_bin_type=True))
    f.write(msgpack.packb(["e", n]))

with open(out + ".svm", "w") as f:
    idx = np.arange(1, nf + 1)
    for lo in range(0, n, 65536):
        blk = X[lo:lo + 65536]
        lines = []
        for i in range(blk.shape[0]):
            nz = blk[i] != 0
            lines.append(("+1" if y[lo + i] else "-1") + " " +
                         " ".join(f"{j}:{v:.17g}" for j, v in zip(idx[nz], blk[i][nz])))
        f.write("\n".join(lines) + "\n")
