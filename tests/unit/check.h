/*
 * check.h: what the C unit tests share. CHECK(cond) counts a check and reports one that
 * fails (file, line, condition) on stderr; check_summary() prints "N checks, M failed" and
 * gives main's exit status.
 */
#ifndef PIPEML_CHECK_H
#define PIPEML_CHECK_H

#include <stdio.h>

static int failures, checks;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		checks++;                                                                          \
		if (!(cond)) {                                                                     \
			failures++;                                                                \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
		}                                                                                  \
	} while (0)

static inline int
check_summary(void)
{
	printf("%d checks, %d failed\n", checks, failures);
	return failures != 0;
}

#endif
