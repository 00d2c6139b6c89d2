#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "encoder.h"
#include "model.h"
#include "util.h"

#define STATE_FORMAT   "pipeml-encode-state"
#define STATE_VERSION  1
#define STATE_MAX_SIZE ((size_t)1 << 30)
#define FEW_CATEGORIES 16 /* up to this many, a linear scan beats hashing */

static const char *const use_names[] = {"feature", "minmax", "standard", "onehot",
                                        "target",  "id",     "fold",     "drop"};
/* The encode(1) flag that gives each use, for messages. */
static const char *const use_flags[] = {"its type", "--scale", "--standardize", "--onehot",
                                        "--target", "--id",    "its role",      "--drop"};

/* Byte order, a shorter prefix first: the order of Python's (and pandas') sort of strings. */
static int
bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	return c ? c : (alen > blen) - (alen < blen);
}

static int
cats_cmp(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;

	return bytes_cmp(x, strlen(x), y, strlen(y));
}

/* A cell as a number: text is parsed (empty = missing). -1 when the text is not a number. */
static int
cell_f64(const struct batch *b, size_t i, size_t j, double *x)
{
	size_t len;
	const char *s;

	if (b->types[j] == COL_F64) {
		*x = b->cols[j].f64[i];
		return 0;
	}
	s = batch_str(b, i, j, &len);
	if (len == 0) {
		*x = NAN;
		return 0;
	}
	return parse_f64(s, len, x) == 0 ? 0 : -1;
}

static void
set_cats(struct enc_column *c, char **cats, size_t n)
{
	c->cats = cats;
	c->ncats = n;
	c->catlen = xreallocarray(c->catlen, n ? n : 1, sizeof *c->catlen);
	strmap_free(&c->catmap);
	for (size_t k = 0; k < n; k++) {
		c->catlen[k] = strlen(cats[k]);
		if (n > FEW_CATEGORIES)
			strmap_put(&c->catmap, cats[k], c->catlen[k], k);
	}
}

/* Index of a category (or target label), or -1. */
static long
cat_index(const struct enc_column *c, const char *s, size_t len)
{
	if (c->ncats > FEW_CATEGORIES)
		return strmap_get(&c->catmap, s, len);
	/* Categories are short: compare inline, the length and first byte settle most. */
	for (size_t k = 0; k < c->ncats; k++) {
		const char *cat = c->cats[k];
		size_t m = 0;

		if (c->catlen[k] != len)
			continue;
		while (m < len && cat[m] == s[m])
			m++;
		if (m == len)
			return (long)k;
	}
	return -1;
}

void
encoder_free(struct encoder *e)
{
	for (size_t j = 0; j < e->ncols; j++) {
		struct enc_column *c = &e->cols[j];

		free(c->name);
		for (size_t k = 0; k < c->ncats; k++)
			free(c->cats[k]);
		free(c->cats);
		free(c->catlen);
		strmap_free(&c->catmap);
	}
	free(e->cols);
	free(e->onehot_order);
	for (size_t k = 0; k < e->nfeatures; k++)
		free(e->features[k]);
	free(e->features);
	memset(e, 0, sizeof *e);
}

/* Feature names in order: numeric features in column order, then dummies column by column. */
static int
name_features(struct encoder *e, char *err, size_t errsize)
{
	struct strmap seen;
	size_t n = 0;
	int rc = 0;

	for (size_t j = 0; j < e->ncols; j++) {
		enum enc_use u = e->cols[j].use;

		n += u == ENC_FEATURE || u == ENC_MINMAX || u == ENC_STANDARD;
		n += u == ENC_ONEHOT && e->cols[j].ncats > 1 ? e->cols[j].ncats - 1 : 0;
	}
	e->features = xcalloc(n ? n : 1, sizeof *e->features);
	for (size_t j = 0; j < e->ncols; j++) {
		enum enc_use u = e->cols[j].use;

		if (u == ENC_FEATURE || u == ENC_MINMAX || u == ENC_STANDARD)
			e->features[e->nfeatures++] = xstrdup(e->cols[j].name);
	}
	for (size_t k = 0; k < e->nonehot; k++) {
		struct enc_column *c = &e->cols[e->onehot_order[k]];

		c->first_feature = e->nfeatures;
		for (size_t m = 1; m < c->ncats; m++) {
			size_t len = strlen(c->name) + 1 + strlen(c->cats[m]);
			char *name = xmalloc(len + 1);

			snprintf(name, len + 1, "%s_%s", c->name, c->cats[m]);
			e->features[e->nfeatures++] = name;
		}
	}
	strmap_init(&seen);
	for (size_t j = 0; j < e->ncols && rc == 0; j++)
		if (e->cols[j].use == ENC_ID || e->cols[j].use == ENC_FOLD ||
		    e->cols[j].use == ENC_TARGET)
			strmap_put(&seen, e->cols[j].name, strlen(e->cols[j].name), j);
	for (size_t k = 0; k < e->nfeatures && rc == 0; k++)
		if (strmap_put(&seen, e->features[k], strlen(e->features[k]), e->ncols + k) !=
		    e->ncols + k)
			rc = errf(err, errsize, "the output would have two columns named '%s'",
			          e->features[k]);
	strmap_free(&seen);
	if (rc == 0 && 2 + e->ncols + e->nfeatures > STREAM_MAX_COLUMNS)
		rc = errf(err, errsize, "%zu features are over the stream's limit of %d columns",
		          e->nfeatures, STREAM_MAX_COLUMNS);
	return rc;
}

