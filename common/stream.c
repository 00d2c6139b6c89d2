#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <msgpack.h>

#include "stream.h"
#include "strmap.h"
#include "util.h"

/* Element count (arrays + maps) and nesting allowed in one top-level object. */
#define MAX_ELEMENTS (1u << 22)
#define MAX_DEPTH    16
#define READ_CHUNK   (1u << 18)

static int
host_is_le(void)
{
	const uint16_t one = 1;

	return *(const unsigned char *)&one == 1;
}

void
schema_init(struct schema *s)
{
	memset(s, 0, sizeof *s);
}

void
schema_free(struct schema *s)
{
	for (size_t i = 0; i < s->ncols; i++)
		free(s->cols[i].name);
	for (size_t i = 0; i < s->nmeta; i++) {
		free(s->meta[i].key);
		free(s->meta[i].value);
	}
	free(s->cols);
	free(s->meta);
	schema_init(s);
}

size_t
schema_add(struct schema *s, const char *name, enum col_type type, enum col_role role)
{
	s->cols = xreallocarray(s->cols, s->ncols + 1, sizeof *s->cols);
	s->cols[s->ncols].name = xstrdup(name);
	s->cols[s->ncols].type = type;
	s->cols[s->ncols].role = role;
	return s->ncols++;
}

void
schema_set_meta(struct schema *s, const char *key, const char *value)
{
	for (size_t i = 0; i < s->nmeta; i++) {
		if (strcmp(s->meta[i].key, key) == 0) {
			free(s->meta[i].value);
			s->meta[i].value = xstrdup(value);
			return;
		}
	}
	s->meta = xreallocarray(s->meta, s->nmeta + 1, sizeof *s->meta);
	s->meta[s->nmeta].key = xstrdup(key);
	s->meta[s->nmeta].value = xstrdup(value);
	s->nmeta++;
}

const char *
schema_get_meta(const struct schema *s, const char *key)
{
	for (size_t i = 0; i < s->nmeta; i++)
		if (strcmp(s->meta[i].key, key) == 0)
			return s->meta[i].value;
	return NULL;
}

long
schema_find(const struct schema *s, const char *name)
{
	for (size_t i = 0; i < s->ncols; i++)
		if (strcmp(s->cols[i].name, name) == 0)
			return (long)i;
	return -1;
}

void
schema_copy(struct schema *dst, const struct schema *src)
{
	schema_init(dst);
	for (size_t i = 0; i < src->ncols; i++)
		schema_add(dst, src->cols[i].name, src->cols[i].type, src->cols[i].role);
	for (size_t i = 0; i < src->nmeta; i++)
		schema_set_meta(dst, src->meta[i].key, src->meta[i].value);
}

static const char *const type_names[] = {"f64", "str"};
static const char *const role_names[] = {"passthrough", "feature", "target", "id", "fold"};

const char *
col_type_name(enum col_type t)
{
	return type_names[t];
}

const char *
col_role_name(enum col_role r)
{
	return role_names[r];
}

int
col_role_parse(const char *name, enum col_role *r)
{
	for (size_t i = 0; i < sizeof role_names / sizeof role_names[0]; i++) {
		if (strcmp(name, role_names[i]) == 0) {
			*r = (enum col_role)i;
			return 0;
		}
	}
	return -1;
}

void
batch_init(struct batch *b, const struct schema *s)
{
	enum col_type *types = xcalloc(s->ncols, sizeof *types);

	for (size_t i = 0; i < s->ncols; i++)
		types[i] = s->cols[i].type;
	b->ncols = s->ncols;
	b->nrows = 0;
	b->cap_rows = 0;
	b->types = types;
	b->cols = xcalloc(s->ncols, sizeof *b->cols);
	for (size_t i = 0; i < s->ncols; i++)
		if (types[i] == COL_STR) {
			b->cols[i].off = xcalloc(1, sizeof(uint32_t));
			/* never NULL: batch_str's bytes + 0 on NULL is undefined (an empty value)
			 */
			b->cols[i].cap_bytes = 16;
			b->cols[i].bytes = xmalloc(b->cols[i].cap_bytes);
		}
}

