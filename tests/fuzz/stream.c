/* Fuzz the stream reader: header, every batch, the trailer. */
#include "fuzz.h"
#include "stream.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the reader read(2)s the descriptor: a real file, not fmemopen */
	char err[512], *path, *dir = fuzz_tmpfile(data, size, "in", &path);
	FILE *fp = fopen(path, "rb");
	struct stream_reader *r = stream_reader_open(fp, "fuzz", err, sizeof err);

	if (r != NULL) {
		struct batch b;

		batch_init(&b, stream_reader_schema(r));
		while (stream_read_batch(r, &b) == 1) {
			size_t len;

			/* touch every value the reader handed over */
			for (size_t i = 0; i < b.nrows; i++)
				for (size_t j = 0; j < b.ncols; j++)
					if (b.types[j] == COL_STR)
						(void)batch_str(&b, i, j, &len);
		}
		batch_free(&b);
		stream_reader_close(r);
	}
	fclose(fp);
	fuzz_rmtmp(dir, path);
	return 0;
}