/* Give the columns of a comma-separated list a use; the flag names the list in messages. */
static int
assign_list(struct encoder *e, const struct schema *s, const char *list, enum enc_use use,
            int *assigned, char *err, size_t errsize)
{
	const char *p = list, *flag = use_flags[use];

	while (list && *p) {
		size_t len = strcspn(p, ",");
		char *name = xstrndup(p, len);
		long j = schema_find(s, name);

		if (j < 0) {
			fmtbuf(err, errsize, "%s: no column '%s' in the stream", flag, name);
			free(name);
			return -1;
		}
		free(name);
		if (assigned[j])
			return errf(err, errsize, "column '%s' is named by %s and by %s",
			            s->cols[j].name, use_flags[e->cols[j].use], flag);
		e->cols[j].use = use;
		assigned[j] = 1;
		if (use == ENC_ONEHOT)
			e->onehot_order[e->nonehot++] = (size_t)j;
		p += len + (p[len] == ',');
	}
	return 0;
}

/* The use of every column: from the flags, then from roles and types. */
static int
assign_uses(struct encoder *e, const struct enc_spec *spec, const struct schema *s, char *err,
            size_t errsize)
{
	int *assigned = xcalloc(s->ncols ? s->ncols : 1, sizeof *assigned), rc = 0;
	const char *target = spec->target;

	for (size_t j = 0; j < s->ncols && !target; j++)
		if (s->cols[j].role == ROLE_TARGET)
			target = s->cols[j].name;
	if (target && strchr(target, ','))
		rc = errf(err, errsize, "--target: one column, not a list ('%s')", target);
	if (rc == 0)
		rc = assign_list(e, s, target, ENC_TARGET, assigned, err, errsize);
	if (rc == 0)
		rc = assign_list(e, s, spec->ids, ENC_ID, assigned, err, errsize);
	if (rc == 0)
		rc = assign_list(e, s, spec->drop, ENC_DROP, assigned, err, errsize);
	if (rc == 0)
		rc = assign_list(e, s, spec->minmax, ENC_MINMAX, assigned, err, errsize);
	if (rc == 0)
		rc = assign_list(e, s, spec->standard, ENC_STANDARD, assigned, err, errsize);
	if (rc == 0)
		rc = assign_list(e, s, spec->onehot, ENC_ONEHOT, assigned, err, errsize);
	for (size_t j = 0; j < s->ncols && rc == 0; j++) {
		const struct column *col = &s->cols[j];

		if (assigned[j]) {
			if (e->cols[j].use == ENC_ONEHOT && col->type != COL_STR)
				rc = errf(
				        err, errsize,
				        "--onehot: column '%s' is numeric; one-hot encoding needs "
				        "a text column",
				        col->name);
			continue;
		}
		if (col->role == ROLE_ID)
			e->cols[j].use = ENC_ID;
		else if (col->role == ROLE_FOLD)
			e->cols[j].use = ENC_FOLD;
		else if (col->role == ROLE_TARGET)
			rc = errf(err, errsize,
			          "column '%s' has the role target but --target names '%s'; "
			          "drop it with --drop",
			          col->name, target);
		else if (col->type == COL_F64)
			e->cols[j].use = ENC_FEATURE;
		else
			rc = errf(err, errsize,
			          "text column '%s' has no encoding: name it in --onehot, --id "
			          "or --drop (or --scale if it holds numbers)",
			          col->name);
	}
	free(assigned);
	return rc;
}

/*
 * Min and max (ENC_MINMAX) or the sums for the mean and sd (ENC_STANDARD) of a batch's values,
 * missing values ignored. The sd's sum of squares is Welford's, so that one pass suffices.
 */
static int
learn_scale(struct enc_column *c, const struct batch *b, size_t j, uint64_t first_row, char *err,
            size_t errsize)
{
	for (size_t i = 0; i < b->nrows; i++) {
		double x, delta;

		if (cell_f64(b, i, j, &x) != 0) {
			size_t len;
			const char *s = batch_str(b, i, j, &len);

			return errf(err, errsize, "row %llu: column '%s': '%.*s' is not a number",
			            (unsigned long long)(first_row + i), c->name,
			            (int)(len > 64 ? 64 : len), s);
		}
		if (isnan(x))
			continue;
		if (!isfinite(x))
			return errf(err, errsize, "row %llu: column '%s': %g cannot be scaled",
			            (unsigned long long)(first_row + i), c->name, x);
		if (c->count == 0 || x < c->lo)
			c->lo = x;
		if (c->count == 0 || x > c->hi)
			c->hi = x;
		c->count++;
		if (c->use != ENC_STANDARD)
			continue;
		c->sum += x;
		delta = x - c->wmean;
		c->wmean += delta / (double)c->count;
		c->m2 += delta * (x - c->wmean);
	}
	return 0;
}

