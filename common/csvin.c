#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "csvin.h"
#include "util.h"

struct reader {
	const char *name;
	const struct csvin_opts *opts;
	csv_row_fn fn;
	void *ctx;
	char *arena; /* the current record's field bytes, each NUL-terminated */
	size_t arena_len, arena_cap;
	size_t *starts; /* offsets of fields in arena */
	size_t *lens;
	const char **fields;
	size_t nfields, cap_fields, header_fields;
	uint64_t line, next_line, recno;
	int last_term;
	int seen_nul, seen_quote; /* some chunk so far held a NUL byte, a quote */
	int stop;                 /* nonzero: stop value (callback's, or -1 for our error) */
	char *err;
	size_t errsize;
};

static int
fail(struct reader *r, uint64_t line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(r->err, r->errsize, "%s:%llu: ", r->name, (unsigned long long)line);

	if (n < 0 || (size_t)n >= r->errsize)
		n = 0;
	va_start(ap, fmt);
	vsnprintf(r->err + n, r->errsize - (size_t)n, fmt, ap);
	va_end(ap);
	r->stop = -1;
	return -1;
}

static void
grow_fields(struct reader *r)
{
	r->cap_fields = r->cap_fields ? 2 * r->cap_fields : 32; /* 65536 = 32 << 11 */
	r->starts = xreallocarray(r->starts, r->cap_fields, sizeof *r->starts);
	r->lens = xreallocarray(r->lens, r->cap_fields, sizeof *r->lens);
	r->fields = xreallocarray(r->fields, r->cap_fields, sizeof *r->fields);
}

static void
on_field_slow(void *data, size_t len, void *ctx)
{
	struct reader *r = ctx;
	const char *s = data ? data : "";

	if (r->stop)
		return;
	if (r->nfields == 0)
		r->line = r->next_line;
	if (len > r->opts->max_field) {
		fail(r, r->line, "field %zu is longer than %zu bytes", r->nfields + 1,
		     r->opts->max_field);
		return;
	}
	if (r->nfields == CSVIN_MAX_FIELDS) {
		fail(r, r->line, "more than %d fields in a record", CSVIN_MAX_FIELDS);
		return;
	}
	if (r->seen_nul && len && memchr(s, '\0', len)) {
		fail(r, r->line, "field %zu holds a NUL byte", r->nfields + 1);
		return;
	}
	if (r->seen_quote && len && memchr(s, '\n', len)) /* only a quoted field holds one */
		for (size_t i = 0; i < len; i++)
			r->next_line += s[i] == '\n';
	if (r->nfields == r->cap_fields)
		grow_fields(r);
	if (r->arena_len + len + 1 > r->arena_cap) {
		while (r->arena_len + len + 1 > r->arena_cap)
			r->arena_cap = r->arena_cap ? 2 * r->arena_cap : 4096;
		r->arena = xreallocarray(r->arena, r->arena_cap, 1);
	}
	memcpy(r->arena + r->arena_len, s, len);
	r->arena[r->arena_len + len] = '\0';
	r->starts[r->nfields] = r->arena_len;
	r->lens[r->nfields] = len;
	r->arena_len += len + 1;
	r->nfields++;
}

/* Copy up to 16 bytes with fixed-size moves that overlap rather than a call to memcpy. */
static inline void
copy_short(char *dst, const char *src, size_t len)
{
	if (len >= 8) {
		uint64_t a, b;

		memcpy(&a, src, 8);
		memcpy(&b, src + len - 8, 8);
		memcpy(dst, &a, 8);
		memcpy(dst + len - 8, &b, 8);
	} else if (len >= 4) {
		uint32_t a, b;

		memcpy(&a, src, 4);
		memcpy(&b, src + len - 4, 4);
		memcpy(dst, &a, 4);
		memcpy(dst + len - 4, &b, 4);
	} else {
		for (size_t i = 0; i < len; i++)
			dst[i] = src[i];
	}
}

/*
 * The common field — short, in a record already begun, with room in the arrays and no NUL
 * or quote seen in the input — costs a few instructions; anything else takes the slow path,
 * which checks everything.
 */
