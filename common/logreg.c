/* logreg.c: logistic regression solvers (see logreg.h for the objective). */
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "logreg.h"
#include "util.h"

/*
 * Passes over the rows run in fixed blocks of BLOCK_ROWS rows whose partial sums are added
 * in block order, so a fit gives the same bits whatever the number of threads.
 */
#define BLOCK_ROWS 16384

/*
 * Up to this many parameters the smooth solver forms the Hessian (p²/2 per row and pass);
 * above, it runs conjugate gradients on Hessian-vector products (2p per row and CG step),
 * preconditioned by the Hessian of a sample of the rows (every k-th row, about
 * PRECOND_ROWS_PER_PARAM·p + n/PRECOND_FRACTION of them: p²/2 per sampled row, once per
 * Newton step).
 */
#define HESSIAN_MAX_PARAMS     48
#define PRECOND_ROWS_PER_PARAM 32
#define PRECOND_FRACTION       64

/* The problem as the solvers see it: θ = (w, b) with p = nf (+ 1 for the intercept). */
struct problem {
	const double *x; /* n × nf, row-major */
	const double *y;
	size_t n, nf, p;
	int intercept;
	double weight[2];   /* C·sᵢ for class 0 and class 1 */
	unsigned char *pen; /* p: 1 for a penalised parameter */
	double l1, l2;      /* coefficients of ‖θ_pen‖₁ and ½‖θ_pen‖² */
	int threads;
	size_t nblocks;
	double *z;    /* n: θᵀxᵢ at the current point */
	double *xd;   /* n: dᵀxᵢ for the search direction d */
	double *znew; /* n: zᵢ + xdᵢ at the full step, the next z when it is taken */
	double *dw; /* n: cᵢσ(zᵢ)(1 − σ(zᵢ)) when the Hessian is not formed, else NULL */
	double *diag; /* p: then the Hessian's diagonal (the l2 term included) */
};

/* log(1 + exp(−t)) without overflow */
static double
log1pexp_neg(double t)
{
	return t > 0 ? log1p(exp(-t)) : -t + log1p(exp(t));
}

/* σ(z) = 1 / (1 + e^−z) */
static double
sigmoid(double z)
{
	if (z >= 0)
		return 1 / (1 + exp(-z));
	double e = exp(z);
	return e / (1 + e);
}

/*
 * θᵀxᵢ (+ b): four partial sums s0..s3 (s_k of the features j ≡ k mod 4, in two vectors),
 * so that the additions do not wait on each other; then (s0 + s1) + (s2 + s3).
 */
static double
row_dot(const struct problem *pb, const double *theta, size_t i)
{
	const double *xi = pb->x + i * pb->nf;
	f64x2 s01 = {0, 0}, s23 = {0, 0};
	double s0;
	size_t j = 0;

	for (; j + 4 <= pb->nf; j += 4) {
		s01 += *(const f64x2 *)&xi[j] * *(const f64x2 *)&theta[j];
		s23 += *(const f64x2 *)&xi[j + 2] * *(const f64x2 *)&theta[j + 2];
	}
	s0 = s01[0];
	for (; j < pb->nf; j++)
		s0 += xi[j] * theta[j];
	return (s0 + s01[1]) + (s23[0] + s23[1]) + (pb->intercept ? theta[pb->nf] : 0);
}

/* y[j] = a·x[j] for j < n, two at a time */
static void
copy_scaled(size_t n, double a, const double *x, double *y)
{
	const f64x2 a2 = {a, a};
	size_t j = 0;

	for (; j + 2 <= n; j += 2)
		*(f64x2 *)&y[j] = a2 * *(const f64x2 *)&x[j];
	for (; j < n; j++)
		y[j] = a * x[j];
}

/* y[j] += a·x[j] for j < n, two at a time */
static void
axpy(size_t n, double a, const double *x, double *y)
{
	const f64x2 a2 = {a, a};
	size_t j = 0;

	for (; j + 2 <= n; j += 2)
		*(f64x2 *)&y[j] += a2 * *(const f64x2 *)&x[j];
	for (; j < n; j++)
		y[j] += a * x[j];
}

struct pass {
	struct problem *pb;
	void (*block)(struct pass *ps, size_t blk, size_t lo, size_t hi);
	const double *theta; /* point (grad/hess), direction (xd; grad/hess with step) */
	int step;            /* grad/hess at z + dᵀx, d in theta (the full step) */
	double t;            /* step (loss along the direction) */
	int want_loss;       /* grad/hess: also sum the loss */
	int want_hess;       /* grad/hess: also sum the Hessian (block_grad_hess) */
	int from_z;          /* block_grad_hess: the Hessian alone, at the margins in pb->z */
	double *part;        /* nblocks × stride partial sums */
	size_t stride;
	size_t next;
	pthread_mutex_t lock;
};

/*
 * Row i's margin for a grad/hess pass: θᵀxᵢ, kept in z; or, in a step pass, zᵢ + dᵀxᵢ with
 * dᵀxᵢ kept in xd (for a line search) and the sum in znew.
 */
static double
pass_z(const struct pass *ps, size_t i)
{
	struct problem *pb = ps->pb;
	double xd, z;

	if (!ps->step) {
		z = row_dot(pb, ps->theta, i);
		pb->z[i] = z;
		return z;
	}
	xd = row_dot(pb, ps->theta, i);
	z = pb->z[i] + xd;
	pb->xd[i] = xd;
	pb->znew[i] = z;
	return z;
}

static void *
pass_worker(void *arg)
{
	struct pass *ps = arg;

	for (;;) {
		size_t blk, lo, hi;

		pthread_mutex_lock(&ps->lock);
		blk = ps->next++;
		pthread_mutex_unlock(&ps->lock);
		if (blk >= ps->pb->nblocks)
			return NULL;
		lo = blk * BLOCK_ROWS;
		hi = lo + BLOCK_ROWS < ps->pb->n ? lo + BLOCK_ROWS : ps->pb->n;
		ps->block(ps, blk, lo, hi);
	}
}

