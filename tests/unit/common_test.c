/* common_test: unit tests of common/ (numbers, the string map, CSV input, atomic files). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "csvin.h"
#include "rng.h"
#include "sha256.h"
#include "strmap.h"
#include "util.h"

static void
test_parse_f64(void)
{
	static const char *const good[] = {
	        "0",
	        "-0",
	        "1",
	        "-1.5",
	        "3.14159",
	        "1e10",
	        "1E-10",
	        "+2.5e+3",
	        ".5",
	        "5.",
	        "115.06439854454193",
	        "0.000000000000000000000000000123",
	        "1e308",
	        "4.9e-324",
	        "123456789012345678901234567890",
	        "2.2250738585072014e-308",
	        "0.1",
	        "9007199254740993",
	        "-0.2520046490037747", /* its long double quotient lies halfway between doubles */
	};
	static const char *const bad[] = {"",   "-",   ".",   "e5",  "1e",    "1e+", "0x10", " 5",
	                                  "5 ", "nan", "inf", "1,5", "1.2.3", "--1", "1e5x"};
	double x;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		double want = strtod(good[i], NULL);

		CHECK(parse_f64(good[i], strlen(good[i]), &x) == 0);
		CHECK(memcmp(&x, &want, sizeof x) == 0);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(parse_f64(bad[i], strlen(bad[i]), &x) == -1);
	CHECK(parse_f64("1e400", 5, &x) == -2);
	CHECK(parse_f64("-1e400", 6, &x) == -2);
	CHECK(parse_f64("-0", 2, &x) == 0 && x == 0 && signbit(x));
	/*
	 * strtod's double, bit for bit, on many random decimal strings: fixed-point ones, and
	 * 15 to 19 significant digits (Python's repr and printf's %.17g write up to 17).
	 */
	srand(7);
	for (int i = 0; i < 400000; i++) {
		char buf[64];
		double v = ((double)rand() / RAND_MAX - 0.5) * pow(10, rand() % 12 - 4), want;
		int n = i % 2 ? snprintf(buf, sizeof buf, "%.*f", rand() % 17, v)
		              : snprintf(buf, sizeof buf, "%.*g", 15 + rand() % 5, v);

		want = strtod(buf, NULL);
		CHECK(parse_f64(buf, (size_t)n, &x) == 0);
		CHECK(memcmp(&x, &want, sizeof x) == 0);
	}
}

static void
test_numbers(void)
{
	int64_t i;
	uint64_t u;
	char buf[64];
	double vals[] = {0.1, 1.0 / 3, 1e-300, 123456789.125, -2.5, 1e21, 5e-324};

	CHECK(parse_i64("-9223372036854775808", 20, &i) == 0 && i == INT64_MIN);
	CHECK(parse_i64("9223372036854775808", 19, &i) == -2);
	CHECK(parse_u64("18446744073709551615", 20, &u) == 0 && u == UINT64_MAX);
	CHECK(parse_u64("18446744073709551616", 20, &u) == -2);
	CHECK(parse_u64("12a", 3, &u) == -1);
	for (size_t k = 0; k < sizeof vals / sizeof vals[0]; k++) {
		format_f64(buf, sizeof buf, vals[k]);
		CHECK(strtod(buf, NULL) == vals[k]);
	}
	format_f64(buf, sizeof buf, 0.1);
	CHECK(strcmp(buf, "0.1") == 0);
	format_f64(buf, sizeof buf, 2.5);
	CHECK(strcmp(buf, "2.5") == 0);
}

/* format_f64 against the definition: the shortest of %.15g, %.16g, %.17g that strtod reads
 * back as x, for values of every kind in and around the range of its exact fast path. */
static void
ref_format(char *buf, size_t size, double x)
{
	for (int prec = 15; prec < 17; prec++) {
		snprintf(buf, size, "%.*g", prec, x);
		if (strtod(buf, NULL) == x)
			return;
	}
	snprintf(buf, size, "%.17g", x);
}

static void
check_format(double x, int *bad)
{
	char got[64], want[64];

	if (!isfinite(x) || x == 0)
		return;
	format_f64(got, sizeof got, x);
	ref_format(want, sizeof want, x);
	if (strcmp(got, want) != 0 && (*bad)++ < 5)
		fprintf(stderr, "format_f64(%a): '%s', expected '%s'\n", x, got, want);
}

