/*
 * Fuzz the stream reader: header, every batch, the trailer; once copying the batches, once
 * leaving their numbers in the reader's buffer (stream_read_batch_raw); then the training
 * matrix readers on the same bytes (dataset_read in both layouts, with the checksum thread).
 */
#include "dataset.h"
#include "fuzz.h"
#include "stream.h"

static volatile double sink;

/* Every batch of the stream in path, by stream_read_batch or (raw) stream_read_batch_raw. */
static void
read_all(const char *path, int raw)
{
	char err[512];
	FILE *fp = fopen(path, "rb");
	struct stream_reader *r = stream_reader_open(fp, "fuzz", err, sizeof err);

	if (r != NULL) {
		const struct schema *s = stream_reader_schema(r);
		const unsigned char **cols = calloc(s->ncols ? s->ncols : 1, sizeof *cols);
		struct batch b;
		double sum = 0;

		batch_init(&b, s);
		while ((raw ? stream_read_batch_raw(r, &b, cols) : stream_read_batch(r, &b)) == 1) {
			size_t len;

			/* touch every value the reader handed over */
			for (size_t i = 0; i < b.nrows; i++)
				for (size_t j = 0; j < b.ncols; j++) {
					double v;

					if (b.types[j] == COL_STR) {
						(void)batch_str(&b, i, j, &len);
						continue;
					}
					if (raw)
						memcpy(&v, cols[j] + 8 * i, sizeof v);
					else
						v = b.cols[j].f64[i];
					sum += v;
				}
		}
		sink = sum; /* so that the reads are not optimised away */
		free(cols);
		batch_free(&b);
		stream_reader_close(r);
	}
	fclose(fp);
}

/* dataset_read in layout (with the checksum thread for row-major data) on the file path. */
static void
read_dataset(const char *path, enum dataset_layout layout)
{
	char err[512], hex[65];
	FILE *fp = fopen(path, "rb");
	struct dataset d;
	int rc = layout == DATASET_ROWS ? dataset_read_sha256(fp, "fuzz", &d, hex, err, sizeof err)
	                                : dataset_read(fp, "fuzz", layout, &d, err, sizeof err);

	if (rc == 0)
		dataset_free(&d);
	fclose(fp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the reader read(2)s the descriptor: a real file, not fmemopen */
	char *path, *dir = fuzz_tmpfile(data, size, "in", &path);

	read_all(path, 0);
	read_all(path, 1);
	read_dataset(path, DATASET_ROWS);
	read_dataset(path, DATASET_COLUMNS);
	fuzz_rmtmp(dir, path);
	return 0;
}