static void
on_field(void *data, size_t len, void *ctx)
{
	struct reader *r = ctx;
	char *dst;

	if (len > 16 || r->stop || r->seen_nul || r->seen_quote || r->nfields == 0 ||
	    r->nfields >= r->cap_fields || r->arena_len + 17 > r->arena_cap ||
	    len > r->opts->max_field) {
		on_field_slow(data, len, ctx);
		return;
	}
	dst = r->arena + r->arena_len;
	copy_short(dst, data, len);
	dst[len] = '\0';
	r->starts[r->nfields] = r->arena_len;
	r->lens[r->nfields] = len;
	r->arena_len += len + 1;
	r->nfields++;
}

static void emit(struct reader *r);

static void
on_record(int term, void *ctx)
{
	struct reader *r = ctx;

	/*
	 * Line numbers: every LF ends a line, and so does a CR not followed by LF. Only the
	 * empty record of a CRLF's LF is skipped: after a lone CR, "x,y\n" is a record.
	 */
	if (term == '\n' && r->last_term == '\r' && r->nfields == 0) {
		r->last_term = term;
		return;
	}
	r->last_term = term;
	if (r->stop)
		return;
	if (r->nfields == 0) { /* a blank line */
		r->next_line++;
		return;
	}
	for (size_t i = 0; i < r->nfields; i++)
		r->fields[i] = r->arena + r->starts[i];
	emit(r);
}

/* Hand the record in fields/lens (begun on r->line) to the callback, after the checks. */
static void
emit(struct reader *r)
{
	struct csv_row row;
	int rc;

	if (r->recno == 0)
		r->header_fields = r->nfields;
	else if (r->nfields != r->header_fields && !r->opts->ragged_ok) {
		fail(r, r->line, "%zu fields where the header has %zu", r->nfields,
		     r->header_fields);
		return;
	}
	row.nfields = r->nfields;
	row.fields = r->fields;
	row.lens = r->lens;
	row.line = r->line;
	row.recno = r->recno++;
	r->nfields = 0;
	r->arena_len = 0;
	r->next_line++;
	rc = r->fn(r->ctx, &row);
	if (rc != 0)
		r->stop = rc;
}

static int
keep_spaces(unsigned char c)
{
	(void)c;
	return 0;
}

/*
 * One line of input that holds no quote, CR or NUL: its fields are the bytes between commas,
 * used in place — each comma, and the byte after the line (its newline), becomes the NUL
 * that ends a field. This is exactly what libcsv would make of the line, without a copy.
 */
static void
split_line(struct reader *r, char *s, size_t len)
{
	char *p = s, *end = s + len;

	r->line = r->next_line;
	if (len == 0) { /* a blank line */
		r->next_line++;
		return;
	}
	r->nfields = 0;
	for (;;) {
		char *q = p;

		while (q < end && *q != ',')
			q++;
		if (r->nfields == CSVIN_MAX_FIELDS) {
			fail(r, r->line, "more than %d fields in a record", CSVIN_MAX_FIELDS);
			return;
		}
		if ((size_t)(q - p) > r->opts->max_field) {
			fail(r, r->line, "field %zu is longer than %zu bytes", r->nfields + 1,
			     r->opts->max_field);
			return;
		}
		if (r->nfields == r->cap_fields)
			grow_fields(r);
		*q = '\0';
		r->fields[r->nfields] = p;
		r->lens[r->nfields++] = (size_t)(q - p);
		if (q == end)
			break;
		p = q + 1;
	}
	emit(r);
}

static char *
last_newline(char *s, size_t n)
{
	while (n > 0)
		if (s[--n] == '\n')
			return s + n;
	return NULL;
}

/* Split s[0..len), which ends with a newline, into lines. */
static void
split_lines(struct reader *r, char *s, size_t len)
{
	char *end = s + len;

	while (s < end && !r->stop) {
		char *nl = memchr(s, '\n', (size_t)(end - s));

		split_line(r, s, (size_t)(nl - s));
		s = nl + 1;
	}
}

