/* handoff.c: a producing thread and a worker thread, items handed over in order (handoff.h). */
#include "handoff.h"
#include "util.h"

static void *
worker(void *arg)
{
	struct handoff *ho = arg;

	for (int w = 0;; w ^= 1) {
		int handed;

		pthread_mutex_lock(&ho->mu);
		while (!ho->full[w] && !ho->done)
			pthread_cond_wait(&ho->cv, &ho->mu);
		handed = ho->full[w];
		pthread_mutex_unlock(&ho->mu);
		if (!handed)
			return NULL;
		ho->consume(ho->ctx, ho->item[w]);
		pthread_mutex_lock(&ho->mu);
		ho->full[w] = 0;
		pthread_cond_broadcast(&ho->cv);
		pthread_mutex_unlock(&ho->mu);
	}
}

void
handoff_start(struct handoff *ho, void *a, void *b, int threaded, handoff_consume_fn *consume,
              void *ctx)
{
	ho->consume = consume;
	ho->ctx = ctx;
	ho->threaded = threaded;
	ho->item[0] = a;
	ho->item[1] = b;
	ho->full[0] = ho->full[1] = 0;
	ho->cur = 0;
	ho->done = 0;
	if (!threaded)
		return;
	pthread_mutex_init(&ho->mu, NULL);
	pthread_cond_init(&ho->cv, NULL);
	if (pthread_create(&ho->worker, NULL, worker, ho) != 0)
		die("pthread_create:");
}

void *
handoff_item(const struct handoff *ho)
{
	return ho->item[ho->cur];
}

void
handoff_push(struct handoff *ho)
{
	if (!ho->threaded) {
		ho->consume(ho->ctx, ho->item[ho->cur]);
		return;
	}
	pthread_mutex_lock(&ho->mu);
	ho->full[ho->cur] = 1;
	ho->cur ^= 1;
	pthread_cond_broadcast(&ho->cv);
	while (ho->full[ho->cur])
		pthread_cond_wait(&ho->cv, &ho->mu);
	pthread_mutex_unlock(&ho->mu);
}

void
handoff_finish(struct handoff *ho)
{
	if (!ho->threaded)
		return;
	pthread_mutex_lock(&ho->mu);
	ho->done = 1;
	pthread_cond_broadcast(&ho->cv);
	pthread_mutex_unlock(&ho->mu);
	pthread_join(ho->worker, NULL);
	pthread_mutex_destroy(&ho->mu);
	pthread_cond_destroy(&ho->cv);
}

/* ---- batches ---- */

static void
consume_batch(void *ctx, void *item)
{
	struct batch_handoff *bh = ctx;

	bh->consume(bh->ctx, item);
	batch_clear(item);
}

void
batch_handoff_start(struct batch_handoff *bh, const struct schema *s, int threaded,
                    void (*consume)(void *ctx, struct batch *b), void *ctx)
{
	bh->consume = consume;
	bh->ctx = ctx;
	batch_init(&bh->b[0], s);
	batch_init(&bh->b[1], s);
	handoff_start(&bh->ho, &bh->b[0], &bh->b[1], threaded, consume_batch, bh);
}

struct batch *
batch_handoff_batch(const struct batch_handoff *bh)
{
	return handoff_item(&bh->ho);
}

void
batch_handoff_push(struct batch_handoff *bh)
{
	if (batch_handoff_batch(bh)->nrows > 0)
		handoff_push(&bh->ho);
}

void
batch_handoff_finish(struct batch_handoff *bh)
{
	batch_handoff_push(bh);
	handoff_finish(&bh->ho);
	batch_free(&bh->b[0]);
	batch_free(&bh->b[1]);
}
