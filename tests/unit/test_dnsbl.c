/* test_dnsbl.c - postscreen's list syntax, query names, answer classes. */
#include <string.h>
#include "addr.h"
#include "dnsbl_spec.h"
#include "tap.h"

static bool in(const struct dnsbl_list *l, unsigned a, unsigned b, unsigned c, unsigned d)
{
	const uint8_t q[4] = { (uint8_t)a, (uint8_t)b, (uint8_t)c, (uint8_t)d };

	return dnsbl_classify(l, q) == DNSBL_LISTED;
}

static void bad(const char *s, const char *want)
{
	struct dnsbl_list l;
	char err[256] = "";

	ok(dnsbl_list_parse(s, &l, err, sizeof(err)) < 0 && strstr(err, want),
	   "'%s' refused: %s", s, err);
}

static void qname(const char *addr, const char *want)
{
	struct rg_lpm_key k;
	char err[64], buf[256];

	addr_parse(addr, &k, err, sizeof(err));
	ok(dnsbl_qname(&k.addr, "bl.test", buf, sizeof(buf)) == 0 && strcmp(buf, want) == 0,
	   "%s -> %s", addr, buf);
}

int main(void)
{
	struct dnsbl_list l;
	char err[256] = "";

	ok(dnsbl_list_parse("zen.spamhaus.org=127.0.0.[2..11]*3", &l, err, sizeof(err)) == 0 &&
	   strcmp(l.zone, "zen.spamhaus.org") == 0 && l.weight == 3 && l.has_filter,
	   "zen with a range filter and weight 3 %s", err);
	ok(in(&l, 127, 0, 0, 2) && in(&l, 127, 0, 0, 11) && !in(&l, 127, 0, 0, 1) &&
	   !in(&l, 127, 0, 0, 12) && !in(&l, 127, 0, 1, 2), "the range is inclusive and exact");
	ok(dnsbl_list_parse("bl.spamcop.net*2", &l, err, sizeof(err)) == 0 && l.weight == 2 &&
	   !l.has_filter, "no filter, weight 2");
	ok(in(&l, 127, 0, 0, 2) && in(&l, 127, 1, 2, 3), "without a filter any 127/8 answer lists");
	ok(dnsbl_list_parse("list.dnswl.org=127.0.[0..255].[1..3]*-5", &l, err, sizeof(err)) == 0 &&
	   l.weight == -5 && in(&l, 127, 0, 200, 3) && !in(&l, 127, 0, 5, 0),
	   "a negative weight and two ranges");
	ok(dnsbl_list_parse("b.barracudacentral.org", &l, err, sizeof(err)) == 0 && l.weight == 1,
	   "a bare zone weighs 1");
	ok(dnsbl_list_parse("x.test=127.0.0.[2;4;10..12]", &l, err, sizeof(err)) == 0 &&
	   in(&l, 127, 0, 0, 4) && in(&l, 127, 0, 0, 11) && !in(&l, 127, 0, 0, 3),
	   "a list of values and ranges");
	ok(dnsbl_list_parse("X.Test=127.0.0.2", &l, err, sizeof(err)) == 0 &&
	   strcmp(l.zone, "x.test") == 0 && in(&l, 127, 0, 0, 2) && !in(&l, 127, 0, 0, 3),
	   "a single value; the zone is lower-cased");
	ok(dnsbl_list_parse("x.test", &l, err, sizeof(err)) == 0, "for the classes below");
	{
		const uint8_t e254[4] = { 127, 255, 255, 254 }, out[4] = { 10, 0, 0, 1 };

		ok(dnsbl_classify(&l, e254) == DNSBL_ERROR_CODE && strstr(dnsbl_error_meaning(e254),
		   "local recursive resolver"), "127.255.255.254 is an error, with the fix");
		ok(dnsbl_classify(&l, out) == DNSBL_ERROR_OUTSIDE, "10.0.0.1 is not a DNSBL answer");
	}
	bad("", "ZONE[=FILTER][*WEIGHT]");
	bad("=127.0.0.2", "ZONE");
	bad("bad zone!=127.0.0.2", "not a DNS zone");
	bad("x.test=127.0.0", "four octets");
	bad("x.test=127.0.0.256", "four octets");
	bad("x.test=127.0.0.[2..]", "four octets");
	bad("x.test=127.0.0.[11..2]", "four octets");
	bad("x.test=127.0.0.[2", "four octets");
	bad("x.test=127.0.0.2x", "unexpected");
	bad("x.test*", "weight");
	bad("x.test*0", "weight");
	bad("x.test*3x", "weight");
	bad("x.test*99999", "weight");
	qname("192.0.2.99", "99.2.0.192.bl.test");
	qname("::ffff:192.0.2.99", "99.2.0.192.bl.test");
	qname("2001:db8::1", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.test");
	return tap_done();
}
