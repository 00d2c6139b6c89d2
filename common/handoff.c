/* handoff.c: a reading thread and a worker thread, batches handed over in order (handoff.h). */
#include "handoff.h"
#include "util.h"

static void
consume(struct handoff *ho, struct batch *b)
{
	ho->consume(ho->ctx, b);
	batch_clear(b);
}

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
		consume(ho, &ho->b[w]);
		pthread_mutex_lock(&ho->mu);
		ho->full[w] = 0;
		pthread_cond_broadcast(&ho->cv);
		pthread_mutex_unlock(&ho->mu);
	}
}

void
handoff_start(struct handoff *ho, const struct schema *s, int threaded,
              handoff_consume_fn *consume_fn, void *ctx)
{
	ho->consume = consume_fn;
	ho->ctx = ctx;
	ho->threaded = threaded;
	ho->full[0] = ho->full[1] = 0;
	ho->cur = 0;
	ho->done = 0;
	batch_init(&ho->b[0], s);
	batch_init(&ho->b[1], s);
	if (!threaded)
		return;
	pthread_mutex_init(&ho->mu, NULL);
	pthread_cond_init(&ho->cv, NULL);
	if (pthread_create(&ho->worker, NULL, worker, ho) != 0)
		die("pthread_create:");
}

struct batch *
handoff_batch(struct handoff *ho)
{
	return &ho->b[ho->cur];
}

void
handoff_push(struct handoff *ho)
{
	if (ho->b[ho->cur].nrows == 0)
		return;
	if (!ho->threaded) {
		consume(ho, &ho->b[ho->cur]);
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
	handoff_push(ho);
	if (ho->threaded) {
		pthread_mutex_lock(&ho->mu);
		ho->done = 1;
		pthread_cond_broadcast(&ho->cv);
		pthread_mutex_unlock(&ho->mu);
		pthread_join(ho->worker, NULL);
		pthread_mutex_destroy(&ho->mu);
		pthread_cond_destroy(&ho->cv);
	}
	batch_free(&ho->b[0]);
	batch_free(&ho->b[1]);
}
