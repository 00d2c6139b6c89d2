/* model.c: the model file (pipeml-model(5)): load with validation, save, predict. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gbt.h"
#include "logreg.h"
#include "model.h"
#include "stream.h"
#include "strmap.h"
#include "util.h"

#define MAX_DEPTH    64
#define MAX_ELEMENTS ((uint64_t)1 << 26)

/* Every model kind the suite knows; a new kind adds its table here. */
static const struct model_kind *const kinds[] = {
        &logreg_kind,
        &gbt_kind,
};

const struct model_kind *
model_kind_find(const char *name)
{
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(kinds[i]->name, name) == 0)
			return kinds[i];
	return NULL;
}

void
model_init(struct model *m, const struct model_kind *ops)
{
	memset(m, 0, sizeof *m);
	m->ops = ops;
	m->kind = ops ? ops->name : NULL;
	m->meta.type = MSGPACK_OBJECT_MAP;
}

void
model_set_features(struct model *m, char *const *features, size_t n, const char *target)
{
	for (size_t j = 0; j < m->nfeatures; j++)
		free(m->features[j]);
	free(m->features);
	free(m->target);
	m->features = xreallocarray(NULL, n ? n : 1, sizeof *m->features);
	for (size_t j = 0; j < n; j++)
		m->features[j] = xstrdup(features[j]);
	m->nfeatures = n;
	m->target = xstrdup(target);
}

void
model_add_param(struct model *m, const char *name, const char *value)
{
	m->params = xreallocarray(m->params, m->nparams + 1, sizeof *m->params);
	m->params[m->nparams].name = xstrdup(name);
	m->params[m->nparams].value = xstrdup(value);
	m->nparams++;
}

const char *
model_param(const struct model *m, const char *name)
{
	for (size_t i = 0; i < m->nparams; i++)
		if (strcmp(m->params[i].name, name) == 0)
			return m->params[i].value;
	return NULL;
}

int
mp_read_file(FILE *fp, size_t max, char **buf, size_t *len)
{
	size_t cap = 0, got;

	*buf = NULL;
	*len = 0;
	do {
		if (*len == cap) {
			if (cap > max)
				return -2;
			cap = cap ? 2 * cap : 65536;
			*buf = xreallocarray(*buf, cap, 1);
		}
		got = fread(*buf + *len, 1, cap - *len, fp);
		*len += got;
	} while (got > 0);
	if (*len > max)
		return -2;
	return ferror(fp) ? -1 : 0;
}

