/* strmap.h: a map from byte strings to indices (open addressing, FNV-1a). */
#ifndef PIPEML_STRMAP_H
#define PIPEML_STRMAP_H

#include <stddef.h>

/* Keys are copied; values are size_t. */
struct strmap {
	size_t cap, len;
	struct strmap_slot *slots;
};

void strmap_init(struct strmap *m);
void strmap_free(struct strmap *m);
/* Value of key, or -1 when absent. */
long strmap_get(const struct strmap *m, const char *key, size_t keylen);
/* Insert key -> value if absent; returns the value now stored (the old one if present). */
size_t strmap_put(struct strmap *m, const char *key, size_t keylen, size_t value);

#endif
