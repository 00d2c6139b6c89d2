"""drift's oracle: PSI from its formula and scipy's two-sample KS on the same cleaned samples.

usage: drift-oracle.py TRAIN.csv NEW.csv BINS
Prints one line per column: name psi ks (numeric) or name psi unseen (text); missing
values (empty fields) are left out, as drift does."""
import csv
import math
import sys
from collections import Counter

import numpy as np
from scipy.stats import ks_2samp

EPS = 1e-4


def columns(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header = [h.split(":") for h in rows[0]]
    return {h[0]: ([r[i] for r in rows[1:]], h[1], h[2]) for i, h in enumerate(header)}


def psi(new_counts, ref_counts):
    a = np.asarray(new_counts, float)
    e = np.asarray(ref_counts, float)
    a = np.where(a == 0, EPS, a / a.sum())
    e = np.where(e == 0, EPS, e / e.sum())
    return float(np.sum((a - e) * np.log(a / e)))


def numeric(ref, new, bins):
    v = np.sort(ref)
    n = len(v)
    edges = []
    for j in range(1, bins):
        e = v[math.ceil(j * n / bins) - 1]
        if e == v[-1]:
            break
        if not edges or e != edges[-1]:
            edges.append(e)
    ri = np.searchsorted(edges, ref, side="left")
    ni = np.searchsorted(edges, new, side="left")
    k = len(edges) + 1
    p = psi(np.bincount(ni, minlength=k), np.bincount(ri, minlength=k))
    return p, ks_2samp(ref, new).statistic


def text(ref, new):
    rcount, ncount = Counter(ref), Counter(new)
    cats = sorted(rcount)
    rc = [rcount[c] for c in cats] + [0]
    nc = [ncount[c] for c in cats] + [sum(1 for x in new if x not in rcount)]
    return psi(nc, rc), nc[-1] / len(new)


train, new, bins = columns(sys.argv[1]), columns(sys.argv[2]), int(sys.argv[3])
for name, (vals, typ, role) in train.items():
    if role not in ("feature", "passthrough"):
        continue
    a = [x for x in vals if x != ""]
    b = [x for x in new[name][0] if x != ""]
    if typ == "f64":
        p, s = numeric(np.array(a, float), np.array(b, float), bins)
    else:
        p, s = text(a, b)
    print(f"{name} {p!r} {s!r}")
