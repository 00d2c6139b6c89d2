/* drift.c: reference profiles, PSI and two-sample KS (drift.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>
#include <msgpack/fbuffer.h>

#include "drift.h"
#include "model.h"
#include "util.h"

#define DRIFT_MAX_SIZE    ((size_t)1 << 30) /* bytes of a reference file */
#define DRIFT_GUIDE_STEP  64                /* points per entry of the search guide */
#define DRIFT_MAX_BUCKETS 16384             /* value buckets of the point search */
#define DRIFT_FEW_CATS    8                 /* categories compared directly, not hashed */

static void
col_init(struct drift_col *c, const char *name, enum col_type type, enum col_role role)
{
	memset(c, 0, sizeof *c);
	c->name = xstrdup(name);
	c->type = type;
	c->role = role;
	c->profiled = role == ROLE_FEATURE || role == ROLE_PASSTHROUGH;
	c->in = -1;
	strmap_init(&c->catmap);
}

static void
col_free(struct drift_col *c)
{
	free(c->name);
	free(c->points);
	free(c->le);
	free(c->lt);
	free(c->edges);
	free(c->bin_n);
	free(c->edge_at);
	free(c->learned);
	if (c->catbuf != NULL)
		free(c->catbuf);
	else
		for (size_t i = 0; i < c->ncats; i++)
			free(c->cats[i]);
	free(c->cats);
	free(c->cat_n);
	free(c->catlen);
	strmap_free(&c->catmap);
	free(c->counts);
	free(c->guide);
	free(c->bucket);
	free(c->new_cat_n);
}

void
drift_learn_start(struct drift_ref *r, const struct schema *s, size_t nbins, size_t maxpoints,
                  int with_score)
{
	memset(r, 0, sizeof *r);
	r->nbins = nbins;
	r->maxpoints = maxpoints;
	r->ncols = s->ncols;
	r->cols = xcalloc(s->ncols, sizeof *r->cols);
	for (size_t j = 0; j < s->ncols; j++) {
		col_init(&r->cols[j], s->cols[j].name, s->cols[j].type, s->cols[j].role);
		r->cols[j].in = (long)j;
	}
	r->has_score = with_score;
	col_init(&r->score, DRIFT_SCORE_NAME, COL_F64, ROLE_FEATURE);
}

static void
learn_f64(struct drift_col *c, double x)
{
	c->n++;
	if (isnan(x)) {
		c->missing++;
		return;
	}
	if (c->nlearned == c->caplearned) {
		c->caplearned = c->caplearned ? 2 * c->caplearned : 1024;
		c->learned = xreallocarray(c->learned, c->caplearned, sizeof *c->learned);
	}
	c->learned[c->nlearned++] = x;
}

static void
learn_str(struct drift_col *c, const char *s, size_t len)
{
	size_t k;

	c->n++;
	if (len == 0) {
		c->missing++;
		return;
	}
	k = strmap_put(&c->catmap, s, len, c->ncats);
	if (k == c->ncats) {
		if (c->ncats == c->capcats) {
			c->capcats = c->capcats ? 2 * c->capcats : 16;
			c->cats = xreallocarray(c->cats, c->capcats, sizeof *c->cats);
			c->cat_n = xreallocarray(c->cat_n, c->capcats, sizeof *c->cat_n);
		}
		c->cats[k] = xstrndup(s, len);
		c->cat_n[k] = 0;
		c->ncats++;
	}
	c->cat_n[k]++;
}

/*
 * A text column with more categories than a reference may hold (an identifier, a code) is
 * not profiled: its categories are dropped, only its missing values counted from now on.
 */
static void
drop_categories(struct drift_col *c)
{
	for (size_t i = 0; i < c->ncats; i++)
		free(c->cats[i]);
	c->ncats = 0;
	strmap_free(&c->catmap);
	strmap_init(&c->catmap);
	c->profiled = 0;
}

/* Missing values of column col of b: all that is counted of ids, folds and the target. */
static uint64_t
count_missing(const struct drift_col *c, const struct batch *b, size_t col)
{
	uint64_t n = 0;

	for (size_t i = 0; i < b->nrows; i++) {
		size_t len = 1;

		if (c->type == COL_F64 ? isnan(b->cols[col].f64[i])
		                       : (batch_str(b, i, col, &len), len == 0))
			n++;
	}
	return n;
}

void
drift_learn_batch(struct drift_ref *r, const struct batch *b, const double *score)
{
	r->rows += b->nrows;
	for (size_t j = 0; j < r->ncols; j++) {
		struct drift_col *c = &r->cols[j];

		if (c->type == COL_STR && c->ncats > DRIFT_MAX_POINTS)
			drop_categories(c);
		if (!c->profiled) {
			c->missing += count_missing(c, b, j);
			c->n += b->nrows;
			continue;
		}
		for (size_t i = 0; i < b->nrows; i++) {
			if (c->type == COL_F64) {
				learn_f64(c, b->cols[j].f64[i]);
			} else {
				size_t len;
				const char *s = batch_str(b, i, j, &len);

				learn_str(c, s, len);
			}
		}
	}
	if (r->has_score && score)
		for (size_t i = 0; i < b->nrows; i++)
			learn_f64(&r->score, score[i]);
}

