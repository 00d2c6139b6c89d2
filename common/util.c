#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

const char *progname = "pipeml";

void
setprogname(const char *argv0)
{
	const char *slash;

	if (argv0 == NULL || *argv0 == '\0')
		return;
	slash = strrchr(argv0, '/');
	progname = slash ? slash + 1 : argv0;
	/* Installed names carry a "pipeml-" prefix; messages use the tool's own name. */
	if (strncmp(progname, "pipeml-", 7) == 0 && progname[7] != '\0')
		progname += 7;
}

static void
vmessage(const char *fmt, va_list ap)
{
	int saved = errno;
	size_t len = strlen(fmt);

	fprintf(stderr, "%s: ", progname);
	vfprintf(stderr, fmt, ap);
	if (len > 0 && fmt[len - 1] == ':')
		fprintf(stderr, " %s", strerror(saved));
	fputc('\n', stderr);
}

/*
 * The first thread to fail holds this until the process exits: a second failure on another
 * thread (a tool reading on one thread and writing on another) waits for that exit, so one
 * message is printed and exit runs once.
 */
static pthread_mutex_t dying = PTHREAD_MUTEX_INITIALIZER;

void
die(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&dying);
	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	atomic_cleanup();
	exit(EXIT_DATA);
}

void
usage_die(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&dying);
	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	atomic_cleanup();
	exit(EXIT_USAGE);
}

void
warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
}

void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		die("out of memory allocating %zu bytes", size);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		die("out of memory allocating %zu × %zu bytes", n, size);
	return p;
}

void *
xreallocarray(void *ptr, size_t n, size_t size)
{
	void *p;

	if (size != 0 && n > SIZE_MAX / size)
		die("allocation of %zu × %zu bytes overflows", n, size);
	p = realloc(ptr, n != 0 && size != 0 ? n * size : 1);
	if (p == NULL)
		die("out of memory allocating %zu × %zu bytes", n, size);
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
fmtbuf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return buf;
}

/*
 * Temporary files not yet committed, so that die() and the signal handlers can remove them.
 * This is the one piece of process-wide state in common/: a signal handler has no other way
 * to find them.
 */
#define MAX_PENDING 16
static char *volatile pending[MAX_PENDING];

static void
pending_add(char *tmp)
{
	for (int i = 0; i < MAX_PENDING; i++) {
		if (pending[i] == NULL) {
			pending[i] = tmp;
			return;
		}
	}
}

static void
pending_remove(const char *tmp)
{
	for (int i = 0; i < MAX_PENDING; i++)
		if (pending[i] == tmp)
			pending[i] = NULL;
}

void
atomic_cleanup(void)
{
	for (int i = 0; i < MAX_PENDING; i++) {
		char *tmp = pending[i];

		if (tmp != NULL) {
			unlink(tmp); /* async-signal-safe */
			pending[i] = NULL;
		}
	}
}

int
atomic_open(struct atomic_file *af, const char *path)
{
	size_t len = strlen(path);
	struct stat st;
	int fd;

	/*
	 * A path naming a device, FIFO or socket (/dev/null, /dev/stdout) is written in place:
	 * renaming a temporary file over it would replace the node itself (as root, /dev/null).
	 */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		af->tmp = NULL;
		af->fp = fopen(path, "w");
		if (af->fp == NULL)
			return -1;
		af->path = xstrdup(path);
		return 0;
	}
	af->path = xstrdup(path);
	af->tmp = xmalloc(len + 16);
	memcpy(af->tmp, path, len);
	memcpy(af->tmp + len, ".tmp.XXXXXX", 12);
	fd = mkstemp(af->tmp);
	if (fd < 0)
		goto fail;
	pending_add(af->tmp);
	if (fchmod(fd, 0644) < 0 || (af->fp = fdopen(fd, "w")) == NULL) {
		int saved = errno;

		close(fd);
		unlink(af->tmp);
		pending_remove(af->tmp);
		errno = saved;
		goto fail;
	}
	return 0;
fail:
	free(af->path);
	free(af->tmp);
	af->path = af->tmp = NULL;
	af->fp = NULL;
	return -1;
}