int
mp_check_extent(const void *buf, size_t len, const char *what, char *err, size_t errsize)
{
	const unsigned char *p = buf;
	uint64_t pending[MAX_DEPTH + 1], elements = 0;
	size_t pos = 0;
	int depth = 0;

	pending[0] = 1;
	while (depth >= 0) {
		uint64_t n = 0, count = 0;
		size_t hdr = 1, nlen = 0;
		unsigned c;

		if (pending[depth] == 0) {
			depth--;
			continue;
		}
		pending[depth]--;
		if (pos >= len)
			return errf(err, errsize, "truncated at byte %zu", pos);
		c = p[pos];
		if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3)
			hdr = 1;
		else if ((c & 0xe0) == 0xa0)
			n = c & 0x1f;
		else if ((c & 0xf0) == 0x90)
			count = c & 0x0f;
		else if ((c & 0xf0) == 0x80)
			count = 2 * (uint64_t)(c & 0x0f);
		else if (c == 0xca || c == 0xce || c == 0xd2)
			hdr = 5;
		else if (c == 0xcb || c == 0xcf || c == 0xd3)
			hdr = 9;
		else if (c == 0xcc || c == 0xd0)
			hdr = 2;
		else if (c == 0xcd || c == 0xd1)
			hdr = 3;
		else if (c >= 0xd4 && c <= 0xd8)
			hdr = 2 + ((size_t)1 << (c - 0xd4)); /* fixext: type byte + data */
		else if (c == 0xc4 || c == 0xc7 || c == 0xd9)
			nlen = 1;
		else if (c == 0xc5 || c == 0xc8 || c == 0xda || c == 0xdc || c == 0xde)
			nlen = 2;
		else if (c == 0xc6 || c == 0xc9 || c == 0xdb || c == 0xdd || c == 0xdf)
			nlen = 4;
		else
			return errf(err, errsize, "malformed: byte 0x%02x at offset %zu", c, pos);
		if (nlen) {
			if (pos + 1 + nlen > len)
				return errf(err, errsize, "truncated at byte %zu", len);
			for (size_t k = 0; k < nlen; k++)
				n = n << 8 | p[pos + 1 + k];
			hdr = 1 + nlen + (c >= 0xc7 && c <= 0xc9);
			if (c == 0xdc || c == 0xdd)
				count = n, n = 0;
			else if (c == 0xde || c == 0xdf)
				count = 2 * n, n = 0;
		}
		if (n > len || pos + hdr + n > len)
			return errf(err, errsize,
			            "truncated: an object at byte %zu declares %llu bytes", pos,
			            (unsigned long long)n);
		pos += hdr + (size_t)n;
		if (count) {
			elements += count;
			if (count > len - pos + 1 || elements > MAX_ELEMENTS)
				return errf(
				        err, errsize,
				        "an object at byte %zu declares %llu elements, more than "
				        "the file holds",
				        pos, (unsigned long long)count);
			if (depth == MAX_DEPTH)
				return errf(err, errsize, "objects nested deeper than %d",
				            MAX_DEPTH);
			pending[++depth] = count;
		}
	}
	if (pos != len)
		return errf(err, errsize, "%zu bytes after the %s", len - pos, what);
	return 0;
}

/* Unpack the single object in buf[0..len) into a zone the caller then owns. */
static int
unpack_one(const char *buf, size_t len, msgpack_object *obj, msgpack_zone **zone, char *err,
           size_t errsize)
{
	msgpack_unpacked up;
	size_t off = 0;

	if (mp_check_extent(buf, len, "model", err, errsize) < 0)
		return -1;
	msgpack_unpacked_init(&up);
	if (msgpack_unpack_next(&up, buf, len, &off) != MSGPACK_UNPACK_SUCCESS || off != len) {
		msgpack_unpacked_destroy(&up);
		return errf(err, errsize, "malformed msgpack");
	}
	*obj = up.data;
	*zone = msgpack_unpacked_release_zone(&up);
	msgpack_unpacked_destroy(&up);
	return 0;
}

static void
meta_clear(struct model *m)
{
	if (m->meta_zone)
		msgpack_zone_free(m->meta_zone);
	free(m->meta_packed);
	m->meta_zone = NULL;
	m->meta_packed = NULL;
	m->meta_len = 0;
	memset(&m->meta, 0, sizeof m->meta);
	m->meta.type = MSGPACK_OBJECT_MAP;
}

int
model_set_meta(struct model *m, const char *packed, size_t len)
{
	char err[256];
	char *copy = xmalloc(len ? len : 1);
	msgpack_object obj;
	msgpack_zone *zone;

	memcpy(copy, packed, len);
	if (unpack_one(copy, len, &obj, &zone, err, sizeof err) < 0) {
		free(copy);
		return -1;
	}
	if (obj.type != MSGPACK_OBJECT_MAP) {
		msgpack_zone_free(zone);
		free(copy);
		return -1;
	}
	meta_clear(m);
	m->meta = obj;
	m->meta_zone = zone;
	m->meta_packed = copy;
	m->meta_len = len;
	return 0;
}

const msgpack_object *
model_meta_get(const struct model *m, const char *key)
{
	return mp_map_get(&m->meta, key);
}