static int
cmp_f64(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The index of the first point >= x (n when none); without branches on the data. */
static size_t
lower_bound(const double *points, size_t n, double x)
{
	size_t base = 0;

	if (n == 0)
		return 0;
	while (n > 1) {
		size_t half = n / 2;

		base = points[base + half] < x ? base + half : base;
		n -= half;
	}
	return base + (points[base] < x);
}

/*
 * Quantile edges for PSI: edge j (1 ≤ j < nbins) is the smallest point whose training ECDF
 * reaches j/nbins; repeated edges and an edge at the maximum are left out, so every bin holds
 * training values. Also the training count of each bin.
 */
static void
make_edges(struct drift_col *c, size_t nbins)
{
	uint64_t nn = c->n - c->missing;
	size_t k = 0;

	c->edges = xcalloc(nbins, sizeof *c->edges);
	c->edge_at = xcalloc(nbins, sizeof *c->edge_at);
	c->nedges = 0;
	for (size_t j = 1; j < nbins && c->npoints > 0; j++) {
		while (k < c->npoints && (double)c->le[k] * (double)nbins < (double)j * (double)nn)
			k++;
		if (k >= c->npoints - 1)
			break;
		if (c->nedges > 0 && c->edge_at[c->nedges - 1] == k)
			continue;
		c->edge_at[c->nedges] = k;
		c->edges[c->nedges++] = c->points[k];
	}
}

static void
make_bins(struct drift_col *c)
{
	uint64_t nn = c->n - c->missing, prev = 0;

	c->bin_n = xcalloc(c->nedges + 1, sizeof *c->bin_n);
	for (size_t i = 0; i < c->nedges; i++) {
		c->bin_n[i] = c->le[c->edge_at[i]] - prev;
		prev = c->le[c->edge_at[i]];
	}
	c->bin_n[c->nedges] = nn - prev;
}

/*
 * The sorted values become distinct points with counts <= and <; beyond maxpoints distinct
 * values, only the minimum, the maximum and the values where the ECDF crosses each
 * 1/maxpoints step are kept (their counts still exact).
 */
static void
finish_f64(struct drift_col *c, size_t nbins, size_t maxpoints)
{
	size_t n = c->nlearned, ndistinct = 0, kept = 0;
	double *v = c->learned;

	if (n > 0)
		qsort(v, n, sizeof *v, cmp_f64);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || v[i] != v[i - 1])
			ndistinct++;
	c->exact = ndistinct <= maxpoints;
	c->points = xcalloc(ndistinct ? ndistinct : 1, sizeof *c->points);
	c->le = xcalloc(ndistinct ? ndistinct : 1, sizeof *c->le);
	c->lt = xcalloc(ndistinct ? ndistinct : 1, sizeof *c->lt);
	for (size_t i = 0, step = 1; i < n;) {
		size_t j = i;

		while (j < n && v[j] == v[i])
			j++;
		/* values v[i..j) are equal: i below, j at or below */
		if (c->exact || i == 0 || j == n ||
		    (double)j * (double)maxpoints >= (double)step * (double)n) {
			c->points[kept] = v[i];
			c->lt[kept] = i;
			c->le[kept] = j;
			kept++;
			while ((double)j * (double)maxpoints >= (double)step * (double)n)
				step++;
		}
		i = j;
	}
	c->npoints = kept;
	free(c->learned);
	c->learned = NULL;
	c->nlearned = c->caplearned = 0;
	make_edges(c, nbins);
	make_bins(c);
}

static int
cmp_cat(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;

	return strcmp(*x, *y);
}

/* Categories in byte order; the map rebuilt to match. */
static void
finish_str(struct drift_col *c)
{
	size_t *order = xcalloc(c->ncats ? c->ncats : 1, sizeof *order);
	uint64_t *counts = xcalloc(c->ncats ? c->ncats : 1, sizeof *counts);
	char **sorted = xcalloc(c->ncats ? c->ncats : 1, sizeof *sorted);

	for (size_t i = 0; i < c->ncats; i++)
		sorted[i] = c->cats[i];
	qsort(sorted, c->ncats, sizeof *sorted, cmp_cat);
	for (size_t i = 0; i < c->ncats; i++) {
		long k = strmap_get(&c->catmap, sorted[i], strlen(sorted[i]));

		counts[i] = c->cat_n[k];
	}
	strmap_free(&c->catmap);
	strmap_init(&c->catmap);
	for (size_t i = 0; i < c->ncats; i++)
		strmap_put(&c->catmap, sorted[i], strlen(sorted[i]), i);
	free(c->cats);
	free(c->cat_n);
	c->cats = sorted;
	c->cat_n = counts;
	free(order);
}

void
drift_learn_finish(struct drift_ref *r)
{
	for (size_t j = 0; j < r->ncols; j++) {
		struct drift_col *c = &r->cols[j];

		if (c->type == COL_F64) {
			finish_f64(c, r->nbins, r->maxpoints);
		} else {
			if (c->ncats > DRIFT_MAX_POINTS)
				drop_categories(c);
			finish_str(c);
		}
	}
	if (r->has_score)
		finish_f64(&r->score, r->nbins, r->maxpoints);
}

void
drift_free(struct drift_ref *r)
{
	for (size_t j = 0; j < r->ncols; j++)
		col_free(&r->cols[j]);
	free(r->cols);
	col_free(&r->score);
	free(r->source);
	memset(r, 0, sizeof *r);
}

