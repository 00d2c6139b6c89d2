/*
 * registry.h: the model registry and run tracker — a plain directory (pipeml-registry(5)):
 *
 *   DIR/log.jsonl        append-only event log, one JSON object a line: the source of truth
 *   DIR/objects/SHA256   immutable content-addressed files (models, state files)
 *   DIR/lock             flock(2)ed by writers
 *
 * The state (versions, stages, aliases, tags, runs) is the replay of the log. A writer holds
 * the lock, stores its files (temporary file, fsync, rename), then appends one whole line in
 * one write(2) with O_APPEND and fsyncs it: a crash leaves at worst unreferenced objects, a
 * stale temporary file or a torn last line without its newline, which readers ignore and the
 * next writer truncates away. A failed write is undone (the log truncated to its old size).
 */
#ifndef PIPEML_REGISTRY_H
#define PIPEML_REGISTRY_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "json.h"

#define REGISTRY_DEFAULT_DIR "registry"
#define REGISTRY_ENV         "PIPEML_REGISTRY"

enum reg_stage { STAGE_NONE, STAGE_STAGING, STAGE_PRODUCTION, STAGE_ARCHIVED };

struct reg_version {
	const char *model;  /* points into event */
	long version;       /* 1, 2, ... per model */
	const char *sha256; /* of the model file */
	enum reg_stage stage;
	const struct json *event; /* the "add" event: metrics, states, run, time, ... */
	char **aliases;
	size_t naliases;
	char **tag_keys, **tag_values;
	size_t ntags;
};

struct registry {
	char *dir;
	int lockfd;          /* -1 when opened for reading */
	struct json *events; /* the complete lines of the log, in order */
	size_t nevents;
	struct reg_version *versions; /* in the order they were added */
	size_t nversions;
	off_t log_size; /* bytes of complete lines */
	int torn;       /* the log ended in a partial line (ignored) */
};

/*
 * Open the registry in dir (NULL: $PIPEML_REGISTRY, else "registry"). For writing (write
 * != 0) the directory is created when missing and the lock taken (waiting for it); a torn
 * last line is then truncated away. The log is read and replayed. 0, or -1 with a message
 * in err (a line that does not parse, an event that does not apply, an I/O error).
 */
int registry_open(struct registry *r, const char *dir, int write, char *err, size_t errsize);
/* Release the lock and everything read. */
void registry_close(struct registry *r);

/* The directory a tool should use: the option's value, else $PIPEML_REGISTRY, else NULL. */
const char *registry_dir(const char *option);

const char *stage_name(enum reg_stage s);
/* "none", "staging", "production", "archived" (any case): 0, or -1. */
int stage_parse(const char *name, enum reg_stage *s);

/*
 * The version named by spec: NAME@VERSION, NAME@STAGE, NAME@ALIAS or NAME (the latest).
 * NULL with a message in err when there is none.
 */
const struct reg_version *registry_find(const struct registry *r, const char *spec, char *err,
                                        size_t errsize);
/* The version of model in a stage (the last one for archived), or NULL. */
const struct reg_version *registry_stage(const struct registry *r, const char *model,
                                         enum reg_stage s);
/* Path of a stored object (DIR/objects/SHA256), malloc'ed. */
char *registry_object_path(const struct registry *r, const char *sha256);

/* A file to register with a version, e.g. a cleaning or encoding state. */
struct reg_file {
	const char *path; /* read from here */
	const char *name; /* recorded name (default: the path's base name) */
};

/* What `add` records besides the file; every pointer may be NULL / count 0. */
struct reg_add {
	const char *model; /* name */
	const char *path;  /* the model file */
	const struct reg_file *states;
	size_t nstates;
	const char *metrics_json; /* a JSON object of metrics, or NULL */
	const char *run_id;
	const char *description;
};

/*
 * With the registry open for writing: store the files and append an "add" event; *version
 * gets the new version number. 0, or -1 (err) with nothing changed but perhaps an
 * unreferenced object.
 */
int registry_add(struct registry *r, const struct reg_add *a, long *version, char *err,
                 size_t errsize);
/* Move a version to a stage; a new staging or production holder archives the previous one. */
int registry_promote(struct registry *r, const char *model, long version, enum reg_stage s,
                     char *err, size_t errsize);
/* Point alias at a version (moving it from any other version of the model). */
int registry_alias(struct registry *r, const char *model, long version, const char *alias,
                   char *err, size_t errsize);
/* Set tag key to value on a version. */
int registry_tag(struct registry *r, const char *model, long version, const char *key,
                 const char *value, char *err, size_t errsize);

/*
 * Run tracking. A tool fills a struct reg_run and calls registry_run_record(dir, ...) at its
 * end, when it was given --registry DIR or $PIPEML_REGISTRY is set (see registry_dir()):
 *
 *	struct reg_run run;
 *	reg_run_begin(&run, "fit-logreg");          // at start: run id, start time
 *	reg_run_param(&run, "C", "100");            // every parameter, as text
 *	run.input_sha256 = hex;  run.seed = s;  run.has_seed = 1;
 *	run.cv_json = "{...}";                      // CV results (any JSON value) or NULL
 *	run.metrics_json = "{\"accuracy\":0.8}";    // a JSON object of metrics or NULL
 *	if (registry_run_record(dir, &run, err, sizeof err) < 0) die("%s", err);
 *	reg_run_free(&run);
 *
 * The run id (run.id) can be given to registry_add (struct reg_add.run_id) to link a version
 * to the run that made it. Recording takes the lock and appends one "run" event with the
 * tool, parameters, CV results, metrics, input sha256, seed, pipeml version, start, end,
 * duration, host and user.
 */
struct reg_run {
	char id[40];
	const char *tool;
	struct timespec start;
	char **param_names, **param_values;
	size_t nparams;
	const char *input_sha256;
	unsigned long long seed;
	int has_seed;
	const char *cv_json;
	const char *metrics_json;
};

void reg_run_begin(struct reg_run *run, const char *tool);
void reg_run_param(struct reg_run *run, const char *name, const char *value);
void reg_run_free(struct reg_run *run);
/* Open dir for writing, append the run event, close. 0, or -1 with err. */
int registry_run_record(const char *dir, const struct reg_run *run, char *err, size_t errsize);
/* The same with the registry already open for writing. */
int registry_run_append(struct registry *r, const struct reg_run *run, char *err, size_t errsize);

/*
 * Check the registry, holding a shared lock (writers wait):
 * every line parses and applies in order with consecutive sequence numbers, every object
 * named by an event exists and hashes to its name, every stored object's content matches
 * its name. Problems are printed to out, one a line; notes (a torn last line, unreferenced
 * objects, stale temporary files) too, prefixed "note: ". Returns the number of problems.
 */
size_t registry_verify(const char *dir, FILE *out);

#endif
