"""pick-best's metrics against scikit-learn's on the same predictions.

usage: pick-best-oracle.py SCORES.csv REPORT.json [TABLE_OUT]
SCORES.csv is pick-best --scores (row, y, one P(y=1) column per candidate), REPORT.json
pick-best --report. Prints one line per candidate and metric; exits 1 when any differs by
more than 1e-12. TABLE_OUT, when given, gets classification_report() of the winner.
"""
import json
import sys

import numpy as np
from sklearn import metrics as skm

scores, report = sys.argv[1], sys.argv[2]
rep = json.load(open(report))
data = np.genfromtxt(scores, delimiter=",", skip_header=1)
y = data[:, 1].astype(int)
bad = 0
for k, cand in enumerate(rep["candidates"]):
    p = data[:, 2 + k]
    pred = (p > 0.5).astype(int)
    ours = cand["metrics"]
    ref = {
        "accuracy": skm.accuracy_score(y, pred),
        "precision": skm.precision_score(y, pred, zero_division=0),
        "recall": skm.recall_score(y, pred, zero_division=0),
        "f1": skm.f1_score(y, pred, zero_division=0),
        "roc_auc": skm.roc_auc_score(y, p),
        "average_precision": skm.average_precision_score(y, p),
        "log_loss": skm.log_loss(y, p),
        "cohen_kappa": skm.cohen_kappa_score(y, pred),
    }
    for avg in ("macro", "weighted"):
        pr, rc, f1, _ = skm.precision_recall_fscore_support(y, pred, average=avg, zero_division=0)
        ref[avg + "_precision"], ref[avg + "_recall"], ref[avg + "_f1"] = pr, rc, f1
    for name, want in ref.items():
        got = ours[name]
        ok = abs(got - want) <= 1e-12
        bad += not ok
        print(f"{'ok' if ok else 'MISMATCH'} {cand['file']} {name} ours {got!r} sklearn {want!r}")
    cm = skm.confusion_matrix(y, pred).tolist()
    ok = cm == cand["confusion_matrix"]
    bad += not ok
    print(f"{'ok' if ok else 'MISMATCH'} {cand['file']} confusion_matrix {cand['confusion_matrix']} sklearn {cm}")
if len(sys.argv) > 3:
    w = rep["winner"]
    pred = (data[:, 2 + w] > 0.5).astype(int)
    with open(sys.argv[3], "w") as f:
        f.write(skm.classification_report(y, pred, zero_division=0))
sys.exit(1 if bad else 0)