static int
finish_scale(struct enc_column *c, char *err, size_t errsize)
{
	if (c->count == 0)
		return errf(err, errsize, "column '%s' has no values to learn its scaling from",
		            c->name);
	if (c->use == ENC_STANDARD) {
		/* mean = Σx / n, sd = sqrt(Σ (x − mean)² / n) */
		c->lo = c->sum / (double)c->count;
		c->hi = sqrt(c->m2 / (double)c->count);
	}
	return 0;
}

/* Add a batch's new non-empty values of a text column to its categories. */
static void
learn_categories(struct enc_column *c, const struct batch *b, size_t j)
{
	for (size_t i = 0; i < b->nrows; i++) {
		size_t len, n = c->ncats;
		const char *s = batch_str(b, i, j, &len);

		if (len == 0 || cat_index(c, s, len) >= 0)
			continue;
		if (n == c->catcap) {
			c->catcap = c->catcap ? 2 * c->catcap : 16;
			c->cats = xreallocarray(c->cats, c->catcap, sizeof *c->cats);
			c->catlen = xreallocarray(c->catlen, c->catcap, sizeof *c->catlen);
		}
		c->cats[n] = xstrndup(s, len);
		c->catlen[n] = len;
		c->ncats = n + 1;
		/* past a few categories, cat_index looks them up in the map: put them all */
		if (c->ncats > FEW_CATEGORIES)
			for (size_t k = n == FEW_CATEGORIES ? 0 : n; k <= n; k++)
				strmap_put(&c->catmap, c->cats[k], c->catlen[k], k);
	}
}

static const char *
label_text(const struct batch *b, size_t i, size_t j, size_t *len, char *num, size_t numsize)
{
	if (b->types[j] == COL_STR)
		return batch_str(b, i, j, len);
	if (isnan(b->cols[j].f64[i])) {
		*len = 0;
		return "";
	}
	*len = (size_t)format_f64(num, numsize, b->cols[j].f64[i]);
	return num;
}

/* Collect the target's labels (as text): every row has one, and there are at most two. */
static int
learn_target(struct enc_column *c, const struct batch *b, size_t j, uint64_t first_row, char *err,
             size_t errsize)
{
	char num[40];

	if (c->cats == NULL) {
		c->cats = xcalloc(2, sizeof *c->cats);
		c->catlen = xcalloc(2, sizeof *c->catlen);
	}
	for (size_t i = 0; i < b->nrows; i++) {
		size_t len;
		const char *s = label_text(b, i, j, &len, num, sizeof num);

		if (len == 0)
			return errf(err, errsize, "row %llu: the target '%s' is missing",
			            (unsigned long long)(first_row + i), c->name);
		if (cat_index(c, s, len) >= 0)
			continue;
		if (c->ncats == 2)
			return errf(
			        err, errsize,
			        "row %llu: the target '%s' has a third value '%.*s' (after '%s' "
			        "and '%s'); it must have two",
			        (unsigned long long)(first_row + i), c->name,
			        (int)(len > 64 ? 64 : len), s, c->cats[0], c->cats[1]);
		c->cats[c->ncats] = xstrndup(s, len);
		c->catlen[c->ncats++] = len;
	}
	return 0;
}

static void
swap_labels(struct enc_column *c)
{
	char *x = c->cats[0];

	c->cats[0] = c->cats[1];
	c->cats[1] = x;
}

/* The two labels, negative first: sorted (numbers by value), or --positive second. */
static int
finish_target(struct enc_column *c, const char *positive, char *err, size_t errsize)
{
	double p, l0, l1;
	int numeric;

	if (c->ncats < 2)
		return errf(err, errsize, "the target '%s' has %s; it must have two values",
		            c->name, c->ncats ? "a single value" : "no rows");
	if (c->type == COL_F64 ? strtod(c->cats[0], NULL) > strtod(c->cats[1], NULL)
	                       : cats_cmp(&c->cats[0], &c->cats[1]) > 0)
		swap_labels(c);
	l0 = strtod(c->cats[0], NULL);
	l1 = strtod(c->cats[1], NULL);
	if (positive) {
		numeric = c->type == COL_F64 && parse_f64(positive, strlen(positive), &p) == 0;
		if (numeric ? p == l0 : strcmp(positive, c->cats[0]) == 0)
			swap_labels(c);
		else if (!(numeric ? p == l1 : strcmp(positive, c->cats[1]) == 0))
			return errf(
			        err, errsize,
			        "--positive: '%s' is not a value of the target '%s' ('%s', '%s')",
			        positive, c->name, c->cats[0], c->cats[1]);
	}
	set_cats(c, c->cats, 2);
	c->lo = strtod(c->cats[0], NULL);
	c->hi = strtod(c->cats[1], NULL);
	return 0;
}

