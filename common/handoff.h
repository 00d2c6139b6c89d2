/*
 * handoff.h: two stages of a tool on two threads. The producing thread fills one of two
 * items (e.g. batches of rows) while a worker thread consumes the one handed
 * over before, so reading and what follows overlap. Items are consumed one at a time, in the
 * order they were handed over, by one worker: the consumer sees what a single thread would
 * see, and its results are the same bits.
 *
 * Without a thread (threaded = 0) a handed-over item is consumed at once, on the caller's
 * thread: the same code, for one-thread runs and line-at-a-time serving.
 */
#ifndef PIPEML_HANDOFF_H
#define PIPEML_HANDOFF_H

#include <pthread.h>

#include "stream.h"

/* Consume one item and leave it empty, ready to be filled again. */
typedef void handoff_consume_fn(void *ctx, void *item);

struct handoff {
	handoff_consume_fn *consume;
	void *ctx;
	int threaded;
	pthread_t worker;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	void *item[2];
	int full[2]; /* item[i] is the worker's until it clears this */
	int cur;     /* the item being filled */
	int done;    /* no item after those handed over */
};

/* Items a and b, consumed by consume(ctx, item), on a worker thread if threaded. */
void handoff_start(struct handoff *ho, void *a, void *b, int threaded, handoff_consume_fn *consume,
                   void *ctx);
/* The item to fill. */
void *handoff_item(const struct handoff *ho);
/* Hand the item being filled over; returns when the next one to fill is free. */
void handoff_push(struct handoff *ho);
/* Wait until every item handed over is consumed; stop the worker. */
void handoff_finish(struct handoff *ho);

/*
 * The same for batches of rows (stream.h), the usual item: two batches of schema s, an empty
 * batch not handed over, a consumed one cleared. consume gets the batch, never empty.
 */
struct batch_handoff {
	struct handoff ho;
	struct batch b[2];
	void (*consume)(void *ctx, struct batch *b);
	void *ctx;
};

void batch_handoff_start(struct batch_handoff *bh, const struct schema *s, int threaded,
                         void (*consume)(void *ctx, struct batch *b), void *ctx);
struct batch *batch_handoff_batch(const struct batch_handoff *bh);
void batch_handoff_push(struct batch_handoff *bh);
/* Hand the last batch over, wait until every batch is consumed, free the batches. */
void batch_handoff_finish(struct batch_handoff *bh);

#endif
