/* test_addr.c - address and prefix parsing and printing. */
#include <string.h>
#include "addr.h"
#include "tap.h"

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
	return tap_done();
}
