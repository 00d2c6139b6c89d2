# pipeml training parameters — the notebook's settings (../shared/NOTEBOOK.md), like DVC's
# params.yaml. Shell variables; each may be overridden from the environment:
#   SPLIT_FRACTION=0.2 make pipeline
# `make pipeline` re-runs a stage only when its parameters (listed per stage in
# pipelines/train.sh), its inputs or its tool changed.
# shellcheck shell=bash disable=SC2034

# Data and where everything goes
RAW_DATA="${RAW_DATA:-data/raw/raw_data.csv}"
ARTIFACTS="${ARTIFACTS:-artifacts}"
REGISTRY="${REGISTRY:-$ARTIFACTS/registry}"

# Cleaning: NOTEBOOK steps 1-7 and 9 (csvclean)
CLEAN_DATE="${CLEAN_DATE:-date_part=2024-01-01..2024-01-31}"
CLEAN_DROP="${CLEAN_DROP:-is_active,marketing_consent,first_booking,existing_customer,last_seen,domain,country,visited_learn_more_before_booking,visited_faq}"
CLEAN_REQUIRE="${CLEAN_REQUIRE:-lead_indicator,lead_id}"
CLEAN_KEEP="${CLEAN_KEEP:-source=signup}"
CLEAN_CATEGORICAL="${CLEAN_CATEGORICAL:-lead_id,lead_indicator,customer_group,onboarding,source,customer_code,date_part}"
CLEAN_NUMERIC="${CLEAN_NUMERIC:-purchases,time_spent,n_visits}"
CLEAN_CLIP="${CLEAN_CLIP:-2}"
CLEAN_IMPUTE_MEAN="${CLEAN_IMPUTE_MEAN:-purchases,time_spent,n_visits}"
CLEAN_FILL="${CLEAN_FILL:-customer_code=None}"
CLEAN_IMPUTE_MODE="${CLEAN_IMPUTE_MODE:-customer_group,onboarding,source,date_part}"
CLEAN_MAP="${CLEAN_MAP:-bin_source=source:li=socials,fb=socials,organic=group1,signup=group1}"
CLEAN_ORDER="${CLEAN_ORDER:-lead_id,lead_indicator,date_part,source,customer_group,onboarding,customer_code,purchases,time_spent,n_visits,bin_source}"
CLEAN_TARGET="${CLEAN_TARGET:-lead_indicator}"
CLEAN_ID="${CLEAN_ID:-lead_id}"

# Encoding: steps 8, 10-12 (encode) — 12 features, the validator's X_test.csv columns
ENCODE_POSITIVE="${ENCODE_POSITIVE:-1}"
ENCODE_DROP="${ENCODE_DROP:-customer_code,date_part}"
ENCODE_SCALE="${ENCODE_SCALE:-purchases,time_spent,n_visits}"
ENCODE_ONEHOT="${ENCODE_ONEHOT:-customer_group,onboarding,bin_source,source}"

# Split: step 13 (split) — stratified, 15% test. SPLIT_METHOD=sklearn takes the rows the
# notebook's train_test_split(random_state=SPLIT_SEED, stratify=y) takes, in its order (split
# --sklearn), so that test figures compare with the notebook's; pipeml: split's own draw.
SPLIT_FRACTION="${SPLIT_FRACTION:-0.15}"
SPLIT_SEED="${SPLIT_SEED:-42}"
SPLIT_METHOD="${SPLIT_METHOD:-sklearn}"

# Logistic regression search: step 15 (fit-logreg)
LOGREG_SEARCH="${LOGREG_SEARCH:-10}"
LOGREG_CV="${LOGREG_CV:-3}"
LOGREG_SCORING="${LOGREG_SCORING:-accuracy}"
LOGREG_SEED="${LOGREG_SEED:-42}"
LOGREG_SOLVER="${LOGREG_SOLVER:-newton-cg,lbfgs,liblinear,sag,saga}"
LOGREG_PENALTY="${LOGREG_PENALTY:-none,l1,l2,elasticnet}"
LOGREG_C="${LOGREG_C:-100,10,1,0.1,0.01}"

# Random-forest search: step 14 (fit-gbt --forest)
GBT_SEARCH="${GBT_SEARCH:-10}"
GBT_CV="${GBT_CV:-10}"
GBT_SCORING="${GBT_SCORING:-accuracy}"
# The notebook's search has no random_state; we use the project's seed. On the notebook's
# split the selected forest's test F1 is 0.8109 for 24 of the search seeds 0-24 (0.8068 for
# the other), as the notebook's XGBoost search gets for its seeds. No seed is picked by
# looking at test scores. (On split's own draw, SPLIT_METHOD=pipeml, it ranges 0.76-0.81.)
GBT_SEED="${GBT_SEED:-42}"
GBT_LEARNING_RATE="${GBT_LEARNING_RATE:-uniform:0.01:0.31}"
GBT_MIN_SPLIT_LOSS="${GBT_MIN_SPLIT_LOSS:-uniform:0:10}"
GBT_MAX_DEPTH="${GBT_MAX_DEPTH:-randint:3:10}"
GBT_SUBSAMPLE="${GBT_SUBSAMPLE:-uniform:0:1}"
GBT_OBJECTIVE="${GBT_OBJECTIVE:-reg:squarederror,binary:logistic,reg:logistic}"
GBT_EVAL_METRIC="${GBT_EVAL_METRIC:-aucpr,error}"

# Selection and registry: steps 16-18 (pick-best)
SELECT_METRIC="${SELECT_METRIC:-f1}"
MODEL_NAME="${MODEL_NAME:-lead_model}"
PROMOTE="${PROMOTE:-production}"

# Drift reference: recorded in training (drift --save-reference, the `drift` stage) and
# checked before every inference run (pipelines/infer.sh)
DRIFT_BINS="${DRIFT_BINS:-10}"
DRIFT_POINTS="${DRIFT_POINTS:-10000}"
# inference only: columns left out of the check (identifier-like codes, the date the window
# already bounds), and whether new leads carry the target (absent: they are to be scored)
DRIFT_IGNORE="${DRIFT_IGNORE:-customer_code,date_part}"
DRIFT_TARGET="${DRIFT_TARGET:-absent}"

# Threads per tool (the two searches run at once)
JOBS="${JOBS:-1}"
