/* util.h: errors, checked allocation, atomic output files, number parsing. */
#ifndef PIPEML_UTIL_H
#define PIPEML_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses shared by every tool (pipeml(7)). */
enum { EXIT_OK = 0, EXIT_DATA = 1, EXIT_USAGE = 2 };

/*
 * Two doubles as one vector (GCC's and clang's vector extension: SSE2 on x86-64): an
 * operation on it is the same IEEE operation on each lane, done at once. Loads and stores
 * through it need only a double's alignment.
 */
typedef double f64x2 __attribute__((vector_size(16), aligned(8), may_alias));
/* A comparison of two f64x2 gives each lane all ones (true) or zero: a mask for f64x2_select. */
typedef long long i64x2 __attribute__((vector_size(16), aligned(8), may_alias));

/* Lane by lane: mask ? a : b, without a branch. */
static inline f64x2
f64x2_select(i64x2 mask, f64x2 a, f64x2 b)
{
	return (f64x2)((mask & (i64x2)a) | (~mask & (i64x2)b));
}

#ifndef PIPEML_VERSION
#define PIPEML_VERSION "0.0.0"
#endif

/* The program name used to prefix every diagnostic; set once from argv[0] by setprogname(). */
extern const char *progname;
void setprogname(const char *argv0);

/*
 * die() prints "progname: message" to stderr and exits EXIT_DATA; when fmt ends in ':' it
 * appends ": strerror(errno)". usage_die() does the same with EXIT_USAGE.
 * warn() prints the same way and returns.
 */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void usage_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Checked allocation: die on overflow or out of memory. Never return NULL. */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *ptr, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Snprintf into a buffer, truncating silently; returns buf. */
char *fmtbuf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * errf(err, errsize, fmt, ...): the message into err, and the value -1, for a library
 * function's `return errf(err, errsize, ...)`. A macro, not a function, so that the static
 * analyzer (make analyze), which does not follow variadic calls, sees the -1.
 */
#define errf(err, errsize, ...) (fmtbuf((err), (errsize), __VA_ARGS__), -1)

/*
 * Atomic output: atomic_open() creates a temporary file beside path (same directory) and
 * returns a stream on it; atomic_commit() flushes, fsyncs, closes and renames it over path;
 * atomic_abort() closes and removes it. Both return 0 or -1 with errno set. A temporary
 * file is also removed by atomic_cleanup(), which tools call from their exit and signal
 * paths, so a failing tool leaves nothing behind. A path that names a device, FIFO or
 * socket (/dev/null, /dev/stdout) is opened and written in place instead.
 */
struct atomic_file {
	FILE *fp;
	char *path;
	char *tmp;
};
int atomic_open(struct atomic_file *af, const char *path);
int atomic_commit(struct atomic_file *af);
void atomic_abort(struct atomic_file *af);
void atomic_cleanup(void);

/*
 * Install handlers so that SIGINT, SIGTERM and SIGHUP remove pending atomic files before the
 * process dies, and SIGPIPE ends the tool quietly (exit 141, as the shell reports it).
 */
void signals_init(void);

/*
 * Finish writing fp (named name for messages): flush and check for errors, like sbase's
 * fshut(). Returns 0 or dies with a message.
 */
void fshut(FILE *fp, const char *name);

/* Open an operand: NULL or "-" is stdin. Dies with the file name on failure. */
FILE *open_input(const char *path, const char **name);

/*
 * Strict number parsing: the whole string must be the number (no spaces). parse_f64
 * accepts decimal and exponent forms, "nan"/"inf" only when allow_special; 0x forms never.
 * Return 0 on success, -1 on a malformed value, -2 on overflow (|x| too large).
 */
int parse_f64(const char *s, size_t len, double *out);
int parse_i64(const char *s, size_t len, int64_t *out);
int parse_u64(const char *s, size_t len, uint64_t *out);

/* Option argument helpers: die with EXIT_USAGE naming the option when invalid. */
double opt_f64(const char *opt, const char *arg);
long opt_long(const char *opt, const char *arg, long min, long max);
/* The default of -j: the cores online (at least 1). */
long online_cores(void);

/* Print a double so that it reads back exactly, in the shortest such form. */
int format_f64(char *buf, size_t size, double x);

/* Little-endian load/store, independent of the host's byte order. */
static inline uint64_t
load_le64(const unsigned char *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
	       (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
	       (uint64_t)p[7] << 56;
}

static inline uint32_t
load_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void
store_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

#endif
