/* stream.h: the pipeml stream (pipeml-stream(5)) — a header, batches of columns, a trailer. */
#ifndef PIPEML_STREAM_H
#define PIPEML_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define STREAM_FORMAT  "pipeml-stream"
#define STREAM_VERSION 1

/* Limits checked before anything is allocated (pipeml-stream(5), LIMITS). */
#define STREAM_MAX_COLUMNS    65536
#define STREAM_MAX_NAME       4096
#define STREAM_MAX_META       256
#define STREAM_MAX_BATCH_ROWS 1048576
#define STREAM_MAX_OBJECT     ((size_t)1 << 30)
#define STREAM_BATCH_ROWS     8192 /* rows a writer puts in one batch */

/* A column holds doubles (NaN = missing) or UTF-8 text (the empty string = missing). */
enum col_type { COL_F64, COL_STR };
/* Roles tell later stages what a column is for; a plain column is a passthrough. */
enum col_role { ROLE_PASSTHROUGH, ROLE_FEATURE, ROLE_TARGET, ROLE_ID, ROLE_FOLD };

struct column {
	char *name;
	enum col_type type;
	enum col_role role;
};

struct meta_entry {
	char *key;
	char *value;
};

/* The header: columns in order and provenance as text key/value pairs. */
struct schema {
	size_t ncols;
	struct column *cols;
	size_t nmeta;
	struct meta_entry *meta;
};

void schema_init(struct schema *s);
void schema_free(struct schema *s);
/* Append a column (name copied); returns its index. */
size_t schema_add(struct schema *s, const char *name, enum col_type type, enum col_role role);
/* Set (or replace) a provenance entry; both strings copied. */
void schema_set_meta(struct schema *s, const char *key, const char *value);
const char *schema_get_meta(const struct schema *s, const char *key);
/* Index of the column named name, or -1. */
long schema_find(const struct schema *s, const char *name);
/* Deep copy of src into dst (dst uninitialised). */
void schema_copy(struct schema *dst, const struct schema *src);
/* Names of types and roles as the header spells them. */
const char *col_type_name(enum col_type t);
const char *col_role_name(enum col_role r);
int col_role_parse(const char *name, enum col_role *r);

/*
 * A batch of rows, column by column. A COL_F64 column uses f64[nrows]; a COL_STR column
 * stores row i as bytes[off[i] .. off[i+1]) (off has nrows + 1 entries, off[0] == 0).
 * A batch owns its memory and is reused: batch_clear() keeps the capacity.
 */
struct batch_col {
	double *f64;
	uint32_t *off;
	char *bytes;
	size_t cap_bytes;
};

struct batch {
	size_t ncols;
	size_t nrows;
	size_t cap_rows;
	const enum col_type *types; /* borrowed from the schema */
	struct batch_col *cols;
};

void batch_init(struct batch *b, const struct schema *s);
void batch_free(struct batch *b);
void batch_clear(struct batch *b);
/* Make room for one more row and return its index; the caller then sets every column. */
size_t batch_add_row(struct batch *b);
void batch_set_f64(struct batch *b, size_t row, size_t col, double x);
/* Strings must be appended in row order within a column. */
void batch_set_str(struct batch *b, size_t row, size_t col, const char *s, size_t len);
/* Text of a COL_STR cell, and its length. */
static inline const char *
batch_str(const struct batch *b, size_t row, size_t col, size_t *len)
{
	const struct batch_col *c = &b->cols[col];

	*len = c->off[row + 1] - c->off[row];
	return c->bytes + c->off[row];
}
/* Copy row src_row of src (same types, column map: dst column j <- src column map[j]). */
void batch_copy_row(struct batch *dst, const struct batch *src, size_t src_row, const size_t *map);

/* Writer: header at open, batches as they fill, trailer (with the row count) at close. */
struct stream_writer;
struct stream_writer *stream_writer_open(FILE *fp, const char *name, const struct schema *s);
/* Write the rows of b (b's columns must match the schema). Dies on write error. */
void stream_write_batch(struct stream_writer *w, const struct batch *b);
/* Write the trailer and flush. Dies on write error. Frees w. */
void stream_writer_close(struct stream_writer *w);
uint64_t stream_writer_rows(const struct stream_writer *w);

/*
 * Reader. stream_reader_open reads and validates the header; NULL on error with the message
 * in err. stream_read_batch fills b (initialised for the reader's schema) with the next
 * batch: returns 1 for a batch, 0 at the trailer (after checking the row count), -1 on
 * error (message from stream_reader_error). Any byte after the trailer is an error.
 */
struct stream_reader;
struct stream_reader *stream_reader_open(FILE *fp, const char *name, char *err, size_t errsize);
const struct schema *stream_reader_schema(const struct stream_reader *r);
int stream_read_batch(struct stream_reader *r, struct batch *b);
/*
 * stream_read_batch without copying the numbers: raw[j] (one entry per column) points at
 * column j's nrows doubles in host order, if j is a COL_F64 column: on a little-endian host
 * in the reader's buffer (unaligned; valid until the next read), with b's f64 array left
 * unfilled, else in b's. Text columns are read into b.
 */
int stream_read_batch_raw(struct stream_reader *r, struct batch *b, const unsigned char **raw);
const char *stream_reader_error(const struct stream_reader *r);
uint64_t stream_reader_rows(const struct stream_reader *r);
void stream_reader_close(struct stream_reader *r);

/*
 * Convenience for tools: open or die (the message names the input), read a batch or die.
 * stream_next returns 1 for a batch, 0 at the end.
 */
struct stream_reader *stream_open_or_die(FILE *fp, const char *name);
int stream_next(struct stream_reader *r, struct batch *b);

#endif
