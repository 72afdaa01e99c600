/* test_offenders.c - the offender model: bucket and window, decay,
 * reputation, escalation, aggregation, spamtraps, sticky unban, bounded
 * memory under two million sources. Time is simulated. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"
#include "offenders.h"
#include "tap.h"

static struct offender_cfg cfg;

static struct rg_addr A(const char *s)
{
	struct rg_lpm_key k;
	char err[64];

	addr_parse(s, &k, err, sizeof(err));
	return k.addr;
}

static struct rg_lpm_key K(const char *s)
{
	struct rg_lpm_key k;
	char err[64];

	addr_parse(s, &k, err, sizeof(err));
	return k;
}

/* n unknown recipients from addr at time t, one second apart; the last
 * decision. */
static struct decision unknowns(struct offenders *o, const char *addr, int n, uint32_t *t)
{
	struct decision d = { 0 };

	for (int i = 0; i < n; i++)
		d = offenders_evidence(o, &(struct rg_addr[]){ A(addr) }[0],
				       EV_UNKNOWN_RCPT, 0, "x@example.com", (*t)++);
	return d;
}

static bool within(uint32_t secs, uint32_t base)
{
	return secs >= base && secs <= base + base / 10 + 1;
}

/* The address-sanity rule where evidence enters: unspecified, loopback,
 * link-local, multicast, broadcast and reserved sources are refused;
 * mapped and NAT64 clients count as their IPv4; none ever makes a /64 of
 * ::/8. */
static void sanity(uint32_t *t)
{
	static const char *const refused[] = {
		"::", "::2", "::1", "::1.2.3.4", "::ffff:0.0.0.0", "0.0.0.0", "255.255.255.255",
		"224.0.0.1", "ff02::1", "fe80::1", "169.254.9.9", "127.0.0.2", "240.1.2.3",
		"64:ff9b::0.0.0.0", "64:ff9b::255.255.255.255", "::1:0:0:5", "64:ff9b:1::1",
		"2002:7f00:1::1", "2002::5", "2001:0:4136:e378:8000:63bf:80ff:fffe",
	};
	struct offender_cfg c = cfg;
	struct offenders *o;
	struct decision d, sub;
	char buf[64];

	c.subnet_bans = 2;
	o = offenders_new(&c, 11);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		d = offenders_evidence(o, &(struct rg_addr[]){ A(refused[i]) }[0], EV_SPAMTRAP, 0,
				       NULL, *t);
		ok(d.what == D_REFUSED && d.why && offenders_count(o) == 0,
		   "%s is never an offender (%s)", refused[i], d.why ? d.why : "-");
	}
	/* NAT64: per IPv4 address, banned as the IPv6 address; its /24 as /120. */
	d = unknowns(o, "64:ff9b::198.51.100.7", 4, t);
	ok(unknowns(o, "64:ff9b::198.51.100.8", 4, t).what == D_NONE,
	   "two NAT64 clients have a bucket each");
	d = unknowns(o, "64:ff9b::198.51.100.7", 1, t);
	addr_format(&d.prefix, buf, sizeof(buf));
	ok(d.what == D_BAN && strcmp(buf, "64:ff9b::c633:6407") == 0, "a NAT64 client is banned "
	   "as the address its packets carry (%s)", buf);
	sub = offenders_banned(o, &d, *t);
	d = unknowns(o, "64:ff9b::198.51.100.8", 1, t);
	sub = offenders_banned(o, &d, *t);
	addr_format(&sub.prefix, buf, sizeof(buf));
	ok(sub.what == D_BAN && strcmp(buf, "64:ff9b::c633:6400/120") == 0,
	   "two in one IPv4 /24 ban its /120 (%s)", buf);
	offenders_free(o);
}

static bool same_key(const struct rg_lpm_key *k, const char *want)
{
	struct rg_lpm_key w = K(want);

	return memcmp(k, &w, sizeof(w)) == 0;
}

/* A random 6to4 (2002:V4:subnet:host) or Teredo (2001:0:server:flags:port:~V4)
 * address of IPv4 client v4. */