int
mp_is_str(const msgpack_object *o, const char *s)
{
	size_t len = strlen(s);

	return o->type == MSGPACK_OBJECT_STR && o->via.str.size == len &&
	       memcmp(o->via.str.ptr, s, len) == 0;
}

const msgpack_object *
mp_map_get(const msgpack_object *m, const char *key)
{
	if (m->type != MSGPACK_OBJECT_MAP)
		return NULL;
	for (uint32_t i = 0; i < m->via.map.size; i++)
		if (mp_is_str(&m->via.map.ptr[i].key, key))
			return &m->via.map.ptr[i].val;
	return NULL;
}

int
mp_f64(const msgpack_object *o, double *x)
{
	switch (o->type) {
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		*x = (double)o->via.u64;
		return 0;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		*x = (double)o->via.i64;
		return 0;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		*x = o->via.f64;
		return 0;
	default:
		return -1;
	}
}

int
mp_bin_f64(const msgpack_object *o, double *x, size_t n)
{
	const unsigned char *p;

	if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size / 8 != n || o->via.bin.size % 8)
		return -1;
	p = (const unsigned char *)o->via.bin.ptr;
	for (size_t i = 0; i < n; i++) {
		uint64_t u = load_le64(p + 8 * i);

		memcpy(&x[i], &u, sizeof u);
	}
	return 0;
}

void
mp_pack_str(msgpack_packer *pk, const char *s)
{
	size_t len = strlen(s);

	msgpack_pack_str(pk, len);
	msgpack_pack_str_body(pk, s, len);
}

void
mp_pack_bin_f64(msgpack_packer *pk, const double *x, size_t n)
{
	unsigned char b[8];

	msgpack_pack_bin(pk, 8 * n);
	for (size_t i = 0; i < n; i++) {
		uint64_t u;

		memcpy(&u, &x[i], sizeof u);
		for (int k = 0; k < 8; k++)
			b[k] = (unsigned char)(u >> (8 * k));
		msgpack_pack_bin_body(pk, b, 8);
	}
}

static char *
obj_strdup(const msgpack_object *o)
{
	return xstrndup(o->via.str.ptr, o->via.str.size);
}

