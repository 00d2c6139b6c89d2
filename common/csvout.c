#include <math.h>
#include <string.h>

#include "csvin.h"
#include "csvout.h"
#include "util.h"

void
csvout_header(FILE *fp, const struct schema *s, int with_roles)
{
	for (size_t j = 0; j < s->ncols; j++) {
		char cell[STREAM_MAX_NAME + 32];

		if (j)
			putc(',', fp);
		if (with_roles)
			snprintf(cell, sizeof cell, "%s:%s:%s", s->cols[j].name,
			         col_type_name(s->cols[j].type), col_role_name(s->cols[j].role));
		else
			snprintf(cell, sizeof cell, "%s", s->cols[j].name);
		csv_put_field(fp, cell, strlen(cell));
	}
	putc('\n', fp);
}

void
csvout_batch(FILE *fp, const struct batch *b)
{
	char num[40];

	for (size_t i = 0; i < b->nrows; i++) {
		for (size_t j = 0; j < b->ncols; j++) {
			if (j)
				putc(',', fp);
			if (b->types[j] == COL_F64) {
				double x = b->cols[j].f64[i];

				if (!isnan(x)) {
					format_f64(num, sizeof num, x);
					fputs(num, fp);
				}
			} else {
				size_t len;
				const char *s = batch_str(b, i, j, &len);

				csv_put_field(fp, s, len);
			}
		}
		putc('\n', fp);
	}
}
