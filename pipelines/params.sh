# pipeml training parameters — the notebook's settings (../shared/NOTEBOOK.md).
# Shell variables; each may be overridden from the environment (PARAM=value make pipeline).
# shellcheck shell=bash disable=SC2034

# Data
RAW_DATA="${RAW_DATA:-data/raw/raw_data.csv}"
ARTIFACTS="${ARTIFACTS:-artifacts}"
SEED="${SEED:-42}"
