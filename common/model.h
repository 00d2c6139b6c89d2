/*
 * model.h: the model file (pipeml-model(5)) — one msgpack map shared by every model kind:
 * format, version, kind, feature names, target, params, fitted (kind-specific), meta.
 * Each kind supplies a struct model_kind; model.c keeps the table of kinds.
 */
#ifndef PIPEML_MODEL_H
#define PIPEML_MODEL_H

#include <msgpack.h>
#include <stddef.h>
#include <stdio.h>

#define MODEL_FORMAT   "pipeml-model"
#define MODEL_VERSION  1
#define MODEL_MAX_SIZE ((size_t)1 << 30) /* bytes of a model file */

/*
 * What a model kind does with its "fitted" part. unpack validates everything (sizes,
 * bounds, indices) and returns 0 with *out set, or -1 with a message in err; pack writes
 * one msgpack object; predict writes P(y = 1) for nrows rows of x (row-major, nfeatures
 * columns as given to unpack/fit); free releases what unpack or the kind's fit made.
 */
struct model_kind {
	const char *name;
	int (*unpack)(const msgpack_object *fitted, size_t nfeatures, void **out, char *err,
	              size_t errsize);
	void (*pack)(msgpack_packer *pk, const void *fitted);
	void (*predict)(const void *fitted, const double *x, size_t nrows, double *prob);
	void (*free)(void *fitted);
};

/* A hyperparameter as given: the value is text; numbers are packed as numbers. */
struct model_param {
	char *name;
	char *value;
};

struct model {
	const char *kind; /* ops->name */
	const struct model_kind *ops;
	size_t nfeatures;
	char **features;
	char *target;
	size_t nparams;
	struct model_param *params;
	void *fitted;        /* owned, freed by ops->free */
	msgpack_object meta; /* a map (size 0 when nothing was set) */
	char *meta_packed;   /* the bytes meta points into, and their zone */
	size_t meta_len;
	msgpack_zone *meta_zone;
};

/* The kind named name, or NULL. */
const struct model_kind *model_kind_find(const char *name);

/* An empty model of a kind (fitted NULL, no features, empty meta). */
void model_init(struct model *m, const struct model_kind *ops);
/* Copy the feature names and the target name. */
void model_set_features(struct model *m, char *const *features, size_t n, const char *target);
/* Append a hyperparameter (strings copied). */
void model_add_param(struct model *m, const char *name, const char *value);
/* Value of a hyperparameter, or NULL. */
const char *model_param(const struct model *m, const char *name);
/* Replace meta by the packed msgpack map in packed[0..len); -1 if it is not one map. */
int model_set_meta(struct model *m, const char *packed, size_t len);
/* The meta entry named key, or NULL. */
const msgpack_object *model_meta_get(const struct model *m, const char *key);

/*
 * Read and validate a model (fp, named name in messages): 0, or -1 with the message in err
 * (naming the input and what is wrong). On error m is left empty (model_free is safe).
 */
int model_load(FILE *fp, const char *name, struct model *m, char *err, size_t errsize);
/* Write m to fp as one msgpack map; dies (naming name) on a write error. */
void model_save(FILE *fp, const char *name, const struct model *m);
/* P(y = 1) of nrows rows of x (row-major, m->nfeatures columns in m->features order). */
void model_predict(const struct model *m, const double *x, size_t nrows, double *prob);
/* The same on up to nthreads threads, each a run of rows (the same bits as one thread). */
void model_predict_threads(const struct model *m, const double *x, size_t nrows, double *prob,
                           int nthreads);
void model_free(struct model *m);
/*
 * Each feature's importance into imp[m->nfeatures]: |coefficient| for logreg, the average
 * gain of the feature's splits (XGBoost's "gain", 0 when unused) for gbt. Returns the
 * measure's name ("abs_coef", "gain"), or NULL for a kind without one.
 */
const char *model_importance(const struct model *m, double *imp);

/*
 * Check that buf[0..len) is exactly one msgpack object whose declared lengths and element
 * counts fit in the bytes present (and nesting in 64 levels), before msgpack-c allocates
 * anything for it: 0, or -1 with a message in err ("%zu bytes after the <what>", ...).
 * Every loader of untrusted msgpack calls it before msgpack_unpack_next.
 */
int mp_check_extent(const void *buf, size_t len, const char *what, char *err, size_t errsize);
/*
 * Read all of fp into *buf (malloc'd, the caller frees it; *len bytes): 0, -1 on a read
 * error, -2 when the input is longer than max bytes (reading stops there).
 */
int mp_read_file(FILE *fp, size_t max, char **buf, size_t *len);

/* Helpers for kinds' pack/unpack. */
/* The value under key in a map object, or NULL (also when m is not a map). */
const msgpack_object *mp_map_get(const msgpack_object *m, const char *key);
/* 1 when o is the string s. */
int mp_is_str(const msgpack_object *o, const char *s);
/* A number (int or float) as a double: 0, or -1 when o is not a number. */
int mp_f64(const msgpack_object *o, double *x);
/* A bin of n little-endian doubles into x[n]: 0, or -1 when the type or size differs. */
int mp_bin_f64(const msgpack_object *o, double *x, size_t n);
void mp_pack_str(msgpack_packer *pk, const char *s);
void mp_pack_bin_f64(msgpack_packer *pk, const double *x, size_t n);

#endif
