/*
 * table.h: a whole pipeml stream held in memory, as the batches it was read in — for the
 * stages that must see every row before writing one (learning a state, a split, a fit).
 */
#ifndef PIPEML_TABLE_H
#define PIPEML_TABLE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "stream.h"

struct table {
	struct schema schema; /* a copy of the stream's header */
	struct batch *batches;
	size_t nbatches;
	size_t nrows; /* Σ batches[i].nrows */
};

/* Read every remaining batch of r into t; dies with the reader's message on bad input. */
void table_read(struct table *t, struct stream_reader *r);
void table_free(struct table *t);

/*
 * For a stage that needs two passes: a regular file can be read twice (in memory that does
 * not grow with the rows), a pipe must be held with table_read. table_can_reread says which,
 * before the stream is opened, and gives the offset to come back to; table_reread goes back
 * there and opens the stream again (dying with a message naming the input on failure).
 */
int table_can_reread(FILE *in, off_t *start);
struct stream_reader *table_reread(FILE *in, off_t start, const char *name);

#endif
