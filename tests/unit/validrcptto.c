/* validrcptto.c - the lookups of three validrcptto patches (validrcptto.h),
 * through tinycdb's cdb_seek(), the call the patches make. */
#include <cdb.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "validrcptto.h"

/* qmail's case_lowerb(): ASCII letters only. */
static char *lowered(const char *addr)
{
	char *s = strdup(addr);

	for (char *p = s; p && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	return s;
}

/* 1 found (fd at its data, *dlen its length), 0 not found, -1 error. */
static int seek(int fd, const char *key, size_t n, unsigned *dlen)
{
	return cdb_seek(fd, key, (unsigned)n, dlen);
}

/* The 2006 patch's and 7.08's search over the lower-cased address la. */
static int search(int fd, const char *la, unsigned *dlen)
{
	const char *at = strrchr(la, '@');
	size_t len = strlen(la), user;
	char *try;
	int r = seek(fd, la, len, dlen);

	if (r != 0 || !at)
		return r;
	if (!(try = malloc(len + 8)))
		return -1;
	for (user = (size_t)(at - la); r == 0;) {
		const char *dash = memrchr(la, '-', user);
		size_t keep;

		if (!dash)
			break;
		keep = (size_t)(dash - la) + 1;
		memcpy(try, la, keep);
		memcpy(try + keep, "default", 7);
		strcpy(try + keep + 7, at);
		r = seek(fd, try, strlen(try), dlen);
		user = keep - 1;
	}
	if (r == 0)
		r = seek(fd, at, strlen(at), dlen);
	free(try);
	return r;
}

enum vrt_answer vrt_jms1_708(int fd, const char *addr)
{
	char *la = lowered(addr), first = 0;
	unsigned dlen = 0;
	int r = la ? search(fd, la, &dlen) : -1;

	free(la);
	if (r < 0)
		return VRT_ERROR;
	if (r == 0)
		return VRT_REFUSE;
	if (dlen && read(fd, &first, 1) != 1)
		return VRT_ERROR;
	return first == '-' ? VRT_REFUSE : VRT_ACCEPT;
}

enum vrt_answer vrt_2006(int fd, const char *addr)
{
	char *la = lowered(addr);
	unsigned dlen;
	int r = la ? search(fd, la, &dlen) : -1;

	free(la);
	return r < 0 ? VRT_ERROR : r ? VRT_ACCEPT : VRT_REFUSE;
}

enum vrt_answer vrt_sagredo(int fd, const char *addr)
{
	char *la = lowered(addr), *neg = NULL;
	const char *at;
	unsigned dlen;
	int okaddr, noaddr = 0, okdom = 0, nodom = 0;

	if (!la || !(neg = malloc(strlen(la) + 2))) {
		free(la);
		return VRT_ERROR;
	}
	okaddr = seek(fd, la, strlen(la), &dlen);
	if ((at = strrchr(la, '@'))) {
		neg[0] = '-';
		strcpy(neg + 1, la);
		noaddr = seek(fd, neg, strlen(neg), &dlen);
		okdom = seek(fd, at, strlen(at), &dlen);
		strcpy(neg + 1, at);
		nodom = seek(fd, neg, strlen(neg), &dlen);
	}
	free(la);
	free(neg);
	if (okaddr < 0 || noaddr < 0 || okdom < 0 || nodom < 0)
		return VRT_ERROR;
	return okaddr ? VRT_ACCEPT : noaddr ? VRT_REFUSE : okdom ? VRT_ACCEPT :
	       nodom ? VRT_REFUSE : VRT_NONE;
}