int
encoder_learn_start(struct encoder *e, const struct enc_spec *spec, const struct schema *s,
                    char *err, size_t errsize)
{
	memset(e, 0, sizeof *e);
	e->ncols = s->ncols;
	e->cols = xcalloc(s->ncols ? s->ncols : 1, sizeof *e->cols);
	e->onehot_order = xcalloc(s->ncols ? s->ncols : 1, sizeof *e->onehot_order);
	for (size_t j = 0; j < s->ncols; j++) {
		e->cols[j].name = xstrdup(s->cols[j].name);
		e->cols[j].type = s->cols[j].type;
		e->cols[j].use = ENC_DROP;
	}
	if (assign_uses(e, spec, s, err, errsize) != 0) {
		encoder_free(e);
		return -1;
	}
	return 0;
}

int
encoder_learn_batch(struct encoder *e, const struct batch *b, uint64_t first_row, char *err,
                    size_t errsize)
{
	int rc = 0;

	for (size_t j = 0; j < e->ncols && rc == 0; j++) {
		struct enc_column *c = &e->cols[j];

		if (c->use == ENC_MINMAX || c->use == ENC_STANDARD)
			rc = learn_scale(c, b, j, first_row, err, errsize);
		else if (c->use == ENC_ONEHOT)
			learn_categories(c, b, j);
		else if (c->use == ENC_TARGET)
			rc = learn_target(c, b, j, first_row, err, errsize);
	}
	if (rc != 0)
		encoder_free(e);
	return rc;
}

int
encoder_learn_finish(struct encoder *e, const struct enc_spec *spec, char *err, size_t errsize)
{
	int rc = 0, any_target = 0;

	for (size_t j = 0; j < e->ncols && rc == 0; j++) {
		struct enc_column *c = &e->cols[j];

		if (c->use == ENC_MINMAX || c->use == ENC_STANDARD) {
			rc = finish_scale(c, err, errsize);
		} else if (c->use == ENC_ONEHOT) {
			qsort(c->cats, c->ncats, sizeof *c->cats, cats_cmp);
			set_cats(c, c->cats, c->ncats);
		} else if (c->use == ENC_TARGET) {
			rc = finish_target(c, spec->positive, err, errsize);
			any_target = 1;
		}
	}
	if (rc == 0 && spec->positive && !any_target)
		rc = errf(err, errsize, "--positive needs a target column (--target)");
	if (rc == 0)
		rc = name_features(e, err, errsize);
	if (rc != 0)
		encoder_free(e);
	return rc;
}

int
encoder_learn(struct encoder *e, const struct enc_spec *spec, const struct table *t, char *err,
              size_t errsize)
{
	uint64_t row = 1;

	if (encoder_learn_start(e, spec, &t->schema, err, errsize) != 0)
		return -1;
	for (size_t bi = 0; bi < t->nbatches; bi++) {
		if (encoder_learn_batch(e, &t->batches[bi], row, err, errsize) != 0)
			return -1;
		row += t->batches[bi].nrows;
	}
	return encoder_learn_finish(e, spec, err, errsize);
}