/* Run ps->block over every block on pb->threads threads, then sum the partials in order. */
static void
pass_run(struct pass *ps, double *sum)
{
	struct problem *pb = ps->pb;
	int nt = pb->threads < 1 ? 1 : pb->threads;
	pthread_t tid[64];
	int started = 0;

	if ((size_t)nt > pb->nblocks)
		nt = (int)pb->nblocks;
	if (nt > 64)
		nt = 64;
	ps->next = 0;
	pthread_mutex_init(&ps->lock, NULL);
	for (int k = 1; k < nt; k++)
		if (pthread_create(&tid[started], NULL, pass_worker, ps) == 0)
			started++;
	pass_worker(ps);
	for (int k = 0; k < started; k++)
		pthread_join(tid[k], NULL);
	pthread_mutex_destroy(&ps->lock);
	if (sum) {
		memset(sum, 0, ps->stride * sizeof *sum);
		for (size_t b = 0; b < pb->nblocks; b++)
			for (size_t k = 0; k < ps->stride; k++)
				sum[k] += ps->part[b * ps->stride + k];
	}
}

/* The Hessian's row length in the partial sums: p rounded up to whole two-lane vectors. */
static size_t
hess_row(size_t p)
{
	return (p + 1) & ~(size_t)1;
}

/* Row i's features into x, followed by 1 when the intercept is fitted: the p entries of xᵢ. */
static void
extended_row(const struct problem *pb, size_t i, double *x)
{
	const double *xi = pb->x + i * pb->nf;
	size_t j = 0;

	/* a few numbers: a loop, not a call to memcpy */
	for (; j + 2 <= pb->nf; j += 2)
		*(f64x2 *)&x[j] = *(const f64x2 *)&xi[j];
	for (; j < pb->nf; j++)
		x[j] = xi[j];
	if (pb->intercept)
		x[pb->nf] = 1;
}

/*
 * H += Σ_r a_r·x_rᵀ over four rows (upper triangle), x_r = xe + r·pp and a_r = ad + r·pp
 * (row r's weight times x_r): each Hessian entry is loaded and stored once per four rows, two
 * entries at a time (in rows of pp = hess_row(p), from the even column at or before the
 * diagonal: the entries left of the diagonal it also sums are never read).
 */
static void
hess_add4(double *H, size_t p, const double *xe, const double *ad)
{
	size_t pp = hess_row(p);
	const double *x0 = xe, *x1 = xe + pp, *x2 = xe + 2 * pp, *x3 = xe + 3 * pp;

	for (size_t j = 0; j < p; j++) {
		const f64x2 a0 = {ad[j], ad[j]}, a1 = {ad[pp + j], ad[pp + j]},
		            a2 = {ad[2 * pp + j], ad[2 * pp + j]},
		            a3 = {ad[3 * pp + j], ad[3 * pp + j]};
		double *Hj = H + j * pp;

		for (size_t k = j & ~(size_t)1; k < pp; k += 2)
			*(f64x2 *)&Hj[k] +=
			        a0 * *(const f64x2 *)&x0[k] + a1 * *(const f64x2 *)&x1[k] +
			        a2 * *(const f64x2 *)&x2[k] + a3 * *(const f64x2 *)&x3[k];
	}
}

/*
 * At θ: zᵢ = θᵀxᵢ, the loss Σ cᵢ·ℓᵢ (when asked), its gradient Σ cᵢ(σ(zᵢ) − yᵢ)·xᵢ and
 * Hessian Σ cᵢσ(zᵢ)(1 − σ(zᵢ))·xᵢxᵢᵀ (when asked; upper triangle, four rows at a time by
 * hess_add4), with xᵢ extended by 1 for the intercept; or (from_z) the Hessian alone at the
 * margins zᵢ a pass left in pb->z: the same sums as that pass would have made.
 * Partial layout: [loss, g[p], H[p×hess_row(p)]].
 */
static void
block_grad_hess(struct pass *ps, size_t blk, size_t lo, size_t hi)
{
	struct problem *pb = ps->pb;
	size_t p = pb->p, pp = hess_row(p);
	double *acc = ps->part + blk * ps->stride, *g = acc + 1, *H = acc + 1 + p;
	double *xe = xcalloc(8 * pp, sizeof *xe), *ad = xe + 4 * pp, loss = 0;

	memset(acc, 0, ps->stride * sizeof *acc);
	for (size_t i = lo; i < hi; i += 4) {
		size_t m = hi - i < 4 ? hi - i : 4;

		for (size_t r = 0; r < 4; r++) {
			double *x = xe + r * pp, *a = ad + r * pp;
			double z, yi, c, e, s, gz, dz;

			if (r >= m) {
				memset(a, 0, pp * sizeof *a);
				continue;
			}
			extended_row(pb, i + r, x);
			z = ps->from_z ? pb->z[i + r] : pass_z(ps, i + r);
			yi = pb->y[i + r];
			c = pb->weight[yi == 1];
			/* e = exp(−|z|): σ(z) and log(1 + exp(−ỹz)) = log1p(e) + max(−ỹz, 0) */
			e = exp(-fabs(z));
			s = z >= 0 ? 1 / (1 + e) : e / (1 + e);
			gz = c * (s - yi);
			dz = c * s * (1 - s);
			if (!ps->from_z) {
				if (ps->want_loss)
					loss += c * (log1p(e) + fmax(yi == 1 ? -z : z, 0));
				axpy(p, gz, x, g);
			}
			if (ps->want_hess)
				copy_scaled(p, dz, x, a);
		}
		if (ps->want_hess)
			hess_add4(H, p, xe, ad);
	}
	acc[0] = loss;
	free(xe);
}

