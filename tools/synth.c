/*
 * synth: write synthetic lead data as CSV, shaped like raw_data.csv (same 19 columns, same
 * kinds of values and dirt), with a target that a model can learn from the features.
 */
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "util.h"

#define USAGE "usage: %s -n rows [--seed S] [--features N]\n"

static const char header[] =
        "lead_id,lead_indicator,date_part,is_active,marketing_consent,first_booking,"
        "existing_customer,last_seen,source,domain,country,visited_learn_more_before_booking,"
        "visited_faq,purchases,time_spent,customer_group,onboarding,customer_code,n_visits";

/* How often each kind of dirt appears: probability per row, or per value for numbers. */
#define P_EMPTY_TARGET 0.048 /* raw_data.csv: 592 of 12,345 */
#define P_EMPTY_ID     0.003
#define P_DATE_OUTSIDE 0.02  /* date_part in December 2023 or February 2024 */
#define P_OTHER_SOURCE 0.004 /* "referral": neither li, fb, organic nor signup */
#define P_EMPTY_CODE   0.005 /* raw_data.csv: 51 of 12,345 */
#define P_MISSING      0.01  /* an empty purchases, time_spent or n_visits */
#define P_MISSING_X    0.005 /* an empty x1..xN */
#define P_OUTLIER      0.002 /* purchases, time_spent or n_visits far out of range */

/*
 * The target: lead_indicator = 1 with probability 1 / (1 + exp(-L)),
 *   L = B0 + B_VISITS·(ln n_visits − 1.80)/0.80 + B_PURCHASES·(purchases − 5)/√5
 *       + B_TIME·(time_spent − 100)/10 + group_effect[customer_group] ± B_ONBOARD/2
 *       + Σ_j x_j·(−1)^(j+1)·B_X/j,
 * each term on a unit scale (1.80 and 0.80 are about the mean and sd of ln n_visits). B0 puts the
 * positive rate near raw_data.csv's 47%; a logistic regression and a tree model on the
 * cleaned signup rows both reach an F1 near 0.8, as they do on raw_data.csv.
 */
#define B0          -0.35
#define B_VISITS    2.4
#define B_PURCHASES 0.5
#define B_TIME      -0.4
#define B_ONBOARD   0.4
#define B_X         0.5
static const double group_effect[9] = {0, 0.5, -0.3, 0.2, -0.5, 0.35, -0.15, 0.6, -0.4};

#define MAX_FEATURES 10000
#define MAX_TABLE    256

/* A discrete distribution on 0, 1, 2, … sampled by inverting its cumulative table. */
struct discrete {
	double cdf[MAX_TABLE];
	int n;
};

static struct {
	long rows;
	uint64_t seed;
	long features;
} opt = {-1, 42, 0};

static struct discrete purchases_dist, visits_faq_dist;
static char outbuf[1 << 20];
static size_t outlen;

static void
out_flush(void)
{
	if (outlen && fwrite(outbuf, 1, outlen, stdout) != outlen)
		die("write error on stdout:");
	outlen = 0;
}

/* Room for at least n more bytes. */
static void
out_reserve(size_t n)
{
	if (outlen + n > sizeof outbuf)
		out_flush();
}

static void
out_bytes(const char *s, size_t n)
{
	out_reserve(n);
	memcpy(outbuf + outlen, s, n);
	outlen += n;
}

/* A string literal only: "" s fails to compile for anything else. */
#define out_lit(s) out_bytes("" s, sizeof("" s) - 1)

static void
out_char(char c)
{
	out_reserve(1);
	outbuf[outlen++] = c;
}

static void
out_uint(uint64_t v)
{
	char digits[20];
	int n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	out_reserve((size_t)n);
	while (n)
		outbuf[outlen++] = digits[--n];
}

/*
 * x rounded to a fixed number of decimals (at most 15, |x| < 9e18 / 10^decimals), printed
 * without trailing zeros: the rounding is integer arithmetic, so the text depends on x only.
 */