void
batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->ncols; i++) {
		free(b->cols[i].f64);
		free(b->cols[i].off);
		free(b->cols[i].bytes);
	}
	free(b->cols);
	free((void *)b->types);
	memset(b, 0, sizeof *b);
}

void
batch_clear(struct batch *b)
{
	b->nrows = 0;
	for (size_t i = 0; i < b->ncols; i++)
		if (b->types[i] == COL_STR)
			b->cols[i].off[0] = 0;
}

static void
batch_reserve(struct batch *b, size_t rows)
{
	size_t cap;

	if (rows <= b->cap_rows)
		return;
	cap = b->cap_rows ? b->cap_rows : 64;
	while (cap < rows)
		cap *= 2;
	for (size_t i = 0; i < b->ncols; i++) {
		struct batch_col *c = &b->cols[i];

		if (b->types[i] == COL_F64)
			c->f64 = xreallocarray(c->f64, cap, sizeof *c->f64);
		else
			c->off = xreallocarray(c->off, cap + 1, sizeof *c->off);
	}
	b->cap_rows = cap;
}

size_t
batch_add_row(struct batch *b)
{
	batch_reserve(b, b->nrows + 1);
	/* An unset string cell reads as missing: its end offset equals its start. */
	for (size_t i = 0; i < b->ncols; i++)
		if (b->types[i] == COL_STR)
			b->cols[i].off[b->nrows + 1] = b->cols[i].off[b->nrows];
	return b->nrows++;
}

void
batch_set_f64(struct batch *b, size_t row, size_t col, double x)
{
	b->cols[col].f64[row] = x;
}

static void
bytes_reserve(struct batch_col *c, size_t need)
{
	size_t cap;

	if (need <= c->cap_bytes)
		return;
	if (need > UINT32_MAX)
		die("a batch's text column exceeds 4 GiB");
	cap = c->cap_bytes ? c->cap_bytes : 256;
	while (cap < need)
		cap *= 2;
	c->bytes = xreallocarray(c->bytes, cap, 1);
	c->cap_bytes = cap;
}

void
batch_set_str(struct batch *b, size_t row, size_t col, const char *s, size_t len)
{
	struct batch_col *c = &b->cols[col];
	size_t start = c->off[row];

	bytes_reserve(c, start + len);
	if (len)
		memcpy(c->bytes + start, s, len);
	c->off[row + 1] = (uint32_t)(start + len);
}

void
batch_copy_row(struct batch *dst, const struct batch *src, size_t src_row, const size_t *map)
{
	size_t r = batch_add_row(dst);

	for (size_t j = 0; j < dst->ncols; j++) {
		size_t k = map ? map[j] : j, len;

		if (dst->types[j] == COL_F64) {
			dst->cols[j].f64[r] = src->cols[k].f64[src_row];
		} else {
			const char *s = batch_str(src, src_row, k, &len);

			batch_set_str(dst, r, j, s, len);
		}
	}
}

struct stream_writer {
	FILE *fp;
	const char *name;
	msgpack_packer pk;
	uint64_t rows;
	size_t ncols;
	unsigned char *scratch; /* byte-order conversion on big-endian hosts */
	size_t scratch_cap;
};

static int
write_cb(void *data, const char *buf, size_t len)
{
	struct stream_writer *w = data;

	if (fwrite(buf, 1, len, w->fp) != len)
		return -1;
	return 0;
}

static void
pack_str(msgpack_packer *pk, const char *s)
{
	size_t len = strlen(s);

	msgpack_pack_str(pk, len);
	msgpack_pack_str_body(pk, s, len);
}