static void
pack_u64s(msgpack_packer *pk, const uint64_t *x, size_t n)
{
	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < n; i++)
		msgpack_pack_uint64(pk, x[i]);
}

static void
pack_col(msgpack_packer *pk, const struct drift_col *c)
{
	int f64 = c->type == COL_F64;

	msgpack_pack_map(pk, f64 ? 11 : 8);
	mp_pack_str(pk, "name");
	mp_pack_str(pk, c->name);
	mp_pack_str(pk, "type");
	mp_pack_str(pk, col_type_name(c->type));
	mp_pack_str(pk, "role");
	mp_pack_str(pk, col_role_name(c->role));
	mp_pack_str(pk, "n");
	msgpack_pack_uint64(pk, c->n);
	mp_pack_str(pk, "missing");
	msgpack_pack_uint64(pk, c->missing);
	mp_pack_str(pk, "profiled");
	msgpack_pack_int(pk, c->profiled);
	if (f64) {
		mp_pack_str(pk, "exact");
		msgpack_pack_int(pk, c->exact);
		mp_pack_str(pk, "points");
		mp_pack_bin_f64(pk, c->points, c->npoints);
		mp_pack_str(pk, "le");
		pack_u64s(pk, c->le, c->npoints);
		mp_pack_str(pk, "lt");
		pack_u64s(pk, c->lt, c->npoints);
		mp_pack_str(pk, "edges");
		mp_pack_bin_f64(pk, c->edges, c->nedges);
	} else {
		mp_pack_str(pk, "categories");
		msgpack_pack_array(pk, c->ncats);
		for (size_t i = 0; i < c->ncats; i++)
			mp_pack_str(pk, c->cats[i]);
		mp_pack_str(pk, "counts");
		pack_u64s(pk, c->cat_n, c->ncats);
	}
}

int
drift_save(const struct drift_ref *r, FILE *fp)
{
	msgpack_packer pk;

	msgpack_packer_init(&pk, fp, msgpack_fbuffer_write);
	msgpack_pack_map(&pk, 8);
	mp_pack_str(&pk, "format");
	mp_pack_str(&pk, DRIFT_FORMAT);
	mp_pack_str(&pk, "version");
	msgpack_pack_int(&pk, DRIFT_VERSION);
	mp_pack_str(&pk, "source");
	mp_pack_str(&pk, r->source ? r->source : "");
	mp_pack_str(&pk, "rows");
	msgpack_pack_uint64(&pk, r->rows);
	mp_pack_str(&pk, "bins");
	msgpack_pack_uint64(&pk, r->nbins);
	mp_pack_str(&pk, "max_points");
	msgpack_pack_uint64(&pk, r->maxpoints);
	mp_pack_str(&pk, "columns");
	msgpack_pack_array(&pk, r->ncols);
	for (size_t j = 0; j < r->ncols; j++)
		pack_col(&pk, &r->cols[j]);
	mp_pack_str(&pk, "score");
	if (r->has_score)
		pack_col(&pk, &r->score);
	else
		msgpack_pack_nil(&pk);
	return ferror(fp) ? -1 : 0;
}

