/* dataset.c: a training stream read into a dense matrix and 0/1 labels. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "sha256.h"
#include "stream.h"
#include "util.h"

/* Which stream columns are features and which is the target: 0, or -1 with a message. */
static int
find_columns(const struct schema *s, const char *name, size_t *fcols, size_t *nf, size_t *tcol,
             char *err, size_t errsize)
{
	long target = -1;

	*nf = 0;
	for (size_t j = 0; j < s->ncols; j++) {
		const struct column *c = &s->cols[j];

		if (c->role == ROLE_FEATURE) {
			if (c->type != COL_F64)
				return errf(err, errsize,
				            "%s: feature column \"%s\" is text; encode it first",
				            name, c->name);
			fcols[(*nf)++] = j;
		} else if (c->role == ROLE_TARGET) {
			if (target >= 0)
				return errf(err, errsize,
				            "%s: more than one target column (\"%s\", \"%s\")",
				            name, s->cols[target].name, c->name);
			if (c->type != COL_F64)
				return errf(
				        err, errsize,
				        "%s: target column \"%s\" is text; expected 0/1 numbers",
				        name, c->name);
			target = (long)j;
		}
	}
	if (target < 0)
		return errf(err, errsize, "%s: no target column (a column with role target)", name);
	if (*nf == 0)
		return errf(err, errsize, "%s: no feature columns (columns with role feature)",
		            name);
	*tcol = (size_t)target;
	return 0;
}

/*
 * The digest covers the feature names, the target name (each followed by a NUL) and then
 * every row as its features and its label, little-endian doubles: independent of layout.
 */
static void
sha_names(struct sha256 *s, const struct dataset *d)
{
	sha256_init(s);
	for (size_t j = 0; j < d->nfeatures; j++)
		sha256_update(s, d->features[j], strlen(d->features[j]) + 1);
	sha256_update(s, d->target, strlen(d->target) + 1);
}

/* Rows r0 .. r1 of a row-major matrix x (nf features) and labels y into s. */
static void
sha_rows(struct sha256 *s, const double *x, const double *y, size_t nf, size_t r0, size_t r1)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* rows of little-endian doubles are already the bytes to hash: hashed where they are */
	for (size_t i = r0; i < r1; i++) {
		sha256_update(s, x + i * nf, 8 * nf);
		sha256_update(s, &y[i], 8);
	}
#else
	unsigned char buf[8 * 2048];
	size_t fill = 0;

	for (size_t i = r0; i < r1; i++) {
		for (size_t j = 0; j <= nf; j++) {
			double v = j == nf ? y[i] : x[i * nf + j];
			uint64_t u;

			memcpy(&u, &v, sizeof u);
			for (int k = 0; k < 8; k++)
				buf[fill + k] = (unsigned char)(u >> (8 * k));
			fill += 8;
			if (fill + 8 > sizeof buf) {
				sha256_update(s, buf, fill);
				fill = 0;
			}
		}
	}
	sha256_update(s, buf, fill);
#endif
}

/*
 * The checksum computed on its own thread while the rows arrive (dataset_read_sha256): the
 * reader publishes how many rows are stored (avail) and moves x and y only under the write
 * lock of mem; the hasher digests the published rows under its read lock, a few MB at a time.
 */
#define HASH_CHUNK_BYTES (4u << 20)
struct hasher {
	const struct dataset *d;
	struct sha256 s;
	pthread_t tid;
	pthread_mutex_t lock; /* avail, done */
	pthread_cond_t more;
	pthread_rwlock_t mem;
	size_t avail, hashed;
	int done;
};

static void *
hasher_main(void *arg)
{
	struct hasher *h = arg;
	size_t chunk = HASH_CHUNK_BYTES / (8 * (h->d->nfeatures + 1)) + 1;

	for (;;) {
		size_t upto;
		int done;

		pthread_mutex_lock(&h->lock);
		while (h->avail == h->hashed && !h->done)
			pthread_cond_wait(&h->more, &h->lock);
		upto = h->avail;
		done = h->done;
		pthread_mutex_unlock(&h->lock);
		if (upto == h->hashed && done)
			return NULL;
		if (upto - h->hashed > chunk)
			upto = h->hashed + chunk;
		pthread_rwlock_rdlock(&h->mem);
		sha_rows(&h->s, h->d->x, h->d->y, h->d->nfeatures, h->hashed, upto);
		pthread_rwlock_unlock(&h->mem);
		h->hashed = upto;
	}
}