static void
writer_check(struct stream_writer *w)
{
	if (ferror(w->fp)) {
		if (errno == EPIPE)
			exit(141);
		die("write error on %s:", w->name);
	}
}

struct stream_writer *
stream_writer_open(FILE *fp, const char *name, const struct schema *s)
{
	struct stream_writer *w = xcalloc(1, sizeof *w);

	w->fp = fp;
	w->name = name;
	w->ncols = s->ncols;
	msgpack_packer_init(&w->pk, w, write_cb);
	msgpack_pack_map(&w->pk, 4);
	pack_str(&w->pk, "format");
	pack_str(&w->pk, STREAM_FORMAT);
	pack_str(&w->pk, "version");
	msgpack_pack_uint32(&w->pk, STREAM_VERSION);
	pack_str(&w->pk, "columns");
	msgpack_pack_array(&w->pk, s->ncols);
	for (size_t i = 0; i < s->ncols; i++) {
		msgpack_pack_map(&w->pk, 3);
		pack_str(&w->pk, "name");
		pack_str(&w->pk, s->cols[i].name);
		pack_str(&w->pk, "type");
		pack_str(&w->pk, col_type_name(s->cols[i].type));
		pack_str(&w->pk, "role");
		pack_str(&w->pk, col_role_name(s->cols[i].role));
	}
	pack_str(&w->pk, "meta");
	msgpack_pack_map(&w->pk, s->nmeta);
	for (size_t i = 0; i < s->nmeta; i++) {
		pack_str(&w->pk, s->meta[i].key);
		pack_str(&w->pk, s->meta[i].value);
	}
	writer_check(w);
	return w;
}

/* Write n little-endian words of size sz (4 or 8) from p as one bin. */
static void
pack_le_bin(struct stream_writer *w, const void *p, size_t n, size_t sz)
{
	size_t len = n * sz;

	msgpack_pack_bin(&w->pk, len);
	if (host_is_le()) {
		msgpack_pack_bin_body(&w->pk, p, len);
		return;
	}
	if (len > w->scratch_cap) {
		w->scratch = xreallocarray(w->scratch, len, 1);
		w->scratch_cap = len;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < sz; k++)
			w->scratch[i * sz + k] = ((const unsigned char *)p)[i * sz + sz - 1 - k];
	msgpack_pack_bin_body(&w->pk, w->scratch, len);
}

void
stream_write_batch(struct stream_writer *w, const struct batch *b)
{
	if (b->nrows == 0)
		return;
	if (b->ncols != w->ncols)
		die("internal error: batch of %zu columns for a stream of %zu", b->ncols, w->ncols);
	msgpack_pack_array(&w->pk, 2 + b->ncols);
	msgpack_pack_str(&w->pk, 1);
	msgpack_pack_str_body(&w->pk, "b", 1);
	msgpack_pack_uint64(&w->pk, b->nrows);
	for (size_t i = 0; i < b->ncols; i++) {
		const struct batch_col *c = &b->cols[i];

		if (b->types[i] == COL_F64) {
			pack_le_bin(w, c->f64, b->nrows, 8);
		} else {
			msgpack_pack_array(&w->pk, 2);
			pack_le_bin(w, c->off, b->nrows + 1, 4);
			msgpack_pack_bin(&w->pk, c->off[b->nrows]);
			msgpack_pack_bin_body(&w->pk, c->bytes, c->off[b->nrows]);
		}
	}
	w->rows += b->nrows;
	writer_check(w);
}

void
stream_writer_close(struct stream_writer *w)
{
	msgpack_pack_array(&w->pk, 2);
	msgpack_pack_str(&w->pk, 1);
	msgpack_pack_str_body(&w->pk, "e", 1);
	msgpack_pack_uint64(&w->pk, w->rows);
	fshut(w->fp, w->name);
	free(w->scratch);
	free(w);
}

uint64_t
stream_writer_rows(const struct stream_writer *w)
{
	return w->rows;
}

