/* Fuzz the JSON parser alone, and write back what it parsed. */
#include "fuzz.h"
#include "json.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct json j;

	if (json_parse((const char *)data, size, &j, err, sizeof err) == 0) {
		struct jbuf b;
		struct json k;

		jbuf_init(&b);
		jbuf_json(&b, &j);
		/* what it writes parses again */
		if (json_parse(b.s, b.len, &k, err, sizeof err) != 0)
			abort();
		json_free(&k);
		jbuf_free(&b);
		json_free(&j);
	}
	return 0;
}
