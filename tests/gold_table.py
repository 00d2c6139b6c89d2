"""The notebook's cleaning (NOTEBOOK.md steps 1-7 and 9, without the step-8 scaling, which
encode does) of raw_data.csv in pandas: writes the gold table as CSV, columns lead_id,
lead_indicator, date_part, source, customer_group, onboarding, customer_code, purchases,
time_spent, n_visits, bin_source. Usage: gold_table.py RAW_CSV OUT_CSV"""
import sys

import pandas as pd

raw, out = sys.argv[1], sys.argv[2]
d = pd.read_csv(raw, dtype=str, keep_default_na=False, na_values=[""])
date = pd.to_datetime(d["date_part"], format="%Y-%m-%d")
d = d[(date >= "2024-01-01") & (date <= "2024-01-31")].copy()
d["date_part"] = pd.to_datetime(d["date_part"], format="%Y-%m-%d").dt.strftime("%Y-%m-%d")
d = d.drop(columns=["is_active", "marketing_consent", "first_booking", "existing_customer",
                    "last_seen", "domain", "country", "visited_learn_more_before_booking",
                    "visited_faq"])
d = d[d["lead_indicator"].notna()]
d = d[d["lead_id"].notna()]
d = d[d["source"] == "signup"]
cont = ["purchases", "time_spent", "n_visits"]
for c in cont:
    x = d[c].astype(float)
    m, s = x.mean(), x.std()
    x = x.clip(m - 2 * s, m + 2 * s)
    d[c] = x.fillna(x.mean())
d["customer_code"] = d["customer_code"].fillna("None")
for c in ["lead_id", "lead_indicator", "customer_group", "onboarding", "source", "date_part"]:
    d[c] = d[c].fillna(d[c].mode()[0])
d["bin_source"] = d["source"].map({"li": "socials", "fb": "socials", "organic": "group1",
                                   "signup": "group1"})
d = d[["lead_id", "lead_indicator", "date_part", "source", "customer_group", "onboarding",
       "customer_code", "purchases", "time_spent", "n_visits", "bin_source"]]
d.to_csv(out, index=False, float_format="%.17g")
