#include "date.h"

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/*
 * Days from civil and back, after H. Hinnant's algorithms: years start in March so that
 * the leap day is the last day of the year; an era is 400 years (146097 days).
 */
static int32_t
days_from_civil(int y, int m, int d)
{
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int32_t)(era * 146097 + doe - 719468);
}

int
date_parse(const char *s, size_t len, int32_t *days)
{
	static const unsigned char mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y = 0, m = 0, d = 0;
	size_t i = 0, start;

	if (len < 8 || len > 10)
		return -1;
	for (; i < 4; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		y = y * 10 + (s[i] - '0');
	}
	if (s[i++] != '-')
		return -1;
	for (start = i; i < len && i - start < 2 && s[i] >= '0' && s[i] <= '9'; i++)
		m = m * 10 + (s[i] - '0');
	if (i == start || i >= len || s[i++] != '-')
		return -1;
	for (start = i; i < len && i - start < 2 && s[i] >= '0' && s[i] <= '9'; i++)
		d = d * 10 + (s[i] - '0');
	if (i == start || i != len)
		return -1;
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1] + (m == 2 && is_leap(y)))
		return -1;
	*days = days_from_civil(y, m, d);
	return 0;
}

void
date_format(int32_t days, char buf[DATE_ISO_LEN + 1])
{
	int z = days + 719468;
	int era = (z >= 0 ? z : z - 146096) / 146097;
	int doe = z - era * 146097;
	int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int mp = (5 * doy + 2) / 153;
	int d = doy - (153 * mp + 2) / 5 + 1;
	int m = mp < 10 ? mp + 3 : mp - 9;
	int y = yoe + era * 400 + (m <= 2);

	buf[0] = (char)('0' + y / 1000 % 10);
	buf[1] = (char)('0' + y / 100 % 10);
	buf[2] = (char)('0' + y / 10 % 10);
	buf[3] = (char)('0' + y % 10);
	buf[4] = '-';
	buf[5] = (char)('0' + m / 10);
	buf[6] = (char)('0' + m % 10);
	buf[7] = '-';
	buf[8] = (char)('0' + d / 10);
	buf[9] = (char)('0' + d % 10);
	buf[10] = '\0';
}