static int
get_u64(const msgpack_object *m, const char *key, uint64_t *x)
{
	const msgpack_object *o = mp_map_get(m, key);

	if (o == NULL || o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return -1;
	*x = o->via.u64;
	return 0;
}

static int
get_u64s(const msgpack_object *m, const char *key, uint64_t *x, size_t n)
{
	const msgpack_object *o = mp_map_get(m, key);

	if (o == NULL || o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (o->via.array.ptr[i].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
			return -1;
		x[i] = o->via.array.ptr[i].via.u64;
	}
	return 0;
}

static size_t
bin_len(const msgpack_object *m, const char *key)
{
	const msgpack_object *o = mp_map_get(m, key);

	if (o == NULL || o->type != MSGPACK_OBJECT_BIN || o->via.bin.size % 8 != 0)
		return (size_t)-1;
	return o->via.bin.size / 8;
}

static char *
get_str(const msgpack_object *m, const char *key)
{
	const msgpack_object *o = mp_map_get(m, key);

	if (o == NULL || o->type != MSGPACK_OBJECT_STR)
		return NULL;
	return xstrndup(o->via.str.ptr, o->via.str.size);
}

/* Points strictly increasing and finite, counts consistent with n and missing. */
static int
valid_f64(struct drift_col *c)
{
	uint64_t nn = c->n - c->missing;

	for (size_t k = 0; k < c->npoints; k++) {
		if (!isfinite(c->points[k]) || (k > 0 && c->points[k] <= c->points[k - 1]))
			return -1;
		if (c->lt[k] >= c->le[k] || c->le[k] > nn || (k > 0 && c->lt[k] < c->le[k - 1]))
			return -1;
	}
	if (c->profiled &&
	    ((c->npoints == 0) != (nn == 0) || (c->npoints > 0 && c->le[c->npoints - 1] != nn)))
		return -1;
	c->edge_at = xcalloc(c->nedges ? c->nedges : 1, sizeof *c->edge_at);
	for (size_t i = 0; i < c->nedges; i++) {
		size_t k = lower_bound(c->points, c->npoints, c->edges[i]);

		if (k >= c->npoints || c->points[k] != c->edges[i] ||
		    (i > 0 && k <= c->edge_at[i - 1]))
			return -1;
		c->edge_at[i] = k;
	}
	make_bins(c);
	return 0;
}

/*
 * The categories of a loaded column, copied into one block. Written in byte order, they are
 * unique when each is above the one before; otherwise a map finds a repeat. The map for
 * lookups is built when a check needs it (col_counters), not for every column loaded.
 */
static int
load_cats(struct drift_col *c, const msgpack_object *cats)
{
	size_t total = 1;
	char *p;
	int sorted = 1;

	c->ncats = c->capcats = cats->via.array.size;
	c->cats = xcalloc(c->ncats + 1, sizeof *c->cats);
	c->cat_n = xcalloc(c->ncats + 1, sizeof *c->cat_n);
	for (size_t i = 0; i < c->ncats; i++) {
		const msgpack_object *o = &cats->via.array.ptr[i];

		if (o->type != MSGPACK_OBJECT_STR || o->via.str.size == 0)
			return -1;
		total += o->via.str.size + 1;
	}
	p = c->catbuf = xmalloc(total);
	for (size_t i = 0; i < c->ncats; i++) {
		const msgpack_object *o = &cats->via.array.ptr[i];

		memcpy(p, o->via.str.ptr, o->via.str.size);
		p[o->via.str.size] = '\0';
		c->cats[i] = p;
		p += o->via.str.size + 1;
		if (i > 0 && strcmp(c->cats[i - 1], c->cats[i]) >= 0)
			sorted = 0;
	}
	for (size_t i = 0; !sorted && i < c->ncats; i++) {
		const msgpack_object *o = &cats->via.array.ptr[i];

		if (strmap_put(&c->catmap, o->via.str.ptr, o->via.str.size, i) != i)
			return -1;
	}
	return 0;
}

static int
load_col(struct drift_col *c, const msgpack_object *m, char *err, size_t errsize)
{
	char *name = get_str(m, "name"), *type = get_str(m, "type"), *role = get_str(m, "role");
	enum col_role rl = ROLE_PASSTHROUGH;
	uint64_t profiled;
	int rc = 0;

	if (name == NULL || type == NULL || role == NULL || col_role_parse(role, &rl) != 0 ||
	    (strcmp(type, "f64") != 0 && strcmp(type, "str") != 0))
		rc = errf(err, errsize, "a column without a valid name, type or role");
	else
		col_init(c, name, strcmp(type, "f64") == 0 ? COL_F64 : COL_STR, rl);
	free(name);
	free(type);
	free(role);
	if (rc != 0)
		return rc;
	if (get_u64(m, "n", &c->n) != 0 || get_u64(m, "missing", &c->missing) != 0 ||
	    get_u64(m, "profiled", &profiled) != 0 || c->missing > c->n)
		return errf(err, errsize, "column '%s': bad counts", c->name);
	c->profiled = c->profiled && profiled;
	if (c->type == COL_F64) {
		uint64_t exact;

		c->npoints = bin_len(m, "points");
		c->nedges = bin_len(m, "edges");
		if (c->npoints > DRIFT_MAX_POINTS || c->nedges > DRIFT_MAX_POINTS ||
		    get_u64(m, "exact", &exact) != 0)
			return errf(err, errsize, "column '%s': bad points or edges", c->name);
		c->exact = exact != 0;
		c->points = xcalloc(c->npoints + 1, sizeof *c->points);
		c->le = xcalloc(c->npoints + 1, sizeof *c->le);
		c->lt = xcalloc(c->npoints + 1, sizeof *c->lt);
		c->edges = xcalloc(c->nedges + 1, sizeof *c->edges);
		if (mp_bin_f64(mp_map_get(m, "points"), c->points, c->npoints) != 0 ||
		    mp_bin_f64(mp_map_get(m, "edges"), c->edges, c->nedges) != 0 ||
		    get_u64s(m, "le", c->le, c->npoints) != 0 ||
		    get_u64s(m, "lt", c->lt, c->npoints) != 0 || valid_f64(c) != 0)
			return errf(err, errsize,
			            "column '%s': inconsistent points, counts or edges", c->name);
	} else {
		const msgpack_object *cats = mp_map_get(m, "categories");
		uint64_t sum = 0;

		if (cats == NULL || cats->type != MSGPACK_OBJECT_ARRAY ||
		    cats->via.array.size > DRIFT_MAX_POINTS)
			return errf(err, errsize, "column '%s': bad categories", c->name);
		if (load_cats(c, cats) != 0)
			return errf(err, errsize, "column '%s': bad or repeated category", c->name);
		if (get_u64s(m, "counts", c->cat_n, c->ncats) != 0)
			return errf(err, errsize, "column '%s': bad category counts", c->name);
		for (size_t i = 0; i < c->ncats; i++)
			sum += c->cat_n[i];
		if (c->profiled && sum != c->n - c->missing)
			return errf(err, errsize, "column '%s': category counts do not add up",
			            c->name);
	}
	return 0;
}

static int
load_object(struct drift_ref *r, const msgpack_object *m, char *err, size_t errsize)
{
	const msgpack_object *cols = mp_map_get(m, "columns"), *score = mp_map_get(m, "score");
	uint64_t version, bins, maxpoints;

	if (!mp_is_str(mp_map_get(m, "format"), DRIFT_FORMAT))
		return errf(err, errsize, "not a drift reference (format is not %s)", DRIFT_FORMAT);
	if (get_u64(m, "version", &version) != 0 || version != DRIFT_VERSION)
		return errf(err, errsize, "reference version is not %d", DRIFT_VERSION);
	r->source = get_str(m, "source");
	if (get_u64(m, "rows", &r->rows) != 0 || get_u64(m, "bins", &bins) != 0 ||
	    get_u64(m, "max_points", &maxpoints) != 0 || r->source == NULL || cols == NULL ||
	    cols->type != MSGPACK_OBJECT_ARRAY || cols->via.array.size > STREAM_MAX_COLUMNS ||
	    score == NULL)
		return errf(err, errsize, "reference without rows, bins, max_points or columns");
	if (r->rows == 0)
		return errf(err, errsize, "a reference of no rows");
	r->nbins = bins;
	r->maxpoints = maxpoints;
	r->cols = xcalloc(cols->via.array.size + 1, sizeof *r->cols);
	for (size_t j = 0; j < cols->via.array.size; j++) {
		if (load_col(&r->cols[j], &cols->via.array.ptr[j], err, errsize) != 0) {
			r->ncols = j + 1;
			return -1;
		}
		r->ncols = j + 1;
	}
	col_init(&r->score, DRIFT_SCORE_NAME, COL_F64, ROLE_FEATURE);
	if (score->type != MSGPACK_OBJECT_NIL) {
		col_free(&r->score);
		r->has_score = 1;
		if (load_col(&r->score, score, err, errsize) != 0)
			return -1;
		if (r->score.type != COL_F64)
			return errf(err, errsize, "score is not numeric");
	}
	return 0;
}

int
drift_load(struct drift_ref *r, FILE *fp, char *err, size_t errsize)
{
	char *buf = NULL;
	size_t len = 0, off = 0;
	msgpack_unpacked obj;
	int rc = 0;

	memset(r, 0, sizeof *r);
	switch (mp_read_file(fp, DRIFT_MAX_SIZE, &buf, &len)) {
	case -1:
		rc = errf(err, errsize, "read error");
		break;
	case -2:
		rc = errf(err, errsize, "reference is over %zu bytes", DRIFT_MAX_SIZE);
		break;
	}
	msgpack_unpacked_init(&obj);
	if (rc == 0) {
		char msg[256];

		/* declared sizes checked first: msgpack-c would allocate them unchecked */
		if (mp_check_extent(buf, len, "reference", msg, sizeof msg) < 0)
			rc = errf(err, errsize, "not a drift reference (%s)", msg);
		else if (msgpack_unpack_next(&obj, buf, len, &off) != MSGPACK_UNPACK_SUCCESS)
			rc = errf(err, errsize,
			          "not a drift reference (malformed or truncated msgpack)");
		else if (off != len)
			rc = errf(err, errsize, "data after the reference");
		else
			rc = load_object(r, &obj.data, err, errsize);
	}
	msgpack_unpacked_destroy(&obj);
	free(buf);
	if (rc != 0)
		drift_free(r);
	return rc;
}

/* Is name one of the comma-separated names in list? */
static int
listed(const char *list, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = list; p && *p;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n == len && memcmp(p, name, n) == 0)
			return 1;
		p = end ? end + 1 : NULL;
	}
	return 0;
}

