/* Fuzz the model loader (every kind: the file names its kind) and predict on what loads. */
#include <math.h>

#include "fuzz.h"
#include "model.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], *copy;
	FILE *fp = fuzz_fopen(data, size, &copy);
	struct model m;

	if (model_load(fp, "fuzz", &m, err, sizeof err) == 0) {
		/* rows of 0, 1, -1e300, NaN: every branch of a tree is taken by some row */
		static const double vals[] = {0, 1, -1e300, NAN};
		size_t n = m.nfeatures > 0 ? m.nfeatures : 1;
		double *x = malloc(4 * n * sizeof *x), prob[4];

		if (m.nfeatures <= 100000 && x != NULL) {
			for (size_t r = 0; r < 4; r++)
				for (size_t j = 0; j < n; j++)
					x[r * n + j] = vals[(r + j) % 4];
			model_predict(&m, x, 4, prob);
		}
		free(x);
		model_free(&m);
	}
	fclose(fp);
	free(copy);
	return 0;
}
