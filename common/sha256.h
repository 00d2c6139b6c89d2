/* sha256.h: SHA-256 (FIPS 180-4), incremental. */
#ifndef PIPEML_SHA256_H
#define PIPEML_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len; /* bytes hashed so far */
	unsigned char block[64];
	size_t fill;
};

void sha256_init(struct sha256 *s);
/* Use the processor's SHA instructions when enable and it has them (the default), the
 * portable code otherwise; returns 1 when the instructions are in use. For tests. */
int sha256_use_hardware(int enable);
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* The digest as 64 lowercase hex digits and a NUL. */
void sha256_hex(struct sha256 *s, char hex[65]);

#endif
