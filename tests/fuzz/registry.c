/* Fuzz the registry's log reader (log.jsonl, one JSON event a line) and what looks at it. */
#include "fuzz.h"
#include "registry.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], *path, *dir = fuzz_tmpfile(data, size, "log.jsonl", &path);
	struct registry r;

	if (registry_open(&r, dir, 0, err, sizeof err) == 0) {
		(void)registry_find(&r, "m", err, sizeof err);
		(void)registry_find(&r, "m@1", err, sizeof err);
		(void)registry_find(&r, "m@production", err, sizeof err);
		(void)registry_stage(&r, "m", STAGE_PRODUCTION);
		registry_close(&r);
	}
	fuzz_rmtmp(dir, path);
	return 0;
}
