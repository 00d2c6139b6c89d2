/*
 * model_tool: drives the model library from tests.
 *   model_tool load FILE     validate a model: print "kind nfeatures target", or the error
 *   model_tool predict FILE  read rows of nfeatures numbers on stdin, print P(y = 1) each
 *   model_tool resave FILE   load a model and write it again on stdout
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "util.h"

int
main(int argc, char **argv)
{
	struct model m;
	char err[1024];
	FILE *fp;

	setprogname(argv[0]);
	if (argc != 3)
		usage_die("usage: model_tool load|predict|resave FILE");
	fp = fopen(argv[2], "rb");
	if (!fp)
		die("%s:", argv[2]);
	if (model_load(fp, argv[2], &m, err, sizeof err) < 0)
		die("%s", err);
	fclose(fp);
	if (strcmp(argv[1], "load") == 0) {
		printf("%s %zu %s\n", m.kind, m.nfeatures, m.target);
	} else if (strcmp(argv[1], "predict") == 0) {
		double *x = xreallocarray(NULL, m.nfeatures, sizeof *x), prob;

		for (;;) {
			size_t j;

			for (j = 0; j < m.nfeatures && scanf("%lf", &x[j]) == 1; j++)
				;
			if (j < m.nfeatures)
				break;
			model_predict(&m, x, 1, &prob);
			printf("%.17g\n", prob);
		}
		free(x);
	} else if (strcmp(argv[1], "resave") == 0) {
		model_save(stdout, "stdout", &m);
	} else {
		usage_die("unknown command %s", argv[1]);
	}
	model_free(&m);
	fshut(stdout, "stdout");
	return 0;
}