int
csvin_read(FILE *fp, const char *name, const struct csvin_opts *opts, csv_row_fn fn, void *ctx,
           char *err, size_t errsize)
{
	struct csvin_opts defaults = {0};
	struct csv_parser p;
	struct reader r;
	size_t chunk, got, have = 0;
	char *buf;
	int first = 1, fast = 1, rc;

	if (opts == NULL)
		opts = &defaults;
	defaults = *opts;
	if (defaults.max_field == 0)
		defaults.max_field = CSVIN_MAX_FIELD;
	opts = &defaults;
	chunk = opts->chunk_size ? opts->chunk_size : (size_t)1 << 18;
	memset(&r, 0, sizeof r);
	r.name = name;
	r.opts = opts;
	r.fn = fn;
	r.ctx = ctx;
	r.err = err;
	r.errsize = errsize;
	r.next_line = 1;
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL) != 0)
		die("out of memory");
	p.blk_size = 65536;
	/*
	 * As long as the input holds no quote, CR or NUL byte, lines are split here (fast, in
	 * place): buf holds the start of a line carried over (have bytes) and the bytes read
	 * after it. From the first chunk that holds one of them on, libcsv parses everything,
	 * starting with the carried bytes, which begin a record.
	 */
	buf = xmalloc(chunk + 1);
	while (!r.stop && (got = fread(buf + have, 1, chunk - have, fp)) > 0) {
		char *s = buf, *fresh = buf + have, *nl = NULL;
		size_t n = have + got;

		if (first) {
			first = 0;
			if (n >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
				s += 3;
				n -= 3;
			}
		}
		r.seen_nul |= memchr(fresh, '\0', got) != NULL;
		r.seen_quote |= memchr(fresh, '"', got) != NULL;
		if (fast && (r.seen_nul || r.seen_quote || memchr(fresh, '\r', got)))
			fast = 0;
		if (fast && (nl = last_newline(s, n)) == NULL && s + n == buf + chunk)
			fast = 0; /* a line longer than the buffer: libcsv copes */
		if (fast) {
			if (nl != NULL) {
				split_lines(&r, s, (size_t)(nl + 1 - s));
				n -= (size_t)(nl + 1 - s);
				s = nl + 1;
			}
			memmove(buf, s, n);
			have = n;
			continue;
		}
		have = 0;
		/*
		 * libcsv calls the space function for every byte of an unquoted field; a chunk
		 * with no space or tab has nothing to trim, so the built-in test (no call) gives
		 * the same fields, much faster.
		 */
		csv_set_space_func(&p,
		                   memchr(s, ' ', n) || memchr(s, '\t', n) ? keep_spaces : NULL);
		if (csv_parse(&p, s, n, on_field, on_record, &r) != n && !r.stop)
			fail(&r, r.next_line,
			     "malformed CSV: %s (a quote inside an unquoted "
			     "field, or text after a closing quote)",
			     csv_strerror(csv_error(&p)));
		if (!r.stop && p.entry_pos > opts->max_field)
			fail(&r, r.nfields ? r.line : r.next_line,
			     "field %zu is longer than %zu bytes", r.nfields + 1, opts->max_field);
	}
	if (!r.stop && fast && have > 0 && !ferror(fp))
		split_line(&r, buf, have); /* the last line, without a newline */
	if (!r.stop && ferror(fp))
		fail(&r, r.next_line, "read error: %s", strerror(errno));
	if (!r.stop && csv_fini(&p, on_field, on_record, &r) != 0 && !r.stop)
		fail(&r, r.nfields ? r.line : r.next_line,
		     "unterminated quoted field at end of input");
	if (!r.stop && r.recno == 0)
		fail(&r, 1, "empty input: expected a header line");
	rc = r.stop;
	csv_free(&p);
	free(buf);
	free(r.arena);
	free(r.starts);
	free(r.lens);
	free(r.fields);
	return rc;
}

void
csv_put_field(FILE *fp, const char *s, size_t len)
{
	int quote;

	if (len == 0) /* s may be NULL then: an empty text column of a batch has no bytes */
		return;
	quote = s[0] == ' ' || s[len - 1] == ' ';
	for (size_t i = 0; i < len && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
	if (!quote) {
		fwrite(s, 1, len, fp);
		return;
	}
	putc('"', fp);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"')
			putc('"', fp);
		putc(s[i], fp);
	}
	putc('"', fp);
}