int
encoder_bind(struct encoder *e, const struct schema *in, struct schema *out, char *err,
             size_t errsize)
{
	struct strmap known;
	const char *positive = NULL;
	size_t base;
	int rc = 0;

	strmap_init(&known);
	for (size_t j = 0; j < e->ncols; j++)
		strmap_put(&known, e->cols[j].name, strlen(e->cols[j].name), j);
	for (size_t j = 0; j < in->ncols && rc == 0; j++)
		if (strmap_get(&known, in->cols[j].name, strlen(in->cols[j].name)) < 0)
			rc = errf(err, errsize,
			          "column '%s' is not in the state's schema (the state was learned "
			          "on other columns)",
			          in->cols[j].name);
	strmap_free(&known);
	for (size_t j = 0; j < e->ncols && rc == 0; j++) {
		struct enc_column *c = &e->cols[j];

		c->in = schema_find(in, c->name);
		c->out = -1;
		c->unseen = 0;
		if (c->in < 0 && c->use != ENC_TARGET && c->use != ENC_DROP)
			rc = errf(err, errsize,
			          "the stream lacks column '%s', which the state uses", c->name);
		else if (c->in >= 0 && in->cols[c->in].type != c->type)
			rc = errf(err, errsize,
			          "column '%s' is %s in the stream but was %s in training", c->name,
			          col_type_name(in->cols[c->in].type), col_type_name(c->type));
	}
	if (rc != 0)
		return rc;
	schema_init(out);
	for (size_t j = 0; j < e->ncols; j++) {
		struct enc_column *c = &e->cols[j];

		if (c->in < 0)
			continue;
		if (c->use == ENC_ID)
			c->out = (long)schema_add(out, c->name, c->type, ROLE_ID);
		else if (c->use == ENC_FOLD)
			c->out = (long)schema_add(out, c->name, c->type, ROLE_FOLD);
		else if (c->use == ENC_TARGET) {
			c->out = (long)schema_add(out, c->name, COL_F64, ROLE_TARGET);
			positive = c->cats[1];
		}
	}
	/* Numeric features come first, in column order; then each one-hot column's dummies. */
	base = out->ncols;
	for (size_t k = 0; k < e->nfeatures; k++)
		schema_add(out, e->features[k], COL_F64, ROLE_FEATURE);
	for (size_t j = 0, k = 0; j < e->ncols; j++) {
		struct enc_column *c = &e->cols[j];

		if (c->use == ENC_FEATURE || c->use == ENC_MINMAX || c->use == ENC_STANDARD)
			c->out = (long)(base + k++);
		else if (c->use == ENC_ONEHOT)
			c->out = c->ncats > 1 ? (long)(base + c->first_feature) : -1;
	}
	for (size_t m = 0; m < in->nmeta; m++)
		schema_set_meta(out, in->meta[m].key, in->meta[m].value);
	schema_set_meta(out, "tool", "encode");
	if (positive)
		schema_set_meta(out, "positive_label", positive);
	return 0;
}

/* Room for n rows in every column of b (b cleared): text columns are then set in row order. */
static void
batch_set_rows(struct batch *b, size_t n)
{
	if (n == 0)
		return;
	b->nrows = n - 1;
	batch_add_row(b);
}

static int
apply_target(const struct enc_column *c, const struct batch *in, struct batch *out,
             uint64_t first_row, char *err, size_t errsize)
{
	double *y = out->cols[c->out].f64;
	size_t j = (size_t)c->in;

	for (size_t i = 0; i < in->nrows; i++) {
		size_t len;
		const char *s;

		if (in->types[j] == COL_F64) {
			double x = in->cols[j].f64[i];

			y[i] = isnan(x) ? NAN : x == c->hi ? 1 : x == c->lo ? 0 : -1;
			if (y[i] == -1)
				return errf(
				        err, errsize,
				        "row %llu: the target '%s' is %g, neither '%s' nor '%s'",
				        (unsigned long long)(first_row + i), c->name, x, c->cats[0],
				        c->cats[1]);
			continue;
		}
		s = batch_str(in, i, j, &len);
		if (len == 0) {
			y[i] = NAN; /* new rows may lack a label */
			continue;
		}
		switch (cat_index(c, s, len)) {
		case 0:
			y[i] = 0;
			break;
		case 1:
			y[i] = 1;
			break;
		default:
			return errf(err, errsize,
			            "row %llu: the target '%s' is '%.*s', neither '%s' nor '%s'",
			            (unsigned long long)(first_row + i), c->name,
			            (int)(len > 64 ? 64 : len), s, c->cats[0], c->cats[1]);
		}
	}
	return 0;
}

/* x·scale + offset with scale = 1 / (max − min), offset = −min·scale: MinMaxScaler's form. */
static int
apply_scale(const struct enc_column *c, const struct batch *in, struct batch *out, int clip,
            uint64_t first_row, char *err, size_t errsize)
{
	double *x = out->cols[c->out].f64, scale, offset;
	size_t j = (size_t)c->in;

	if (in->types[j] == COL_F64) {
		memcpy(x, in->cols[j].f64, in->nrows * sizeof *x);
	} else {
		for (size_t i = 0; i < in->nrows; i++) {
			if (cell_f64(in, i, j, &x[i]) != 0) {
				size_t len;
				const char *s = batch_str(in, i, j, &len);

				return errf(err, errsize,
				            "row %llu: column '%s': '%.*s' is not a number",
				            (unsigned long long)(first_row + i), c->name,
				            (int)(len > 64 ? 64 : len), s);
			}
		}
	}
	if (c->use == ENC_FEATURE)
		return 0;
	if (c->use == ENC_STANDARD) {
		double sd = c->hi < 10 * DBL_EPSILON ? 1 : c->hi;

		for (size_t i = 0; i < in->nrows; i++)
			x[i] = (x[i] - c->lo) / sd;
		return 0;
	}
	scale = c->hi - c->lo < 10 * DBL_EPSILON ? 1 : 1 / (c->hi - c->lo);
	offset = -c->lo * scale;
	for (size_t i = 0; i < in->nrows; i++)
		x[i] = x[i] * scale + offset;
	if (clip)
		for (size_t i = 0; i < in->nrows; i++)
			x[i] = x[i] < 0 ? 0 : x[i] > 1 ? 1 : x[i];
	return 0;
}

