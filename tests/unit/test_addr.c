/* test_addr.c - address and prefix parsing and printing, and the
 * address-sanity rule: per class, and a property over random networks. */
#include <stdlib.h>
#include <string.h>
#include "addr.h"
#include "tap.h"

static struct rg_lpm_key K(const char *s)
{
	struct rg_lpm_key k;
	char err[128];

	if (addr_parse(s, &k, err, sizeof(err)) < 0)
		abort();
	return k;
}

static const char *why(const char *s, const struct nat64_prefixes *n)
{
	struct rg_lpm_key k = K(s);
	const char *w = addr_refused(&k, n);

	return w ? w : "-";
}

/* Each class of the rule, with what it is called in the log. */
static void refused_classes(void)
{
	static const char *const t[][2] = {
		{ "::", "unspecified" }, { "0.0.0.0", "unspecified" },
		{ "::ffff:0.0.0.0", "unspecified" }, { "0.1.2.3", "unspecified" },
		{ "::1", "loopback" }, { "127.0.0.1", "loopback" }, { "127.255.0.9", "loopback" },
		{ "169.254.1.1", "link-local" }, { "fe80::1", "link-local" },
		{ "febf:ffff::1", "link-local" }, { "224.0.0.1", "multicast" },
		{ "239.255.255.250", "multicast" }, { "ff02::1", "multicast" },
		{ "ff0e::1", "multicast" }, { "255.255.255.255", "broadcast" },
		{ "240.0.0.1", "reserved" }, { "255.255.255.254", "reserved" },
		{ "::2", "ipv4-compatible" }, { "::1.2.3.4", "ipv4-compatible" },
		{ "::1:0:0:1", "reserved" }, { "1::1", "reserved" }, { "64:ff9b:1::1", "reserved" },
		/* NAT64: judged as the IPv4 inside */
		{ "64:ff9b::0.0.0.0", "unspecified" }, { "64:ff9b::255.255.255.255", "broadcast" },
		{ "64:ff9b::127.0.0.1", "loopback" }, { "64:ff9b::224.1.2.3", "multicast" },
		/* 6to4 (2002:V4::/48) and a Teredo client (its IPv4 inverted): the IPv4 */
		{ "2002:7f00:1::1", "loopback" }, { "2002::1", "unspecified" },
		{ "2002:e000:1:5::1", "multicast" }, { "2002:c000::/23", "too-wide" },
		{ "2002:c000:201::/40", "-" }, { "2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback" },
		{ "2001:0:4136:e378:8000:63bf:ffff:ffff", "unspecified" },
		{ "2001:0:4136:e378:8000:63bf:1fff:fffe", "multicast" },
		/* networks: wider than /8 of IPv4 or /32 of IPv6, or over the mapped space */
		{ "::/64", "covers-ipv4-mapped" }, { "::/0", "covers-ipv4-mapped" },
		{ "::ffff:0:0/96", "covers-ipv4-mapped" }, { "::ffff:0:0/95", "covers-ipv4-mapped" },
		{ "10.0.0.0/7", "too-wide" }, { "2001:db8::/31", "too-wide" },
		{ "64:ff9b::/64", "covers-nat64" }, { "64:ff9b::/96", "too-wide" },
		{ "64:ff9b::a00:0/103", "too-wide" }, { "0.0.0.0/8", "unspecified" },
		{ "224.0.0.0/8", "multicast" },
		/* clients */
		{ "192.0.2.1", "-" }, { "::ffff:192.0.2.1", "-" }, { "2001:db8::1", "-" },
		{ "64:ff9b::192.0.2.1", "-" }, { "2002:c000:201::1", "-" }, { "2001:0:4136:e378:8000:63bf:3fff:fdd2", "-" },
		{ "fec0::1", "-" }, { "10.0.0.0/8", "-" }, { "169.0.0.0/8", "-" },
		{ "2001:db8::/32", "-" }, { "2001:db8::/64", "-" }, { "64:ff9b::192.0.2.0/120", "-" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ok(strcmp(why(t[i][0], NULL), t[i][1]) == 0, "%s: %s (got %s)", t[i][0], t[i][1],
		   why(t[i][0], NULL));
}

/* Where the IPv4 sits in a NAT64 address of each RFC 6052 prefix length. */
static void nat64_layouts(void)
{
	static const struct {
		const char *prefix, *addr;      /* addr embeds 192.0.2.33 */
		unsigned bits32, bits24;
	} t[] = {
		{ "2001:db8::/32", "2001:db8:c000:221::", 64, 56 },
		{ "2001:db8:100::/40", "2001:db8:1c0:2:21::", 80, 64 },
		{ "2001:db8:122::/48", "2001:db8:122:c000:2:2100::", 88, 80 },
		{ "2001:db8:122:300::/56", "2001:db8:122:3c0:0:221::", 96, 88 },
		{ "2001:db8:122:344::/64", "2001:db8:122:344:c0:2:2100:0", 104, 96 },
		{ "2001:db8:122:344::/96", "2001:db8:122:344::192.0.2.33", 128, 120 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct nat64_prefixes n = { .v = { K(t[i].prefix) }, .n = 1 };
		struct rg_lpm_key a = K(t[i].addr), bc = a;
		char bad[64];

		ok(addr_nat64_check(&n.v[0]) == NULL, "%s is a NAT64 prefix", t[i].prefix);
		ok(addr_carries_v4(&a.addr, &n) &&
		   addr_key_bits(&a.addr, 32, 64, &n) == t[i].bits32 &&
		   addr_key_bits(&a.addr, 24, 64, &n) == t[i].bits24,
		   "%s: an IPv4 /32 is /%u, a /24 /%u", t[i].addr, t[i].bits32, t[i].bits24);
		ok(!addr_carries_v4(&a.addr, NULL) && addr_key_bits(&a.addr, 32, 64, NULL) == 64,
		   "%s without the prefix configured is IPv6", t[i].addr);
		/* The same address carrying 224.0.0.1 is multicast, whatever the layout. */
		bc.prefixlen = t[i].bits32;
		addr_mask(&bc);
		ok(strcmp(why(t[i].addr, &n), "-") == 0 && addr_refused(&bc, &n) == NULL,
		   "%s and its /%u are a client", t[i].addr, t[i].bits32);
		snprintf(bad, sizeof(bad), "%s", t[i].prefix);
		bc = K(bad);
		bc.prefixlen = 128;
		ok(strcmp(addr_refused(&bc, &n) ? addr_refused(&bc, &n) : "-", "unspecified") == 0,
		   "%s carrying 0.0.0.0 is unspecified", t[i].prefix);
	}
	{
		static const char *const bad[] = { "::ffff:0:0/96", "::/96", "2001:db8::/33",
						   "fe80::/64", "ff00::/32", "::/32", "64:ff9b::/128",
						   "2002:db8::/96", "2001:0:db8::/96", "2001::/32" };

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct rg_lpm_key p = K(bad[i]);

			ok(addr_nat64_check(&p) != NULL, "%s is refused as a NAT64 prefix", bad[i]);
		}
	}
}

static void keys_and_force(void)
{
	struct rg_lpm_key k;
	char c[128];

	k = K("2001:0:4136:e378:8000:63bf:3fff:fdd2");
	ok(addr_key_bits(&k.addr, 32, 64, NULL) == 128 && !addr_carries_v4(&k.addr, NULL),
	   "a Teredo client is banned as its own address");
	{
		struct rg_lpm_key r = addr_record_key(&k), x = K("2001::3fff:fdd2");
		struct rg_lpm_key net = K("2001:0:4136:e378::/64");

		ok(memcmp(&r, &x, sizeof(r)) == 0, "and counted as its client, server, flags "
		   "and port cleared");
		r = addr_record_key(&net);
		ok(memcmp(&r, &net, sizeof(r)) == 0, "a Teredo network is its own record");
	}
	k = K("2002:c000:201:1::1");
	ok(addr_key_bits(&k.addr, 32, 64, NULL) == 48 && addr_key_bits(&k.addr, 24, 64, NULL) == 40 &&
	   addr_carries_v4(&k.addr, NULL), "6to4 is keyed by its IPv4: /48, its /24 a /40");
	k = K("2002:c000::/32");
	ok(!addr_needs_force(&k, NULL, c, sizeof(c)) &&
	   strcmp(c, "65536 IPv4 clients through 6to4 2002::/16") == 0, "a 6to4 /32: %s", c);
	k = K("192.0.2.1");
	ok(addr_key_bits(&k.addr, 24, 64, NULL) == 120, "IPv4 /24 is /120");
	{
		struct nat64_prefixes n = { .v = { K("2001:db8:64:ff9b::/96") }, .n = 1 };

		k = K("2001:db8:64:ff9b:1::5");
		ok(addr_key_bits(&k.addr, 32, 64, &n) == 80 &&
		   addr_key_bits(&k.addr, 32, 48, &n) == 80 &&
		   addr_key_bits(&k.addr, 32, 96, &n) == 96,
		   "an IPv6 client's network never holds a NAT64 prefix: /80, not /64");
		k = K("2001:db8:65::5");
		ok(addr_key_bits(&k.addr, 32, 48, &n) == 48, "a /48 beside it stays a /48");
	}
	k = K("64:ff9b::192.0.2.1");
	ok(addr_key_bits(&k.addr, 32, 64, NULL) == 128 && addr_carries_v4(&k.addr, NULL),
	   "the well-known NAT64 prefix needs no config");
	k = K("::/64");
	ok(addr_needs_force(&k, NULL, c, sizeof(c)) && strstr(c, "every IPv4 address"),
	   "::/64 needs --force: %s", c);
	k = K("10.0.0.0/7");
	ok(addr_needs_force(&k, NULL, c, sizeof(c)) && strcmp(c, "33554432 IPv4 addresses") == 0,
	   "10.0.0.0/7 needs --force: %s", c);
	k = K("10.0.0.0/8");
	ok(!addr_needs_force(&k, NULL, c, sizeof(c)), "10.0.0.0/8 does not: %s", c);
	k = K("2001:db8::/31");
	ok(addr_needs_force(&k, NULL, c, sizeof(c)) && strcmp(c, "2^97 IPv6 addresses") == 0,
	   "2001:db8::/31 needs --force: %s", c);
	k = K("2001:db8::/32");
	ok(!addr_needs_force(&k, NULL, c, sizeof(c)), "2001:db8::/32 does not");
	k = K("64:ff9b::/96");
	ok(addr_needs_force(&k, NULL, c, sizeof(c)) && strstr(c, "NAT64 prefix 64:ff9b::/96"),
	   "64:ff9b::/96 needs --force: %s", c);
	k = K("64:ff9b::10.0.0.0/104");
	ok(!addr_needs_force(&k, NULL, c, sizeof(c)) && strstr(c, "IPv4 clients through NAT64"),
	   "a /8 through NAT64 does not: %s", c);
	k = K("0.0.0.0");
	ok(!addr_needs_force(&k, NULL, c, sizeof(c)), "one address never needs --force");
}

static bool contains(const struct rg_lpm_key *k, const char *a)
{
	struct rg_lpm_key x = K(a);

	return addr_in_prefix(k, &x.addr);
}

/* Property: any network the rule accepts, at any length, in any part of
 * the space, holds no unspecified, broadcast or multicast address, is
 * never all of the mapped space or a NAT64 prefix, and is no wider than
 * /8 of IPv4 (through 6to4 too: 2002::/24) or /32 of IPv6; the 6to4 and
 * Teredo forms of loopback, unspecified and multicast IPv4 are never
 * accepted. The oracle below is written apart from the
 * rule's tables. */
static void property(void)
{
	static const char *const never[] = {
		"::", "::1", "0.0.0.0", "255.255.255.255", "224.0.0.1", "239.1.1.1", "ff02::1",
		"fe80::1", "127.0.0.1", "64:ff9b::", "64:ff9b::255.255.255.255", "2001:db8:64::",
		"2002:7f00:1::1", "2002::1", "2002:e000:1::1", "2002:ffff:ffff::",
	};
	static const char *const seeds[] = {
		"::", "::ffff:0:0", "64:ff9b::", "2001:db8:64::", "fe80::", "ff00::", "2001::",
		"2002::", "2001:db8::", "0.0.0.0", "127.0.0.0", "224.0.0.0", "255.255.255.0",
		"169.254.0.0", "::ffff:0:0:0", "0:0:1::", "64:ff9b:1::", "2002:7f00::",
		"2002:c000::", "2002:e000::",
	};
	struct nat64_prefixes n = { .v = { K("2001:db8:64::/96") }, .n = 1 };
	struct rg_lpm_key mapped = K("::ffff:0:0/96"), wk = K("64:ff9b::/96");
	struct rg_lpm_key sixto4 = K("2002::/16"), teredo = K("2001::/32");
	unsigned long accepted = 0, bad = 0;

	srand(15);
	for (int i = 0; i < 400000; i++) {
		struct rg_lpm_key k = K(seeds[rand() % (sizeof(seeds) / sizeof(seeds[0]))]);
		bool v4, in64, six;
		unsigned teredo_v4;

		/* Random low bits below a random point, a random length. */
		for (int b = 4 + rand() % 13; b < 16; b++)
			k.addr.a[b] = (unsigned char)rand();
		k.prefixlen = (unsigned)(rand() % 129);
		addr_mask(&k);
		if (addr_refused(&k, &n))
			continue;
		accepted++;
		v4 = k.prefixlen >= 96 && addr_in_prefix(&mapped, &k.addr);
		in64 = (k.prefixlen >= 96 && addr_in_prefix(&wk, &k.addr)) ||
		       (k.prefixlen >= 96 && addr_in_prefix(&n.v[0], &k.addr));
		for (size_t j = 0; j < sizeof(never) / sizeof(never[0]); j++)
			bad += contains(&k, never[j]);
		bad += (k.prefixlen <= 96 && contains(&k, "::ffff:0.0.0.0")) ||
		       (k.prefixlen <= 96 && contains(&k, "64:ff9b::1.2.3.4")) ||
		       (k.prefixlen <= 96 && contains(&k, "2001:db8:64::1.2.3.4"));
		six = k.prefixlen >= 16 && addr_in_prefix(&sixto4, &k.addr);
		bad += (v4 || in64) ? k.prefixlen < 104 : six ? k.prefixlen < 24 : k.prefixlen < 32;
		bad += !v4 && !in64 && k.addr.a[0] == 0;        /* ::/8 is reserved */
		/* A Teredo client's IPv4 is inverted: never 0/8, 127/8 or 224/3. */
		teredo_v4 = (unsigned char)~k.addr.a[12];
		bad += k.prefixlen == 128 && addr_in_prefix(&teredo, &k.addr) &&
		       (teredo_v4 == 0 || teredo_v4 == 127 || teredo_v4 >= 224);
	}
	ok(accepted > 10000 && bad == 0, "%lu random networks accepted, %lu unsafe", accepted, bad);
}

static void round_trip(const char *in, const char *want, unsigned plen)
{
	struct rg_lpm_key k;
	char err[128], out[ADDR_STRLEN];
	int rc = addr_parse(in, &k, err, sizeof(err));

	if (rc == 0)
		addr_format(&k, out, sizeof(out));
	ok(rc == 0 && strcmp(out, want) == 0 && k.prefixlen == plen,
	   "'%s' -> '%s' /%u", in, rc ? err : out, rc ? 0 : k.prefixlen);
}

static void bad(const char *in)
{
	struct rg_lpm_key k;
	char err[128] = "";

	ok(addr_parse(in, &k, err, sizeof(err)) < 0 && strstr(err, in) != NULL,
	   "'%s' is refused: %s", in, err);
}

int main(void)
{
	struct rg_lpm_key p, a;
	char err[128];

	round_trip("192.0.2.1", "192.0.2.1", 128);
	round_trip("192.0.2.1/32", "192.0.2.1", 128);
	round_trip("192.0.2.77/24", "192.0.2.0/24", 120);
	round_trip("10.1.2.3/8", "10.0.0.0/8", 104);
	round_trip("0.0.0.0/0", "0.0.0.0/0", 96);
	round_trip("2001:db8::1", "2001:db8::1", 128);
	round_trip("2001:DB8:0:0:1::ff/64", "2001:db8::/64", 64);
	round_trip("2001:db8::1/65", "2001:db8::/65", 65);
	round_trip("::/0", "::/0", 0);
	round_trip("::ffff:192.0.2.1", "192.0.2.1", 128);
	round_trip("::ffff:192.0.2.1/120", "192.0.2.0/24", 120);
	round_trip("::1", "::1", 128);
	bad("");
	bad("192.0.2");
	bad("192.0.2.1/33");
	bad("192.0.2.1/");
	bad("192.0.2.1/-1");
	bad("192.0.2.1/24x");
	bad("2001:db8::1/129");
	bad("example.org");
	bad("1.2.3.4 ");
	bad("1.2.3.4/8/8");
	bad("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	addr_parse("198.51.100.0/24", &p, err, sizeof(err));
	addr_parse("198.51.100.200", &a, err, sizeof(err));
	ok(addr_in_prefix(&p, &a.addr), "198.51.100.200 is in 198.51.100.0/24");
	addr_parse("198.51.101.1", &a, err, sizeof(err));
	ok(!addr_in_prefix(&p, &a.addr), "198.51.101.1 is not in 198.51.100.0/24");
	ok(addr_is_v4(&a.addr), "IPv4 is mapped into ::ffff:0:0/96");
	addr_parse("2001:db8::1", &a, err, sizeof(err));
	ok(!addr_is_v4(&a.addr), "IPv6 is not IPv4");
	refused_classes();
	nat64_layouts();
	keys_and_force();
	property();
	return tap_done();
}