/* The bucket of value x (not NaN): monotone in x, so points in lower buckets are below x. */
static size_t
bucket_of(const struct drift_col *c, double x)
{
	double t = (x - c->bucket_lo) * c->bucket_scale;

	if (!(t >= 0))
		return 0;
	if (t >= (double)(c->nbuckets - 1))
		return c->nbuckets - 1;
	return (size_t)t;
}

/*
 * Equal-width buckets over the points' range, each with the index of its first point: the
 * search for x is then one short run, bucket[b] to bucket[b + 1], instead of two binary
 * searches. The buckets of the points come from bucket_of itself, so a rounding in it
 * cannot put a point on the wrong side of x. Only for many points over a finite range.
 */
static void
make_buckets(struct drift_col *c)
{
	double lo, range;
	size_t b = 0;

	if (c->npoints <= DRIFT_GUIDE_STEP)
		return;
	lo = c->points[0];
	range = c->points[c->npoints - 1] - lo;
	c->nbuckets = 2;
	while (c->nbuckets < c->npoints && c->nbuckets < DRIFT_MAX_BUCKETS)
		c->nbuckets *= 2;
	if (!isfinite(lo) || !isfinite(range) || range <= 0 ||
	    !isfinite((double)(c->nbuckets - 1) / range))
		return;
	c->bucket_lo = lo;
	c->bucket_scale = (double)(c->nbuckets - 1) / range;
	c->bucket = xcalloc(c->nbuckets + 1, sizeof *c->bucket);
	for (size_t k = 0; k < c->npoints; k++)
		for (size_t bk = bucket_of(c, c->points[k]); b <= bk; b++)
			c->bucket[b] = (uint32_t)k;
	for (; b <= c->nbuckets; b++)
		c->bucket[b] = (uint32_t)c->npoints;
}

