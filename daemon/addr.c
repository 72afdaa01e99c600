/* addr.c - IPv4/IPv6 addresses and prefixes, IPv4 mapped into ::ffff:0:0/96. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"

static const unsigned char v4_mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

bool addr_is_v4(const struct rg_addr *a)
{
	return memcmp(a->a, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0;
}

void addr_mask(struct rg_lpm_key *k)
{
	for (unsigned i = 0; i < 16; i++) {
		int keep = (int)k->prefixlen - (int)i * 8;

		if (keep <= 0)
			k->addr.a[i] = 0;
		else if (keep < 8)
			k->addr.a[i] &= (unsigned char)(0xff << (8 - keep));
	}
}

int addr_parse(const char *s, struct rg_lpm_key *out, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t hlen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long len;
	struct in_addr v4;
	bool is_v4;

	if (hlen == 0 || hlen >= sizeof(host)) {
		snprintf(err, errlen, "'%s' is not an IPv4 or IPv6 address", s);
		return -1;
	}
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, host, &v4) == 1) {
		memcpy(out->addr.a, v4_mapped_prefix, 12);
		memcpy(&out->addr.a[12], &v4, 4);
		is_v4 = true;
	} else if (inet_pton(AF_INET6, host, out->addr.a) == 1) {
		is_v4 = addr_is_v4(&out->addr);
	} else {
		snprintf(err, errlen, "'%s' is not an IPv4 or IPv6 address", s);
		return -1;
	}
	out->prefixlen = 128;
	if (slash) {
		const char *num = slash + 1;
		char *endp;
		/* A prefix on a literal IPv6 form of a mapped address counts in
		 * IPv6 bits; on dotted IPv4 it counts in IPv4 bits. */
		bool v4_bits = is_v4 && !strchr(host, ':');
		unsigned long max = v4_bits ? 32 : 128;

		if (*num < '0' || *num > '9') {
			snprintf(err, errlen, "'%s': prefix length must be a number", s);
			return -1;
		}
		len = strtoul(num, &endp, 10);
		if (*endp || len > max) {
			snprintf(err, errlen, "'%s': prefix length must be 0..%lu", s, max);
			return -1;
		}
		out->prefixlen = (unsigned)(v4_bits ? len + 96 : len);
	}
	addr_mask(out);
	return 0;
}

void addr_format(const struct rg_lpm_key *k, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];
	bool v4 = addr_is_v4(&k->addr) && k->prefixlen >= 96;
	unsigned bits = v4 ? k->prefixlen - 96 : k->prefixlen;

	if (v4)
		inet_ntop(AF_INET, &k->addr.a[12], host, sizeof(host));
	else
		inet_ntop(AF_INET6, k->addr.a, host, sizeof(host));
	if (k->prefixlen == 128)
		snprintf(buf, len, "%s", host);
	else
		snprintf(buf, len, "%s/%u", host, bits);
}

bool addr_in_prefix(const struct rg_lpm_key *p, const struct rg_addr *a)
{
	struct rg_lpm_key k = { .prefixlen = p->prefixlen, .addr = *a };

	addr_mask(&k);
	return memcmp(k.addr.a, p->addr.a, 16) == 0;
}