struct stream_reader {
	int fd;
	char *name;
	struct schema schema;
	unsigned char *buf;
	size_t start, end, cap;
	uint64_t rows, batches;
	int eof, done;
	msgpack_unpacked obj;
	char err[512];
};

static int rerr(struct stream_reader *r, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static int
rerr(struct stream_reader *r, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(r->err, sizeof r->err, "%s: ", r->name);

	va_start(ap, fmt);
	vsnprintf(r->err + n, sizeof r->err - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Size of the complete msgpack object at p[0..avail): returns 1 with *size set, 0 when more
 * bytes are needed (*size = a lower bound of the total), -1 when malformed or over a limit
 * (message in r). Checking the declared lengths here, before msgpack-c sees the object,
 * bounds what msgpack-c allocates by the bytes actually present.
 */
static int
object_extent(struct stream_reader *r, const unsigned char *p, size_t avail, size_t *size)
{
	uint64_t pending[MAX_DEPTH + 1];
	int depth = 0;
	size_t pos = 0, elements = 0;

	pending[0] = 1;
	while (depth >= 0) {
		uint64_t len = 0, count = 0;
		size_t hdr;
		unsigned c;

		if (pending[depth] == 0) {
			depth--;
			continue;
		}
		pending[depth]--;
		if (pos >= avail) {
			*size = pos + 1;
			return 0;
		}
		c = p[pos];
		if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3) {
			hdr = 1;
		} else if ((c & 0xe0) == 0xa0) {
			hdr = 1;
			len = c & 0x1f;
		} else if ((c & 0xf0) == 0x90) {
			hdr = 1;
			count = c & 0x0f;
		} else if ((c & 0xf0) == 0x80) {
			hdr = 1;
			count = 2 * (uint64_t)(c & 0x0f);
		} else {
			static const unsigned char fixed[] = {
			        [0xca - 0xc4] = 5, [0xcb - 0xc4] = 9,  [0xcc - 0xc4] = 2,
			        [0xcd - 0xc4] = 3, [0xce - 0xc4] = 5,  [0xcf - 0xc4] = 9,
			        [0xd0 - 0xc4] = 2, [0xd1 - 0xc4] = 3,  [0xd2 - 0xc4] = 5,
			        [0xd3 - 0xc4] = 9, [0xd4 - 0xc4] = 3,  [0xd5 - 0xc4] = 4,
			        [0xd6 - 0xc4] = 6, [0xd7 - 0xc4] = 10, [0xd8 - 0xc4] = 18,
			};
			size_t nlen;

			if (c == 0xc1)
				return rerr(r, "malformed stream: reserved byte 0xc1 at offset %zu",
				            pos);
			if (c >= 0xc4 && c <= 0xd8 && fixed[c - 0xc4]) {
				hdr = fixed[c - 0xc4];
			} else {
				/* bin 8/16/32, ext 8/16/32, str 8/16/32, array 16/32, map 16/32 */
				switch (c) {
				case 0xc4:
				case 0xc7:
				case 0xd9:
					nlen = 1;
					break;
				case 0xc5:
				case 0xc8:
				case 0xda:
				case 0xdc:
				case 0xde:
					nlen = 2;
					break;
				default:
					nlen = 4;
					break;
				}
				if (pos + 1 + nlen > avail) {
					*size = pos + 1 + nlen;
					return 0;
				}
				for (size_t k = 0; k < nlen; k++)
					len = len << 8 | p[pos + 1 + k];
				hdr = 1 + nlen;
				if (c >= 0xc7 && c <= 0xc9)
					hdr++; /* ext type byte */
				if (c == 0xdc || c == 0xdd) {
					count = len;
					len = 0;
				} else if (c == 0xde || c == 0xdf) {
					count = 2 * len;
					len = 0;
				}
			}
		}
		if (len > STREAM_MAX_OBJECT || pos + hdr + len > STREAM_MAX_OBJECT)
			return rerr(r,
			            "object declares a length of %llu bytes, over the limit of %zu",
			            (unsigned long long)len, STREAM_MAX_OBJECT);
		pos += hdr + (size_t)len;
		if (count > 0) {
			elements += count;
			if (count > MAX_ELEMENTS || elements > MAX_ELEMENTS)
				return rerr(r,
				            "object declares %llu elements, over the limit of %u",
				            (unsigned long long)count, MAX_ELEMENTS);
			if (depth == MAX_DEPTH)
				return rerr(r, "objects nested deeper than %d", MAX_DEPTH);
			pending[++depth] = count;
		}
	}
	if (pos > avail) {
		*size = pos;
		return 0;
	}
	*size = pos;
	return 1;
}

/*
 * Read until at least need bytes are buffered from start: 1 when they are, 0 at EOF before
 * that, -1 on a read error. read(2), not stdio, so that a batch is handled as soon as it
 * arrives, whatever the writer's pace.
 */
static int
fill(struct stream_reader *r, size_t need)
{
	if (r->start == r->end)
		r->start = r->end = 0;
	if (r->start + need > r->cap || r->cap - r->end < READ_CHUNK / 4) {
		if (r->start > 0) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->end -= r->start;
			r->start = 0;
		}
		if (need > r->cap || r->cap - r->end < READ_CHUNK / 4) {
			size_t cap = r->cap ? r->cap : READ_CHUNK;

			while (cap < need || cap - r->end < READ_CHUNK / 4)
				cap *= 2;
			r->buf = xreallocarray(r->buf, cap, 1);
			r->cap = cap;
		}
	}
	while (r->end - r->start < need && !r->eof) {
		/* READ_CHUNK at least, but no more of a large object than is needed: what is read
		 * past an object is moved to the buffer's start for the next one */
		size_t want = r->start + need - r->end, room = r->cap - r->end;
		ssize_t got;

		if (want < READ_CHUNK)
			want = READ_CHUNK;
		got = read(r->fd, r->buf + r->end, want < room ? want : room);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			rerr(r, "read error: %s", strerror(errno));
			return -1;
		}
		if (got == 0)
			r->eof = 1;
		r->end += (size_t)got;
	}
	return r->end - r->start >= need;
}

