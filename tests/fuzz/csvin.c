/* Fuzz the CSV reader (both the in-place splitter and libcsv), small limits, ragged or not. */
#include "csvin.h"
#include "fuzz.h"

static int
on_row(void *ctx, const struct csv_row *row)
{
	size_t *sum = ctx;

	for (size_t i = 0; i < row->nfields; i++)
		if (strlen(row->fields[i]) != row->lens[i])
			abort(); /* a field holds no NUL byte and is NUL-terminated */
	*sum += row->nfields;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], *copy;
	size_t sum = 0;
	/* the first byte picks the options; the rest is the CSV */
	unsigned o = size > 0 ? data[0] : 0;
	struct csvin_opts opts = {
	        .ragged_ok = o & 1, .chunk_size = (o & 2) ? 7 : 0, .max_field = (o & 4) ? 16 : 0};
	FILE *fp = fuzz_fopen(size > 0 ? data + 1 : data, size > 0 ? size - 1 : 0, &copy);

	(void)csvin_read(fp, "fuzz", &opts, on_row, &sum, err, sizeof err);
	fclose(fp);
	free(copy);
	return 0;
}
