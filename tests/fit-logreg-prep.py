"""The notebook's steps 1-13 on raw_data.csv with pandas (a reference, not pipeml's tools):
writes the encoded training and test splits as CSV (target column lead_indicator).

usage: fit-logreg-prep.py RAW_CSV TRAIN_CSV TEST_CSV
"""
import sys

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

raw, train_out, test_out = sys.argv[1:4]
d = pd.read_csv(raw, dtype=str, keep_default_na=False, na_values=[""])
dates = pd.to_datetime(d["date_part"], format="%Y-%m-%d", errors="coerce")
d = d[(dates >= "2024-01-01") & (dates <= "2024-01-31")].copy()
d = d.drop(columns=["is_active", "marketing_consent", "first_booking", "existing_customer",
                    "last_seen", "domain", "country", "visited_learn_more_before_booking",
                    "visited_faq"])
d = d.dropna(subset=["lead_indicator"]).dropna(subset=["lead_id"])
d = d[d["source"] == "signup"].copy()
cont = ["purchases", "time_spent", "n_visits"]
for c in cont:
    d[c] = pd.to_numeric(d[c])
    lo, hi = d[c].mean() - 2 * d[c].std(), d[c].mean() + 2 * d[c].std()
    d[c] = d[c].clip(lo, hi)
    d[c] = d[c].fillna(d[c].mean())
for c in ["customer_group", "onboarding", "source"]:
    d[c] = d[c].fillna(d[c].mode()[0])
for c in cont:
    d[c] = (d[c] - d[c].min()) / (d[c].max() - d[c].min())
d["bin_source"] = d["source"].map({"li": "socials", "fb": "socials", "organic": "group1",
                                   "signup": "group1"})
y = d["lead_indicator"].astype(float).astype(int)
X = d[cont].copy()
for c in ["customer_group", "onboarding", "bin_source", "source"]:
    cats = sorted(d[c].dropna().unique())
    for v in cats[1:]:
        X[f"{c}_{v}"] = (d[c] == v).astype(float)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.15, random_state=42,
                                                    stratify=y)
X_train.assign(lead_indicator=y_train).to_csv(train_out, index=False)
X_test.assign(lead_indicator=y_test).to_csv(test_out, index=False)
print(len(d), len(X_train), len(X_test), list(X.columns), file=sys.stderr)