/*
 * As block_grad_hess without forming the Hessian: keeps its row weights in pb->dw and sums
 * its diagonal. Partial layout: [loss, g[p], diag[p]].
 */
static void
block_grad_dw(struct pass *ps, size_t blk, size_t lo, size_t hi)
{
	struct problem *pb = ps->pb;
	size_t nf = pb->nf;
	double *acc = ps->part + blk * ps->stride, *g = acc + 1, *diag = g + pb->p, loss = 0;

	memset(acc, 0, ps->stride * sizeof *acc);
	for (size_t i = lo; i < hi; i++) {
		const double *xi = pb->x + i * nf;
		double z = pass_z(ps, i), yi = pb->y[i], c = pb->weight[yi == 1];
		double e = exp(-fabs(z)), s = z >= 0 ? 1 / (1 + e) : e / (1 + e);
		double gz = c * (s - yi), dz = c * s * (1 - s);

		pb->dw[i] = dz;
		if (ps->want_loss)
			loss += c * (log1p(e) + fmax(yi == 1 ? -z : z, 0));
		const f64x2 gz2 = {gz, gz}, dz2 = {dz, dz};
		size_t j = 0;

		for (; j + 2 <= nf; j += 2) {
			const f64x2 x = *(const f64x2 *)&xi[j];

			*(f64x2 *)&g[j] += gz2 * x;
			*(f64x2 *)&diag[j] += dz2 * x * x;
		}
		for (; j < nf; j++) {
			g[j] += gz * xi[j];
			diag[j] += dz * xi[j] * xi[j];
		}
		if (pb->intercept) {
			g[nf] += gz;
			diag[nf] += dz;
		}
	}
	acc[0] = loss;
}

/* Hessian-vector product without the l2 term: Σ dwᵢ·(vᵀxᵢ)·xᵢ. Partial layout: [Hv[p]]. */
static void
block_hv(struct pass *ps, size_t blk, size_t lo, size_t hi)
{
	struct problem *pb = ps->pb;
	size_t nf = pb->nf;
	double *hv = ps->part + blk * ps->stride;

	memset(hv, 0, ps->stride * sizeof *hv);
	for (size_t i = lo; i < hi; i++) {
		const double *xi = pb->x + i * nf;
		double t = pb->dw[i] * row_dot(pb, ps->theta, i);

		axpy(nf, t, xi, hv);
		if (pb->intercept)
			hv[nf] += t;
	}
}

/* Σ cᵢ·ℓ(zᵢ + t·xdᵢ) */
static void
block_loss_along(struct pass *ps, size_t blk, size_t lo, size_t hi)
{
	struct problem *pb = ps->pb;
	double loss = 0;

	for (size_t i = lo; i < hi; i++) {
		double z = pb->z[i] + ps->t * pb->xd[i], yi = pb->y[i];

		loss += pb->weight[yi == 1] * log1pexp_neg(yi == 1 ? z : -z);
	}
	ps->part[blk * ps->stride] = loss;
}

/* The penalty at θ: l1·‖θ_pen‖₁ + l2/2·‖θ_pen‖² */
static double
penalty_value(const struct problem *pb, const double *theta)
{
	double s1 = 0, s2 = 0;

	for (size_t j = 0; j < pb->p; j++)
		if (pb->pen[j]) {
			s1 += fabs(theta[j]);
			s2 += theta[j] * theta[j];
		}
	return pb->l1 * s1 + pb->l2 / 2 * s2;
}

/* H (p × p, in full) from the upper triangle of a block_grad_hess sum, with the l2 term. */
static void
fill_hessian(const struct problem *pb, const double *sum, double *H)
{
	size_t p = pb->p, pp = hess_row(p);

	for (size_t j = 0; j < p; j++)
		for (size_t k = j; k < p; k++)
			H[j * p + k] = H[k * p + j] = sum[1 + p + j * pp + k];
	for (size_t j = 0; j < p; j++)
		if (pb->pen[j])
			H[j * p + j] += pb->l2;
}

/*
 * The smooth part's loss, gradient and Hessian at θ (the l2 term included; H filled in
 * full from its upper triangle; without want_hess, H is left as it was). Also leaves zᵢ in
 * pb->z; or, with a direction d (θ then the point reached by the full step along it),
 * zᵢ + dᵀxᵢ in pb->znew and dᵀxᵢ in pb->xd, so that one pass tries the step and, when it is
 * taken, has the next Hessian ready. With pb->dw (no Hessian formed), want_hess is ignored.
 */
static double
grad_hess(struct problem *pb, const double *theta, const double *d, int want_loss, int want_hess,
          double *g, double *H, double *part)
{
	size_t p = pb->p, pp = hess_row(p), stride = pb->dw ? 1 + 2 * p : 1 + p + p * pp;
	double *sum = xreallocarray(NULL, stride, sizeof *sum), loss;
	struct pass ps = {.pb = pb,
	                  .block = pb->dw ? block_grad_dw : block_grad_hess,
	                  .want_loss = want_loss,
	                  .want_hess = want_hess,
	                  .theta = d ? d : theta,
	                  .step = d != NULL,
	                  .part = part,
	                  .stride = stride};

	pass_run(&ps, sum);
	loss = sum[0];
	memcpy(g, sum + 1, p * sizeof *g);
	if (pb->dw)
		memcpy(pb->diag, sum + 1 + p, p * sizeof *pb->diag);
	else if (want_hess)
		fill_hessian(pb, sum, H);
	for (size_t j = 0; j < p; j++)
		if (pb->pen[j]) {
			g[j] += pb->l2 * theta[j];
			if (pb->dw)
				pb->diag[j] += pb->l2;
		}
	free(sum);
	return loss;
}

