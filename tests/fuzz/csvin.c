/*
 * Fuzz the CSV reader (both the in-place splitter and libcsv), small limits, ragged or not;
 * and, differentially, its threaded mode against the plain one: the same records, stop
 * value and message.
 */
#include "csvin.h"
#include "fuzz.h"

struct seen {
	uint64_t h, rows, stop_at; /* a digest of the records; stop_at: return 5 at that one */
};

static int
on_row(void *ctx, const struct csv_row *row)
{
	struct seen *s = ctx;

	s->h = (s->h ^ row->line ^ (row->recno << 32)) * 1099511628211ULL;
	for (size_t i = 0; i < row->nfields; i++) {
		if (strlen(row->fields[i]) != row->lens[i])
			abort(); /* a field holds no NUL byte and is NUL-terminated */
		for (size_t k = 0; k < row->lens[i]; k++)
			s->h = (s->h ^ (unsigned char)row->fields[i][k]) * 1099511628211ULL;
		s->h = (s->h ^ 0x100) * 1099511628211ULL;
	}
	s->rows++;
	return s->stop_at && row->recno + 1 == s->stop_at ? 5 : 0;
}

static int
parse(const uint8_t *data, size_t size, struct csvin_opts *opts, struct seen *s, char *err,
      size_t errsize)
{
	char *copy;
	FILE *fp = fuzz_fopen(data, size, &copy);
	int rc;

	err[0] = '\0';
	rc = csvin_read(fp, "fuzz", opts, on_row, s, err, errsize);
	fclose(fp);
	free(copy);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[2][512];
	struct seen s[2] = {{.h = 1}, {.h = 1}};
	/* the first byte picks the options; the rest is the CSV */
	unsigned o = size > 0 ? data[0] : 0;
	struct csvin_opts opts = {
	        .ragged_ok = o & 1, .chunk_size = (o & 2) ? 7 : 0, .max_field = (o & 4) ? 16 : 0};
	int rc[2];

	if (size > 0) {
		data++;
		size--;
	}
	s[0].stop_at = s[1].stop_at = o >> 4; /* 0: never stop */
	rc[0] = parse(data, size, &opts, &s[0], err[0], sizeof err[0]);
	if (o & 8) {
		opts.threaded = 1;
		rc[1] = parse(data, size, &opts, &s[1], err[1], sizeof err[1]);
		if (rc[0] != rc[1] || s[0].h != s[1].h || s[0].rows != s[1].rows ||
		    (rc[0] == -1 && strcmp(err[0], err[1]) != 0))
			abort();
	}
	return 0;
}