static struct rg_addr carried(bool teredo, uint32_t v4)
{
	struct rg_addr a = { { 0x20, teredo ? 0x01 : 0x02 } };

	for (int b = teredo ? 4 : 6; b < 16; b++)
		a.a[b] = (unsigned char)rand();
	for (int b = 0; b < 4; b++) {
		unsigned char x = (unsigned char)(v4 >> (24 - 8 * b));

		a.a[teredo ? 12 + b : 2 + b] = teredo ? (unsigned char)~x : x;
	}
	return a;
}

/* Property: one IPv4 host is one offender whatever 6to4 subnet or Teredo
 * server, flags and port it sends from: its fifth unknown recipient from
 * five random forms bans (6to4 as 2002:V4::/48, Teredo as the address the
 * packets carry), a sixth form finds it banned; two 6to4 bans in one IPv4
 * /24 ban its /40; Teredo never escalates (its /24 is no prefix). */
static void carried_property(uint32_t *t)
{
	struct offender_cfg c = cfg;
	unsigned long rounds = 0, bad = 0;
	char want[64];

	c.subnet_bans = 2;
	srand(16);
	for (int round = 0; round < 400; round++) {
		bool teredo = round & 1;
		/* 11.0.0.0 to 110.255.255.255: no refused IPv4 */
		uint32_t v4 = (uint32_t)(11 + rand() % 100) << 24 | ((uint32_t)rand() & 0xffffff);
		struct offenders *o = offenders_new(&c, (uint64_t)round);
		struct rg_addr a;
		struct decision d = { 0 }, sub;

		for (int i = 0; i < 5; i++) {
			a = carried(teredo, v4);
			d = offenders_evidence(o, &a, EV_UNKNOWN_RCPT, 0, NULL, (*t)++);
			bad += i < 4 && d.what != D_NONE;
		}
		if (teredo) {
			bad += d.what != D_BAN || d.prefix.prefixlen != 128 ||
			       memcmp(&d.prefix.addr, &a, 16);
		} else {
			snprintf(want, sizeof(want), "2002:%x:%x::/48", v4 >> 16, v4 & 0xffff);
			bad += d.what != D_BAN || !same_key(&d.prefix, want);
		}
		sub = offenders_banned(o, &d, *t);
		bad += sub.what != D_NONE;
		a = carried(teredo, v4);
		bad += offenders_evidence(o, &a, EV_UNKNOWN_RCPT, 0, NULL, (*t)++).what !=
		       D_ALREADY_BANNED;
		/* A neighbour in the IPv4 /24 banned too. */
		a = carried(teredo, (v4 & ~0xffu) | ((v4 + 1) & 0xff));
		d = offenders_evidence(o, &a, EV_SPAMTRAP, 0, NULL, (*t)++);
		sub = offenders_banned(o, &d, *t);
		snprintf(want, sizeof(want), "2002:%x:%x::/40", v4 >> 16, v4 & 0xff00);
		bad += teredo ? sub.what != D_NONE : sub.what != D_BAN || !same_key(&sub.prefix, want);
		rounds++;
		offenders_free(o);
	}
	ok(bad == 0, "6to4 and Teredo: %lu random hosts, %lu counted or banned wrong", rounds, bad);
}

/* Property: random sources of every class, under random aggregation, with
 * the /24 escalation on: no ban is ever made of ::/8 outside the mapped
 * space and the NAT64 prefixes, none covers all of either, none holds an
 * unspecified, broadcast or multicast address, an IPv4 client is banned
 * inside the mapped space (its NAT64 form inside its prefix) as at least a
 * /8 of it, a 6to4 client inside 2002::/16 as at least a /24 (an IPv4 /8),
 * a Teredo client as exactly its address, and no other IPv6 ban is wider
 * than /32. */