/* The Hessian alone at the margins in pb->z (what grad_hess would have made there). */
static void
hess_at_z(struct problem *pb, double *H, double *part)
{
	size_t p = pb->p, stride = 1 + p + p * hess_row(p);
	double *sum = xreallocarray(NULL, stride, sizeof *sum);
	struct pass ps = {.pb = pb,
	                  .block = block_grad_hess,
	                  .want_hess = 1,
	                  .from_z = 1,
	                  .part = part,
	                  .stride = stride};

	pass_run(&ps, sum);
	fill_hessian(pb, sum, H);
	free(sum);
}

static double
loss_along(struct problem *pb, double t, double *part)
{
	struct pass ps = {.pb = pb, .block = block_loss_along, .t = t, .part = part, .stride = 1};
	double sum;

	pass_run(&ps, &sum);
	return sum;
}

/* Hv = Σ dwᵢ(vᵀxᵢ)xᵢ + l2·v_pen */
static void
hessian_times(struct problem *pb, const double *v, double *hv, double *part)
{
	struct pass ps = {.pb = pb, .block = block_hv, .theta = v, .part = part, .stride = pb->p};

	pass_run(&ps, hv);
	for (size_t j = 0; j < pb->p; j++)
		if (pb->pen[j])
			hv[j] += pb->l2 * v[j];
}

/* Cholesky factor of A + μI in L (lower, p × p): 0, or -1 when not positive definite. */
static int
cholesky(const double *A, size_t p, double mu, double *L)
{
	for (size_t j = 0; j < p; j++) {
		for (size_t k = 0; k <= j; k++) {
			double s = A[j * p + k] + (j == k ? mu : 0);

			for (size_t m = 0; m < k; m++)
				s -= L[j * p + m] * L[k * p + m];
			if (j == k) {
				if (!(s > 1e-300))
					return -1;
				L[j * p + j] = sqrt(s);
			} else {
				L[j * p + k] = s / L[k * p + k];
			}
		}
	}
	return 0;
}

/* Solve L·Lᵀ·d = −g. */
static void
chol_solve(const double *L, size_t p, const double *g, double *d)
{
	for (size_t j = 0; j < p; j++) {
		double s = -g[j];

		for (size_t m = 0; m < j; m++)
			s -= L[j * p + m] * d[m];
		d[j] = s / L[j * p + j];
	}
	for (size_t j = p; j-- > 0;) {
		double s = d[j];

		for (size_t m = j + 1; m < p; m++)
			s -= L[m * p + j] * d[m];
		d[j] = s / L[j * p + j];
	}
}

/* L·Lᵀ = H + μI with the smallest μ ≥ 0 (from 0, then growing) that works. */
static void
factor(const double *H, size_t p, double *L)
{
	double mu = 0, scale = 0;

	for (size_t j = 0; j < p; j++)
		scale = fmax(scale, fabs(H[j * p + j]));
	while (cholesky(H, p, mu, L) < 0)
		mu = mu ? mu * 10 : fmax(scale, 1e-300) * 1e-12;
}

/* Newton direction: (H + μI)d = −g, μ as factor() finds it. */
static void
newton_direction(const double *H, size_t p, const double *g, double *L, double *d)
{
	factor(H, p, L);
	chol_solve(L, p, g, d);
}

/*
 * The conjugate gradients' preconditioner at the current point (weights pb->dw), factored
 * into L: the Hessian's exact diagonal D, and the correlations of the Hessian S of every k-th
 * row (rows from the whole range, so that sorted data is sampled evenly), M = D½·C·D½ with
 * C = diag(S)^-½·S·diag(S)^-½. A parameter the sample has (almost) nothing of, such as a rare
 * one-hot column, gets its diagonal alone, as a Jacobi preconditioner would give it.
 */
static void
sample_hessian(const struct problem *pb, double *M, double *L)
{
	size_t p = pb->p, pp = hess_row(p);
	size_t want = PRECOND_ROWS_PER_PARAM * p + pb->n / PRECOND_FRACTION;
	size_t k = want >= pb->n ? 1 : pb->n / want, m = (pb->n + k - 1) / k;
	double *H = xcalloc(p * pp, sizeof *H), *xe = xcalloc(8 * pp, sizeof *xe);
	double *ad = xe + 4 * pp, scale = (double)pb->n / (double)m;
	double *f = xcalloc(p, sizeof *f);

	for (size_t i = 0; i < m; i += 4) {
		for (size_t r = 0; r < 4; r++) {
			double *x = xe + r * pp, *a = ad + r * pp;
			size_t row = (i + r) * k;

			if (i + r >= m) {
				memset(a, 0, pp * sizeof *a);
				continue;
			}
			extended_row(pb, row, x);
			copy_scaled(p, pb->dw[row], x, a);
		}
		hess_add4(H, p, xe, ad);
	}
	/* fⱼ = (Dⱼⱼ / Sⱼⱼ)^½, or 0 when the sample's curvature is below 1e-6 of the diagonal */
	for (size_t j = 0; j < p; j++) {
		double sjj = scale * H[j * pp + j] + (pb->pen[j] ? pb->l2 : 0);

		f[j] = sjj > 1e-6 * pb->diag[j] ? sqrt(pb->diag[j] / sjj) : 0;
	}
	for (size_t j = 0; j < p; j++) {
		for (size_t c = j + 1; c < p; c++)
			M[j * p + c] = M[c * p + j] = f[j] * f[c] * scale * H[j * pp + c];
		M[j * p + j] = pb->diag[j];
	}
	factor(M, p, L);
	free(H);
	free(xe);
	free(f);
}

/* u = M⁻¹r for M = L·Lᵀ */
static void
precond(const double *L, size_t p, const double *r, double *u)
{
	chol_solve(L, p, r, u); /* −M⁻¹r */
	for (size_t j = 0; j < p; j++)
		u[j] = -u[j];
}