static void
col_counters(struct drift_col *c)
{
	c->new_n = c->new_missing = c->new_unseen = 0;
	if (c->type == COL_F64) {
		c->counts = xcalloc(2 * c->npoints + 2, sizeof *c->counts);
		c->nguide = (c->npoints + DRIFT_GUIDE_STEP - 1) / DRIFT_GUIDE_STEP;
		c->guide = xcalloc(c->nguide + 1, sizeof *c->guide);
		for (size_t g = 0; g < c->nguide; g++)
			c->guide[g] = c->points[g * DRIFT_GUIDE_STEP];
		make_buckets(c);
	} else {
		c->new_cat_n = xcalloc(c->ncats + 1, sizeof *c->new_cat_n);
		c->catlen = xcalloc(c->ncats + 1, sizeof *c->catlen);
		for (size_t k = 0; k < c->ncats; k++)
			c->catlen[k] = strlen(c->cats[k]);
		/* the lookup map, for a column that is checked against many categories */
		if (c->in >= 0 && c->profiled && c->ncats > DRIFT_FEW_CATS && c->catmap.len == 0)
			for (size_t k = 0; k < c->ncats; k++)
				strmap_put(&c->catmap, c->cats[k], c->catlen[k], k);
	}
}

void
drift_check_start(struct drift_ref *r, const struct schema *s, const char *ignore)
{
	for (size_t j = 0; j < r->ncols; j++) {
		struct drift_col *c = &r->cols[j];
		long in = schema_find(s, c->name);

		c->in = in >= 0 && s->cols[in].type == c->type && !listed(ignore, c->name) ? in
		                                                                           : -1;
		col_counters(c);
	}
	col_counters(&r->score);
}

/*
 * The first point >= x, through the guide (every DRIFT_GUIDE_STEP-th point, small enough to
 * stay in cache) and then a search of one short run of points.
 */
static size_t
find_point(const struct drift_col *c, double x)
{
	size_t g, lo, hi;

	if (c->bucket != NULL) {
		size_t b = bucket_of(c, x);

		lo = c->bucket[b];
		hi = c->bucket[b + 1];
		return lo + lower_bound(c->points + lo, hi - lo, x);
	}
	g = lower_bound(c->guide, c->nguide, x);
	lo = g ? (g - 1) * DRIFT_GUIDE_STEP + 1 : 0;
	hi = g < c->nguide ? g * DRIFT_GUIDE_STEP : c->npoints;
	return lo + lower_bound(c->points + lo, hi - lo, x);
}

static void
check_f64(struct drift_col *c, const double *x, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t k;

		if (isnan(x[i])) {
			c->new_missing++;
			continue;
		}
		k = find_point(c, x[i]);
		if (k < c->npoints && c->points[k] == x[i])
			c->counts[2 * k + 1]++;
		else
			c->counts[2 * k]++;
	}
	c->new_n += n;
}

static long
find_cat(const struct drift_col *c, const char *s, size_t len)
{
	if (c->ncats > DRIFT_FEW_CATS)
		return strmap_get(&c->catmap, s, len);
	for (size_t k = 0; k < c->ncats; k++)
		if (c->catlen[k] == len && memcmp(c->cats[k], s, len) == 0)
			return (long)k;
	return -1;
}

static void
check_str(struct drift_col *c, const struct batch *b, size_t col)
{
	for (size_t i = 0; i < b->nrows; i++) {
		size_t len;
		const char *s = batch_str(b, i, col, &len);
		long k;

		if (len == 0) {
			c->new_missing++;
			continue;
		}
		k = find_cat(c, s, len);
		if (k < 0)
			c->new_unseen++;
		else
			c->new_cat_n[k]++;
	}
	c->new_n += b->nrows;
}

void
drift_check_batch(struct drift_ref *r, const struct batch *b, const double *score)
{
	for (size_t j = 0; j < r->ncols; j++) {
		struct drift_col *c = &r->cols[j];

		if (c->in < 0)
			continue;
		if (!c->profiled) {
			c->new_missing += count_missing(c, b, (size_t)c->in);
			c->new_n += b->nrows;
		} else if (c->type == COL_F64)
			check_f64(c, b->cols[c->in].f64, b->nrows);
		else
			check_str(c, b, (size_t)c->in);
	}
	if (r->has_score && score)
		check_f64(&r->score, score, b->nrows);
}

/* PSI term of one bin: (a − e) ln(a / e), a proportion of 0 taken as DRIFT_PSI_EPS. */
static double
psi_term(uint64_t new_count, uint64_t new_total, uint64_t ref_count, uint64_t ref_total)
{
	double a = new_count ? (double)new_count / (double)new_total : DRIFT_PSI_EPS;
	double e = ref_count ? (double)ref_count / (double)ref_total : DRIFT_PSI_EPS;

	return (a - e) * log(a / e);
}

/*
 * Numeric: the new values' counts at and between the reference points give the new ECDF
 * at every point and just below it; the reference ECDF is constant between points, so
 * sup |F_new − F_ref| is reached at a point or just below one: that max is the two-sample
 * KS statistic, exact when every distinct training value is a point.
 */