/* Next top-level object into r->obj: 1 ok, 0 at clean EOF, -1 error. */
static int
next_object(struct stream_reader *r)
{
	size_t size = 0, off = 0;
	int rc, got;

	for (;;) {
		rc = object_extent(r, r->buf + r->start, r->end - r->start, &size);
		if (rc < 0)
			return -1;
		if (rc == 1)
			break;
		if (r->end == r->start && r->eof)
			return 0;
		got = fill(r, size);
		if (got < 0)
			return -1;
		if (got == 0 && r->end - r->start < size) {
			if (r->end == r->start)
				return 0;
			return rerr(r,
			            "truncated stream: input ends inside an object "
			            "(%zu of at least %zu bytes)",
			            r->end - r->start, size);
		}
	}
	if (msgpack_unpack_next(&r->obj, (const char *)r->buf + r->start, size, &off) !=
	            MSGPACK_UNPACK_SUCCESS ||
	    off != size)
		return rerr(r, "malformed msgpack object");
	r->start += size;
	return 1;
}

static int
obj_is_str(const msgpack_object *o, const char *s)
{
	size_t len = strlen(s);

	return o->type == MSGPACK_OBJECT_STR && o->via.str.size == len &&
	       memcmp(o->via.str.ptr, s, len) == 0;
}

static const msgpack_object *
map_get(const msgpack_object *m, const char *key)
{
	for (uint32_t i = 0; i < m->via.map.size; i++)
		if (obj_is_str(&m->via.map.ptr[i].key, key))
			return &m->via.map.ptr[i].val;
	return NULL;
}