static void
hasher_publish(struct hasher *h, size_t avail, int done)
{
	pthread_mutex_lock(&h->lock);
	h->avail = avail;
	h->done = done;
	pthread_cond_signal(&h->more);
	pthread_mutex_unlock(&h->lock);
}

/* A batch's numbers where stream_read_batch_raw leaves them: column j's at col[j], unaligned. */
struct raw_batch {
	const unsigned char **col;
	size_t nrows;
};

static inline double
raw_at(const unsigned char *col, size_t i)
{
	double v;

	memcpy(&v, col + 8 * i, sizeof v);
	return v;
}

/* Values i and i + 1 of a raw column. */
static inline f64x2
raw_at2(const unsigned char *col, size_t i)
{
	f64x2 v;

	memcpy(&v, col + 8 * i, sizeof v);
	return v;
}

/*
 * The feature columns fcols of b as rows of nf into dst, a tile of TILE_ROWS rows at a time:
 * each column is read in runs and each row written whole, within a few cache lines; two
 * columns by two rows at once. Returns nonzero when a value is NaN or infinite (x − x is
 * then NaN; add_batch then finds which).
 */
#define TILE_ROWS 64
static int
transpose_batch(double *dst, size_t nf, const struct raw_batch *b, const size_t *fcols)
{
	i64x2 bad = {0, 0};
	int tail_bad = 0;

	for (size_t i0 = 0; i0 < b->nrows; i0 += TILE_ROWS) {
		size_t i1 = i0 + TILE_ROWS < b->nrows ? i0 + TILE_ROWS : b->nrows, j = 0;

		for (; j + 1 < nf; j += 2) {
			const unsigned char *s0 = b->col[fcols[j]], *s1 = b->col[fcols[j + 1]];
			size_t i = i0;

			for (; i + 1 < i1; i += 2) {
				f64x2 x0 = raw_at2(s0, i), x1 = raw_at2(s1, i);
				f64x2 t0 = x0 - x0, t1 = x1 - x1; /* NaN for NaN and ±inf, else 0 */

				bad |= (t0 != t0) | (t1 != t1);
				*(f64x2 *)&dst[i * nf + j] = (f64x2){x0[0], x1[0]};
				*(f64x2 *)&dst[(i + 1) * nf + j] = (f64x2){x0[1], x1[1]};
			}
			for (; i < i1; i++) {
				double x0 = raw_at(s0, i), x1 = raw_at(s1, i);

				tail_bad |= !isfinite(x0) || !isfinite(x1);
				dst[i * nf + j] = x0;
				dst[i * nf + j + 1] = x1;
			}
		}
		for (; j < nf; j++) {
			const unsigned char *src = b->col[fcols[j]];

			for (size_t i = i0; i < i1; i++) {
				double x = raw_at(src, i);

				tail_bad |= !isfinite(x);
				dst[i * nf + j] = x;
			}
		}
	}
	return (bad[0] | bad[1]) != 0 || tail_bad;
}

