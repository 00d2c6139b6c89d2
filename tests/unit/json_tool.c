/*
 * json_tool: drives the JSON module from tests. Reads lines on stdin; for each prints the
 * value written again by jbuf_json, or "error: MESSAGE".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

int
main(int argc, char **argv)
{
	char *line = NULL, err[256];
	size_t cap = 0;
	ssize_t len;

	(void)argc;
	setprogname(argv[0]);
	while ((len = getline(&line, &cap, stdin)) > 0) {
		struct json j;
		struct jbuf b;

		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (json_parse(line, (size_t)len, &j, err, sizeof err) < 0) {
			printf("error: %s\n", err);
			continue;
		}
		jbuf_init(&b);
		jbuf_json(&b, &j);
		puts(b.s);
		jbuf_free(&b);
		json_free(&j);
	}
	free(line);
	fshut(stdout, "stdout");
	return 0;
}
