"""Check report's curve points against scikit-learn on pick-best's scores.

usage: report-oracle.py scores.csv pick.json report.html
Prints one "ok NAME" or "MISMATCH NAME ..." line per compared array: the points in
pick-best's JSON report and the points the HTML plots (data-x / data-y attributes of each
curve's <polyline>), against roc_curve, precision_recall_curve and calibration_curve.
"""
import json
import sys
from html.parser import HTMLParser

import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.metrics import precision_recall_curve, roc_curve

TOL = 1e-12


class Curves(HTMLParser):
    def __init__(self):
        super().__init__()
        self.curves = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "polyline" and "data-curve" in a:
            xs = [float(v) for v in a["data-x"].split()]
            ys = [float(v) for v in a["data-y"].split()]
            self.curves[(a["data-curve"], int(a["data-candidate"]))] = (xs, ys)


def check(name, ours, theirs):
    ours = np.array([np.nan if v is None else v for v in ours], dtype=float)
    theirs = np.asarray(theirs, dtype=float)
    if ours.shape != theirs.shape:
        print(f"MISMATCH {name}: {ours.shape} points, scikit-learn {theirs.shape}")
    elif not np.allclose(ours, theirs, rtol=0, atol=TOL, equal_nan=True):
        print(f"MISMATCH {name}: max diff {np.nanmax(np.abs(ours - theirs))}")
    else:
        print(f"ok {name} ({len(ours)})")


def main():
    scores = pd.read_csv(sys.argv[1])
    report = json.load(open(sys.argv[2]))
    parser = Curves()
    parser.feed(open(sys.argv[3]).read())
    y = scores["y"].to_numpy()
    for k, cand in enumerate(report["candidates"]):
        p = scores.iloc[:, 2 + k].to_numpy()
        fpr, tpr, thr = roc_curve(y, p)
        prec, rec, pthr = precision_recall_curve(y, p)
        ptrue, ppred = calibration_curve(y, p, n_bins=10)
        tag = f"{k}:{cand['file']}"
        check(f"{tag} roc fpr", cand["roc"]["fpr"], fpr)
        check(f"{tag} roc tpr", cand["roc"]["tpr"], tpr)
        check(f"{tag} roc thresholds", cand["roc"]["thresholds"], thr)
        check(f"{tag} pr recall", cand["pr"]["recall"], rec)
        check(f"{tag} pr precision", cand["pr"]["precision"], prec)
        check(f"{tag} pr thresholds", cand["pr"]["thresholds"], pthr)
        check(f"{tag} calibration prob_pred", cand["calibration"]["prob_pred"], ppred)
        check(f"{tag} calibration prob_true", cand["calibration"]["prob_true"], ptrue)
        for curve, (xs, ys) in (("roc", (fpr, tpr)), ("pr", (rec, prec)),
                                ("calibration", (ppred, ptrue))):
            html = parser.curves.get((curve, k))
            if html is None:
                print(f"MISMATCH {tag} html {curve}: no polyline")
                continue
            check(f"{tag} html {curve} x", html[0], xs)
            check(f"{tag} html {curve} y", html[1], ys)


main()
