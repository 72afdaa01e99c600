/* duration.c - human durations and the clocks bans are measured in. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "duration.h"

int duration_parse(const char *s, uint64_t *secs, char *err, size_t errlen)
{
	uint64_t total = 0;
	const char *p = s;

	if (strcmp(s, "permanent") == 0) {
		*secs = 0;
		return 0;
	}
	if (!*p)
		goto bad;
	while (*p) {
		uint64_t n = 0, unit;

		if (*p < '0' || *p > '9')
			goto bad;
		while (*p >= '0' && *p <= '9') {
			n = n * 10 + (uint64_t)(*p++ - '0');
			if (n > DURATION_MAX_SECS)
				goto too_long;
		}
		switch (*p) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		case 'w': unit = 7 * 86400; break;
		case '\0':
			/* A bare number means seconds, but only on its own. */
			if (p == s || total)
				goto bad;
			unit = 1;
			p--;
			break;
		default:
			goto bad;
		}
		p++;
		total += n * unit;
		if (total > DURATION_MAX_SECS)
			goto too_long;
	}
	if (total == 0) {
		snprintf(err, errlen, "'%s' is no time at all; a ban without end is 'permanent'", s);
		return -1;
	}
	*secs = total;
	return 0;
bad:
	snprintf(err, errlen, "'%s' is not a duration (like 30s, 10m, 1h, 7d or permanent)", s);
	return -1;
too_long:
	snprintf(err, errlen, "'%s' is longer than ten years; use permanent", s);
	return -1;
}

uint64_t duration_expiry_ns(uint64_t secs)
{
	if (!secs)
		return 0;
	if (secs > DURATION_MAX_SECS)
		secs = DURATION_MAX_SECS;
	return mono_ns() + secs * 1000000000ULL;
}

void duration_format(uint64_t secs, char *buf, size_t len)
{
	uint64_t d = secs / 86400, h = secs / 3600 % 24, m = secs / 60 % 60, s = secs % 60;

	if (d)
		snprintf(buf, len, "%llud%02lluh", (unsigned long long)d, (unsigned long long)h);
	else if (h)
		snprintf(buf, len, "%lluh%02llum", (unsigned long long)h, (unsigned long long)m);
	else if (m)
		snprintf(buf, len, "%llum%02llus", (unsigned long long)m, (unsigned long long)s);
	else
		snprintf(buf, len, "%llus", (unsigned long long)s);
}

uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t wall_secs(void)
{
	return (uint64_t)time(NULL);
}