static void property(uint32_t *t)
{
	static const char *const seeds[] = {
		"::", "::ffff:0:0", "64:ff9b::", "2001:db8:64::", "fe80::", "ff00::", "2001::",
		"2002::", "2001:db8::", "::ffff:127.0.0.0", "::ffff:224.0.0.0", "::ffff:255.0.0.0",
		"::ffff:169.254.0.0", "0:0:1::", "64:ff9b:1::", "2a00::", "::ffff:0.0.0.0",
		"2002:c000::", "2002:7f00::", "2002:e000::", "2001::",
	};
	static const char *const never[] = {
		"::", "::1", "::ffff:0.0.0.0", "::ffff:255.255.255.255", "::ffff:224.0.0.1",
		"ff02::1", "fe80::1", "64:ff9b::", "2001:db8:64::", "2002:7f00:1::1", "2002::1",
		"2002:e000::1",
	};
	struct rg_lpm_key mapped = K("::ffff:0:0/96"), wk = K("64:ff9b::/96");
	struct rg_lpm_key own = K("2001:db8:64::/96"), six = K("2002::/16"), teredo = K("2001::/32");
	unsigned long bans = 0, bad = 0;

	srand(15);
	for (int round = 0; round < 40; round++) {
		struct offender_cfg c = cfg;
		struct offenders *o;

		c.prefix_v4 = 8 + (unsigned)rand() % 25;
		c.prefix_v6 = 32 + (unsigned)rand() % 97;
		c.subnet_bans = 1 + (unsigned)rand() % 2;
		c.nat64 = (struct nat64_prefixes){ .v = { own }, .n = 1 };
		o = offenders_new(&c, (uint64_t)round);
		for (int i = 0; i < 5000; i++) {
			struct rg_lpm_key s = K(seeds[rand() % (sizeof(seeds) / sizeof(seeds[0]))]);
			struct decision d;
			bool v4, n64, s6, st;

			for (int b = 4 + rand() % 13; b < 16; b++)
				s.addr.a[b] = (unsigned char)rand();
			v4 = addr_in_prefix(&mapped, &s.addr);
			n64 = addr_in_prefix(&wk, &s.addr) || addr_in_prefix(&own, &s.addr);
			s6 = addr_in_prefix(&six, &s.addr);
			st = addr_in_prefix(&teredo, &s.addr);
			d = offenders_evidence(o, &s.addr, EV_SPAMTRAP, 0, NULL, (*t)++);
			for (int r = 0; r < 2 && d.what == D_BAN; r++) {
				const struct rg_lpm_key *k = &d.prefix;

				bans++;
				for (size_t j = 0; j < sizeof(never) / sizeof(never[0]); j++) {
					struct rg_lpm_key x = K(never[j]);

					bad += addr_in_prefix(k, &x.addr);
				}
				bad += k->prefixlen <= 96 && addr_in_prefix(k, &mapped.addr);
				bad += v4 && !(k->prefixlen >= 104 && addr_in_prefix(&mapped, &k->addr));
				bad += n64 && !(k->prefixlen >= 104 && (addr_in_prefix(&wk, &k->addr) ||
									addr_in_prefix(&own, &k->addr)));
				bad += !v4 && !n64 && !s6 && (k->prefixlen < 32 || k->addr.a[0] == 0);
				/* 6to4: at least an IPv4 /8 of it; Teredo: the address itself. */
				bad += s6 && !(k->prefixlen >= 24 && addr_in_prefix(&six, &k->addr));
				bad += st && !(k->prefixlen == 128 && !memcmp(&k->addr, &s.addr, 16));
				d = offenders_banned(o, &d, *t);
			}
		}
		offenders_free(o);
	}
	ok(bans > 20000 && bad == 0, "%lu random bans, %lu unsafe", bans, bad);
}

