/* csvout.h: write pipeml rows as CSV — the header, then batches of rows. */
#ifndef PIPEML_CSVOUT_H
#define PIPEML_CSVOUT_H

#include <stdio.h>

#include "stream.h"

/* The header line: column names (as name:type:role when with_roles), quoted as needed. */
void csvout_header(FILE *fp, const struct schema *s, int with_roles);
/* One line per row: numbers in their shortest exact form, missing values empty. */
void csvout_batch(FILE *fp, const struct batch *b);

#endif