static int
apply_onehot(struct enc_column *c, const struct batch *in, struct batch *out, int strict,
             uint64_t first_row, char *err, size_t errsize)
{
	size_t j = (size_t)c->in, ndummies = c->ncats - 1;

	for (size_t m = 0; m < ndummies; m++)
		memset(out->cols[c->out + (long)m].f64, 0, in->nrows * sizeof(double));
	for (size_t i = 0; i < in->nrows; i++) {
		size_t len;
		const char *s = batch_str(in, i, j, &len);
		long k;

		if (len == 0)
			continue;
		k = cat_index(c, s, len);
		if (k > 0) {
			out->cols[c->out + k - 1].f64[i] = 1;
		} else if (k < 0) {
			if (strict)
				return errf(
				        err, errsize,
				        "row %llu: column '%s': category '%.*s' was not seen in "
				        "training (--strict)",
				        (unsigned long long)(first_row + i), c->name,
				        (int)(len > 64 ? 64 : len), s);
			c->unseen++;
		}
	}
	return 0;
}

int
encoder_apply(struct encoder *e, const struct batch *in, struct batch *out, uint64_t first_row,
              char *err, size_t errsize)
{
	int rc = 0;

	batch_clear(out);
	batch_set_rows(out, in->nrows);
	for (size_t j = 0; j < e->ncols && rc == 0; j++) {
		struct enc_column *c = &e->cols[j];

		if (c->in < 0 || c->out < 0)
			continue;
		switch (c->use) {
		case ENC_ID:
		case ENC_FOLD:
			if (c->type == COL_F64) {
				memcpy(out->cols[c->out].f64, in->cols[c->in].f64,
				       in->nrows * sizeof(double));
				break;
			}
			for (size_t i = 0; i < in->nrows; i++) {
				size_t len;
				const char *s = batch_str(in, i, (size_t)c->in, &len);

				batch_set_str(out, i, (size_t)c->out, s, len);
			}
			break;
		case ENC_TARGET:
			rc = apply_target(c, in, out, first_row, err, errsize);
			break;
		case ENC_FEATURE:
		case ENC_MINMAX:
		case ENC_STANDARD:
			rc = apply_scale(c, in, out, e->clip, first_row, err, errsize);
			break;
		case ENC_ONEHOT:
			rc = apply_onehot(c, in, out, e->strict, first_row, err, errsize);
			break;
		case ENC_DROP:
			break;
		}
	}
	return rc;
}

static int
write_cb(void *data, const char *buf, size_t len)
{
	return fwrite(buf, 1, len, data) == len ? 0 : -1;
}

static void
pack_str(msgpack_packer *pk, const char *s)
{
	size_t len = strlen(s);

	msgpack_pack_str(pk, len);
	msgpack_pack_str_body(pk, s, len);
}

int
encoder_save(const struct encoder *e, FILE *fp)
{
	msgpack_packer pk;

	msgpack_packer_init(&pk, fp, write_cb);
	msgpack_pack_map(&pk, 5);
	pack_str(&pk, "format");
	pack_str(&pk, STATE_FORMAT);
	pack_str(&pk, "version");
	msgpack_pack_uint32(&pk, STATE_VERSION);
	pack_str(&pk, "columns");
	msgpack_pack_array(&pk, e->ncols);
	for (size_t j = 0; j < e->ncols; j++) {
		const struct enc_column *c = &e->cols[j];
		int scaled = c->use == ENC_MINMAX || c->use == ENC_STANDARD;
		int listed = c->use == ENC_ONEHOT || c->use == ENC_TARGET;

		msgpack_pack_map(&pk, 3 + 2 * scaled + listed);
		pack_str(&pk, "name");
		pack_str(&pk, c->name);
		pack_str(&pk, "type");
		pack_str(&pk, col_type_name(c->type));
		pack_str(&pk, "use");
		pack_str(&pk, use_names[c->use]);
		if (scaled) {
			pack_str(&pk, c->use == ENC_MINMAX ? "min" : "mean");
			msgpack_pack_double(&pk, c->lo);
			pack_str(&pk, c->use == ENC_MINMAX ? "max" : "sd");
			msgpack_pack_double(&pk, c->hi);
		}
		if (listed) {
			pack_str(&pk, c->use == ENC_TARGET ? "labels" : "categories");
			msgpack_pack_array(&pk, c->ncats);
			for (size_t k = 0; k < c->ncats; k++)
				pack_str(&pk, c->cats[k]);
		}
	}
	pack_str(&pk, "onehot_order");
	msgpack_pack_array(&pk, e->nonehot);
	for (size_t k = 0; k < e->nonehot; k++)
		pack_str(&pk, e->cols[e->onehot_order[k]].name);
	pack_str(&pk, "features");
	msgpack_pack_array(&pk, e->nfeatures);
	for (size_t k = 0; k < e->nfeatures; k++)
		pack_str(&pk, e->features[k]);
	return ferror(fp) ? -1 : 0;
}

