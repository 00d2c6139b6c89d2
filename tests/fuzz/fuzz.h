/*
 * fuzz.h: what the libFuzzer harnesses share. Each harness defines LLVMFuzzerTestOneInput;
 * `make fuzz` links it with libFuzzer, `make test` with replay.c (a main() that feeds it the
 * committed corpus and crash inputs), so it builds with gcc too.
 */
#ifndef PIPEML_FUZZ_H
#define PIPEML_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A read-only FILE over a copy of data (fmemopen refuses size 0 on some libcs). */
static inline FILE *
fuzz_fopen(const uint8_t *data, size_t size, char **copy)
{
	*copy = malloc(size + 1);
	if (*copy == NULL)
		abort();
	if (size > 0)
		memcpy(*copy, data, size);
	if (size == 0)
		return fopen("/dev/null", "r");
	return fmemopen(*copy, size, "r");
}

/* data written to a fresh file in a fresh temp dir: returns the dir; *path the file. */
static inline char *
fuzz_tmpfile(const uint8_t *data, size_t size, const char *fname, char **path)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = malloc(4096), *p = malloc(4096);
	FILE *fp;

	if (dir == NULL || p == NULL)
		abort();
	snprintf(dir, 4096, "%s/pipeml-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(p, 4096, "%s/%s", dir, fname);
	fp = fopen(p, "wb");
	if (fp == NULL || (size > 0 && fwrite(data, 1, size, fp) != size) || fclose(fp) != 0)
		abort();
	*path = p;
	return dir;
}

static inline void
fuzz_rmtmp(char *dir, char *path)
{
	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
}

#endif
