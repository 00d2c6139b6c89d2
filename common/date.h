/* date.h: calendar dates as day numbers — a lenient, fast parser and the ISO 8601 form. */
#ifndef PIPEML_DATE_H
#define PIPEML_DATE_H

#include <stddef.h>
#include <stdint.h>

#define DATE_ISO_LEN 10 /* "YYYY-MM-DD" */

/*
 * Parse a date written YYYY-M-D: a four-digit year, a month and a day of one or two digits
 * each, separated by '-' (2024-01-01, 2024-1-1, 2024-01-1). The day must exist in that
 * month (leap years counted). On success stores the days since 1970-01-01 in *days and
 * returns 0; returns -1 for anything else (no spaces, no time of day).
 */
int date_parse(const char *s, size_t len, int32_t *days);

/* Write days (since 1970-01-01, years 0000–9999) as YYYY-MM-DD plus a NUL into buf. */
void date_format(int32_t days, char buf[DATE_ISO_LEN + 1]);

#endif