static void
metrics_f64(const struct drift_col *c, struct drift_metrics *m)
{
	uint64_t nn = c->new_n - c->new_missing, nr = c->n - c->missing, le = 0, prev = 0;
	size_t e = 0;
	double psi = 0, ks = 0;

	m->psi = m->ks = m->out_of_range = NAN;
	if (nn == 0 || nr == 0)
		return;
	for (size_t k = 0; k < c->npoints; k++) {
		uint64_t lt = le + c->counts[2 * k];
		double d_lt = fabs((double)lt / (double)nn - (double)c->lt[k] / (double)nr);
		double d_le;

		le = lt + c->counts[2 * k + 1];
		d_le = fabs((double)le / (double)nn - (double)c->le[k] / (double)nr);
		ks = fmax(ks, fmax(d_lt, d_le));
		if (e < c->nedges && c->edge_at[e] == k) {
			psi += psi_term(le - prev, nn, c->bin_n[e], nr);
			prev = le;
			e++;
		}
	}
	psi += psi_term(nn - prev, nn, c->bin_n[c->nedges], nr);
	m->psi = psi;
	m->ks = ks;
	m->out_of_range = (double)(c->counts[0] + c->counts[2 * c->npoints]) / (double)nn;
}

/* Text: PSI over the training categories and one more bin, the unseen ones. */
static void
metrics_str(const struct drift_col *c, struct drift_metrics *m)
{
	uint64_t nn = c->new_n - c->new_missing, nr = c->n - c->missing;
	double psi = 0;

	m->psi = m->unseen = NAN;
	m->ks = NAN;
	if (nn == 0 || nr == 0)
		return;
	for (size_t i = 0; i < c->ncats; i++)
		psi += psi_term(c->new_cat_n[i], nn, c->cat_n[i], nr);
	psi += psi_term(c->new_unseen, nn, 0, nr);
	m->psi = psi;
	m->unseen = (double)c->new_unseen / (double)nn;
}

static enum drift_status
level(double x, double warn_at, double drift_at)
{
	if (isnan(x))
		return DRIFT_OK;
	return x >= drift_at ? DRIFT_DRIFT : x >= warn_at ? DRIFT_WARN : DRIFT_OK;
}

static enum drift_status
worst(enum drift_status a, enum drift_status b)
{
	return a > b ? a : b;
}

void
drift_col_metrics(const struct drift_col *c, const struct drift_limits *lim,
                  struct drift_metrics *m)
{
	memset(m, 0, sizeof *m);
	m->out_of_range = m->unseen = NAN;
	if (c->type == COL_F64)
		metrics_f64(c, m);
	else
		metrics_str(c, m);
	m->missing_ref = c->n ? (double)c->missing / (double)c->n : NAN;
	m->missing_new = c->new_n ? (double)c->new_missing / (double)c->new_n : NAN;
	m->status = level(m->psi, lim->psi_warn, lim->psi_drift);
	m->status = worst(m->status, level(m->ks, lim->ks_warn, lim->ks_drift));
	m->status = worst(m->status, level(fabs(m->missing_new - m->missing_ref),
	                                   lim->missing_drift, lim->missing_drift));
	m->status = worst(m->status, level(m->out_of_range, lim->range_drift, lim->range_drift));
	m->status = worst(m->status, level(m->unseen, lim->unseen_drift, lim->unseen_drift));
}

static const char *const status_name[] = {"ok", "warn", "drift"};

static void
table_num(FILE *tbl, double x)
{
	if (isnan(x))
		fprintf(tbl, " %9s", "-");
	else
		fprintf(tbl, " %9.4f", x);
}

static enum drift_status
report_col(const struct drift_col *c, const struct drift_limits *lim, struct jbuf *j, FILE *tbl)
{
	struct drift_metrics m;

	drift_col_metrics(c, lim, &m);
	jbuf_open(j, '{');
	jbuf_key(j, "name");
	jbuf_str(j, c->name);
	jbuf_key(j, "type");
	jbuf_str(j, col_type_name(c->type));
	jbuf_key(j, "status");
	jbuf_str(j, status_name[m.status]);
	jbuf_key(j, "rows");
	jbuf_int(j, (long long)c->new_n);
	jbuf_key(j, "psi");
	jbuf_num(j, m.psi);
	if (c->type == COL_F64) {
		jbuf_key(j, "ks");
		jbuf_num(j, m.ks);
		jbuf_key(j, "ks_exact");
		jbuf_bool(j, c->exact);
		jbuf_key(j, "out_of_range");
		jbuf_num(j, m.out_of_range);
	} else {
		jbuf_key(j, "unseen");
		jbuf_num(j, m.unseen);
	}
	jbuf_key(j, "missing_reference");
	jbuf_num(j, m.missing_ref);
	jbuf_key(j, "missing_new");
	jbuf_num(j, m.missing_new);
	jbuf_close(j, '}');
	if (tbl) {
		fprintf(tbl, "%-24s %-4s", c->name, col_type_name(c->type));
		table_num(tbl, m.psi);
		table_num(tbl, m.ks);
		table_num(tbl, m.missing_ref);
		table_num(tbl, m.missing_new);
		table_num(tbl, c->type == COL_F64 ? m.out_of_range : m.unseen);
		fprintf(tbl, "  %s\n", status_name[m.status]);
	}
	return m.status;
}