/* A param value as text: strings as they are, numbers in their shortest exact form. */
static int
param_text(const msgpack_object *o, char **out)
{
	char buf[64];

	switch (o->type) {
	case MSGPACK_OBJECT_STR:
		if (memchr(o->via.str.ptr, '\0', o->via.str.size))
			return -1;
		*out = obj_strdup(o);
		return 0;
	case MSGPACK_OBJECT_BOOLEAN:
		*out = xstrdup(o->via.boolean ? "true" : "false");
		return 0;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		snprintf(buf, sizeof buf, "%llu", (unsigned long long)o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		snprintf(buf, sizeof buf, "%lld", (long long)o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		format_f64(buf, sizeof buf, o->via.f64);
		break;
	default:
		return -1;
	}
	*out = xstrdup(buf);
	return 0;
}

static void
pack_param(msgpack_packer *pk, const char *value)
{
	int64_t i;
	double x;
	size_t len = strlen(value);

	if (parse_i64(value, len, &i) == 0)
		msgpack_pack_int64(pk, i);
	else if (parse_f64(value, len, &x) == 0 && isfinite(x))
		msgpack_pack_double(pk, x);
	else
		mp_pack_str(pk, value);
}

static int
str_field(const msgpack_object *map, const char *key, const msgpack_object **out, char *err,
          size_t errsize)
{
	const msgpack_object *o = mp_map_get(map, key);

	if (!o)
		return errf(err, errsize, "no \"%s\"", key);
	if (o->type != MSGPACK_OBJECT_STR || o->via.str.size == 0 ||
	    o->via.str.size > STREAM_MAX_NAME || memchr(o->via.str.ptr, '\0', o->via.str.size))
		return errf(err, errsize, "\"%s\" is not a name", key);
	*out = o;
	return 0;
}

static int
load_features(struct model *m, const msgpack_object *top, char *err, size_t errsize)
{
	const msgpack_object *f = mp_map_get(top, "features"), *t;
	struct strmap seen;
	int rc = 0;

	if (!f || f->type != MSGPACK_OBJECT_ARRAY || f->via.array.size == 0 ||
	    f->via.array.size > STREAM_MAX_COLUMNS)
		return errf(err, errsize, "\"features\" is not a list of 1 to %d names",
		            STREAM_MAX_COLUMNS);
	if (str_field(top, "target", &t, err, errsize) < 0)
		return -1;
	m->target = obj_strdup(t);
	m->features = xreallocarray(NULL, f->via.array.size, sizeof *m->features);
	strmap_init(&seen);
	for (uint32_t j = 0; j < f->via.array.size && rc == 0; j++) {
		const msgpack_object *o = &f->via.array.ptr[j];

		if (o->type != MSGPACK_OBJECT_STR || o->via.str.size == 0 ||
		    o->via.str.size > STREAM_MAX_NAME ||
		    memchr(o->via.str.ptr, '\0', o->via.str.size)) {
			rc = errf(err, errsize, "feature %u is not a name", j + 1);
			break;
		}
		m->features[j] = obj_strdup(o);
		m->nfeatures = j + 1;
		if (strmap_get(&seen, m->features[j], strlen(m->features[j])) >= 0)
			rc = errf(err, errsize, "feature \"%s\" appears twice", m->features[j]);
		else
			strmap_put(&seen, m->features[j], strlen(m->features[j]), j);
	}
	strmap_free(&seen);
	return rc;
}

static int
load_params(struct model *m, const msgpack_object *top, char *err, size_t errsize)
{
	const msgpack_object *p = mp_map_get(top, "params");

	if (!p || p->type != MSGPACK_OBJECT_MAP)
		return errf(err, errsize, "\"params\" is not a map");
	for (uint32_t i = 0; i < p->via.map.size; i++) {
		const msgpack_object *k = &p->via.map.ptr[i].key;
		char *name, *value;

		if (k->type != MSGPACK_OBJECT_STR || k->via.str.size == 0 ||
		    memchr(k->via.str.ptr, '\0', k->via.str.size))
			return errf(err, errsize, "a parameter name is not a string");
		name = obj_strdup(k);
		if (model_param(m, name)) {
			fmtbuf(err, errsize, "parameter \"%s\" appears twice", name);
			free(name);
			return -1;
		}
		if (param_text(&p->via.map.ptr[i].val, &value) < 0) {
			fmtbuf(err, errsize, "parameter \"%s\" is not a string, number or boolean",
			       name);
			free(name);
			return -1;
		}
		m->params = xreallocarray(m->params, m->nparams + 1, sizeof *m->params);
		m->params[m->nparams].name = name;
		m->params[m->nparams].value = value;
		m->nparams++;
	}
	return 0;
}

static int
load_meta(struct model *m, const msgpack_object *top, char *err, size_t errsize)
{
	const msgpack_object *meta = mp_map_get(top, "meta");
	msgpack_sbuffer sb;
	msgpack_packer pk;
	int rc;

	if (!meta || meta->type != MSGPACK_OBJECT_MAP)
		return errf(err, errsize, "\"meta\" is not a map");
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_object(&pk, *meta);
	rc = model_set_meta(m, sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	if (rc < 0)
		return errf(err, errsize, "\"meta\" is not a map");
	return 0;
}

static int
load_top(struct model *m, const msgpack_object *top, char *err, size_t errsize)
{
	static const char *const keys[] = {"format", "version", "kind",   "features",
	                                   "target", "params",  "fitted", "meta"};
	const msgpack_object *o, *kind, *fitted;
	char kname[64];
	double version;

	if (top->type != MSGPACK_OBJECT_MAP)
		return errf(err, errsize, "not a model (not a msgpack map)");
	o = mp_map_get(top, "format");
	if (!o || !mp_is_str(o, MODEL_FORMAT))
		return errf(err, errsize, "not a model (no \"format\": \"%s\")", MODEL_FORMAT);
	for (uint32_t i = 0; i < top->via.map.size; i++) {
		const msgpack_object *k = &top->via.map.ptr[i].key;
		size_t nk = sizeof keys / sizeof keys[0], j;

		for (j = 0; j < nk && !mp_is_str(k, keys[j]); j++)
			;
		if (j == nk)
			return errf(err, errsize, "unknown top-level key");
		for (uint32_t i2 = 0; i2 < i; i2++)
			if (mp_is_str(&top->via.map.ptr[i2].key, keys[j]))
				return errf(err, errsize, "key \"%s\" appears twice", keys[j]);
	}
	o = mp_map_get(top, "version");
	if (!o || mp_f64(o, &version) < 0 || version != MODEL_VERSION)
		return errf(err, errsize, "unsupported model version (this build reads %d)",
		            MODEL_VERSION);
	if (str_field(top, "kind", &kind, err, errsize) < 0)
		return -1;
	snprintf(kname, sizeof kname, "%.*s", (int)kind->via.str.size, kind->via.str.ptr);
	m->ops = kind->via.str.size < sizeof kname ? model_kind_find(kname) : NULL;
	if (!m->ops)
		return errf(err, errsize, "unknown model kind \"%s\"", kname);
	m->kind = m->ops->name;
	if (load_features(m, top, err, errsize) < 0 || load_params(m, top, err, errsize) < 0 ||
	    load_meta(m, top, err, errsize) < 0)
		return -1;
	fitted = mp_map_get(top, "fitted");
	if (!fitted)
		return errf(err, errsize, "no \"fitted\"");
	if (m->ops->unpack(fitted, m->nfeatures, &m->fitted, err, errsize) < 0) {
		m->fitted = NULL;
		return -1;
	}
	return 0;
}

int
model_load(FILE *fp, const char *name, struct model *m, char *err, size_t errsize)
{
	char *buf = NULL, msg[512];
	size_t len = 0;
	msgpack_object top;
	msgpack_zone *zone = NULL;
	int rc;

	model_init(m, NULL);
	switch (mp_read_file(fp, MODEL_MAX_SIZE, &buf, &len)) {
	case -1:
		free(buf);
		return errf(err, errsize, "%s: read error", name);
	case -2:
		free(buf);
		return errf(err, errsize, "%s: larger than %zu bytes", name, MODEL_MAX_SIZE);
	}
	if (len == 0) {
		free(buf);
		return errf(err, errsize, "%s: empty model file", name);
	}
	rc = unpack_one(buf, len, &top, &zone, msg, sizeof msg);
	if (rc == 0)
		rc = load_top(m, &top, msg, sizeof msg);
	if (zone)
		msgpack_zone_free(zone);
	free(buf);
	if (rc < 0) {
		model_free(m);
		model_init(m, NULL);
		return errf(err, errsize, "%s: bad model: %s", name, msg);
	}
	return 0;
}

static int
fp_write(void *data, const char *buf, size_t len)
{
	return fwrite(buf, 1, len, data) == len ? 0 : -1;
}

void
model_save(FILE *fp, const char *name, const struct model *m)
{
	msgpack_packer pk;

	msgpack_packer_init(&pk, fp, fp_write);
	msgpack_pack_map(&pk, 8);
	mp_pack_str(&pk, "format");
	mp_pack_str(&pk, MODEL_FORMAT);
	mp_pack_str(&pk, "version");
	msgpack_pack_int(&pk, MODEL_VERSION);
	mp_pack_str(&pk, "kind");
	mp_pack_str(&pk, m->ops->name);
	mp_pack_str(&pk, "features");
	msgpack_pack_array(&pk, m->nfeatures);
	for (size_t j = 0; j < m->nfeatures; j++)
		mp_pack_str(&pk, m->features[j]);
	mp_pack_str(&pk, "target");
	mp_pack_str(&pk, m->target);
	mp_pack_str(&pk, "params");
	msgpack_pack_map(&pk, m->nparams);
	for (size_t i = 0; i < m->nparams; i++) {
		mp_pack_str(&pk, m->params[i].name);
		pack_param(&pk, m->params[i].value);
	}
	mp_pack_str(&pk, "fitted");
	m->ops->pack(&pk, m->fitted);
	mp_pack_str(&pk, "meta");
	msgpack_pack_object(&pk, m->meta);
	fshut(fp, name);
}

void
model_predict(const struct model *m, const double *x, size_t nrows, double *prob)
{
	m->ops->predict(m->fitted, x, nrows, prob);
}

/* Fewer rows than this per thread are predicted on fewer threads: a thread costs more. */
#define PREDICT_MIN_ROWS    1024
#define PREDICT_MAX_THREADS 64

struct predict_part {
	const struct model *m;
	const double *x;
	size_t nrows;
	double *prob;
};

static void *
predict_part(void *arg)
{
	const struct predict_part *pp = arg;

	model_predict(pp->m, pp->x, pp->nrows, pp->prob);
	return NULL;
}

void
model_predict_threads(const struct model *m, const double *x, size_t nrows, double *prob,
                      int nthreads)
{
	struct predict_part part[PREDICT_MAX_THREADS];
	pthread_t tid[PREDICT_MAX_THREADS];
	size_t nt = nthreads < 1 ? 1 : (size_t)nthreads, per, k, started[PREDICT_MAX_THREADS];

	if (nt > PREDICT_MAX_THREADS)
		nt = PREDICT_MAX_THREADS;
	if (nt > nrows / PREDICT_MIN_ROWS)
		nt = nrows / PREDICT_MIN_ROWS;
	if (nt < 2) {
		model_predict(m, x, nrows, prob);
		return;
	}
	per = (nrows + nt - 1) / nt;
	for (k = 0; k < nt; k++) {
		size_t lo = k * per, hi = lo + per < nrows ? lo + per : nrows;

		part[k] = (struct predict_part){m, x + lo * m->nfeatures, hi - lo, prob + lo};
		/* parts 1.. on threads of their own (or here, when a thread cannot start) */
		started[k] = k > 0 && pthread_create(&tid[k], NULL, predict_part, &part[k]) == 0;
		if (k > 0 && !started[k])
			predict_part(&part[k]);
	}
	predict_part(&part[0]);
	for (k = 1; k < nt; k++)
		if (started[k])
			pthread_join(tid[k], NULL);
}

void
model_free(struct model *m)
{
	for (size_t j = 0; j < m->nfeatures; j++)
		free(m->features[j]);
	free(m->features);
	free(m->target);
	for (size_t i = 0; i < m->nparams; i++) {
		free(m->params[i].name);
		free(m->params[i].value);
	}
	free(m->params);
	if (m->fitted && m->ops)
		m->ops->free(m->fitted);
	meta_clear(m);
	m->fitted = NULL;
	m->features = NULL;
	m->target = NULL;
	m->params = NULL;
	m->nfeatures = m->nparams = 0;
}

const char *
model_importance(const struct model *m, double *imp)
{
	if (m->ops == &logreg_kind) {
		const struct logreg_fit *f = m->fitted;

		for (size_t j = 0; j < m->nfeatures; j++)
			imp[j] = fabs(f->coef[j]);
		return "abs_coef";
	}
	if (m->ops == &gbt_kind) {
		double *weight = xreallocarray(NULL, m->nfeatures + 1, sizeof *weight);
		double *cover = xreallocarray(NULL, m->nfeatures + 1, sizeof *cover);

		gbt_importance(m->fitted, weight, imp, cover);
		free(weight);
		free(cover);
		return "gain";
	}
	return NULL;
}