static const msgpack_object *
map_get(const msgpack_object *m, const char *key)
{
	size_t len = strlen(key);

	if (m->type != MSGPACK_OBJECT_MAP)
		return NULL;
	for (uint32_t i = 0; i < m->via.map.size; i++) {
		const msgpack_object *k = &m->via.map.ptr[i].key;

		if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == len &&
		    memcmp(k->via.str.ptr, key, len) == 0)
			return &m->via.map.ptr[i].val;
	}
	return NULL;
}

/* A text entry of a map, copied; NULL when absent, not text or holding a NUL byte. */
static char *
get_str(const msgpack_object *o)
{
	if (!o || o->type != MSGPACK_OBJECT_STR || o->via.str.size > STREAM_MAX_NAME ||
	    memchr(o->via.str.ptr, '\0', o->via.str.size))
		return NULL;
	return xstrndup(o->via.str.ptr, o->via.str.size);
}

static int
get_f64(const msgpack_object *o, double *x)
{
	if (!o)
		return -1;
	if (o->type == MSGPACK_OBJECT_FLOAT64 || o->type == MSGPACK_OBJECT_FLOAT32)
		*x = o->via.f64;
	else if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		*x = (double)o->via.u64;
	else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		*x = (double)o->via.i64;
	else
		return -1;
	return isfinite(*x) ? 0 : -1;
}

static int
load_column(struct enc_column *c, const msgpack_object *o, char *err, size_t errsize)
{
	char *type = get_str(map_get(o, "type")), *use = get_str(map_get(o, "use"));
	const msgpack_object *list;
	int rc = 0;
	size_t u;

	c->name = get_str(map_get(o, "name"));
	c->use = ENC_DROP;
	for (u = 0; use && u < sizeof use_names / sizeof use_names[0]; u++)
		if (strcmp(use, use_names[u]) == 0)
			break;
	if (!c->name || !*c->name || !type || !use || u == sizeof use_names / sizeof use_names[0])
		rc = errf(err, errsize, "a column lacks a valid name, type or use");
	else if (strcmp(type, "f64") == 0)
		c->type = COL_F64;
	else if (strcmp(type, "str") == 0)
		c->type = COL_STR;
	else
		rc = errf(err, errsize, "column '%s' has an unknown type", c->name);
	free(type);
	free(use);
	if (rc != 0)
		return rc;
	c->use = (enum enc_use)u;
	if (c->use == ENC_MINMAX || c->use == ENC_STANDARD) {
		int minmax = c->use == ENC_MINMAX;

		if (get_f64(map_get(o, minmax ? "min" : "mean"), &c->lo) != 0 ||
		    get_f64(map_get(o, minmax ? "max" : "sd"), &c->hi) != 0 ||
		    (minmax ? c->lo > c->hi : c->hi < 0))
			return errf(err, errsize, "column '%s' lacks valid scaling values",
			            c->name);
	}
	if (c->use != ENC_ONEHOT && c->use != ENC_TARGET)
		return 0;
	if (c->use == ENC_ONEHOT && c->type != COL_STR) /* as learning requires */
		return errf(err, errsize, "column '%s' is one-hot encoded but not text", c->name);
	list = map_get(o, c->use == ENC_TARGET ? "labels" : "categories");
	if (!list || list->type != MSGPACK_OBJECT_ARRAY ||
	    list->via.array.size > (uint32_t)STREAM_MAX_COLUMNS ||
	    (c->use == ENC_TARGET && list->via.array.size != 2))
		return errf(err, errsize, "column '%s' lacks its %s", c->name,
		            c->use == ENC_TARGET ? "two labels" : "categories");
	c->cats = xcalloc(list->via.array.size ? list->via.array.size : 1, sizeof *c->cats);
	for (uint32_t k = 0; k < list->via.array.size; k++) {
		c->cats[k] = get_str(&list->via.array.ptr[k]);
		if (!c->cats[k] || !*c->cats[k])
			rc = -1;
	}
	if (rc != 0) { /* a label that is not a string: no strlen of NULL in set_cats */
		c->ncats = list->via.array.size; /* freed with the column */
		return errf(err, errsize, "column '%s' has an empty or repeated category", c->name);
	}
	set_cats(c, c->cats, list->via.array.size);
	for (size_t k = 0; k < c->ncats && rc == 0; k++)
		if (cat_index(c, c->cats[k], c->catlen[k]) != (long)k)
			rc = -1; /* a repeated category */
	if (rc != 0)
		return errf(err, errsize, "column '%s' has an empty or repeated category", c->name);
	if (c->use == ENC_TARGET) {
		c->lo = strtod(c->cats[0], NULL);
		c->hi = strtod(c->cats[1], NULL);
	}
	return 0;
}