static char *
obj_strdup(const msgpack_object *o)
{
	return xstrndup(o->via.str.ptr, o->via.str.size);
}

static int
read_header(struct stream_reader *r)
{
	const msgpack_object *h = &r->obj.data, *fmt, *ver, *cols, *meta;
	struct strmap names;
	int rc = 0;

	switch (next_object(r)) {
	case -1:
		return -1;
	case 0:
		return rerr(r, "empty input: expected a pipeml stream header");
	}
	if (h->type != MSGPACK_OBJECT_MAP || !(fmt = map_get(h, "format")) ||
	    !obj_is_str(fmt, STREAM_FORMAT))
		return rerr(r, "not a pipeml stream (no header with format \"%s\")", STREAM_FORMAT);
	ver = map_get(h, "version");
	if (!ver || ver->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return rerr(r, "stream header has no version");
	if (ver->via.u64 != STREAM_VERSION)
		return rerr(r, "stream version %llu is not supported (this reader: %d)",
		            (unsigned long long)ver->via.u64, STREAM_VERSION);
	cols = map_get(h, "columns");
	if (!cols || cols->type != MSGPACK_OBJECT_ARRAY)
		return rerr(r, "stream header has no column list");
	if (cols->via.array.size > STREAM_MAX_COLUMNS)
		return rerr(r, "stream header declares %u columns, over the limit of %d",
		            cols->via.array.size, STREAM_MAX_COLUMNS);
	strmap_init(&names);
	for (uint32_t i = 0; i < cols->via.array.size && rc == 0; i++) {
		const msgpack_object *c = &cols->via.array.ptr[i], *name, *type, *role;
		enum col_role rl;
		char buf[32];
		size_t idx;

		if (c->type != MSGPACK_OBJECT_MAP || !(name = map_get(c, "name")) ||
		    !(type = map_get(c, "type")) || !(role = map_get(c, "role")) ||
		    name->type != MSGPACK_OBJECT_STR || type->type != MSGPACK_OBJECT_STR ||
		    role->type != MSGPACK_OBJECT_STR) {
			rc = rerr(r, "column %u of the header lacks a name, type or role", i + 1);
			break;
		}
		if (name->via.str.size == 0 || name->via.str.size > STREAM_MAX_NAME ||
		    memchr(name->via.str.ptr, '\0', name->via.str.size)) {
			rc = rerr(r, "column %u has an empty, over-long or invalid name", i + 1);
			break;
		}
		if (role->via.str.size >= sizeof buf)
			role = NULL;
		else {
			memcpy(buf, role->via.str.ptr, role->via.str.size);
			buf[role->via.str.size] = '\0';
		}
		if (!role || col_role_parse(buf, &rl) != 0) {
			rc = rerr(r, "column %u has an unknown role", i + 1);
			break;
		}
		if (obj_is_str(type, "f64"))
			idx = schema_add(&r->schema, "", COL_F64, rl);
		else if (obj_is_str(type, "str"))
			idx = schema_add(&r->schema, "", COL_STR, rl);
		else {
			rc = rerr(r, "column %u has an unknown type", i + 1);
			break;
		}
		free(r->schema.cols[idx].name);
		r->schema.cols[idx].name = obj_strdup(name);
		if (strmap_put(&names, name->via.str.ptr, name->via.str.size, idx) != idx)
			rc = rerr(r, "duplicate column name '%s' in the stream header",
			          r->schema.cols[idx].name);
	}
	strmap_free(&names);
	if (rc != 0)
		return rc;
	meta = map_get(h, "meta");
	if (meta) {
		if (meta->type != MSGPACK_OBJECT_MAP || meta->via.map.size > STREAM_MAX_META)
			return rerr(r, "stream header's meta is not a map of at most %d entries",
			            STREAM_MAX_META);
		for (uint32_t i = 0; i < meta->via.map.size; i++) {
			const msgpack_object *k = &meta->via.map.ptr[i].key;
			const msgpack_object *v = &meta->via.map.ptr[i].val;
			char *ks, *vs;

			if (k->type != MSGPACK_OBJECT_STR || v->type != MSGPACK_OBJECT_STR ||
			    memchr(k->via.str.ptr, '\0', k->via.str.size) ||
			    memchr(v->via.str.ptr, '\0', v->via.str.size))
				return rerr(r, "stream header's meta holds a non-text entry");
			ks = obj_strdup(k);
			vs = obj_strdup(v);
			schema_set_meta(&r->schema, ks, vs);
			free(ks);
			free(vs);
		}
	}
	return 0;
}

struct stream_reader *
stream_reader_open(FILE *fp, const char *name, char *err, size_t errsize)
{
	struct stream_reader *r = xcalloc(1, sizeof *r);

	r->fd = fileno(fp);
	r->name = xstrdup(name);
	/* never a NULL buffer: buf + 0 on NULL is undefined (an empty input did it) */
	r->cap = READ_CHUNK;
	r->buf = xmalloc(r->cap);
	schema_init(&r->schema);
	msgpack_unpacked_init(&r->obj);
	if (read_header(r) != 0) {
		snprintf(err, errsize, "%s", r->err);
		stream_reader_close(r);
		return NULL;
	}
	return r;
}

const struct schema *
stream_reader_schema(const struct stream_reader *r)
{
	return &r->schema;
}

const char *
stream_reader_error(const struct stream_reader *r)
{
	return r->err;
}

uint64_t
stream_reader_rows(const struct stream_reader *r)
{
	return r->rows;
}

void
stream_reader_close(struct stream_reader *r)
{
	if (r == NULL)
		return;
	msgpack_unpacked_destroy(&r->obj);
	schema_free(&r->schema);
	free(r->buf);
	free(r->name);
	free(r);
}

static void
copy_le(void *dst, const char *src, size_t n, size_t sz)
{
	if (host_is_le()) {
		memcpy(dst, src, n * sz);
		return;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < sz; k++)
			((unsigned char *)dst)[i * sz + k] =
			        (unsigned char)src[i * sz + sz - 1 - k];
}

static int
read_str_column(struct stream_reader *r, struct batch *b, size_t j, const msgpack_object *c,
                size_t nrows)
{
	const msgpack_object *off, *bytes;
	struct batch_col *bc = &b->cols[j];
	uint32_t prev = 0;

	if (c->type != MSGPACK_OBJECT_ARRAY || c->via.array.size != 2 ||
	    (off = &c->via.array.ptr[0])->type != MSGPACK_OBJECT_BIN ||
	    (bytes = &c->via.array.ptr[1])->type != MSGPACK_OBJECT_BIN ||
	    off->via.bin.size != 4 * (nrows + 1))
		return rerr(r, "batch %llu: text column '%s' is malformed",
		            (unsigned long long)r->batches, r->schema.cols[j].name);
	copy_le(bc->off, off->via.bin.ptr, nrows + 1, 4);
	if (bc->off[0] != 0 || bc->off[nrows] != bytes->via.bin.size)
		return rerr(r, "batch %llu: text column '%s' has inconsistent offsets",
		            (unsigned long long)r->batches, r->schema.cols[j].name);
	for (size_t i = 1; i <= nrows; i++) {
		if (bc->off[i] < prev)
			return rerr(r, "batch %llu: text column '%s' has decreasing offsets",
			            (unsigned long long)r->batches, r->schema.cols[j].name);
		prev = bc->off[i];
	}
	bytes_reserve(bc, bytes->via.bin.size);
	if (bytes->via.bin.size)
		memcpy(bc->bytes, bytes->via.bin.ptr, bytes->via.bin.size);
	return 0;
}

/* stream_read_batch, and stream_read_batch_raw with raw (NULL: copy every column into b). */
static int
read_batch(struct stream_reader *r, struct batch *b, const unsigned char **raw)
{
	const msgpack_object *o = &r->obj.data, *tag, *n;
	uint64_t nrows;
	int rc;

	if (r->done)
		return 0;
	batch_clear(b);
	rc = next_object(r);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return rerr(r,
		            "truncated stream: no trailer after %llu rows "
		            "(did the stage before this one fail?)",
		            (unsigned long long)r->rows);
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size < 2 ||
	    (tag = &o->via.array.ptr[0])->type != MSGPACK_OBJECT_STR ||
	    (n = &o->via.array.ptr[1])->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return rerr(r, "malformed stream: expected a batch or a trailer after %llu rows",
		            (unsigned long long)r->rows);
	if (obj_is_str(tag, "e")) {
		if (o->via.array.size != 2)
			return rerr(r, "malformed trailer");
		if (n->via.u64 != r->rows)
			return rerr(r, "trailer counts %llu rows but the stream held %llu",
			            (unsigned long long)n->via.u64, (unsigned long long)r->rows);
		if (fill(r, 1) != 0 || r->end != r->start)
			return rerr(r, "data after the stream's trailer");
		r->done = 1;
		return 0;
	}
	if (!obj_is_str(tag, "b"))
		return rerr(r, "malformed stream: unknown object after %llu rows",
		            (unsigned long long)r->rows);
	nrows = n->via.u64;
	r->batches++;
	if (nrows == 0 || nrows > STREAM_MAX_BATCH_ROWS)
		return rerr(r, "batch %llu declares %llu rows (limit %d)",
		            (unsigned long long)r->batches, (unsigned long long)nrows,
		            STREAM_MAX_BATCH_ROWS);
	if (o->via.array.size != 2 + r->schema.ncols)
		return rerr(r, "batch %llu has %u columns, the header %zu",
		            (unsigned long long)r->batches, o->via.array.size - 2, r->schema.ncols);
	if (b->ncols != r->schema.ncols)
		return rerr(r, "internal error: batch not initialised for this stream");
	batch_reserve(b, (size_t)nrows);
	for (size_t j = 0; j < r->schema.ncols; j++) {
		const msgpack_object *c = &o->via.array.ptr[2 + j];

		if (r->schema.cols[j].type == COL_F64) {
			if (c->type != MSGPACK_OBJECT_BIN || c->via.bin.size != 8 * nrows)
				return rerr(r,
				            "batch %llu: column '%s' is not %llu little-endian "
				            "doubles",
				            (unsigned long long)r->batches, r->schema.cols[j].name,
				            (unsigned long long)nrows);
			if (raw && host_is_le()) {
				raw[j] = (const unsigned char *)c->via.bin.ptr;
				continue;
			}
			copy_le(b->cols[j].f64, c->via.bin.ptr, (size_t)nrows, 8);
			if (raw)
				raw[j] = (const unsigned char *)b->cols[j].f64;
		} else if (read_str_column(r, b, j, c, (size_t)nrows) != 0) {
			return -1;
		}
	}
	b->nrows = (size_t)nrows;
	r->rows += nrows;
	return 1;
}

int
stream_read_batch(struct stream_reader *r, struct batch *b)
{
	return read_batch(r, b, NULL);
}

int
stream_read_batch_raw(struct stream_reader *r, struct batch *b, const unsigned char **raw)
{
	return read_batch(r, b, raw);
}

struct stream_reader *
stream_open_or_die(FILE *fp, const char *name)
{
	char err[512];
	struct stream_reader *r = stream_reader_open(fp, name, err, sizeof err);

	if (r == NULL)
		die("%s", err);
	return r;
}

int
stream_next(struct stream_reader *r, struct batch *b)
{
	int rc = stream_read_batch(r, b);

	if (rc < 0)
		die("%s", stream_reader_error(r));
	return rc;
}