static void
out_fixed(double x, int decimals)
{
	static const uint64_t pow10[] = {1,
	                                 10,
	                                 100,
	                                 1000,
	                                 10000,
	                                 100000,
	                                 1000000,
	                                 10000000,
	                                 100000000,
	                                 1000000000,
	                                 10000000000,
	                                 100000000000,
	                                 1000000000000,
	                                 10000000000000,
	                                 100000000000000,
	                                 1000000000000000};
	uint64_t scaled, frac;
	char digits[16];

	scaled = (uint64_t)llround(fabs(x) * (double)pow10[decimals]);
	if (x < 0 && scaled != 0) /* no "-0" for a tiny negative */
		out_char('-');
	out_uint(scaled / pow10[decimals]);
	frac = scaled % pow10[decimals];
	if (frac == 0)
		return;
	while (frac % 10 == 0) {
		frac /= 10;
		decimals--;
	}
	for (int i = decimals - 1; i >= 0; i--) {
		digits[i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	out_char('.');
	out_bytes(digits, (size_t)decimals);
}

static void
discrete_init(struct discrete *d, const double *pmf, int n)
{
	double sum = 0;

	for (int k = 0; k < n; k++) {
		sum += pmf[k];
		d->cdf[k] = sum;
	}
	d->cdf[n - 1] = 1;
	d->n = n;
}

static int
discrete_draw(const struct discrete *d, struct rng *r)
{
	double u = rng_uniform(r);
	int k = 0;

	while (k < d->n - 1 && u >= d->cdf[k])
		k++;
	return k;
}

/* purchases ~ Poisson(5) (raw_data.csv: mean 5.0, sd 2.24); the visit counts ~ Geometric(0.2)
 * on 0, 1, … (mean 4, sd 4.5, as visited_faq and visited_learn_more_before_booking). */
static void
tables_init(void)
{
	double pmf[MAX_TABLE];

	pmf[0] = exp(-5.0);
	for (int k = 1; k < MAX_TABLE; k++)
		pmf[k] = pmf[k - 1] * 5.0 / k;
	discrete_init(&purchases_dist, pmf, 40);
	for (int k = 0; k < MAX_TABLE; k++)
		pmf[k] = 0.2 * pow(0.8, k);
	discrete_init(&visits_faq_dist, pmf, MAX_TABLE);
}

/* Gamma(shape, 1) for shape >= 1, Marsaglia and Tsang's method. */
static double
gamma_draw(struct rng *r, double shape)
{
	double d = shape - 1.0 / 3, c = 1 / sqrt(9 * d);

	for (;;) {
		double x = rng_normal(r), v = 1 + c * x, u;

		if (v <= 0)
			continue;
		v = v * v * v;
		u = rng_uniform(r);
		if (u < 1 - 0.0331 * x * x * x * x || log(u) < 0.5 * x * x + d * (1 - v + log(v)))
			return d * v;
	}
}

static int
chance(struct rng *r, double p)
{
	return rng_uniform(r) < p;
}

/* A date YYYY-MM-D with an unpadded day, as raw_data.csv writes them; mostly January 2024. */
static void
out_date(struct rng *r, double p_outside)
{
	if (p_outside > 0 && chance(r, p_outside)) {
		if (rng_below(r, 2)) {
			out_lit("2023-12-");
			out_uint(1 + rng_below(r, 31));
		} else {
			out_lit("2024-02-");
			out_uint(1 + rng_below(r, 29));
		}
		return;
	}
	out_lit("2024-01-");
	out_uint(1 + rng_below(r, 31));
}

static void
out_choice(struct rng *r, const char *const *names, uint64_t n)
{
	const char *s = names[rng_below(r, n)];

	out_bytes(s, strlen(s));
}

/* Ten capital letters from one 64-bit draw: each step takes the next base-26 digit of a
 * fraction in [0, 1) (bias below 26^10 / 2^64 ≈ 8e-6). */
static void
out_customer_code(struct rng *r)
{
	uint64_t x = rng_next_u64(r);
	char code[10];

	for (int i = 0; i < 10; i++) {
		uint64_t hi = (x >> 32) * 26, lo = (x & 0xffffffffu) * 26;

		code[i] = (char)('A' + ((hi + (lo >> 32)) >> 32));
		x = (hi << 32) + lo;
	}
	out_bytes(code, sizeof code);
}

/* The numbers that drive the target, drawn before any dirt is applied to them. */
struct lead {
	int purchases, group, onboarding;
	double time_spent, n_visits;
};

static double
logit(const struct lead *l, const double *x, long nx)
{
	double z = B0 + B_VISITS * (log(l->n_visits) - 1.80) / 0.80 +
	           B_PURCHASES * (l->purchases - 5) / sqrt(5.0) +
	           B_TIME * (l->time_spent - 100) / 10 + group_effect[l->group - 1] +
	           B_ONBOARD * (l->onboarding ? 0.5 : -0.5);

	for (long j = 0; j < nx; j++)
		z += x[j] * (j % 2 ? -B_X : B_X) / (double)(j + 1);
	return z;
}

/* A number, or empty when missing, or an outlier from [lo, hi) in its place. */
static void
out_dirty(struct rng *r, double v, double lo, double hi, int decimals)
{
	double u = rng_uniform(r);

	if (u < P_MISSING)
		return;
	if (u < P_MISSING + P_OUTLIER)
		v = lo + (hi - lo) * rng_uniform(r);
	if (decimals)
		out_fixed(v, decimals);
	else
		out_uint((uint64_t)v);
}

/* r draws the 19 columns of raw_data.csv; rx, a separate stream, draws x1..xN, so that the
 * extra columns leave the others unchanged except for the targets they influence. */
static void
write_row(struct rng *r, struct rng *rx, long id, double *x)
{
	static const char *const sources[] = {"li", "fb", "organic", "signup"};
	static const char *const domains[] = {".com", ".dk", ".cn"};
	static const char *const countries[] = {"US", "CN", "DK"};
	struct lead l;
	int target;

	l.purchases = discrete_draw(&purchases_dist, r);
	l.time_spent = 100 + 10 * rng_normal(r);
	l.n_visits = 1 + floor(5.5 * gamma_draw(r, 1.4));
	l.group = 1 + (int)rng_below(r, 9);
	l.onboarding = (int)rng_below(r, 2);
	for (long j = 0; j < opt.features; j++)
		x[j] = rng_normal(rx);
	target = rng_uniform(r) < 1 / (1 + exp(-logit(&l, x, opt.features)));

	if (!chance(r, P_EMPTY_ID))
		out_uint((uint64_t)id);
	out_char(',');
	if (!chance(r, P_EMPTY_TARGET))
		out_char(target ? '1' : '0');
	out_char(',');
	out_date(r, P_DATE_OUTSIDE);
	out_lit(",");
	out_char(rng_below(r, 2) ? '1' : '0');
	if (chance(r, 0.71))
		out_lit(",true,");
	else
		out_lit(",false,");
	out_date(r, 0);
	if (rng_below(r, 2))
		out_lit(",true,");
	else
		out_lit(",false,");
	out_date(r, 0);
	out_char(',');
	if (chance(r, P_OTHER_SOURCE))
		out_lit("referral");
	else
		out_choice(r, sources, 4);
	out_char(',');
	out_choice(r, domains, 3);
	out_char(',');
	out_choice(r, countries, 3);
	out_char(',');
	out_uint((uint64_t)discrete_draw(&visits_faq_dist, r));
	out_char(',');
	out_uint((uint64_t)discrete_draw(&visits_faq_dist, r));
	out_char(',');
	out_dirty(r, l.purchases, 20, 100, 0);
	out_char(',');
	out_dirty(r, l.time_spent, 200, 1000, 13);
	out_char(',');
	out_uint((uint64_t)l.group);
	if (l.onboarding)
		out_lit(",True,");
	else
		out_lit(",False,");
	if (!chance(r, P_EMPTY_CODE))
		out_customer_code(r);
	out_char(',');
	out_dirty(r, l.n_visits, 60, 300, 0);
	for (long j = 0; j < opt.features; j++) {
		out_char(',');
		if (!chance(rx, P_MISSING_X))
			out_fixed(x[j], 6);
	}
	out_char('\n');
}

static void
write_header(void)
{
	out_bytes(header, sizeof header - 1);
	for (long j = 1; j <= opt.features; j++) {
		out_lit(",x");
		out_uint((uint64_t)j);
	}
	out_char('\n');
}

static void
usage(void)
{
	fprintf(stderr, USAGE, progname);
	exit(EXIT_USAGE);
}

static void
help(void)
{
	printf(USAGE "  -n, --rows ROWS    number of data rows to write (required)\n"
	             "      --seed S       seed of the generator (default 42)\n"
	             "      --features N   add N numeric columns x1..xN (default 0)\n"
	             "  -h, --help         this help\n"
	             "  -V, --version      print the version\n",
	       progname);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"rows", required_argument, NULL, 'n'},     {"seed", required_argument, NULL, 's'},
	        {"features", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'},
	        {"version", no_argument, NULL, 'V'},        {NULL, 0, NULL, 0},
	};
	struct rng r, rx;
	double *x;
	int c;

	setprogname(argv[0]);
	signals_init();
	while ((c = getopt_long(argc, argv, "n:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			opt.rows = opt_long("-n", optarg, 0, LONG_MAX);
			break;
		case 's':
			opt.seed = (uint64_t)opt_long("--seed", optarg, 0, LONG_MAX);
			break;
		case 'f':
			opt.features = opt_long("--features", optarg, 0, MAX_FEATURES);
			break;
		case 'h':
			help();
			return 0;
		case 'V':
			printf("%s %s\n", progname, PIPEML_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind < argc)
		usage();
	if (opt.rows < 0)
		usage_die("-n rows is required");
	tables_init();
	rng_seed(&r, opt.seed);
	rx = r;
	rng_jump(&rx);
	x = xcalloc((size_t)opt.features + 1, sizeof *x);
	write_header();
	for (long i = 0; i < opt.rows; i++)
		write_row(&r, &rx, i, x);
	out_flush();
	fshut(stdout, "stdout");
	free(x);
	return 0;
}