/* Check and append the rows of b (moving x and y under h's write lock, when hashing). */
static int
add_batch(struct dataset *d, const struct raw_batch *b, const size_t *fcols, size_t tcol,
          size_t *cap, struct hasher *h, const char *name, char *err, size_t errsize)
{
	size_t nf = d->nfeatures;

	if (d->nrows + b->nrows > *cap) {
		if (h)
			pthread_rwlock_wrlock(&h->mem);
		while (d->nrows + b->nrows > *cap)
			*cap = *cap ? 2 * *cap : 8192;
		d->y = xreallocarray(d->y, *cap, sizeof *d->y);
		if (d->layout == DATASET_ROWS) {
			if (*cap > SIZE_MAX / sizeof(double) / nf)
				die("%s: too many rows", name);
			d->x = xreallocarray(d->x, *cap * nf, sizeof *d->x);
		} else {
			double **cols = (double **)d->x;

			for (size_t j = 0; j < nf; j++)
				cols[j] = xreallocarray(cols[j], *cap, sizeof **cols);
		}
		if (h)
			pthread_rwlock_unlock(&h->mem);
	}
	for (size_t i = 0; i < b->nrows; i++) {
		size_t row = d->nrows + i;
		double t = raw_at(b->col[tcol], i);

		if (t != 0 && t != 1)
			return errf(err, errsize,
			            "%s: row %zu, column \"%s\": target %s; expected 0 or 1", name,
			            row + 1, d->target, isnan(t) ? "missing" : "not 0 or 1");
		d->y[row] = t;
		d->npositive += t == 1;
	}
	/* row-major: checked while transposed, and searched only if a value is not finite */
	if (d->layout == DATASET_COLUMNS || transpose_batch(d->x + d->nrows * nf, nf, b, fcols))
		for (size_t j = 0; j < nf; j++) {
			const unsigned char *src = b->col[fcols[j]];

			for (size_t i = 0; i < b->nrows; i++)
				if (!isfinite(raw_at(src, i)))
					return errf(err, errsize,
					            "%s: row %zu, column \"%s\": feature %s", name,
					            d->nrows + i + 1, d->features[j],
					            isnan(raw_at(src, i)) ? "missing or NaN"
					                                  : "infinite");
			if (d->layout == DATASET_COLUMNS)
				memcpy(((double **)d->x)[j] + d->nrows, src,
				       b->nrows * sizeof(double));
		}
	d->nrows += b->nrows;
	return 0;
}

/* Column-major data was read column by column; make it one block x[j*nrows + i]. */
static void
join_columns(struct dataset *d)
{
	double **cols = (double **)d->x;
	size_t n = d->nrows, nf = d->nfeatures;
	double *x = xreallocarray(NULL, n > 0 && nf > 0 ? n * nf : 1, sizeof *x);

	for (size_t j = 0; j < nf; j++) {
		if (n > 0) /* cols[j] is NULL when no row was read */
			memcpy(x + j * n, cols[j], n * sizeof *x);
		free(cols[j]);
	}
	free(cols);
	d->x = x;
}

static int
read_stream(FILE *fp, const char *name, enum dataset_layout layout, struct dataset *d,
            struct hasher *h, char *err, size_t errsize)
{
	struct stream_reader *r;
	const struct schema *s;
	struct batch b;
	struct raw_batch rb;
	size_t *fcols, tcol = 0, nf = 0, cap = 0;
	int rc = 0, got;

	memset(d, 0, sizeof *d);
	d->layout = layout;
	r = stream_reader_open(fp, name, err, errsize);
	if (!r)
		return -1;
	s = stream_reader_schema(r);
	fcols = xreallocarray(NULL, s->ncols ? s->ncols : 1, sizeof *fcols);
	if (find_columns(s, name, fcols, &nf, &tcol, err, errsize) < 0) {
		free(fcols);
		stream_reader_close(r);
		return -1;
	}
	d->nfeatures = nf;
	d->features = xreallocarray(NULL, nf, sizeof *d->features);
	for (size_t j = 0; j < nf; j++)
		d->features[j] = xstrdup(s->cols[fcols[j]].name);
	d->target = xstrdup(s->cols[tcol].name);
	if (layout == DATASET_COLUMNS)
		d->x = (double *)xcalloc(nf, sizeof(double *));
	if (h) {
		h->d = d;
		sha_names(&h->s, d);
		if (pthread_create(&h->tid, NULL, hasher_main, h) != 0)
			h->tid = pthread_self(); /* no thread: the rows are hashed after reading */
	}
	batch_init(&b, s);
	rb.col = xreallocarray(NULL, s->ncols, sizeof *rb.col);
	while (rc == 0 && (got = stream_read_batch_raw(r, &b, rb.col)) != 0) {
		rb.nrows = b.nrows;
		if (got < 0)
			rc = errf(err, errsize, "%s", stream_reader_error(r));
		else
			rc = add_batch(d, &rb, fcols, tcol, &cap, h, name, err, errsize);
		if (rc == 0 && h)
			hasher_publish(h, d->nrows, 0);
	}
	if (h) {
		hasher_publish(h, h->avail, 1);
		if (pthread_equal(h->tid, pthread_self()))
			hasher_main(h);
		else
			pthread_join(h->tid, NULL);
	}
	batch_free(&b);
	free(rb.col);
	stream_reader_close(r);
	free(fcols);
	if (rc == 0 && d->nrows == 0)
		rc = errf(err, errsize, "%s: no rows", name);
	else if (rc == 0 && (d->npositive == 0 || d->npositive == d->nrows))
		rc = errf(err, errsize, "%s: target \"%s\" has a single class (every row is %d)",
		          name, d->target, d->npositive ? 1 : 0);
	if (layout == DATASET_COLUMNS && d->x)
		join_columns(d);
	if (rc < 0) {
		dataset_free(d);
		memset(d, 0, sizeof *d);
	}
	return rc;
}