int
atomic_commit(struct atomic_file *af)
{
	int rc = 0, saved = 0;

	if (af->tmp == NULL) { /* written in place: a device or FIFO, nothing to sync or rename */
		if (fflush(af->fp) != 0 || ferror(af->fp)) {
			rc = -1;
			saved = errno ? errno : EIO;
		}
		if (fclose(af->fp) != 0 && rc == 0) {
			rc = -1;
			saved = errno;
		}
		free(af->path);
		af->path = NULL;
		af->fp = NULL;
		errno = saved;
		return rc;
	}
	if (fflush(af->fp) != 0 || ferror(af->fp) || fsync(fileno(af->fp)) != 0) {
		rc = -1;
		saved = errno ? errno : EIO;
	}
	if (fclose(af->fp) != 0 && rc == 0) {
		rc = -1;
		saved = errno;
	}
	if (rc == 0 && rename(af->tmp, af->path) != 0) {
		rc = -1;
		saved = errno;
	}
	if (rc != 0)
		unlink(af->tmp);
	pending_remove(af->tmp);
	free(af->tmp);
	free(af->path);
	af->tmp = af->path = NULL;
	af->fp = NULL;
	errno = saved;
	return rc;
}

void
atomic_abort(struct atomic_file *af)
{
	if (af->fp == NULL)
		return;
	fclose(af->fp);
	if (af->tmp == NULL) {
		free(af->path);
		af->path = NULL;
		af->fp = NULL;
		return;
	}
	unlink(af->tmp);
	pending_remove(af->tmp);
	free(af->tmp);
	free(af->path);
	af->tmp = af->path = NULL;
	af->fp = NULL;
}

static void
on_fatal_signal(int sig)
{
	atomic_cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

void
signals_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_fatal_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* SIGPIPE: die quietly as a filter should when the reader goes away. */
	sigaction(SIGPIPE, &sa, NULL);
}

void
fshut(FILE *fp, const char *name)
{
	int bad = 0;

	if (fflush(fp) != 0)
		bad = 1;
	if (ferror(fp))
		bad = 1;
	if (bad) {
		if (errno == EPIPE)
			exit(141);
		die("write error on %s:", name);
	}
}

FILE *
open_input(const char *path, const char **name)
{
	FILE *fp;
	struct stat st;

	if (path == NULL || strcmp(path, "-") == 0) {
		*name = "stdin";
		fp = stdin;
	} else {
		*name = path;
		fp = fopen(path, "rb");
		if (fp == NULL)
			die("%s:", path);
	}
	if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode))
		die("%s: is a directory", *name);
	return fp;
}

/* Exact powers of ten as long double: 10^k is exact for k <= 27 (5^27 < 2^64). */
static const long double pow10_exact[] = {
        1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,  1e8L,  1e9L,
        1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L,
        1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L,
};

