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

/* The address-sanity rule: sources that are never offenders, as prefixes. */
#define NELEM(t) (sizeof(t) / sizeof((t)[0]))
#define V4(a, b, c, d, len) \
	{ 96 + (len), { { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d } } }
#define V6(a0, a1, a15, len) \
	{ len, { { a0, a1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, a15 } } }

static const struct refused {
	struct rg_lpm_key k;
	const char *why;
} refused_v4[] = {
	{ V4(0, 0, 0, 0, 8), "unspecified" },
	{ V4(127, 0, 0, 0, 8), "loopback" },
	{ V4(169, 254, 0, 0, 16), "link-local" },
	{ V4(255, 255, 255, 255, 32), "broadcast" },
	{ V4(224, 0, 0, 0, 4), "multicast" },
	{ V4(240, 0, 0, 0, 4), "reserved" },
}, refused_v6[] = {
	{ V6(0, 0, 0, 128), "unspecified" },
	{ V6(0, 0, 1, 128), "loopback" },
	{ V6(0, 0, 0, 96), "ipv4-compatible" },
	{ V6(0xfe, 0x80, 0, 10), "link-local" },
	{ V6(0xff, 0, 0, 8), "multicast" },
};
/* The rest of ::/8 outside the mapped space and NAT64 prefixes: no source
 * on the Internet, and an IPv6 /64 of it would cover ::ffff:0:0/96. */
static const struct rg_lpm_key reserved_v6 = V6(0, 0, 0, 8);
static const struct rg_lpm_key mapped = V4(0, 0, 0, 0, 0);
static const struct rg_lpm_key v4_compatible = V6(0, 0, 0, 96);
static const struct rg_lpm_key nat64_well_known = {
	96, { { 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 } }
};
static const struct rg_lpm_key teredo = { 32, { { 0x20, 0x01, 0, 0 } } };
static const struct rg_lpm_key six_to_four = { 16, { { 0x20, 0x02 } } };

static bool overlap(const struct rg_lpm_key *a, const struct rg_lpm_key *b)
{
	return a->prefixlen <= b->prefixlen ? addr_in_prefix(a, &b->addr) :
					      addr_in_prefix(b, &a->addr);
}

static bool inside(const struct rg_lpm_key *k, const struct rg_lpm_key *p)
{
	return k->prefixlen >= p->prefixlen && addr_in_prefix(p, &k->addr);
}

/* Why k lies inside a block of t, or NULL. Inside, not overlapping: a /8
 * an admin aggregates IPv4 into may hold 169.254/16 without being it. */
static const char *refused_in(const struct refused *t, size_t n, const struct rg_lpm_key *k)
{
	for (size_t i = 0; i < n; i++)
		if (inside(k, &t[i].k))
			return t[i].why;
	return NULL;
}

/* The i-th NAT64 prefix, the well-known one first; NULL past the last. */
static const struct rg_lpm_key *nat64_at(const struct nat64_prefixes *n, unsigned i)
{
	if (i == 0)
		return &nat64_well_known;
	return n && i <= n->n ? &n->v[i - 1] : NULL;
}

static const struct rg_lpm_key *nat64_holding(const struct rg_lpm_key *k,
					      const struct nat64_prefixes *n)
{
	const struct rg_lpm_key *p;

	for (unsigned i = 0; (p = nat64_at(n, i)); i++)
		if (inside(k, p))
			return p;
	return NULL;
}

static const struct rg_lpm_key *nat64_within(const struct rg_lpm_key *k,
					     const struct nat64_prefixes *n)
{
	const struct rg_lpm_key *p;

	for (unsigned i = 0; (p = nat64_at(n, i)); i++)
		if (inside(p, k))
			return p;
	return NULL;
}

/* The prefix that carries k's IPv4 client right after it: 6to4 or a NAT64
 * prefix; or NULL. */
static const struct rg_lpm_key *carrier_holding(const struct rg_lpm_key *k,
						const struct nat64_prefixes *n)
{
	return inside(k, &six_to_four) ? &six_to_four : nat64_holding(k, n);
}

/* Bits of [from, to) inside the u octet (bits 64..71), which RFC 6052
 * addresses skip. */
static unsigned u_bits(unsigned from, unsigned to)
{
	unsigned lo = from > 64 ? from : 64, hi = to < 72 ? to : 72;

	return hi > lo ? hi - lo : 0;
}

/* The IPv4 network a key inside carrier p carries, mapped. */
static struct rg_lpm_key carried_v4(const struct rg_lpm_key *k, const struct rg_lpm_key *p)
{
	struct rg_lpm_key v = mapped;
	unsigned pos = p->prefixlen / 8, bits = k->prefixlen - p->prefixlen;

	bits -= u_bits(p->prefixlen, k->prefixlen);
	for (unsigned i = 12; i < 16; i++, pos++) {
		if (pos == 8)
			pos++;
		v.addr.a[i] = k->addr.a[pos];
	}
	v.prefixlen = 96 + (bits > 32 ? 32 : bits);
	addr_mask(&v);
	return v;
}

