/* fuzz_addr.c - addresses, CIDR prefixes and durations from the CLI,
 * config and control protocol; a parsed address prints and parses back
 * to itself, and the address-sanity rule never accepts a network over the
 * mapped space nor gives an address a key wider than /32. */
#include "addr.h"
#include "duration.h"
#include "fuzz.h"

static void sanity(const struct rg_lpm_key *k)
{
	static struct nat64_prefixes n = { .n = 2 };
	char err[64], covers[128];
	struct rg_lpm_key m;
	unsigned bits;

	if (!n.v[0].prefixlen) {
		addr_parse("2001:db8:64::/96", &n.v[0], err, sizeof(err));
		addr_parse("2001:db8:100::/40", &n.v[1], err, sizeof(err));
	}
	addr_parse("::ffff:0.0.0.0", &m, err, sizeof(err));
	if (!addr_refused(k, &n) && k->prefixlen <= 96 && addr_in_prefix(k, &m.addr))
		abort();
	bits = addr_key_bits(&k->addr, 8 + k->addr.a[15] % 25, 32 + k->addr.a[14] % 97, &n);
	/* Narrower than /32 only in 6to4, and there no wider than an IPv4 /8. */
	if (bits < (k->addr.a[0] == 0x20 && k->addr.a[1] == 0x02 ? 24 : 32) || bits > 128)
		abort();
	addr_needs_force(k, &n, covers, sizeof(covers));
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	char *s = fuzz_str(d, n), err[256], buf[ADDR_STRLEN];
	struct rg_lpm_key k, k2;
	uint64_t secs;

	if (!s)
		return 0;
	if (addr_parse(s, &k, err, sizeof(err)) == 0) {
		addr_format(&k, buf, sizeof(buf));
		if (addr_parse(buf, &k2, err, sizeof(err)) < 0 || k.prefixlen != k2.prefixlen ||
		    memcmp(&k.addr, &k2.addr, sizeof(k.addr)) != 0)
			abort();
		sanity(&k);
	}
	if (duration_parse(s, &secs, err, sizeof(err)) == 0)
		duration_format(secs, buf, sizeof(buf));
	free(s);
	return 0;
}