/* The same up to 10^22, the last power of ten a double holds exactly. */
static const double pow10_f64[] = {
        1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static int
parse_f64_slow(const char *s, size_t len, double *out)
{
	char buf[512];
	char *end;
	double x;

	if (len >= sizeof buf)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	x = strtod(buf, &end);
	if (end != buf + len)
		return -1;
	if (errno == ERANGE && isinf(x))
		return -2;
	*out = x;
	return 0;
}

/*
 * Whether the long double x, the correctly rounded result of one operation on exact
 * operands, rounds to the same double as the exact value: always, unless x lies exactly
 * halfway between two doubles (the exact value may then be on either side of the midpoint).
 */
static int
rounds_safely(long double x)
{
	double d = (double)x, half;
	long double r = fabsl(x - (long double)d);
	uint64_t bits;

	/* |x| lies in [1e-27, 1e47] here: d is normal and half an ulp of it is too, 2^(e−53);
	 * below a power of two the gap is half as wide, so a quarter ulp counts as well */
	memcpy(&bits, &d, sizeof bits);
	bits = (bits & ((uint64_t)0x7ff << 52)) - ((uint64_t)53 << 52);
	memcpy(&half, &bits, sizeof half);
	return r != half && r != half / 2;
}

/*
 * Correctly rounded, as strtod. The common cases: a significand up to 2^53 and a power of
 * ten up to 10^22 (Clinger's fast path: one double operation on exact operands); up to 19
 * significant digits and 10^27, one long double operation on exact operands (64-bit
 * significands), rounded once more to double, unless it lands exactly halfway between two
 * doubles. Anything else goes to strtod. The grammar is checked here in full, so strtod
 * never sees hex, inf or nan.
 */
int
parse_f64(const char *s, size_t len, double *out)
{
	const char *p = s, *end = s + len;
	uint64_t mant = 0;
	int ndigits = 0, exp10 = 0, neg = 0, any = 0, exact = 1;

	if (p < end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	while (p < end && *p == '0') {
		p++;
		any = 1;
	}
	for (; p < end && *p >= '0' && *p <= '9'; p++, any = 1) {
		if (ndigits < 19) {
			mant = mant * 10 + (uint64_t)(*p - '0');
			ndigits += mant != 0;
		} else {
			exp10++;
			exact = 0;
		}
	}
	if (p < end && *p == '.') {
		p++;
		for (; p < end && *p >= '0' && *p <= '9'; p++, any = 1) {
			if (ndigits < 19) {
				mant = mant * 10 + (uint64_t)(*p - '0');
				ndigits += mant != 0;
				exp10--;
			} else {
				exact = 0;
			}
		}
	}
	if (!any)
		return -1;
	if (p < end && (*p == 'e' || *p == 'E')) {
		int eneg = 0, e = 0, edigits = 0;

		p++;
		if (p < end && (*p == '-' || *p == '+'))
			eneg = *p++ == '-';
		for (; p < end && *p >= '0' && *p <= '9'; p++, edigits++)
			if (e < 100000)
				e = e * 10 + (*p - '0');
		if (edigits == 0)
			return -1;
		exp10 += eneg ? -e : e;
	}
	if (p != end)
		return -1;
	if (!exact || exp10 > 27 || exp10 < -27)
		return parse_f64_slow(s, len, out);
	if (mant <= (UINT64_C(1) << 53) && exp10 <= 22 && exp10 >= -22) {
		/* Clinger's fast path: exact operands, one correctly rounded operation */
		double x = (double)mant;

		if (exp10 >= 0)
			x *= pow10_f64[exp10];
		else
			x /= pow10_f64[-exp10];
		*out = neg ? -x : x;
		return 0;
	}
#if LDBL_MANT_DIG >= 64
	{
		long double x = (long double)mant;

		if (exp10 >= 0)
			x *= pow10_exact[exp10];
		else
			x /= pow10_exact[-exp10];
		if (!rounds_safely(x))
			return parse_f64_slow(s, len, out);
		*out = neg ? -(double)x : (double)x;
	}
#else
	return parse_f64_slow(s, len, out);
#endif
	return 0;
}

int
parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -2;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int
parse_i64(const char *s, size_t len, int64_t *out)
{
	uint64_t v;
	int neg = 0, rc;

	if (len > 0 && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		s++;
		len--;
	}
	if ((rc = parse_u64(s, len, &v)) != 0)
		return rc;
	if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
		return -2;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

double
opt_f64(const char *opt, const char *arg)
{
	double x;

	if (parse_f64(arg, strlen(arg), &x) != 0 || !isfinite(x))
		usage_die("%s: invalid number '%s'", opt, arg);
	return x;
}

long
opt_long(const char *opt, const char *arg, long min, long max)
{
	int64_t v;

	if (parse_i64(arg, strlen(arg), &v) != 0)
		usage_die("%s: invalid integer '%s'", opt, arg);
	if (v < min || v > max)
		usage_die("%s: %s is out of range [%ld, %ld]", opt, arg, min, max);
	return (long)v;
}

/* The shortest of %.15g, %.16g and %.17g that reads back as x, through snprintf and strtod. */
static int
format_f64_slow(char *buf, size_t size, double x)
{
	for (int prec = 15; prec < 17; prec++) {
		int n = snprintf(buf, size, "%.*g", prec, x);

		if (n > 0 && (size_t)n < size && strtod(buf, NULL) == x)
			return n;
	}
	return snprintf(buf, size, "%.17g", x);
}

#ifdef __SIZEOF_INT128__
/*
 * The same digits without snprintf or strtod, exactly, for 2^-16 < |x| < 10^15 (the range of
 * probabilities and most data), x = m·2^-q with m < 2^53 and 0 < q <= 68: the P significant
 * digits of x are x·10^n rounded (ties to even, as printf) for n = P − 1 − X, computed in
 * 128-bit integers; whether they read back as x is an exact comparison with the interval of
 * reals that strtod rounds to x. Outside that range, format_f64_slow.
 */
typedef unsigned __int128 u128;

static const uint64_t pow10_u64[] = {
        1u,
        10u,
        100u,
        1000u,
        10000u,
        100000u,
        1000000u,
        10000000u,
        100000000u,
        1000000000u,
        10000000000u,
        100000000000u,
        1000000000000u,
        10000000000000u,
        100000000000000u,
        1000000000000000u,
        10000000000000000u,
        100000000000000000u,
        1000000000000000000u,
        10000000000000000000u,
};

static u128
pow10_u128(int n)
{
	return n <= 19 ? (u128)pow10_u64[n] : (u128)pow10_u64[19] * pow10_u64[n - 19];
}

/* m·2^-q·10^n rounded to an integer, ties to even; *trunc gets it truncated. */
static uint64_t
scaled_digits(uint64_t m, int q, int n, uint64_t *trunc)
{
	u128 v = (u128)m * pow10_u128(n), d = v >> q, r = v & (((u128)1 << q) - 1);
	u128 half = (u128)1 << (q - 1);

	*trunc = (uint64_t)d;
	if (r > half || (r == half && (d & 1)))
		d++;
	return (uint64_t)d;
}

/* Whether d·10^-n reads back (round to nearest, ties to even) as m·2^-q. */
static int
reads_back(uint64_t d, int n, uint64_t m, int q)
{
	/* everything times 2^(q+2)·10^n: x is 4m·10^n; its neighbours are 4·10^n away, or
	 * 2·10^n below for m = 2^52 (the binade below is twice as fine) */
	u128 p = pow10_u128(n), v = (u128)d << (q + 2), x = (u128)m * p * 4;
	u128 up = p * 2, down = m == (uint64_t)1 << 52 ? p : p * 2;

	if (v >= x)
		return v - x < up || (v - x == up && !(m & 1));
	return x - v < down || (x - v == down && !(m & 1));
}

/* %.Pg of the P digits d (leading digit nonzero) with decimal exponent e: trailing zeros
 * and a bare point dropped, exponents of two digits at least. */
static int
print_digits(char *buf, size_t size, int neg, uint64_t d, int P, int e)
{
	char dig[24] = {0}, out[48];
	int k = P, len = 0;

	for (int i = P - 1; i >= 0; i--, d /= 10)
		dig[i] = (char)('0' + d % 10);
	while (k > 1 && dig[k - 1] == '0')
		k--;
	if (neg)
		out[len++] = '-';
	if (e < -4 || e >= P) {
		out[len++] = dig[0];
		if (k > 1) {
			out[len++] = '.';
			memcpy(out + len, dig + 1, (size_t)(k - 1));
			len += k - 1;
		}
		len += snprintf(out + len, sizeof out - (size_t)len, "e%c%02d", e < 0 ? '-' : '+',
		                e < 0 ? -e : e);
	} else if (e >= 0) {
		for (int i = 0; i <= e; i++)
			out[len++] = i < k ? dig[i] : '0';
		if (k > e + 1) {
			out[len++] = '.';
			memcpy(out + len, dig + e + 1, (size_t)(k - e - 1));
			len += k - e - 1;
		}
	} else {
		out[len++] = '0';
		out[len++] = '.';
		for (int i = 0; i < -e - 1; i++)
			out[len++] = '0';
		memcpy(out + len, dig, (size_t)k);
		len += k;
	}
	out[len] = '\0';
	if ((size_t)len < size)
		memcpy(buf, out, (size_t)len + 1);
	else if (size > 0) {
		memcpy(buf, out, size - 1);
		buf[size - 1] = '\0';
	}
	return len;
}

static int
format_f64_fast(char *buf, size_t size, double x)
{
	uint64_t bits, m, t;
	int q, e;

	memcpy(&bits, &x, sizeof bits);
	q = 1075 - (int)((bits >> 52) & 0x7ff);
	if (q < 1 || q > 68 || !(fabs(x) < 1e15))
		return -1;
	m = (bits & (((uint64_t)1 << 52) - 1)) | (uint64_t)1 << 52;
	/* X = floor(log10 |x|), made exact by the truncated 17 digits */
	e = (int)floor(log10(fabs(x)));
	for (int tries = 0; tries < 3; tries++) {
		if (16 - e < 0 || 16 - e > 20)
			return -1;
		scaled_digits(m, q, 16 - e, &t);
		if (t < pow10_u64[16])
			e--;
		else if (t >= pow10_u64[17])
			e++;
		else
			break;
	}
	if (t < pow10_u64[16] || t >= pow10_u64[17] || 14 - e < 0)
		return -1;
	for (int P = 15; P <= 17; P++) {
		int n = P - 1 - e, pe = e;
		uint64_t d = scaled_digits(m, q, n, &t);

		if (P < 17 && !reads_back(d, n, m, q))
			continue;
		if (d == pow10_u64[P]) { /* rounded up to the next power of ten */
			d = pow10_u64[P - 1];
			pe++;
		}
		return print_digits(buf, size, x < 0, d, P, pe);
	}
	return -1; /* not reached: 17 digits always read back */
}
#else
static int
format_f64_fast(char *buf, size_t size, double x)
{
	(void)buf;
	(void)size;
	(void)x;
	return -1;
}
#endif

int
format_f64(char *buf, size_t size, double x)
{
	int n;

	if (isnan(x))
		return snprintf(buf, size, "nan");
	if (isinf(x))
		return snprintf(buf, size, x < 0 ? "-inf" : "inf");
	if (x == 0)
		return snprintf(buf, size, signbit(x) ? "-0" : "0");
	if ((n = format_f64_fast(buf, size, x)) >= 0)
		return n;
	return format_f64_slow(buf, size, x);
}

long
online_cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? n : 1;
}