/* Validate the state's object; e is filled as far as it goes (freed by the caller). */
static int
load_object(struct encoder *e, const msgpack_object *root, char *err, size_t errsize)
{
	const msgpack_object *fmt = map_get(root, "format"), *ver = map_get(root, "version");
	const msgpack_object *cols = map_get(root, "columns"),
	                     *order = map_get(root, "onehot_order");
	const msgpack_object *feats = map_get(root, "features");
	int rc = 0;

	if (!fmt || fmt->type != MSGPACK_OBJECT_STR || fmt->via.str.size != strlen(STATE_FORMAT) ||
	    memcmp(fmt->via.str.ptr, STATE_FORMAT, fmt->via.str.size) != 0)
		return errf(err, errsize, "not an encode state (no format \"%s\")", STATE_FORMAT);
	if (!ver || ver->type != MSGPACK_OBJECT_POSITIVE_INTEGER || ver->via.u64 != STATE_VERSION)
		return errf(err, errsize, "state version is not %d", STATE_VERSION);
	if (!cols || cols->type != MSGPACK_OBJECT_ARRAY || cols->via.array.size == 0 ||
	    cols->via.array.size > STREAM_MAX_COLUMNS || !order ||
	    order->type != MSGPACK_OBJECT_ARRAY || !feats || feats->type != MSGPACK_OBJECT_ARRAY)
		return errf(err, errsize, "state lacks its columns, onehot_order or features");
	e->cols = xcalloc(cols->via.array.size, sizeof *e->cols);
	e->onehot_order = xcalloc(cols->via.array.size, sizeof *e->onehot_order);
	for (uint32_t j = 0; j < cols->via.array.size && rc == 0; j++) {
		rc = load_column(&e->cols[j], &cols->via.array.ptr[j], err, errsize);
		e->ncols++;
		for (size_t k = 0; k + 1 < e->ncols && rc == 0; k++)
			if (strcmp(e->cols[k].name, e->cols[j].name) == 0)
				rc = errf(err, errsize, "column '%s' appears twice",
				          e->cols[j].name);
	}
	for (uint32_t k = 0; k < order->via.array.size && rc == 0; k++) {
		char *name = get_str(&order->via.array.ptr[k]);
		size_t j = 0;

		while (name && j < e->ncols && strcmp(e->cols[j].name, name) != 0)
			j++;
		free(name);
		if (j >= e->ncols || e->cols[j].use != ENC_ONEHOT || e->nonehot == e->ncols)
			rc = errf(err, errsize, "onehot_order names a column that is not one-hot");
		else
			e->onehot_order[e->nonehot++] = j;
	}
	for (size_t j = 0, n = 0; j < e->ncols && rc == 0; j++) {
		n += e->cols[j].use == ENC_ONEHOT;
		if (j + 1 == e->ncols && n != e->nonehot)
			rc = errf(err, errsize, "onehot_order does not list every one-hot column");
	}
	if (rc == 0)
		rc = name_features(e, err, errsize);
	/* The stored feature names must be the ones the columns give. */
	if (rc == 0 && feats->via.array.size != e->nfeatures)
		rc = errf(err, errsize, "features do not match the columns");
	for (size_t k = 0; k < e->nfeatures && rc == 0; k++) {
		char *name = get_str(&feats->via.array.ptr[k]);

		if (!name || strcmp(name, e->features[k]) != 0)
			rc = errf(err, errsize, "feature %zu is not '%s'", k + 1, e->features[k]);
		free(name);
	}
	return rc;
}

int
encoder_load(struct encoder *e, FILE *fp, char *err, size_t errsize)
{
	char *buf = NULL;
	size_t len = 0, off = 0;
	msgpack_unpacked obj;
	int rc = 0;

	memset(e, 0, sizeof *e);
	switch (mp_read_file(fp, STATE_MAX_SIZE, &buf, &len)) {
	case -1:
		rc = errf(err, errsize, "read error");
		break;
	case -2:
		rc = errf(err, errsize, "state is over %zu bytes", STATE_MAX_SIZE);
		break;
	}
	msgpack_unpacked_init(&obj);
	if (rc == 0) {
		char msg[256];

		/* declared sizes checked first: msgpack-c would allocate them unchecked */
		if (mp_check_extent(buf, len, "state", msg, sizeof msg) < 0)
			rc = errf(err, errsize, "not an encode state (%s)", msg);
		else if (msgpack_unpack_next(&obj, buf, len, &off) != MSGPACK_UNPACK_SUCCESS)
			rc = errf(err, errsize,
			          "not an encode state (malformed or truncated msgpack)");
		else if (off != len)
			rc = errf(err, errsize, "data after the state");
		else
			rc = load_object(e, &obj.data, err, errsize);
	}
	msgpack_unpacked_destroy(&obj);
	free(buf);
	if (rc != 0)
		encoder_free(e);
	return rc;
}
