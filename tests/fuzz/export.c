/*
 * Fuzz export's inputs: a model file, loaded, then written as a scikit-learn pickle or an
 * XGBoost JSON model (to /dev/null). export.c is compiled in with its main() renamed; the
 * inputs it refuses with die() (exit 1) are skipped by the same checks first.
 */
#define main export_main
#include "../../tools/export.c"
#undef main

#include "fuzz.h"

static int
exportable(const struct model *m)
{
	struct logreg_config cfg;
	char err[512];

	for (size_t j = 0; j < m->nfeatures; j++)
		if (!valid_utf8(m->features[j]) ||
		    (strcmp(m->kind, "gbt") == 0 && opt.names != NAMES_NEVER &&
		     strpbrk(m->features[j], "[]<")))
			return 0;
	if (strcmp(m->kind, "logreg") == 0) {
		logreg_config_default(&cfg);
		for (size_t i = 0; i < m->nparams; i++)
			if (logreg_set_param(&cfg, m->params[i].name, m->params[i].value, err,
			                     sizeof err) < 0)
				return 0;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], *copy;
	FILE *fp = fuzz_fopen(data, size, &copy);
	struct model m;

	setprogname("export");
	if (model_load(fp, "fuzz", &m, err, sizeof err) == 0) {
		opt.names = size % 3 == 0 ? NAMES_AUTO : size % 3 == 1 ? NAMES_ALWAYS : NAMES_NEVER;
		if (exportable(&m)) {
			FILE *out = fopen("/dev/null", "w");

			if (strcmp(m.kind, "logreg") == 0)
				write_sklearn(out, &m, "fuzz");
			else if (strcmp(m.kind, "gbt") == 0)
				write_xgboost_json(out, &m, "fuzz");
			fclose(out);
		}
		model_free(&m);
	}
	fclose(fp);
	free(copy);
	return 0;
}
