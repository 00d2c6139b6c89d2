/*
 * logreg_test: unit tests of the smooth solver's passes in common/logreg.c, which is included
 * here for its static functions: a trial pass without the Hessian, then hess_at_z from the
 * margins it kept, makes the very Hessian the pass would have made (what lets solve() leave
 * the Hessian out of a pass that should end the fit and still give the same model).
 */
#include "../../common/logreg.c"

#include <stdio.h>

#include "check.h"

#define NROWS 40000 /* three blocks of BLOCK_ROWS: partial sums added in block order */
#define NF    7

/* A number in [-1, 1) from a 64-bit LCG: the same data on every machine. */
static double
next_unit(uint64_t *s)
{
	*s = *s * 6364136223846793005u + 1442695040888963407u;
	return (double)(*s >> 11) * 0x1.0p-52 - 1;
}

/*
 * At theta (and at theta + step, as the trial pass of solve() reaches it): the pass with the
 * Hessian and the pass without it then hess_at_z give the same loss, gradient and Hessian.
 */
static void
check_threads(struct problem *pb, int threads)
{
	size_t p = pb->p;
	double theta[NF + 1] = {0}, step[NF + 1] = {0}, trial[NF + 1] = {0}, g1[NF + 1], g2[NF + 1];
	double H1[(NF + 1) * (NF + 1)] = {0}, H2[(NF + 1) * (NF + 1)], l1, l2;
	double *part = xreallocarray(NULL, pb->nblocks, (1 + p + p * hess_row(p)) * sizeof *part);
	uint64_t s = 7;

	pb->threads = threads;
	for (size_t j = 0; j < p; j++) {
		theta[j] = next_unit(&s);
		step[j] = 0.1 * next_unit(&s);
		trial[j] = theta[j] + step[j];
	}
	l1 = grad_hess(pb, theta, NULL, 1, 1, g1, H1, part);
	memset(H2, 0, sizeof H2);
	l2 = grad_hess(pb, theta, NULL, 1, 0, g2, H2, part);
	CHECK(H2[0] == 0); /* left alone */
	CHECK(memcmp(&l1, &l2, sizeof l1) == 0);
	CHECK(memcmp(g1, g2, p * sizeof *g1) == 0);
	hess_at_z(pb, H2, part);
	CHECK(memcmp(H1, H2, p * p * sizeof *H1) == 0);
	CHECK(H1[0] > 0);

	/* the trial pass: its margins (z + dᵀx) in znew, then taken as z */
	l1 = grad_hess(pb, trial, step, 1, 1, g1, H1, part);
	l2 = grad_hess(pb, trial, step, 1, 0, g2, H2, part);
	CHECK(memcmp(&l1, &l2, sizeof l1) == 0);
	CHECK(memcmp(g1, g2, p * sizeof *g1) == 0);
	{
		double *z = pb->z;

		pb->z = pb->znew;
		pb->znew = z;
	}
	hess_at_z(pb, H2, part);
	CHECK(memcmp(H1, H2, p * p * sizeof *H1) == 0);
	free(part);
}

int
main(void)
{
	static double x[NROWS * NF], y[NROWS];
	struct logreg_config cfg;
	struct dataset d;
	struct problem pb;
	uint64_t s = 1;

	memset(&d, 0, sizeof d);
	d.nrows = NROWS;
	d.nfeatures = NF;
	d.layout = DATASET_ROWS;
	d.x = x;
	d.y = y;
	for (size_t i = 0; i < NROWS; i++) {
		double z = 0;

		for (size_t j = 0; j < NF; j++) {
			x[i * NF + j] = next_unit(&s) * (double)(j + 1);
			z += x[i * NF + j] / (double)(j + 1);
		}
		y[i] = next_unit(&s) < tanh(z) ? 1 : 0;
		d.npositive += y[i] == 1;
	}
	logreg_config_default(&cfg);
	setup_problem(&pb, &cfg, &d);
	CHECK(pb.dw == NULL); /* the Hessian is formed at 8 parameters */
	check_threads(&pb, 1);
	check_threads(&pb, 3);
	free(pb.pen);
	free(pb.z);
	free(pb.xd);
	free(pb.znew);
	return check_summary();
}