/* Schema: reference columns absent or retyped in the input, input columns not in it. */
static enum drift_status
report_schema(const struct drift_ref *r, const struct schema *in, const char *ignore,
              int expect_target, struct jbuf *j, FILE *tbl)
{
	enum drift_status st = DRIFT_OK;
	const struct drift_col *target = NULL;

	jbuf_key(j, "missing_columns");
	jbuf_open(j, '[');
	for (size_t k = 0; k < r->ncols; k++) {
		const struct drift_col *c = &r->cols[k];

		if (c->role == ROLE_TARGET)
			target = c;
		if (c->role == ROLE_TARGET || listed(ignore, c->name) ||
		    schema_find(in, c->name) >= 0)
			continue;
		jbuf_str(j, c->name);
		if (tbl)
			fprintf(tbl, "schema: column '%s' missing\n", c->name);
		st = DRIFT_DRIFT;
	}
	jbuf_close(j, ']');
	jbuf_key(j, "extra_columns");
	jbuf_open(j, '[');
	for (size_t k = 0; k < in->ncols; k++) {
		const char *name = in->cols[k].name;
		int known = 0;

		for (size_t i = 0; i < r->ncols && !known; i++)
			known = strcmp(r->cols[i].name, name) == 0;
		if (known || listed(ignore, name))
			continue;
		jbuf_str(j, name);
		if (tbl)
			fprintf(tbl, "schema: extra column '%s'\n", name);
		st = DRIFT_DRIFT;
	}
	jbuf_close(j, ']');
	jbuf_key(j, "type_changes");
	jbuf_open(j, '[');
	for (size_t k = 0; k < r->ncols; k++) {
		const struct drift_col *c = &r->cols[k];
		long i = schema_find(in, c->name);

		if (i < 0 || in->cols[i].type == c->type || listed(ignore, c->name))
			continue;
		jbuf_open(j, '{');
		jbuf_key(j, "name");
		jbuf_str(j, c->name);
		jbuf_key(j, "reference");
		jbuf_str(j, col_type_name(c->type));
		jbuf_key(j, "new");
		jbuf_str(j, col_type_name(in->cols[i].type));
		jbuf_close(j, '}');
		if (tbl)
			fprintf(tbl, "schema: column '%s' was %s, is %s\n", c->name,
			        col_type_name(c->type), col_type_name(in->cols[i].type));
		st = DRIFT_DRIFT;
	}
	jbuf_close(j, ']');
	jbuf_key(j, "target");
	if (target == NULL) {
		jbuf_null(j);
	} else {
		int present = target->in >= 0 && target->new_missing < target->new_n;
		int bad = expect_target >= 0 && present != expect_target;

		jbuf_open(j, '{');
		jbuf_key(j, "name");
		jbuf_str(j, target->name);
		jbuf_key(j, "present");
		jbuf_bool(j, present);
		jbuf_key(j, "expected");
		jbuf_str(j, expect_target < 0 ? "any" : expect_target ? "present" : "absent");
		jbuf_key(j, "status");
		jbuf_str(j, bad ? "drift" : "ok");
		jbuf_close(j, '}');
		if (bad) {
			if (tbl)
				fprintf(tbl, "schema: target '%s' %s, expected %s\n", target->name,
				        present ? "present" : "absent",
				        expect_target ? "present" : "absent");
			st = DRIFT_DRIFT;
		}
	}
	return st;
}

enum drift_status
drift_report(const struct drift_ref *r, const struct schema *in, const struct drift_limits *lim,
             const char *ignore, int expect_target, struct jbuf *j, FILE *tbl)
{
	enum drift_status st, schema_st;
	uint64_t rows = 0;

	for (size_t k = 0; k < r->ncols; k++)
		if (r->cols[k].in >= 0)
			rows = r->cols[k].new_n;
	jbuf_open(j, '{');
	jbuf_key(j, "rows");
	jbuf_int(j, (long long)rows);
	jbuf_key(j, "reference_rows");
	jbuf_int(j, (long long)r->rows);
	jbuf_key(j, "thresholds");
	jbuf_open(j, '{');
	jbuf_key(j, "psi_warn");
	jbuf_num(j, lim->psi_warn);
	jbuf_key(j, "psi_drift");
	jbuf_num(j, lim->psi_drift);
	jbuf_key(j, "ks_warn");
	jbuf_num(j, lim->ks_warn);
	jbuf_key(j, "ks_drift");
	jbuf_num(j, lim->ks_drift);
	jbuf_key(j, "missing_drift");
	jbuf_num(j, lim->missing_drift);
	jbuf_key(j, "range_drift");
	jbuf_num(j, lim->range_drift);
	jbuf_key(j, "unseen_drift");
	jbuf_num(j, lim->unseen_drift);
	jbuf_close(j, '}');
	jbuf_key(j, "schema");
	jbuf_open(j, '{');
	schema_st = report_schema(r, in, ignore, expect_target, j, tbl);
	jbuf_close(j, '}');
	st = schema_st;
	if (tbl)
		fprintf(tbl, "%-24s %-4s %9s %9s %9s %9s %9s  %s\n", "column", "type", "psi", "ks",
		        "miss_ref", "miss_new", "out/unseen", "status");
	jbuf_key(j, "columns");
	jbuf_open(j, '[');
	for (size_t k = 0; k < r->ncols; k++) {
		const struct drift_col *c = &r->cols[k];

		if (c->profiled && c->in >= 0 && !listed(ignore, c->name))
			st = worst(st, report_col(c, lim, j, tbl));
	}
	jbuf_close(j, ']');
	jbuf_key(j, "prediction");
	if (r->has_score && r->score.new_n > 0)
		st = worst(st, report_col(&r->score, lim, j, tbl));
	else
		jbuf_null(j);
	jbuf_key(j, "status");
	jbuf_str(j, status_name[st]);
	jbuf_close(j, '}');
	if (tbl)
		fprintf(tbl, "drift: %s\n", status_name[st]);
	return st;
}