/*
 * Newton direction without forming H: conjugate gradients on H·d = −g, preconditioned by
 * the Hessian of a sample of the rows (sample_hessian: its factor in L), stopped when the
 * residual falls to η·‖g‖, η = min(0.1, ‖g‖/‖g₀‖) (a forcing sequence that keeps Newton's
 * fast convergence), or on curvature too small to trust.
 */
static void
cg_direction(struct problem *pb, const double *g, double gnorm0, const double *L, double *d,
             double *part)
{
	size_t p = pb->p;
	double *r = xcalloc(4 * p, sizeof *r), *q = r + p, *hq = r + 2 * p, *u = r + 3 * p;
	double rr = 0, ru = 0, gnorm, eta;

	memset(d, 0, p * sizeof *d);
	for (size_t j = 0; j < p; j++)
		r[j] = -g[j];
	precond(L, p, r, u);
	for (size_t j = 0; j < p; j++) {
		q[j] = u[j];
		rr += r[j] * r[j];
		ru += r[j] * u[j];
	}
	gnorm = sqrt(rr);
	eta = fmin(0.1, gnorm / gnorm0);
	for (size_t it = 0; it < 2 * p + 10 && sqrt(rr) > eta * gnorm; it++) {
		double qhq = 0, alpha, ru_new = 0;

		hessian_times(pb, q, hq, part);
		for (size_t j = 0; j < p; j++)
			qhq += q[j] * hq[j];
		if (!(qhq > 1e-300))
			break;
		alpha = ru / qhq;
		rr = 0;
		for (size_t j = 0; j < p; j++) {
			d[j] += alpha * q[j];
			r[j] -= alpha * hq[j];
			rr += r[j] * r[j];
		}
		precond(L, p, r, u);
		for (size_t j = 0; j < p; j++)
			ru_new += r[j] * u[j];
		for (size_t j = 0; j < p; j++)
			q[j] = u[j] + ru_new / ru * q[j];
		ru = ru_new;
	}
	if (sqrt(rr) == gnorm) /* no step taken: fall back to steepest descent */
		for (size_t j = 0; j < p; j++)
			d[j] = -g[j];
	free(r);
}

/* Minimum-norm subgradient of loss + l2 term + l1·‖θ_pen‖₁ (the gradient when l1 = 0). */
static double
subgrad_norm(const struct problem *pb, const double *theta, const double *g)
{
	double s = 0;

	for (size_t j = 0; j < pb->p; j++) {
		double v = g[j];

		if (pb->pen[j] && pb->l1 > 0) {
			if (theta[j] > 0)
				v += pb->l1;
			else if (theta[j] < 0)
				v -= pb->l1;
			else
				v = fmax(fabs(v) - pb->l1, 0);
		}
		s += v * v;
	}
	return sqrt(s);
}

/*
 * The proximal Newton step for l1 > 0: minimise over d the model
 *   gᵀd + ½dᵀHd + l1·Σ_pen |θⱼ + dⱼ|
 * by cyclic coordinate descent (each coordinate a soft-threshold), keeping Hd up to date.
 */
static void
prox_direction(const struct problem *pb, const double *theta, const double *g, const double *H,
               double *d, double *Hd)
{
	size_t p = pb->p;

	memset(d, 0, p * sizeof *d);
	memset(Hd, 0, p * sizeof *Hd);
	for (int sweep = 0; sweep < 10000; sweep++) {
		double maxstep = 0, maxval = 0;

		for (size_t j = 0; j < p; j++) {
			double hjj = fmax(H[j * p + j], 1e-12), gj = g[j] + Hd[j];
			double cur = theta[j] + d[j], step;

			if (pb->pen[j]) {
				double u = cur - gj / hjj, thr = pb->l1 / hjj;
				double next = u > thr ? u - thr : u < -thr ? u + thr : 0;

				step = next - cur;
			} else {
				step = -gj / hjj;
			}
			if (step != 0) {
				d[j] += step;
				for (size_t k = 0; k < p; k++)
					Hd[k] += step * H[k * p + j];
			}
			maxstep = fmax(maxstep, fabs(step));
			maxval = fmax(maxval, fabs(theta[j] + d[j]));
		}
		if (maxstep <= 1e-15 * (1 + maxval))
			break;
	}
}

/*
 * Minimise F(θ) = loss + l2/2·‖θ_pen‖² + l1·‖θ_pen‖₁ by (proximal) Newton with a
 * backtracking line search on F: the direction from the exact Hessian (Cholesky, or conjugate
 * gradients above HESSIAN_MAX_PARAMS, when l1 = 0; coordinate descent on the model
 * otherwise), step t ∈ {1, ½, ¼, …} until
 *   F(θ + t·d) ≤ F(θ) + σ·t·Δ,  Δ = gᵀd + l1·(‖θ + d‖₁ − ‖θ‖₁)
 */
