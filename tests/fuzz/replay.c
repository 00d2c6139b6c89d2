/*
 * replay.c: run a fuzz harness without libFuzzer. Every operand is a file or a directory
 * (its regular files, sorted); each file's bytes go to LLVMFuzzerTestOneInput once. Exits 0
 * when every input returned; a crash shows as a signal (or a sanitizer report).
 */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

#include "fuzz.h"

static int
run_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (fp == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return 1;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			buf = realloc(buf, cap);
			if (buf == NULL)
				abort();
		}
		n = fread(buf + len, 1, cap - len, fp);
		if (n == 0)
			break;
		len += n;
	}
	fclose(fp);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	int rc = 0;
	size_t total = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		struct dirent **ents;
		int n;

		if (stat(argv[i], &st) != 0)
			continue; /* an absent crashes/ dir is fine */
		if (!S_ISDIR(st.st_mode)) {
			rc |= run_file(argv[i]);
			total++;
			continue;
		}
		n = scandir(argv[i], &ents, NULL, alphasort);
		for (int k = 0; k < n; k++) {
			char path[4096];

			snprintf(path, sizeof path, "%s/%s", argv[i], ents[k]->d_name);
			if (ents[k]->d_name[0] != '.' && stat(path, &st) == 0 &&
			    S_ISREG(st.st_mode)) {
				rc |= run_file(path);
				total++;
			}
			free(ents[k]);
		}
		free(ents);
	}
	printf("replayed %zu inputs\n", total);
	return rc;
}