int
dataset_read(FILE *fp, const char *name, enum dataset_layout layout, struct dataset *d, char *err,
             size_t errsize)
{
	return read_stream(fp, name, layout, d, NULL, err, errsize);
}

int
dataset_read_sha256(FILE *fp, const char *name, struct dataset *d, char hex[65], char *err,
                    size_t errsize)
{
	struct hasher h = {.hashed = 0};
	int rc;

	pthread_mutex_init(&h.lock, NULL);
	pthread_cond_init(&h.more, NULL);
	pthread_rwlock_init(&h.mem, NULL);
	rc = read_stream(fp, name, DATASET_ROWS, d, &h, err, errsize);
	if (rc == 0)
		sha256_hex(&h.s, hex);
	pthread_rwlock_destroy(&h.mem);
	pthread_cond_destroy(&h.more);
	pthread_mutex_destroy(&h.lock);
	return rc;
}

void
dataset_subset(const struct dataset *d, const size_t *rows, size_t nrows, struct dataset *out)
{
	size_t nf = d->nfeatures;

	memset(out, 0, sizeof *out);
	out->nrows = nrows;
	out->nfeatures = nf;
	out->layout = DATASET_ROWS;
	out->features = d->features;
	out->target = d->target;
	out->x = xreallocarray(NULL, nrows > 0 && nf > 0 ? nrows * nf : 1, sizeof *out->x);
	out->y = xreallocarray(NULL, nrows ? nrows : 1, sizeof *out->y);
	for (size_t i = 0; i < nrows; i++) {
		size_t r = rows[i];

		if (d->layout == DATASET_ROWS)
			memcpy(out->x + i * nf, d->x + r * nf, nf * sizeof *out->x);
		else
			for (size_t j = 0; j < nf; j++)
				out->x[i * nf + j] = d->x[j * d->nrows + r];
		out->y[i] = d->y[r];
		out->npositive += d->y[r] == 1;
	}
}

void
dataset_subset_free(struct dataset *d)
{
	free(d->x);
	free(d->y);
	d->x = d->y = NULL;
}

void
dataset_free(struct dataset *d)
{
	if (d->features)
		for (size_t j = 0; j < d->nfeatures; j++)
			free(d->features[j]);
	free(d->features);
	free(d->target);
	dataset_subset_free(d);
	d->features = NULL;
	d->target = NULL;
}

void
dataset_sha256(const struct dataset *d, char hex[65])
{
	struct sha256 s;

	sha_names(&s, d);
	if (d->layout == DATASET_ROWS) {
		sha_rows(&s, d->x, d->y, d->nfeatures, 0, d->nrows);
	} else {
		/* a tile of rows at a time made row-major, then hashed as such */
		size_t nf = d->nfeatures, tile = 2048 / (nf + 1) + 1;
		double *rows = xreallocarray(NULL, tile, (nf ? nf : 1) * sizeof *rows);

		for (size_t i0 = 0; i0 < d->nrows; i0 += tile) {
			size_t n = d->nrows - i0 < tile ? d->nrows - i0 : tile;

			for (size_t j = 0; j < nf; j++)
				for (size_t i = 0; i < n; i++)
					rows[i * nf + j] = d->x[j * d->nrows + i0 + i];
			sha_rows(&s, rows, d->y + i0, nf, 0, n);
		}
		free(rows);
	}
	sha256_hex(&s, hex);
}