static void
solve(struct problem *pb, const struct logreg_config *cfg, double *theta, struct logreg_fit *fit)
{
	size_t p = pb->p;
	double *g = xcalloc(p, sizeof *g), *H = xcalloc(p * p, sizeof *H);
	double *L = xcalloc(p * p, sizeof *L), *d = xcalloc(p, sizeof *d);
	double *Hd = xcalloc(p, sizeof *Hd), *trial = xcalloc(p, sizeof *trial);
	double *part = xreallocarray(NULL, pb->nblocks, (1 + p + p * hess_row(p)) * sizeof *part);
	double *gnew = xcalloc(p, sizeof *gnew), loss, F, gnorm, gnorm0;
	double rlast = -1; /* ‖g‖/‖g₀‖ before the last step, when that was a full one */
	int polished = 0, h_stale = 0; /* h_stale: H is not θ's (hess_at_z makes it) */
	long it;

	memset(theta, 0, p * sizeof *theta);
	fit->converged = 0;
	loss = grad_hess(pb, theta, NULL, 1, 1, g, H, part);
	F = loss + penalty_value(pb, theta);
	gnorm = gnorm0 = subgrad_norm(pb, theta, g);
	for (it = 0;; it++) {
		double delta = 0, t = 1, Fnew, loss1, r;
		int want_h;

		if (gnorm <= cfg->tol * gnorm0 || gnorm == 0) {
			fit->converged = 1;
			break;
		}
		if (it >= cfg->max_iter)
			break;
		r = gnorm / gnorm0; /* gnorm0 > 0: else gnorm = 0 above */
		if (h_stale) {
			hess_at_z(pb, H, part);
			h_stale = 0;
		}
		if (pb->l1 > 0)
			prox_direction(pb, theta, g, H, d, Hd);
		else if (pb->dw) {
			sample_hessian(pb, H, L);
			cg_direction(pb, g, gnorm0, L, d, part);
		} else {
			newton_direction(H, p, g, L, d);
		}
		for (size_t j = 0; j < p; j++)
			delta += g[j] * d[j];
		if (pb->l1 > 0)
			for (size_t j = 0; j < p; j++)
				if (pb->pen[j])
					delta += pb->l1 * (fabs(theta[j] + d[j]) - fabs(theta[j]));
		if (!(delta < 0) || (-delta <= 1e-13 * fabs(F) && polished)) {
			/* no descent left at this precision: the optimum as far as doubles go */
			fit->converged = 1;
			break;
		}
		for (size_t j = 0; j < p; j++)
			trial[j] = theta[j] + d[j];
		/*
		 * H is not needed at θ any more: the pass leaves θ + d's there; but not when the
		 * step should end the fit: the quadratic convergence of the last full step,
		 * r' ≈ r²·(r/rlast²), puts the next ‖g‖ well below tol. Should it not be, the
		 * same H is made from the margins the pass keeps (hess_at_z), so the fit is
		 * the same either way.
		 */
		want_h = pb->dw || !(rlast > 0 && r * r * r < 0.25 * cfg->tol * rlast * rlast);
		loss1 = grad_hess(pb, trial, d, 1, want_h, gnew, H, part);
		Fnew = loss1 + penalty_value(pb, trial);
		if (-delta <= 1e-13 * fabs(F)) {
			/*
			 * The predicted decrease is below the rounding error of F, so the line
			 * search cannot judge the step: take the full step once; the quadratic
			 * model is exact at this distance.
			 */
			polished = 1;
		} else if (!(Fnew <= F + 1e-4 * delta)) {
			for (t = 0.5; t > 1e-18; t /= 2) {
				for (size_t j = 0; j < p; j++)
					trial[j] = theta[j] + t * d[j];
				loss1 = loss_along(pb, t, part);
				Fnew = loss1 + penalty_value(pb, trial);
				if (Fnew <= F + 1e-4 * t * delta)
					break;
			}
			if (!(Fnew <= F + 1e-4 * t * delta)) {
				fit->converged =
				        gnorm <= 1e-6 * gnorm0; /* stalled at rounding level */
				break;
			}
		}
		memcpy(theta, trial, p * sizeof *theta);
		if (t == 1 && !polished) {
			/* the full step: its pass left z, the gradient and the Hessian at θ */
			double *z = pb->z;

			pb->z = pb->znew;
			pb->znew = z;
			memcpy(g, gnew, p * sizeof *g);
			loss = loss1;
			h_stale = !want_h;
			rlast = r;
		} else {
			/* a shorter step, or a polish that wants F from fresh margins */
			loss = grad_hess(pb, theta, NULL, 1, 1, g, H, part);
			rlast = -1;
		}
		F = loss + penalty_value(pb, theta);
		gnorm = subgrad_norm(pb, theta, g);
	}
	fit->iterations = it;
	fit->objective = F;
	fit->grad_norm = gnorm;
	free(g);
	free(H);
	free(L);
	free(d);
	free(Hd);
	free(trial);
	free(gnew);
	free(part);
}

void
logreg_config_default(struct logreg_config *cfg)
{
	cfg->solver = SOLVER_LBFGS;
	cfg->penalty = PENALTY_L2;
	cfg->C = 1;
	cfg->l1_ratio = NAN;
	cfg->tol = 1e-8;
	cfg->max_iter = 100;
	cfg->fit_intercept = 1;
	cfg->penalize_intercept = -1;
	cfg->class_weight_balanced = 0;
	cfg->threads = 1;
}

static const char *const solver_names[] = {"newton-cg", "lbfgs", "liblinear", "sag", "saga"};
static const char *const penalty_names[] = {"none", "l1", "l2", "elasticnet"};

static int
parse_bool(const char *s, int *out)
{
	if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 || strcmp(s, "1") == 0)
		*out = 1;
	else if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 || strcmp(s, "0") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