int main(void)
{
	struct offenders *o;
	struct decision d;
	uint32_t t = 1800000000;
	char buf[64];

	offenders_defaults(&cfg);

	/* Threshold and window: 5 unknown recipients in a burst ban. */
	o = offenders_new(&cfg, 1);
	d = unknowns(o, "192.0.2.1", 4, &t);
	ok(d.what == D_NONE, "four unknown recipients do not ban");
	d = unknowns(o, "192.0.2.1", 1, &t);
	ok(d.what == D_BAN && d.reason == RG_REASON_UNKNOWN_RCPT && d.offense == 1 &&
	   within(d.secs, 3600), "the fifth bans for 1 h plus jitter (%u s)", d.secs);
	addr_format(&d.prefix, buf, sizeof(buf));
	ok(strcmp(buf, "192.0.2.1") == 0, "an IPv4 client is banned as its /32 (%s)", buf);
	offenders_banned(o, &d, t);
	d = unknowns(o, "192.0.2.1", 1, &t);
	ok(d.what == D_ALREADY_BANNED, "a banned client's open session gets 'already banned'");

	/* The window slides: old evidence fades. */
	d = unknowns(o, "192.0.2.2", 4, &t);
	t += 1200;
	d = unknowns(o, "192.0.2.2", 4, &t);
	ok(d.what == D_NONE, "4, twenty quiet minutes, 4 more: no ban");
	for (int i = 0; i < 20; i++) {
		d = unknowns(o, "192.0.2.3", 1, &t);
		t += 179;
	}
	ok(d.what == D_NONE, "one unknown recipient every three minutes never bans");
	{
		struct rg_lpm_key k = K("192.0.2.3");

		ok(offenders_level(o, offenders_get(o, &k), t) < 5,
		   "its count stays under 5 (%.2f)", offenders_level(o, offenders_get(o, &k), t));
	}
	t += 3600;
	for (int i = 0; i < 5; i++) {
		d = unknowns(o, "192.0.2.4", 1, &t);
		t += 100;
	}
	ok(d.what == D_BAN, "5 unknown recipients within 8 minutes ban");

	/* Reputation: 20 valid recipients raise the bar to 3 x 5. */
	for (int i = 0; i < 20; i++)
		offenders_evidence(o, &(struct rg_addr[]){ A("198.51.100.7") }[0], EV_VALID, 0, NULL, t);
	d = unknowns(o, "198.51.100.7", 14, &t);
	ok(d.what == D_NONE, "a client with 20 recent valid recipients survives 14 unknown");
	d = unknowns(o, "198.51.100.7", 1, &t);
	ok(d.what == D_BAN, "and is banned at the 15th");
	for (int i = 0; i < 1000; i++)
		offenders_evidence(o, &(struct rg_addr[]){ A("198.51.100.8") }[0], EV_VALID, 0, NULL,
				   t + (uint32_t)i / 20 * 3600);
	t += 50 * 3600;
	d = unknowns(o, "198.51.100.8", 49, &t);
	ok(d.what == D_NONE, "reputation is capped: 49 unknown do not ban a big sender");
	d = unknowns(o, "198.51.100.8", 1, &t);
	ok(d.what == D_BAN, "but 50 (10 x 5) do");
	for (int i = 0; i < 20; i++)
		offenders_evidence(o, &(struct rg_addr[]){ A("198.51.100.9") }[0], EV_VALID, 0, NULL, t);
	t += 31 * 86400;
	d = unknowns(o, "198.51.100.9", 5, &t);
	ok(d.what == D_BAN, "credit older than 30 days is gone");

	/* Credit per hour is capped: 100 valid recipients in one hour earn 20. */
	for (int i = 0; i < 100; i++)
		offenders_evidence(o, &(struct rg_addr[]){ A("198.51.100.10") }[0], EV_VALID, 0,
				   NULL, t + (uint32_t)i * 30);
	t += 3000;
	{
		const struct offender *e = offenders_get(o, &(struct rg_lpm_key[]){
			K("198.51.100.10") }[0]);

		ok(e && e->valid_count == 20 && offenders_threshold(o, e, t) == 15,
		   "100 valid recipients within an hour earn reputation_max_per_hour = 20 credits "
		   "(got %u)", e ? e->valid_count : 0);
		t += 600;
		offenders_evidence(o, &(struct rg_addr[]){ A("198.51.100.10") }[0], EV_VALID, 0,
				   NULL, t);
		ok(e->valid_count == 21, "the next hour earns again");
	}
	cfg.reputation_max_per_hour = 0;
	offenders_configure(o, &cfg);
	offenders_evidence(o, &(struct rg_addr[]){ A("198.51.100.11") }[0], EV_VALID, 0, NULL, t);
	ok(offenders_get(o, &(struct rg_lpm_key[]){ K("198.51.100.11") }[0])->valid_count == 0,
	   "reputation_max_per_hour = 0 turns credit off");
	offenders_defaults(&cfg);
	offenders_configure(o, &cfg);
	/* A banned client earns nothing, not even from a session opened before. */
	d = unknowns(o, "198.51.100.12", 5, &t);
	offenders_banned(o, &d, t);
	offenders_evidence(o, &(struct rg_addr[]){ A("198.51.100.12") }[0], EV_VALID, 0, NULL, t);
	ok(offenders_get(o, &d.prefix)->valid_count == 0, "a banned client earns no credit");

	/* Spamtrap: at once, whatever the reputation. */
	for (int i = 0; i < 100; i++)
		offenders_evidence(o, &(struct rg_addr[]){ A("203.0.113.5") }[0], EV_VALID, 0, NULL, t);
	d = offenders_evidence(o, &(struct rg_addr[]){ A("203.0.113.5") }[0], EV_SPAMTRAP, 0, "trap@example.com", t);
	ok(d.what == D_BAN && d.reason == RG_REASON_SPAMTRAP, "one spamtrap hit bans at once");
	offenders_free(o);

	/* Escalation: 1 h, 4 h, 16 h, 64 h, then capped at 7 d; forgotten after 30 d. */
	o = offenders_new(&cfg, 2);
	{
		static const uint32_t want[] = { 3600, 14400, 57600, 230400, 604800, 604800 };
		bool all = true;

		for (int i = 0; i < 6; i++) {
			d = unknowns(o, "192.0.2.9", 5, &t);
			all &= d.what == D_BAN && d.offense == (unsigned)i + 1;
			if (i < 4)
				all &= within(d.secs, want[i]);
			else
				all &= d.secs >= 604800 && d.secs <= 604800 + 60481;
			if (!all)
				printf("# offense %d: %u s\n", i + 1, d.secs);
			offenders_banned(o, &d, t);
			t += d.secs + 1;
		}
		ok(all, "ban durations escalate x4 per repeat and stop at 7 days (+jitter)");
		t += 31 * 86400;
		d = unknowns(o, "192.0.2.9", 5, &t);
		ok(d.what == D_BAN && d.offense == 1 && within(d.secs, 3600),
		   "after 30 quiet days a repeat offender starts again at 1 h");
	}

	/* Aggregation: IPv6 by /64. */
	d = unknowns(o, "2001:db8:1:2::1", 2, &t);
	d = unknowns(o, "2001:db8:1:2::2", 2, &t);
	d = unknowns(o, "2001:db8:1:2:ffff::9", 1, &t);
	addr_format(&d.prefix, buf, sizeof(buf));
	ok(d.what == D_BAN && strcmp(buf, "2001:db8:1:2::/64") == 0,
	   "five addresses of one /64 add up, and the /64 is banned (%s)", buf);
	d = unknowns(o, "2001:db8:1:3::1", 4, &t);
	ok(d.what == D_NONE, "the neighbouring /64 has its own bucket");
	offenders_free(o);

	/* /24 escalation: 3 banned addresses of one /24 within the window. */
	cfg.subnet_bans = 3;
	o = offenders_new(&cfg, 3);
	{
		struct decision sub = { 0 };
		const char *ips[] = { "10.9.8.1", "10.9.8.2", "10.9.8.3" };

		for (int i = 0; i < 3; i++) {
			d = unknowns(o, ips[i], 5, &t);
			sub = offenders_banned(o, &d, t);
			if (i < 2 && sub.what != D_NONE)
				break;
		}
		addr_format(&sub.prefix, buf, sizeof(buf));
		ok(sub.what == D_BAN && strcmp(buf, "10.9.8.0/24") == 0,
		   "the third ban in one /24 bans the /24 (%s)", buf);
		d = unknowns(o, "10.9.9.1", 5, &t);
		t += 2 * 3600;
		sub = offenders_banned(o, &d, t);
		d = unknowns(o, "10.9.9.2", 5, &t);
		sub = offenders_banned(o, &d, t + 7200);
		ok(sub.what == D_NONE, "two bans in another /24 do not");
	}
	offenders_free(o);
	cfg.subnet_bans = 0;

	/* Sticky unban and allowlist. */
	o = offenders_new(&cfg, 4);
	{
		struct rg_lpm_key k = K("192.0.2.77");

		d = unknowns(o, "192.0.2.77", 5, &t);
		offenders_banned(o, &d, t);
		offenders_unbanned(o, &k, t);
		d = unknowns(o, "192.0.2.77", 10, &t);
		ok(d.what == D_PARDONED, "an address unbanned by hand is not banned again");
		offenders_spared(o, &k, EV_PARDONED, t);
		t += 86400;
		d = unknowns(o, "192.0.2.77", 5, &t);
		ok(d.what == D_BAN, "after the 24 h grace period it can be banned again");
		d = unknowns(o, "198.51.100.99", 5, &t);
		k = d.prefix;
		offenders_spared(o, &k, EV_ALLOWLISTED, t);
		ok(offenders_level(o, offenders_get(o, &k), t) == 0,
		   "an allowlisted client's bucket is emptied instead");
		d = unknowns(o, "198.51.100.99", 4, &t);
		ok(d.what == D_NONE, "so the next four do not ask again");
	}
	/* Restore round trip. */
	{
		struct rg_lpm_key k = K("192.0.2.77");
		struct offender copy = *offenders_get(o, &k);
		struct offenders *o2 = offenders_new(&cfg, 5);

		ok(offenders_restore(o2, &copy) == 0 &&
		   memcmp(offenders_get(o2, &k), &copy, sizeof(copy)) == 0,
		   "a saved record restores unchanged");
		/* An older version saved a Teredo record under the address itself. */
		copy.key = K("2001:0:4136:e378:8000:63bf:3fff:fdd2");
		copy.ban_until = t + 3600;
		ok(offenders_restore(o2, &copy) == 0 &&
		   unknowns(o2, "2001:0:5ef5:79fd:0:1234:3fff:fdd2", 1, &t).what == D_ALREADY_BANNED,
		   "a Teredo record restores as its client: another port is banned too");
		offenders_free(o2);
	}
	offenders_free(o);

	/* Bounded memory: 2 million sources into a table of 1 million. */
	o = offenders_new(&cfg, 6);
	{
		struct rg_lpm_key keep;
		size_t mem;

		d = unknowns(o, "192.0.2.200", 5, &t);
		keep = d.prefix;
		offenders_banned(o, &d, t);
		for (uint32_t i = 0; i < 2000000; i++) {
			struct rg_addr a = A("2001:db8::");

			a.a[4] = (uint8_t)(i >> 16);
			a.a[5] = (uint8_t)(i >> 8);
			a.a[6] = (uint8_t)i;
			offenders_evidence(o, &a, EV_UNKNOWN_RCPT, 0, "x@example.com", t + i / 1000);
		}
		mem = offenders_memory(o);
		ok(offenders_count(o) == 1000000 && offenders_evicted(o) >= 1000001,
		   "the table holds at most 1,000,000 (%zu, %zu evicted)", offenders_count(o),
		   offenders_evicted(o));
		ok(mem / offenders_count(o) <= 256, "%zu bytes per tracked offender",
		   mem / offenders_count(o));
		ok(offenders_get(o, &keep) != NULL, "a banned offender is not evicted");
	}
	offenders_free(o);
	sanity(&t);
	property(&t);
	carried_property(&t);
	return tap_done();
}
