/* Fuzz encode's state loader; bind what loads to its own schema and encode three rows. */
#include <math.h>

#include "encoder.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], *copy;
	FILE *fp = fuzz_fopen(data, size, &copy);
	struct encoder e;

	if (encoder_load(&e, fp, err, sizeof err) == 0) {
		struct schema in, out;
		int dup = 0;

		schema_init(&in);
		for (size_t j = 0; j < e.ncols; j++) {
			if (schema_find(&in, e.cols[j].name) >= 0)
				dup = 1;
			schema_add(&in, e.cols[j].name, e.cols[j].type, ROLE_PASSTHROUGH);
		}
		if (!dup && encoder_bind(&e, &in, &out, err, sizeof err) == 0) {
			struct batch bi, bo;

			batch_init(&bi, &in);
			batch_init(&bo, &out);
			for (size_t i = 0; i < 3; i++) {
				size_t r = batch_add_row(&bi);

				for (size_t j = 0; j < in.ncols; j++) {
					const struct enc_column *c = &e.cols[j];

					if (c->type == COL_F64)
						batch_set_f64(&bi, r, j,
						              i == 0   ? 0.5
						              : i == 1 ? NAN
						                       : -1e308);
					else if (i == 0 && c->ncats > 0)
						batch_set_str(&bi, r, j, c->cats[0], c->catlen[0]);
					else
						batch_set_str(&bi, r, j, i == 1 ? "" : "zz",
						              i == 1 ? 0 : 2);
				}
			}
			(void)encoder_apply(&e, &bi, &bo, 1, err, sizeof err);
			batch_free(&bi);
			batch_free(&bo);
			schema_free(&out);
		}
		schema_free(&in);
		encoder_free(&e);
	}
	fclose(fp);
	free(copy);
	return 0;
}