int
logreg_set_param(struct logreg_config *cfg, const char *name, const char *value, char *err,
                 size_t errsize)
{
	double x;
	size_t len = strlen(value);

	if (strcmp(name, "solver") == 0) {
		for (size_t i = 0; i < sizeof solver_names / sizeof solver_names[0]; i++)
			if (strcmp(value, solver_names[i]) == 0) {
				cfg->solver = (enum logreg_solver)i;
				return 0;
			}
		return errf(err, errsize,
		            "solver \"%s\": expected newton-cg, lbfgs, liblinear, sag or saga",
		            value);
	}
	if (strcmp(name, "penalty") == 0) {
		if (strcmp(value, "None") == 0)
			value = "none";
		for (size_t i = 0; i < sizeof penalty_names / sizeof penalty_names[0]; i++)
			if (strcmp(value, penalty_names[i]) == 0) {
				cfg->penalty = (enum logreg_penalty)i;
				return 0;
			}
		return errf(err, errsize, "penalty \"%s\": expected none, l1, l2 or elasticnet",
		            value);
	}
	if (strcmp(name, "C") == 0) {
		if (parse_f64(value, len, &x) < 0 || !(x > 0) || !isfinite(x))
			return errf(err, errsize, "C \"%s\": expected a number > 0", value);
		cfg->C = x;
		return 0;
	}
	if (strcmp(name, "l1_ratio") == 0) {
		if (parse_f64(value, len, &x) < 0 || !(x >= 0 && x <= 1))
			return errf(err, errsize, "l1_ratio \"%s\": expected a number in [0, 1]",
			            value);
		cfg->l1_ratio = x;
		return 0;
	}
	if (strcmp(name, "tol") == 0) {
		if (parse_f64(value, len, &x) < 0 || !(x >= 0) || !isfinite(x))
			return errf(err, errsize, "tol \"%s\": expected a number >= 0", value);
		cfg->tol = x;
		return 0;
	}
	if (strcmp(name, "max_iter") == 0) {
		int64_t n;

		if (parse_i64(value, len, &n) < 0 || n < 1 || n > 1000000)
			return errf(err, errsize,
			            "max_iter \"%s\": expected an integer in 1..1000000", value);
		cfg->max_iter = (long)n;
		return 0;
	}
	if (strcmp(name, "fit_intercept") == 0) {
		if (parse_bool(value, &cfg->fit_intercept) < 0)
			return errf(err, errsize, "fit_intercept \"%s\": expected true or false",
			            value);
		return 0;
	}
	if (strcmp(name, "penalize_intercept") == 0) {
		if (parse_bool(value, &cfg->penalize_intercept) < 0)
			return errf(err, errsize,
			            "penalize_intercept \"%s\": expected true or false", value);
		return 0;
	}
	if (strcmp(name, "class_weight") == 0) {
		if (strcmp(value, "balanced") == 0)
			cfg->class_weight_balanced = 1;
		else if (strcmp(value, "none") == 0 || strcmp(value, "None") == 0)
			cfg->class_weight_balanced = 0;
		else
			return errf(err, errsize, "class_weight \"%s\": expected balanced or none",
			            value);
		return 0;
	}
	fmtbuf(err, errsize, "unknown parameter \"%s\" for logreg", name);
	return -2;
}

/* scikit-learn 1.2's _check_solver, and its l1_ratio rule for elasticnet. */
int
logreg_check(const struct logreg_config *cfg, char *err, size_t errsize)
{
	const char *s = solver_names[cfg->solver], *p = penalty_names[cfg->penalty];

	if (cfg->solver != SOLVER_LIBLINEAR && cfg->solver != SOLVER_SAGA &&
	    cfg->penalty != PENALTY_L2 && cfg->penalty != PENALTY_NONE)
		return errf(err, errsize,
		            "Solver %s supports only 'l2' or 'none' penalties, got %s penalty.", s,
		            p);
	if (cfg->penalty == PENALTY_ELASTICNET && cfg->solver != SOLVER_SAGA)
		return errf(err, errsize,
		            "Only 'saga' solver supports elasticnet penalty, got solver=%s.", s);
	if (cfg->solver == SOLVER_LIBLINEAR && cfg->penalty == PENALTY_NONE)
		return errf(err, errsize,
		            "penalty='none' is not supported for the liblinear solver");
	if (cfg->penalty == PENALTY_ELASTICNET && isnan(cfg->l1_ratio))
		return errf(err, errsize, "l1_ratio must be specified when penalty is elasticnet.");
	return 0;
}

static void
setup_problem(struct problem *pb, const struct logreg_config *cfg, const struct dataset *d)
{
	double n = (double)d->nrows, npos = (double)d->npositive;

	memset(pb, 0, sizeof *pb);
	pb->x = d->x;
	pb->y = d->y;
	pb->n = d->nrows;
	pb->nf = d->nfeatures;
	pb->intercept = cfg->fit_intercept;
	pb->p = pb->nf + (pb->intercept ? 1 : 0);
	pb->threads = cfg->threads;
	pb->nblocks = (pb->n + BLOCK_ROWS - 1) / BLOCK_ROWS;
	pb->weight[0] = pb->weight[1] = cfg->C;
	if (cfg->class_weight_balanced) {
		/* sᵢ = n / (2·n_class), scikit-learn's "balanced" */
		pb->weight[0] = cfg->C * n / (2 * (n - npos));
		pb->weight[1] = cfg->C * n / (2 * npos);
	}
	pb->pen = xcalloc(pb->p, 1);
	for (size_t j = 0; j < pb->nf; j++)
		pb->pen[j] = 1;
	if (pb->intercept) {
		int pen_b = cfg->penalize_intercept < 0 ? cfg->solver == SOLVER_LIBLINEAR
		                                        : cfg->penalize_intercept;

		pb->pen[pb->nf] = (unsigned char)(pen_b && cfg->penalty != PENALTY_NONE);
	}
	switch (cfg->penalty) {
	case PENALTY_NONE:
		break;
	case PENALTY_L1:
		pb->l1 = 1;
		break;
	case PENALTY_L2:
		pb->l2 = 1;
		break;
	case PENALTY_ELASTICNET:
		pb->l1 = cfg->l1_ratio;
		pb->l2 = 1 - cfg->l1_ratio;
		break;
	}
	pb->z = xreallocarray(NULL, pb->n, sizeof *pb->z);
	pb->xd = xreallocarray(NULL, pb->n, sizeof *pb->xd);
	pb->znew = xreallocarray(NULL, pb->n, sizeof *pb->znew);
	if (pb->p > HESSIAN_MAX_PARAMS && pb->l1 == 0) {
		pb->dw = xreallocarray(NULL, pb->n, sizeof *pb->dw);
		pb->diag = xcalloc(pb->p, sizeof *pb->diag);
	}
}