const char *addr_nat64_check(const struct rg_lpm_key *p)
{
	unsigned l = p->prefixlen;

	if (l != 32 && l != 40 && l != 48 && l != 56 && l != 64 && l != 96)
		return "a NAT64 prefix is /32, /40, /48, /56, /64 or /96 (RFC 6052)";
	if (overlap(p, &mapped) || overlap(p, &v4_compatible) || overlap(p, &six_to_four) ||
	    overlap(p, &teredo) || refused_in(refused_v6, NELEM(refused_v6), p))
		return "a NAT64 prefix must not overlap the IPv4-mapped, unspecified, loopback, "
		       "IPv4-compatible, link-local, multicast, 6to4 or Teredo space";
	return NULL;
}

static bool is_teredo_client(const struct rg_lpm_key *k)
{
	return k->prefixlen == 128 && inside(k, &teredo);
}

const char *addr_refused(const struct rg_lpm_key *k, const struct nat64_prefixes *n)
{
	const struct rg_lpm_key *p;
	struct rg_lpm_key v4;
	const char *why;

	if (inside(&mapped, k))
		return "covers-ipv4-mapped";
	if (inside(k, &mapped)) {
		v4 = *k;
	} else if ((p = carrier_holding(k, n))) {
		v4 = carried_v4(k, p);
	} else if (is_teredo_client(k)) {
		/* Its client IPv4, obfuscated (inverted) in the last 32 bits. */
		v4 = mapped;
		v4.prefixlen = 128;
		for (unsigned i = 12; i < 16; i++)
			v4.addr.a[i] = (unsigned char)~k->addr.a[i];
	} else {
		if (nat64_within(k, n))
			return "covers-nat64";
		if (k->prefixlen < 32)
			return "too-wide";
		why = refused_in(refused_v6, NELEM(refused_v6), k);
		return why ? why : inside(k, &reserved_v6) ? "reserved" : NULL;
	}
	return v4.prefixlen < 96 + 8 ? "too-wide" : refused_in(refused_v4, NELEM(refused_v4), &v4);
}

bool addr_carries_v4(const struct rg_addr *a, const struct nat64_prefixes *n)
{
	struct rg_lpm_key k = { .prefixlen = 128, .addr = *a };

	return addr_is_v4(a) || carrier_holding(&k, n);
}

struct rg_lpm_key addr_record_key(const struct rg_lpm_key *k)
{
	struct rg_lpm_key r = *k;

	/* Server (bits 32..63), flags and port (64..95) are the client's to choose. */
	if (is_teredo_client(k))
		memset(&r.addr.a[4], 0, 8);
	return r;
}

/* How many leading bits a and b share. */
static unsigned common_bits(const struct rg_addr *a, const struct rg_addr *b)
{
	unsigned i = 0;

	while (i < 128 && !((a->a[i / 8] ^ b->a[i / 8]) & (0x80 >> (i % 8))))
		i++;
	return i;
}

unsigned addr_key_bits(const struct rg_addr *a, unsigned v4bits, unsigned v6bits,
		       const struct nat64_prefixes *n)
{
	struct rg_lpm_key k = { .prefixlen = 128, .addr = *a };
	const struct rg_lpm_key *p;
	unsigned l;

	if (addr_is_v4(a))
		return 96 + v4bits;
	if ((p = carrier_holding(&k, n))) {
		l = p->prefixlen + v4bits;
		return l + (u_bits(p->prefixlen, l) ? 8 : 0);
	}
	if (inside(&k, &teredo))
		return 128;
	/* Never a network holding a NAT64 prefix: narrow it to the longest
	 * length that leaves the prefix out. */
	for (unsigned i = 0; (p = nat64_at(n, i)); i++) {
		k.prefixlen = v6bits;
		addr_mask(&k);
		if (inside(p, &k))
			v6bits = common_bits(a, &p->addr) + 1;
		k.addr = *a;
	}
	return v6bits;
}

/* "16777216 IPv4 addresses", "2^64 IPv6 addresses". */
static void count(char *buf, size_t len, unsigned bits, const char *what)
{
	if (bits <= 32)
		snprintf(buf, len, "%llu %s", 1ULL << bits, what);
	else
		snprintf(buf, len, "2^%u %s", bits, what);
}

bool addr_needs_force(const struct rg_lpm_key *k, const struct nat64_prefixes *n, char *covers,
		      size_t len)
{
	const struct rg_lpm_key *p;
	char c[64], pfx[ADDR_STRLEN];
	struct rg_lpm_key v4;

	if (inside(&mapped, k)) {
		count(c, sizeof(c), 128 - k->prefixlen, "addresses");
		snprintf(covers, len, "every IPv4 address (::ffff:0:0/96) among %s", c);
		return true;
	}
	if (inside(k, &mapped)) {
		count(covers, len, 128 - k->prefixlen, "IPv4 addresses");
		return k->prefixlen < 96 + 8;
	}
	if ((p = carrier_holding(k, n))) {
		v4 = carried_v4(k, p);
		addr_format(p, pfx, sizeof(pfx));
		count(c, sizeof(c), 128 - v4.prefixlen, "IPv4 clients");
		snprintf(covers, len, "%s through %s %s", c, p == &six_to_four ? "6to4" :
			 "NAT64 prefix", pfx);
		return v4.prefixlen < 96 + 8;
	}
	if ((p = nat64_within(k, n))) {
		addr_format(p, pfx, sizeof(pfx));
		count(c, sizeof(c), 128 - k->prefixlen, "IPv6 addresses");
		snprintf(covers, len, "every IPv4 client through NAT64 prefix %s among %s", pfx, c);
		return true;
	}
	count(covers, len, 128 - k->prefixlen, "IPv6 addresses");
	return k->prefixlen < 32;
}
