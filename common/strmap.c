#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "util.h"

struct strmap_slot {
	char *key; /* NULL: empty */
	size_t keylen;
	size_t value;
	uint64_t hash;
};

static uint64_t
hash_bytes(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

void
strmap_init(struct strmap *m)
{
	m->cap = 0;
	m->len = 0;
	m->slots = NULL;
}

void
strmap_free(struct strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	strmap_init(m);
}

static struct strmap_slot *
find_slot(const struct strmap *m, const char *key, size_t keylen, uint64_t h)
{
	size_t mask = m->cap - 1, i = (size_t)h & mask;

	for (;;) {
		struct strmap_slot *s = &m->slots[i];

		if (s->key == NULL ||
		    (s->hash == h && s->keylen == keylen && memcmp(s->key, key, keylen) == 0))
			return s;
		i = (i + 1) & mask;
	}
}

static void
grow(struct strmap *m)
{
	struct strmap old = *m;

	m->cap = old.cap ? old.cap * 2 : 16;
	m->slots = xcalloc(m->cap, sizeof *m->slots);
	for (size_t i = 0; i < old.cap; i++) {
		struct strmap_slot *s = &old.slots[i];

		if (s->key != NULL)
			*find_slot(m, s->key, s->keylen, s->hash) = *s;
	}
	free(old.slots);
}

long
strmap_get(const struct strmap *m, const char *key, size_t keylen)
{
	struct strmap_slot *s;

	if (m->cap == 0)
		return -1;
	s = find_slot(m, key, keylen, hash_bytes(key, keylen));
	return s->key ? (long)s->value : -1;
}

size_t
strmap_put(struct strmap *m, const char *key, size_t keylen, size_t value)
{
	uint64_t h = hash_bytes(key, keylen);
	struct strmap_slot *s;

	if ((m->len + 1) * 4 > m->cap * 3)
		grow(m);
	s = find_slot(m, key, keylen, h);
	if (s->key != NULL)
		return s->value;
	s->key = xstrndup(key, keylen);
	s->keylen = keylen;
	s->value = value;
	s->hash = h;
	m->len++;
	return value;
}
