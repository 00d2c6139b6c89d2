/*
 * table.h: a whole pipeml stream held in memory, as the batches it was read in — for the
 * stages that must see every row before writing one (learning a state, a split, a fit).
 */
#ifndef PIPEML_TABLE_H
#define PIPEML_TABLE_H

#include <stddef.h>

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

#endif
