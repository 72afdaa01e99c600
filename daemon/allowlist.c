/* allowlist.c - the userspace allowlist, checked before every ban. It is
 * consulted only when a ban is about to happen, so a plain array serves. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"
#include "grow.h"
#include "allowlist.h"

int allowlist_add(struct allowlist *al, const struct rg_lpm_key *k, unsigned origin)
{
	for (size_t i = 0; i < al->n; i++)
		if (al->v[i].key.prefixlen == k->prefixlen &&
		    memcmp(&al->v[i].key.addr, &k->addr, sizeof(k->addr)) == 0) {
			/* Config beats manual: it comes back on every load. */
			if (origin == RG_ALLOW_CONFIG)
				al->v[i].origin = origin;
			return 0;
		}
	if (grow(&al->v, &al->cap, al->n + 1, sizeof(*al->v), 64) < 0)
		return -1;
	al->v[al->n++] = (struct allow_entry){ *k, origin };
	return 0;
}

int allowlist_del(struct allowlist *al, const struct rg_lpm_key *k)
{
	for (size_t i = 0; i < al->n; i++)
		if (al->v[i].key.prefixlen == k->prefixlen &&
		    memcmp(&al->v[i].key.addr, &k->addr, sizeof(k->addr)) == 0) {
			al->v[i] = al->v[--al->n];
			return 0;
		}
	return -1;
}

const struct allow_entry *allowlist_match(const struct allowlist *al, const struct rg_addr *a)
{
	for (size_t i = 0; i < al->n; i++)
		if (addr_in_prefix(&al->v[i].key, a))
			return &al->v[i];
	return NULL;
}

bool prefix_overlap(const struct rg_lpm_key *a, const struct rg_lpm_key *b)
{
	return a->prefixlen <= b->prefixlen ? addr_in_prefix(a, &b->addr) :
					      addr_in_prefix(b, &a->addr);
}

const struct allow_entry *allowlist_overlap(const struct allowlist *al,
					    const struct rg_lpm_key *k)
{
	for (size_t i = 0; i < al->n; i++)
		if (prefix_overlap(&al->v[i].key, k))
			return &al->v[i];
	return NULL;
}

void allowlist_free(struct allowlist *al)
{
	free(al->v);
	*al = (struct allowlist){ 0 };
}

/* Add the CIDRs covering the IPv4 range lo..hi. */
static int add_range(struct allowlist *al, uint32_t lo, uint32_t hi)
{
	uint64_t cur = lo, end = (uint64_t)hi + 1;

	while (cur < end) {
		struct rg_lpm_key k = { .addr.a = { [10] = 0xff, [11] = 0xff } };
		uint32_t n = htonl((uint32_t)cur);
		unsigned len = 32;

		/* The largest aligned block that starts at cur and fits. */
		while (len > 0) {
			uint64_t size = 1ULL << (32 - (len - 1));

			if ((cur & (size - 1)) || cur + size > end)
				break;
			len--;
		}
		memcpy(&k.addr.a[12], &n, 4);
		k.prefixlen = 96 + len;
		if (allowlist_add(al, &k, RG_ALLOW_CONFIG) < 0)
			return -1;
		cur += 1ULL << (32 - len);
	}
	return 0;
}

/* A tcprules address: "1.2.3.4", "1.2.3." (a prefix), "1.2.3.37-53".
 * Returns 0 added, 1 not an address (host names, info@, the default rule),
 * -1 malformed. */
static int tcprules_addr(struct allowlist *al, const char *s)
{
	unsigned o[4] = { 0 }, n = 0, last_hi = 0;
	const char *p = s;

	if (!*s || *s == '=' || strchr(s, '@') || strchr(s, ':'))
		return 1;
	while (*p && n < 4) {
		char *end;
		unsigned long v = strtoul(p, &end, 10);

		if (end == p || v > 255)
			return -1;
		o[n++] = (unsigned)v;
		p = end;
		if (*p == '-') {
			unsigned long hi = strtoul(p + 1, &end, 10);

			if (end == p + 1 || hi > 255 || hi < v)
				return -1;
			last_hi = (unsigned)hi;
			/* "1.2.3.37-53", or "1.2.3-5." for whole /24s */
			p = *end == '.' && !end[1] ? end + 1 : end;
			break;
		}
		if (*p == '.')
			p++;
		else if (*p)
			return -1;
	}
	if (*p)
		return -1;
	{
		bool prefix = s[strlen(s) - 1] == '.';
		uint32_t base = o[0] << 24 | o[1] << 16 | o[2] << 8 | o[3];
		unsigned bits = 8 * n;

		if (last_hi) {
			uint32_t lo = base, hi = base + ((uint32_t)(last_hi - o[n - 1]) << (32 - bits));

			/* A range in the last given octet; the rest is a prefix. */
			return add_range(al, lo, hi | ((bits < 32) ? (1U << (32 - bits)) - 1 : 0));
		}
		if (!prefix && n != 4)
			return 1;       /* "1.2.3" matches no address in tcprules */
		return add_range(al, base, base | (bits < 32 ? (1U << (32 - bits)) - 1 : 0));
	}
}

int allowlist_read_file(struct allowlist *al, const char *path, size_t *skipped,
			char *err, size_t errlen)
{
	char line[1024];
	unsigned lineno = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		snprintf(err, errlen, "cannot open allow_file %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *s = line, *e, *colon;
		struct rg_lpm_key k;
		char why[128];
		int rc;

		lineno++;
		while (isspace((unsigned char)*s))
			s++;
		e = s + strlen(s);
		while (e > s && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (!*s || *s == '#')
			continue;
		/* tcprules: ADDR:allow,RELAYCLIENT="" — only lines that grant
		 * relaying are allowlisted; others say nothing about trust. */
		colon = NULL;
		for (char *c = strchr(s, ':'); c; c = strchr(c + 1, ':'))
			if (strncmp(c + 1, "allow", 5) == 0 || strncmp(c + 1, "deny", 4) == 0)
				colon = c;
		if (colon) {
			*colon = '\0';
			if (strncmp(colon + 1, "allow", 5) != 0 || !strstr(colon + 1, "RELAYCLIENT"))
				continue;
			rc = tcprules_addr(al, s);
			if (rc == 1)
				(*skipped)++;
			if (rc >= 0)
				continue;
			snprintf(err, errlen, "%s:%u: '%.60s' is not a tcprules address", path,
				 lineno, s);
			fclose(f);
			return -1;
		}
		if (addr_parse(s, &k, why, sizeof(why)) < 0 ||
		    allowlist_add(al, &k, RG_ALLOW_CONFIG) < 0) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}