static void
test_format_f64(void)
{
	struct rng r;
	int bad = 0;
	char buf[8];

	rng_seed(&r, 7);
	for (int k = 0; k < 200000; k++) {
		uint64_t bits = rng_next_u64(&r);
		double x;
		/* any mantissa, binary exponents from 2^-24 to 2^55, both signs */
		int ex = 1023 - 24 + (int)rng_below(&r, 80);

		bits = (bits & 0x800fffffffffffffu) | (uint64_t)ex << 52;
		memcpy(&x, &bits, sizeof x);
		check_format(x, &bad);
		/* short decimals, probabilities, their neighbours */
		x = (double)rng_below(&r, 100000) / pow(10, (double)rng_below(&r, 12));
		check_format(x, &bad);
		check_format(nextafter(x, 0), &bad);
		check_format(nextafter(x, INFINITY), &bad);
		x = 1 / (1 + exp(-8 * rng_normal(&r)));
		check_format(x, &bad);
	}
	for (int e = -30; e <= 60; e++) {
		double p2 = ldexp(1, e), p10 = pow(10, e / 2.0 - 5);

		check_format(p2, &bad);
		check_format(nextafter(p2, 0), &bad);
		check_format(nextafter(p2, INFINITY), &bad);
		check_format(p10, &bad);
		check_format(nextafter(p10, 0), &bad);
		check_format(nextafter(p10, INFINITY), &bad);
		check_format(-p10, &bad);
	}
	check_format(0.125, &bad);
	check_format(999999999999999.9, &bad);
	check_format(99999999999999.99, &bad);
	check_format(9.9999999999999995e-5, &bad);
	CHECK(bad == 0);
	/* a buffer too small gets what fits, and the full length is returned */
	CHECK(format_f64(buf, sizeof buf, 0.123456789) == 11 && strcmp(buf, "0.12345") == 0);
}

/* SHA-256: FIPS 180-4's examples, and the processor's instructions (when it has them)
 * against the portable code on every length from 0 to 300 and a few large ones. */
static void
test_sha256(void)
{
	static unsigned char data[100000];
	struct sha256 s;
	char hex[65], hw[65];
	struct rng r;

	sha256_init(&s);
	sha256_update(&s, "abc", 3);
	sha256_hex(&s, hex);
	CHECK(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0);
	sha256_init(&s);
	sha256_update(&s, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56);
	sha256_hex(&s, hex);
	CHECK(strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1") == 0);
	rng_seed(&r, 3);
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)rng_below(&r, 256);
	for (size_t len = 0; len <= 100000; len = len < 300 ? len + 1 : len * 3 + 7) {
		int on = sha256_use_hardware(1);

		sha256_init(&s);
		sha256_update(&s, data, len / 3);
		sha256_update(&s, data + len / 3, len - len / 3);
		sha256_hex(&s, hw);
		sha256_use_hardware(0);
		sha256_init(&s);
		sha256_update(&s, data, len);
		sha256_hex(&s, hex);
		CHECK(strcmp(hex, hw) == 0);
		if (len == 0)
			printf("sha256: %s\n",
			       on ? "SHA instructions checked against the portable code"
			          : "no SHA instructions here: portable code only");
	}
	sha256_use_hardware(1);
}

static void
test_strmap(void)
{
	struct strmap m;
	char key[32];

	strmap_init(&m);
	CHECK(strmap_get(&m, "a", 1) == -1);
	for (size_t i = 0; i < 10000; i++) {
		int n = snprintf(key, sizeof key, "k%zu", i);

		CHECK(strmap_put(&m, key, (size_t)n, i) == i);
	}
	CHECK(strmap_put(&m, "k5", 2, 99) == 5);
	for (size_t i = 0; i < 10000; i += 97) {
		int n = snprintf(key, sizeof key, "k%zu", i);

		CHECK(strmap_get(&m, key, (size_t)n) == (long)i);
	}
	CHECK(strmap_get(&m, "k", 1) == -1);
	CHECK(strmap_get(&m, "", 0) == -1);
	strmap_free(&m);
}

struct collect {
	char out[4096];
	size_t len;
};

static int
collect_row(void *ctx, const struct csv_row *row)
{
	struct collect *c = ctx;

	c->len += (size_t)snprintf(c->out + c->len, sizeof c->out - c->len,
	                           "%llu:", (unsigned long long)row->line);
	for (size_t i = 0; i < row->nfields; i++)
		c->len += (size_t)snprintf(c->out + c->len, sizeof c->out - c->len, "[%s]",
		                           row->fields[i]);
	c->len += (size_t)snprintf(c->out + c->len, sizeof c->out - c->len, "\n");
	return 0;
}

