#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "table.h"
#include "util.h"

void
table_read(struct table *t, struct stream_reader *r)
{
	size_t cap = 0;

	memset(t, 0, sizeof *t);
	schema_copy(&t->schema, stream_reader_schema(r));
	for (;;) {
		struct batch *b;

		if (t->nbatches == cap) {
			cap = cap ? 2 * cap : 16;
			t->batches = xreallocarray(t->batches, cap, sizeof *t->batches);
		}
		b = &t->batches[t->nbatches];
		batch_init(b, &t->schema);
		if (!stream_next(r, b)) {
			batch_free(b);
			break;
		}
		t->nrows += b->nrows;
		t->nbatches++;
	}
}

void
table_free(struct table *t)
{
	for (size_t i = 0; i < t->nbatches; i++)
		batch_free(&t->batches[i]);
	free(t->batches);
	schema_free(&t->schema);
	memset(t, 0, sizeof *t);
}

int
table_can_reread(FILE *in, off_t *start)
{
	struct stat st;

	*start = lseek(fileno(in), 0, SEEK_CUR);
	return *start >= 0 && fstat(fileno(in), &st) == 0 && S_ISREG(st.st_mode);
}

struct stream_reader *
table_reread(FILE *in, off_t start, const char *name)
{
	if (lseek(fileno(in), start, SEEK_SET) != start)
		die("%s: cannot read it a second time:", name);
	return stream_open_or_die(in, name);
}
