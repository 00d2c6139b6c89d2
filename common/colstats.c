#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "colstats.h"
#include "util.h"

void
moments_init(struct moments *m)
{
	memset(m, 0, sizeof *m);
	m->min = INFINITY;
	m->max = -INFINITY;
}

void
moments_add(struct moments *m, const double *x, size_t n)
{
	double sum = 0, mean, m2 = 0, lo = m->min, hi = m->max, delta, total;
	uint64_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (isnan(x[i]))
			continue;
		sum += x[i];
		k++;
		lo = x[i] < lo ? x[i] : lo;
		hi = x[i] > hi ? x[i] : hi;
	}
	m->missing += n - k;
	if (k == 0)
		return;
	mean = sum / (double)k;
	for (size_t i = 0; i < n; i++)
		if (!isnan(x[i]))
			m2 += (x[i] - mean) * (x[i] - mean);
	/* Merge: mean = (n_a·mean_a + n_b·mean_b)/n; m2 = m2_a + m2_b + δ²·n_a·n_b/n. */
	total = (double)(m->n + k);
	delta = mean - m->mean;
	m->mean += delta * (double)k / total;
	m->m2 += m2 + delta * delta * (double)m->n * (double)k / total;
	m->n += k;
	m->min = lo;
	m->max = hi;
}

double
moments_var(const struct moments *m)
{
	return m->n < 2 ? NAN : m->m2 / (double)(m->n - 1);
}

double
moments_sd(const struct moments *m)
{
	return sqrt(moments_var(m));
}

/* k-th smallest of x[0..n) by quickselect (Hoare partition, middle pivot). */
static double
select_kth(double *x, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;

	while (lo < hi) {
		double pivot = x[lo + (hi - lo) / 2];
		size_t i = lo, j = hi;

		while (i <= j) {
			while (x[i] < pivot)
				i++;
			while (x[j] > pivot)
				j--;
			if (i <= j) {
				double t = x[i];

				x[i] = x[j];
				x[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;
	}
	return x[k];
}

double
median(double *x, size_t n)
{
	size_t k = 0;
	double a, b;

	for (size_t i = 0; i < n; i++)
		if (!isnan(x[i]))
			x[k++] = x[i];
	if (k == 0)
		return NAN;
	a = select_kth(x, k, (k - 1) / 2);
	if (k % 2)
		return a;
	b = select_kth(x, k, k / 2);
	return a + (b - a) / 2;
}

struct tally_slot {
	uint64_t hash;
	size_t off, len;
	uint64_t count;
};

void
tally_init(struct tally *t, size_t limit)
{
	memset(t, 0, sizeof *t);
	t->limit = limit;
	t->cap = 16;
	t->slots = xcalloc(t->cap, sizeof *t->slots);
}

void
tally_free(struct tally *t)
{
	free(t->slots);
	free(t->bytes);
	memset(t, 0, sizeof *t);
}

/* A hash that reads 8 bytes at a time: values are short. Never 0 (0 marks an empty slot). */
static uint64_t
hash_bytes(const char *s, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15u ^ len;

	while (len >= 8) {
		uint64_t w;

		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdu;
		h ^= h >> 32;
		s += 8;
		len -= 8;
	}
	if (len) {
		uint64_t w = 0;

		memcpy(&w, s, len);
		h = (h ^ w) * 0xc4ceb9fe1a85ec53u;
	}
	h ^= h >> 29;
	return h ? h : 1;
}

static void
tally_grow(struct tally *t)
{
	size_t cap = 2 * t->cap;
	struct tally_slot *slots = xcalloc(cap, sizeof *slots);

	for (size_t i = 0; i < t->cap; i++) {
		size_t k;

		if (t->slots[i].hash == 0)
			continue;
		for (k = t->slots[i].hash & (cap - 1); slots[k].hash; k = (k + 1) & (cap - 1))
			;
		slots[k] = t->slots[i];
	}
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
}

void
tally_add(struct tally *t, const char *s, size_t len)
{
	uint64_t h;
	size_t k;

	if (len == 0 || t->saturated)
		return;
	h = hash_bytes(s, len);
	for (k = h & (t->cap - 1); t->slots[k].hash; k = (k + 1) & (t->cap - 1)) {
		struct tally_slot *e = &t->slots[k];

		if (e->hash == h && e->len == len && memcmp(t->bytes + e->off, s, len) == 0) {
			e->count++;
			return;
		}
	}
	if (t->len == t->limit) {
		t->saturated = 1;
		return;
	}
	if (t->nbytes + len > t->cap_bytes) {
		while (t->nbytes + len > t->cap_bytes)
			t->cap_bytes = t->cap_bytes ? 2 * t->cap_bytes : 1024;
		t->bytes = xreallocarray(t->bytes, t->cap_bytes, 1);
	}
	memcpy(t->bytes + t->nbytes, s, len);
	t->slots[k] = (struct tally_slot){h, t->nbytes, len, 1};
	t->nbytes += len;
	if (++t->len * 2 > t->cap)
		tally_grow(t);
}

/* Is a (value, number) smaller than b in pandas' sort order for the column? */
static int
value_less(const struct tally *t, const struct tally_slot *a, const struct tally_slot *b,
           int numeric)
{
	int c;

	if (numeric) {
		double x, y;

		parse_f64(t->bytes + a->off, a->len, &x);
		parse_f64(t->bytes + b->off, b->len, &y);
		if (x != y)
			return x < y;
	}
	c = memcmp(t->bytes + a->off, t->bytes + b->off, a->len < b->len ? a->len : b->len);
	return c < 0 || (c == 0 && a->len < b->len);
}

uint64_t
tally_mode(const struct tally *t, const char **s, size_t *len)
{
	const struct tally_slot *best = NULL;
	int numeric = 1;

	*s = NULL;
	*len = 0;
	if (t->saturated || t->len == 0)
		return 0;
	for (size_t i = 0; i < t->cap && numeric; i++) {
		double x;

		if (t->slots[i].hash)
			numeric = parse_f64(t->bytes + t->slots[i].off, t->slots[i].len, &x) == 0 &&
			          !isnan(x);
	}
	for (size_t i = 0; i < t->cap; i++) {
		const struct tally_slot *e = &t->slots[i];

		if (e->hash == 0)
			continue;
		if (best == NULL || e->count > best->count ||
		    (e->count == best->count && value_less(t, e, best, numeric)))
			best = e;
	}
	assert(best != NULL); /* t->len > 0: some slot holds a value */
	*s = t->bytes + best->off;
	*len = best->len;
	return best->count;
}
