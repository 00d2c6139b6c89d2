/* pipeml: the front command of an installed suite — `pipeml TOOL [args]` runs the tool. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static const char *const tools[] = {
        "csvclean", "encode", "split",  "fit-logreg", "fit-gbt", "pick-best", "score",
        "registry", "export", "report", "drift",      "synth",   "from-csv",  "to-csv",
};

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: %s TOOL [ARG ...]\n       %s --help | --version\ntools:", progname,
	        progname);
	for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++)
		fprintf(fp, " %s", tools[i]);
	fprintf(fp, "\n");
}

/* The tools live in the compiled-in libexec directory, or beside this program in a build. */
static int
tool_path(char *buf, size_t size, const char *dir, const char *tool)
{
	int n = snprintf(buf, size, "%s/%s", dir, tool);

	return n > 0 && (size_t)n < size && access(buf, X_OK) == 0;
}

int
main(int argc, char **argv)
{
	char path[PATH_MAX], self[PATH_MAX], *slash;
	ssize_t n;

	setprogname(argv[0]);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("%s %s\n", progname, PIPEML_VERSION);
		return 0;
	}
	if (strchr(argv[1], '/') || strcmp(argv[1], "pipeml") == 0)
		usage_die("%s: not a pipeml tool", argv[1]);
	if (!tool_path(path, sizeof path, PIPEML_LIBEXECDIR, argv[1])) {
		/* Relocated or staged (DESTDIR) installs: BINDIR/../libexec/pipeml; a build: bin/.
		 */
		n = readlink("/proc/self/exe", self, sizeof self - 32);
		if (n <= 0)
			usage_die("%s: not a pipeml tool", argv[1]);
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL)
			*slash = '\0';
		if (!tool_path(path, sizeof path, strcat(self, "/../libexec/pipeml"), argv[1])) {
			self[strlen(self) - strlen("/../libexec/pipeml")] = '\0';
			if (!tool_path(path, sizeof path, self, argv[1]))
				usage_die("%s: not a pipeml tool (see pipeml --help)", argv[1]);
		}
	}
	execv(path, argv + 1);
	die("%s:", path);
}
