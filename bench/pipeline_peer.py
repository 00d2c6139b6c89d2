"""The notebook's training pipeline in Python (pandas + scikit-learn + XGBoost): the peer of
`make pipeline` in bench/pipeline.sh. NOTEBOOK.md steps 1-17, with the notebook's settings:
clean, scale before the split, one-hot, stratified 15% split (seed 42), the XGBRFClassifier
random search (10 candidates, 10-fold CV) and the LogisticRegression one (10 candidates,
3-fold CV), the test reports, the best by F1, model.pkl (the logistic regression) and the
forest as XGBoost JSON. The MLflow registry step is left out.

Usage: pipeline_peer.py RAW_CSV OUT_DIR   (prints one JSON line of test metrics)
"""
import json
import os
import sys
import warnings

import joblib
import numpy as np
import pandas as pd
from scipy.stats import randint, uniform
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, classification_report, f1_score
from sklearn.model_selection import RandomizedSearchCV, train_test_split
from sklearn.preprocessing import MinMaxScaler
from xgboost import XGBRFClassifier

warnings.filterwarnings("ignore")
raw, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)

# 1-4: dates, columns, required values, source
data = pd.read_csv(raw)
data["date_part"] = pd.to_datetime(data["date_part"]).dt.date
min_date, max_date = pd.to_datetime("2024-01-01").date(), pd.to_datetime("2024-01-31").date()
data = data[(data["date_part"] >= min_date) & (data["date_part"] <= max_date)]
json.dump({"min_date": str(data["date_part"].min()), "max_date": str(data["date_part"].max())},
          open(os.path.join(out, "date_limits.json"), "w"))
data = data.drop(["is_active", "marketing_consent", "first_booking", "existing_customer",
                  "last_seen", "domain", "country", "visited_learn_more_before_booking",
                  "visited_faq"], axis=1)
data["lead_indicator"].replace("", np.nan, inplace=True)
data["lead_id"].replace("", np.nan, inplace=True)
data = data.dropna(axis=0, subset=["lead_indicator"])
data = data.dropna(axis=0, subset=["lead_id"])
data = data[data.source == "signup"]

# 5-7: kinds, outliers, imputation
vars_ = ["lead_id", "lead_indicator", "customer_group", "onboarding", "source", "customer_code",
         "date_part"]
for col in vars_:
    data[col] = data[col].astype("object")
cont_vars = data.loc[:, ((data.dtypes == "float64") | (data.dtypes == "int64"))]
cat_vars = data.loc[:, (data.dtypes == "object")]
cont_vars = cont_vars.apply(lambda x: x.clip(lower=(x.mean() - 2 * x.std()),
                                             upper=(x.mean() + 2 * x.std())))
cont_vars.describe().T.to_csv(os.path.join(out, "outlier_summary.csv"))
cat_vars.mode(numeric_only=False).iloc[0].to_csv(os.path.join(out, "cat_missing_impute.csv"))
cont_vars = cont_vars.apply(lambda x: x.fillna(x.mean()))
cat_vars.loc[cat_vars["customer_code"].isna(), "customer_code"] = "None"
cat_vars = cat_vars.apply(lambda x: x.fillna(x.mode()[0]))

# 8: min-max scaling over all kept rows, before the split
scaler = MinMaxScaler()
scaler.fit(cont_vars)
joblib.dump(scaler, os.path.join(out, "scaler.pkl"))
cont_vars = pd.DataFrame(scaler.transform(cont_vars), columns=cont_vars.columns)
cont_vars = cont_vars.reset_index(drop=True)
cat_vars = cat_vars.reset_index(drop=True)
data = pd.concat([cat_vars, cont_vars], axis=1)

# 9: bin_source
data["bin_source"] = data["source"]
values_list = ["li", "organic", "signup", "fb"]
data.loc[~data["source"].isin(values_list), "bin_source"] = "Others"
mapping = {"li": "socials", "fb": "socials", "organic": "group1", "signup": "group1"}
data["bin_source"] = data["source"].map(mapping)

# 10-12: features
data = data.drop(["lead_id", "customer_code", "date_part"], axis=1)
cat_cols = ["customer_group", "onboarding", "bin_source", "source"]
cat_vars = data[cat_cols]
other_vars = data.drop(cat_cols, axis=1)
for col in cat_vars:
    cat_vars[col] = cat_vars[col].astype("category")
    cat_vars = pd.get_dummies(cat_vars, columns=[col], drop_first=True)
data = pd.concat([other_vars, cat_vars], axis=1)
for col in data:
    data[col] = data[col].astype("float64")
y = data["lead_indicator"]
X = data.drop(["lead_indicator"], axis=1)

# 13: split
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=42, test_size=0.15,
                                                    stratify=y)

# 14: the random forest search
params = {
    "learning_rate": uniform(1e-2, 3e-1),
    "min_split_loss": uniform(0, 10),
    "max_depth": randint(3, 10),
    "subsample": uniform(0, 1),
    "objective": ["reg:squarederror", "binary:logistic", "reg:logistic"],
    "eval_metric": ["aucpr", "error"],
}
forest = RandomizedSearchCV(XGBRFClassifier(random_state=42), param_distributions=params,
                            n_jobs=-1, n_iter=10, cv=10, random_state=42)
forest.fit(X_train, y_train)
forest.best_estimator_.save_model(os.path.join(out, "forest.json"))

# 15: the logistic regression search
params = {
    "solver": ["newton-cg", "lbfgs", "liblinear", "sag", "saga"],
    "penalty": ["none", "l1", "l2", "elasticnet"],
    "C": [100, 10, 1, 0.1, 0.01],
}
logreg = RandomizedSearchCV(LogisticRegression(), param_distributions=params, n_iter=10, cv=3,
                            random_state=42)
logreg.fit(X_train, y_train)
joblib.dump(logreg.best_estimator_, os.path.join(out, "model.pkl"))

# 16-17: reports on the test split, the best by F1
result = {"rows": int(len(data)), "features": list(X.columns)}
for name, model in (("forest", forest), ("logreg", logreg)):
    pred = model.predict(X_test)
    result[name] = {"f1": f1_score(y_test, pred), "accuracy": accuracy_score(y_test, pred)}
    with open(os.path.join(out, "classification_report_%s.txt" % name), "w") as f:
        f.write(classification_report(y_test, pred))
best = max(("forest", "logreg"), key=lambda n: result[n]["f1"])
result["selected"] = best
result["selected_f1"] = result[best]["f1"]
print(json.dumps(result))
