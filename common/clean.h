/*
 * clean.h: the cleaning rules of csvclean(1) — raw CSV records in, typed rows out — and the
 * state they learn in training (clip bounds, fill values, modes, date limits), saved and
 * applied unchanged to new data.
 *
 * Rules are given by name and argument as csvclean's flags spell them ("drop",
 * "is_active,domain"); a state saves them with the learned values, so applying a state
 * needs nothing else. The work goes in three steps: clean_row() filters and parses one
 * record into a batch of "parsed" rows (the kept input columns, numbers as f64);
 * clean_learn() learns the state from parsed rows (training only); clean_transform()
 * turns parsed rows into output rows (clip, impute, derive, reorder).
 */
#ifndef PIPEML_CLEAN_H
#define PIPEML_CLEAN_H

#include <stddef.h>
#include <stdint.h>

#include "csvin.h"
#include "stream.h"

#define CLEAN_STATE_FORMAT  "pipeml-csvclean-state"
#define CLEAN_STATE_VERSION 1
#define CLEAN_MODE_LIMIT    65536 /* distinct values counted for a mode */

/* Why rows were dropped or rejected; counts kept by clean_row. */
struct clean_counts {
	uint64_t rows_in, kept, bad;
	uint64_t out_of_window, missing_required, not_kept; /* dropped, by the first rule */
	uint64_t kept_anyway; /* rows a rule would drop, kept by clean_keep_all */
};

struct clean;

struct clean *clean_new(void);
void clean_free(struct clean *c);

/*
 * Add a rule: flag is the long option without dashes ("date", "drop", "require", "keep",
 * "categorical", "numeric", "coerce", "clip", "impute-mean", "impute-median",
 * "impute-mode", "fill", "map", "order", "role"), arg its argument (NULL for "coerce").
 * Returns 0, or -1 with a message in err when the argument is malformed.
 */
int clean_add_rule(struct clean *c, const char *flag, const char *arg, char *err, size_t errsize);
/* Is flag the name of a rule? */
int clean_is_rule(const char *flag);
/* Check the rules against each other (e.g. a column both numeric and categorical). */
int clean_check_rules(struct clean *c, char *err, size_t errsize);

/*
 * Apply mode: load a state saved by clean_save_state (its rules and learned values); no
 * rule may have been added. Returns 0, or -1 with a message in err.
 */
int clean_load_state(struct clean *c, const char *path, char *err, size_t errsize);
int clean_is_applying(const struct clean *c);
/*
 * Apply mode only (else -1): keep and clean the rows that the row rules (date window,
 * --require, --keep) would drop, counting them as kept_anyway, so that no row is lost.
 */
int clean_keep_all(struct clean *c);

/*
 * Bind the rules to the input's header (record 0): every named column must exist, names
 * must be unique; with a loaded state, the header must be the one it was learned on (the
 * target column may be absent: its values are then missing). Returns 0, or -1 with
 * "name:line: message" in err.
 */
int clean_bind(struct clean *c, const struct csv_row *header, const char *name, char *err,
               size_t errsize);
/* After clean_bind: the schema of parsed rows and of output rows. */
const struct schema *clean_parsed_schema(const struct clean *c);
const struct schema *clean_output_schema(const struct clean *c);

/*
 * One data record: returns 1 when the rules keep it (appended to parsed), 0 when a rule
 * drops it, -1 for a bad record, with "column 'x': what was expected" in err.
 * In apply mode a missing target does not drop a row.
 */
int clean_row(struct clean *c, const struct csv_row *row, struct batch *parsed, char *err,
              size_t errsize);
const struct clean_counts *clean_counts(const struct clean *c);

/* Training: learn the state from every kept row (nheld batches of parsed rows). */
void clean_learn(struct clean *c, const struct batch *held, size_t nheld);

/* Append the output rows for the parsed rows of in to out (an output-schema batch). */
void clean_transform(const struct clean *c, const struct batch *in, struct batch *out);

/* Save the state (msgpack, csvclean(1) STATE) atomically; -1 with a message in err. */
int clean_save_state(const struct clean *c, const char *path, char *err, size_t errsize);

/*
 * Write the reports into dir (created if missing): date_limits.json, outlier_summary.csv,
 * cat_missing_impute.csv and state.json. Each file is written atomically.
 */
int clean_write_reports(const struct clean *c, const char *dir, char *err, size_t errsize);

#endif