struct logreg_fit *
logreg_train(const struct logreg_config *cfg, const struct dataset *d, char *err, size_t errsize)
{
	struct problem pb;
	struct logreg_fit *fit;
	struct dataset rows;
	const struct dataset *data = d;
	double *theta;

	if (logreg_check(cfg, err, errsize) < 0)
		return NULL;
	if (d->nrows == 0 || d->npositive == 0 || d->npositive == d->nrows) {
		fmtbuf(err, errsize, "the target needs rows of both classes");
		return NULL;
	}
	if (d->layout == DATASET_COLUMNS) {
		size_t *all = xreallocarray(NULL, d->nrows, sizeof *all);

		for (size_t i = 0; i < d->nrows; i++)
			all[i] = i;
		dataset_subset(d, all, d->nrows, &rows);
		free(all);
		data = &rows;
	}
	setup_problem(&pb, cfg, data);
	theta = xcalloc(pb.p, sizeof *theta);
	fit = xcalloc(1, sizeof *fit);
	fit->nfeatures = d->nfeatures;
	solve(&pb, cfg, theta, fit);
	fit->coef = xreallocarray(NULL, d->nfeatures, sizeof *fit->coef);
	memcpy(fit->coef, theta, d->nfeatures * sizeof *theta);
	fit->intercept = pb.intercept ? theta[pb.nf] : 0;
	free(theta);
	free(pb.pen);
	free(pb.z);
	free(pb.xd);
	free(pb.znew);
	free(pb.dw);
	free(pb.diag);
	if (data != d)
		dataset_subset_free(&rows);
	return fit;
}

void
logreg_fit_free(struct logreg_fit *f)
{
	if (f) {
		free(f->coef);
		free(f);
	}
}

static void
kind_predict(const void *fitted, const double *x, size_t nrows, double *prob)
{
	const struct logreg_fit *f = fitted;

	for (size_t i = 0; i < nrows; i++) {
		const double *xi = x + i * f->nfeatures;
		double z = f->intercept;

		for (size_t j = 0; j < f->nfeatures; j++)
			z += xi[j] * f->coef[j];
		prob[i] = sigmoid(z);
	}
}

static void
kind_pack(msgpack_packer *pk, const void *fitted)
{
	const struct logreg_fit *f = fitted;

	msgpack_pack_map(pk, 6);
	mp_pack_str(pk, "coef");
	mp_pack_bin_f64(pk, f->coef, f->nfeatures);
	mp_pack_str(pk, "intercept");
	msgpack_pack_double(pk, f->intercept);
	mp_pack_str(pk, "iterations");
	msgpack_pack_int64(pk, f->iterations);
	mp_pack_str(pk, "objective");
	msgpack_pack_double(pk, f->objective);
	mp_pack_str(pk, "grad_norm");
	msgpack_pack_double(pk, f->grad_norm);
	mp_pack_str(pk, "converged");
	f->converged ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
}

static int
kind_unpack(const msgpack_object *o, size_t nfeatures, void **out, char *err, size_t errsize)
{
	const msgpack_object *coef = mp_map_get(o, "coef"), *b = mp_map_get(o, "intercept");
	const msgpack_object *it = mp_map_get(o, "iterations"), *obj = mp_map_get(o, "objective");
	const msgpack_object *gn = mp_map_get(o, "grad_norm"), *cv = mp_map_get(o, "converged");
	struct logreg_fit *f;
	double v;

	if (o->type != MSGPACK_OBJECT_MAP)
		return errf(err, errsize, "\"fitted\" is not a map");
	if (!coef || !b || !it || !obj || !gn || !cv)
		return errf(err, errsize,
		            "\"fitted\" lacks one of coef, intercept, iterations, objective, "
		            "grad_norm, converged");
	f = xcalloc(1, sizeof *f);
	f->nfeatures = nfeatures;
	f->coef = xreallocarray(NULL, nfeatures, sizeof *f->coef);
	if (mp_bin_f64(coef, f->coef, nfeatures) < 0) {
		logreg_fit_free(f);
		return errf(err, errsize, "\"coef\" is not %zu little-endian doubles", nfeatures);
	}
	for (size_t j = 0; j < nfeatures; j++)
		if (!isfinite(f->coef[j])) {
			logreg_fit_free(f);
			return errf(err, errsize, "coefficient %zu is not finite", j + 1);
		}
	if (mp_f64(b, &f->intercept) < 0 || !isfinite(f->intercept) ||
	    it->type != MSGPACK_OBJECT_POSITIVE_INTEGER || mp_f64(obj, &f->objective) < 0 ||
	    mp_f64(gn, &f->grad_norm) < 0 || cv->type != MSGPACK_OBJECT_BOOLEAN) {
		logreg_fit_free(f);
		return errf(err, errsize, "a field of \"fitted\" has the wrong type");
	}
	mp_f64(it, &v);
	f->iterations = (long)fmin(v, (double)LONG_MAX);
	f->converged = cv->via.boolean;
	*out = f;
	return 0;
}

static void
kind_free(void *fitted)
{
	logreg_fit_free(fitted);
}

const struct model_kind logreg_kind = {
        .name = "logreg",
        .unpack = kind_unpack,
        .pack = kind_pack,
        .predict = kind_predict,
        .free = kind_free,
};

static void *
learner_config_new(void)
{
	struct logreg_config *cfg = xmalloc(sizeof *cfg);

	logreg_config_default(cfg);
	return cfg;
}

static int
learner_set_param(void *cfg, const char *name, const char *value, char *err, size_t errsize)
{
	return logreg_set_param(cfg, name, value, err, errsize);
}

static int
learner_check(void *cfg, char *err, size_t errsize)
{
	return logreg_check(cfg, err, errsize);
}

static void *
learner_fit(const void *cfg, const struct dataset *d, char *err, size_t errsize)
{
	return logreg_train(cfg, d, err, errsize);
}

const struct learner logreg_learner = {
        .ops = &logreg_kind,
        .config_new = learner_config_new,
        .set_param = learner_set_param,
        .check = learner_check,
        .fit = learner_fit,
        .config_free = free,
};
