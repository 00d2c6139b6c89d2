/*
 * Fuzz csvclean's state loader and rules. The first byte picks the mode: even, the rest is a
 * saved state (clean_load_state); odd, it is rule lines "flag arg" (clean_add_rule,
 * clean_check_rules) up to a blank line, then CSV that is bound and cleaned row by row.
 */
#include "clean.h"
#include "csvin.h"
#include "fuzz.h"

struct run {
	struct clean *c;
	struct batch parsed;
	int bound;
};

static int
on_row(void *ctx, const struct csv_row *row)
{
	struct run *run = ctx;
	char err[512];

	if (row->recno == 0) {
		if (clean_bind(run->c, row, "fuzz", err, sizeof err) < 0)
			return 1;
		batch_init(&run->parsed, clean_parsed_schema(run->c));
		run->bound = 1;
		return 0;
	}
	return clean_row(run->c, row, &run->parsed, err, sizeof err) < 0;
}

static void
clean_csv(struct clean *c, const uint8_t *data, size_t size)
{
	struct run run = {.c = c};
	struct csvin_opts opts = {.max_field = 4096};
	char err[512], *copy;
	FILE *fp = fuzz_fopen(data, size, &copy);

	if (csvin_read(fp, "fuzz", &opts, on_row, &run, err, sizeof err) == 0 && run.bound) {
		struct batch out;

		if (!clean_is_applying(c))
			clean_learn(c, &run.parsed, 1);
		batch_init(&out, clean_output_schema(c));
		clean_transform(c, &run.parsed, &out);
		batch_free(&out);
	}
	if (run.bound)
		batch_free(&run.parsed);
	fclose(fp);
	free(copy);
}

static void
rules(const uint8_t *data, size_t size)
{
	struct clean *c = clean_new();
	char err[512], line[512];
	size_t i = 0;
	int ok = 1;

	while (i < size && ok) {
		size_t n = 0;
		char *arg;

		while (i < size && data[i] != '\n' && n < sizeof line - 1)
			line[n++] = (char)data[i++];
		line[n] = '\0';
		while (i < size && data[i] != '\n')
			i++;
		i++;
		if (n == 0)
			break;
		arg = strchr(line, ' ');
		if (arg != NULL)
			*arg++ = '\0';
		if (!clean_is_rule(line) || strlen(line) != n - (arg ? strlen(arg) + 1 : 0))
			ok = 0; /* an unknown flag or a NUL byte */
		else if (clean_add_rule(c, line,
		                        /* as getopt gives them: only --coerce has no argument */
		                        strcmp(line, "coerce") == 0 ? NULL
		                        : arg                       ? arg
		                                                    : "",
		                        err, sizeof err) < 0)
			ok = 0;
	}
	if (ok && clean_check_rules(c, err, sizeof err) == 0 && i < size)
		clean_csv(c, data + i, size - i);
	clean_free(c);
}

static void
state(const uint8_t *data, size_t size)
{
	struct clean *c = clean_new();
	char err[512], *path, *dir = fuzz_tmpfile(data, size, "state", &path);

	if (clean_load_state(c, path, err, sizeof err) == 0) {
		static const char csv[] = "a,b,c\n1,x,2020-01-01\n,,\n";

		clean_csv(c, (const uint8_t *)csv, sizeof csv - 1);
	}
	clean_free(c);
	fuzz_rmtmp(dir, path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		rules(data + 1, size - 1);
	else
		state(data + 1, size - 1);
	return 0;
}