/* Parse text as CSV; return the collected rows, or "ERR:" and the message. */
static const char *
parse_csv(const char *text, size_t len, int ragged_ok)
{
	static struct collect c;
	struct csvin_opts opts = {.ragged_ok = ragged_ok, .chunk_size = 3, .max_field = 64};
	char err[256];
	FILE *fp = fmemopen((void *)text, len, "r");

	memset(&c, 0, sizeof c);
	if (csvin_read(fp, "t", &opts, collect_row, &c, err, sizeof err) != 0)
		snprintf(c.out, sizeof c.out, "ERR:%s", err);
	fclose(fp);
	return c.out;
}

#define CSV_IS(text, want) CHECK(strcmp(parse_csv(text, sizeof text - 1, 0), want) == 0)

static void
test_csvin(void)
{
	CSV_IS("a,b\n1,2\n", "1:[a][b]\n2:[1][2]\n");
	CSV_IS("a,b\r\n1,2\r\n3,4", "1:[a][b]\n2:[1][2]\n3:[3][4]\n");
	CSV_IS("a,b\r1,2\r", "1:[a][b]\n2:[1][2]\n");
	/* a lone CR then a record ended by LF: the LF ends that record, it is no CRLF */
	CSV_IS("a,b\n1,2\r3,4\n5,6\n", "1:[a][b]\n2:[1][2]\n3:[3][4]\n4:[5][6]\n");
	CSV_IS("a,b\r\n1,2\r3,4\n", "1:[a][b]\n2:[1][2]\n3:[3][4]\n");
	CSV_IS("\xef\xbb\xbf"
	       "a,b\n1,2\n",
	       "1:[a][b]\n2:[1][2]\n");
	CSV_IS("a,b\n\"x,\"\"y\"\"\nz\", 2 \n3,4\n", "1:[a][b]\n2:[x,\"y\"\nz][ 2 ]\n4:[3][4]\n");
	CSV_IS("a,b\n\n1,2\n", "1:[a][b]\n3:[1][2]\n");
	CSV_IS("a,b\n1,2,3\n", "ERR:t:2: 3 fields where the header has 2");
	CSV_IS("a,b\n1,\"2\n", "ERR:t:2: unterminated quoted field at end of input");
	CSV_IS("", "ERR:t:1: empty input: expected a header line");
	CSV_IS("a,b\n1,\"x\"y\n", "ERR:t:2: malformed CSV: error parsing data while strict "
	                          "checking enabled (a quote inside an unquoted field, or text "
	                          "after a closing quote)");
	CSV_IS("a,b\n1,xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
	       "ERR:t:2: field 2 is longer than 64 bytes");
	CHECK(strcmp(parse_csv("a,b\n1,\0\n", 8, 0), "ERR:t:2: field 2 holds a NUL byte") == 0);
	CHECK(strcmp(parse_csv("a,b\n1\n", 6, 1), "1:[a][b]\n2:[1]\n") == 0);
}

static void
test_atomic(void)
{
	char dir[] = "/tmp/pipeml-atomic-XXXXXX", path[256], buf[16];
	struct atomic_file af;
	FILE *fp;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/out", dir);
	CHECK(atomic_open(&af, path) == 0);
	fputs("hello", af.fp);
	CHECK(access(path, F_OK) != 0);
	CHECK(atomic_commit(&af) == 0);
	fp = fopen(path, "r");
	CHECK(fp && fgets(buf, sizeof buf, fp) && strcmp(buf, "hello") == 0);
	if (fp)
		fclose(fp);
	CHECK(atomic_open(&af, path) == 0);
	fputs("bye", af.fp);
	atomic_abort(&af);
	fp = fopen(path, "r");
	CHECK(fp && fgets(buf, sizeof buf, fp) && strcmp(buf, "hello") == 0);
	if (fp)
		fclose(fp);
	unlink(path);
	CHECK(rmdir(dir) == 0); /* nothing else left in it */
	snprintf(path, sizeof path, "%s/missing/out", dir);
	CHECK(atomic_open(&af, path) == -1 && errno == ENOENT);
}

int
main(int argc, char **argv)
{
	(void)argc;
	setprogname(argv[0]);
	test_parse_f64();
	test_numbers();
	test_format_f64();
	test_sha256();
	test_strmap();
	test_csvin();
	test_atomic();
	return check_summary();
}
