/* csvin.h: RFC 4180 CSV input through libcsv, row by row, with line numbers and limits. */
#ifndef PIPEML_CSVIN_H
#define PIPEML_CSVIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CSVIN_MAX_FIELD  ((size_t)1 << 20) /* bytes in one field */
#define CSVIN_MAX_FIELDS 65536             /* fields in one row */

/*
 * One record. fields[i] points to fields[i]'s bytes, NUL-terminated, lens[i] long (a field
 * never holds a NUL byte: that is an input error). line is the physical line where the
 * record starts (1 for the header). Pointers are valid until the callback returns.
 */
struct csv_row {
	size_t nfields;
	const char **fields;
	const size_t *lens;
	uint64_t line;
	uint64_t recno; /* 0 for the header, then 1, 2, … */
};

/*
 * Called for every record, the header first. Return 0 to go on; anything else stops the
 * read and is returned by csvin_read (the callback reports its own error).
 */
typedef int (*csv_row_fn)(void *ctx, const struct csv_row *row);

struct csvin_opts {
	size_t max_field;  /* 0: CSVIN_MAX_FIELD */
	int ragged_ok;     /* pass rows with a field count unlike the header's to the callback */
	size_t chunk_size; /* 0: 256 KiB */
};

/*
 * Parse fp as CSV: a UTF-8 byte-order mark is skipped; quoted fields may hold commas,
 * quotes ("") and newlines; records end with LF, CRLF or CR; blank lines are skipped;
 * spaces around unquoted fields are kept (they are data). Input with no quote, CR or NUL
 * byte is split into lines and fields in place, without libcsv, into the same records; from
 * the first chunk that holds one on, libcsv parses. Returns 0 at the end of the input,
 * the callback's value if it stopped the read, or -1 with a message in err ("name:line:
 * ...") for an unterminated quote, a field over the size limit, a NUL byte, too many fields,
 * a ragged row (unless ragged_ok), an empty input or a read error.
 */
int csvin_read(FILE *fp, const char *name, const struct csvin_opts *opts, csv_row_fn fn, void *ctx,
               char *err, size_t errsize);

/*
 * CSV output: write one field, quoted when it holds a comma, quote, CR or LF (or leading or
 * trailing space), as RFC 4180 says.
 */
void csv_put_field(FILE *fp, const char *s, size_t len);

#endif
