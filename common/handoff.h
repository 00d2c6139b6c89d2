/*
 * handoff.h: two stages of a tool on two threads. The reading thread fills one of two
 * batches of rows while a worker thread consumes the one handed over before, so reading and
 * what follows overlap. Batches are consumed one at a time, in the order they were handed
 * over, by one worker: the consumer sees the rows as a single thread would, and its results
 * are the same bits.
 *
 * Without a thread (threaded = 0) a handed-over batch is consumed at once, on the caller's
 * thread: the same code, for one-thread runs and line-at-a-time serving.
 */
#ifndef PIPEML_HANDOFF_H
#define PIPEML_HANDOFF_H

#include <pthread.h>

#include "stream.h"

/* Consume one batch (never empty); the handoff clears it afterwards. */
typedef void handoff_consume_fn(void *ctx, struct batch *b);

struct handoff {
	handoff_consume_fn *consume;
	void *ctx;
	int threaded;
	pthread_t worker;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct batch b[2];
	int full[2]; /* b[i] is the worker's until it clears this */
	int cur;     /* the batch being filled */
	int done;    /* no batch after those handed over */
};

/* Batches of schema s, consumed by consume(ctx, batch), on a worker thread if threaded. */
void handoff_start(struct handoff *ho, const struct schema *s, int threaded,
                   handoff_consume_fn *consume, void *ctx);
/* The batch to fill. */
struct batch *handoff_batch(struct handoff *ho);
/* Hand the batch being filled over (nothing when it is empty); returns when the next one to
 * fill is free. */
void handoff_push(struct handoff *ho);
/* Hand the last batch over, wait until every batch is consumed, free the batches. */
void handoff_finish(struct handoff *ho);

#endif
