/* bpf_random.c - random and mutated frames through BPF_PROG_TEST_RUN,
 * each verdict checked against a reference classifier written here in
 * plain C from the same rules, and the program's counters against the
 * reference's tallies at the end. Twice: with ban_action = drop, then
 * rst, where every answer must be rst_ref.c's RST byte for byte and every
 * other frame leave untouched. RG_RANDOM_FRAMES sets the count per pass
 * (default 100,000); the seed is fixed, so a failure repeats. */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"
#include "maps.h"
#include "names.h"
#include "packet.h"
#include "rst_ref.h"
#include "skel_maps.h"
#include "tap.h"

/* ---- the rules, again, in plain code ---- */

struct rule {
	struct rg_lpm_key k;
	bool live;
	bool present;               /* in the maps now (the churn pass) */
};

static struct rule bans[64], allows[16];
static int nbans, nallows;
static const uint16_t ports[] = { 25, 465, 587 };

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static bool port_ok(unsigned port)
{
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		if (ports[i] == port)
			return true;
	return false;
}

static enum rg_counter ref_tcp(const uint8_t *f, size_t len, size_t l4, unsigned proto,
			       unsigned *dport)
{
	if (proto != IPPROTO_TCP)
		return RG_PASS_NOT_TCP;
	if (l4 + 20 > len || (f[l4 + 12] >> 4) < 5)
		return RG_PASS_MALFORMED;
	*dport = be16(f + l4 + 2);
	return RG_INSPECTED;
}

static enum rg_counter ref_parse(const uint8_t *f, size_t len, struct rg_addr *src,
				 unsigned *dport)
{
	size_t off = 14;
	unsigned proto;

	if (len < 14)
		return RG_PASS_MALFORMED;
	proto = be16(f + 12);
	for (int i = 0; i < 2 && (proto == 0x8100 || proto == 0x88a8); i++) {
		if (off + 4 > len)
			return RG_PASS_MALFORMED;
		proto = be16(f + off + 2);
		off += 4;
	}
	memset(src, 0, sizeof(*src));
	if (proto == 0x0800) {
		unsigned ihl;

		if (off + 20 > len || f[off] >> 4 != 4 || (ihl = f[off] & 15) < 5)
			return RG_PASS_MALFORMED;
		if (be16(f + off + 6) & 0x1fff)
			return RG_PASS_FRAGMENT;
		src->a[10] = src->a[11] = 0xff;
		memcpy(&src->a[12], f + off + 12, 4);
		return ref_tcp(f, len, off + ihl * 4, f[off + 9], dport);
	}
	if (proto == 0x86dd) {
		size_t cur = off + 40;
		unsigned nh;

		if (off + 40 > len || f[off] >> 4 != 6)
			return RG_PASS_MALFORMED;
		memcpy(src->a, f + off + 8, 16);
		nh = f[off + 6];
		for (int i = 0; i < RG_MAX_EXT_HDRS; i++) {
			switch (nh) {
			case 0: case 43: case 60:
				if (cur + 2 > len)
					return RG_PASS_MALFORMED;
				nh = f[cur];
				cur += (f[cur + 1] + 1u) * 8;
				break;
			case 51:
				if (cur + 2 > len)
					return RG_PASS_MALFORMED;
				nh = f[cur];
				cur += (f[cur + 1] + 2u) * 4;
				break;
			case 44:
				if (cur + 8 > len)
					return RG_PASS_MALFORMED;
				if (be16(f + cur + 2) & 0xfff8)
					return RG_PASS_FRAGMENT;
				nh = f[cur];
				cur += 8;
				break;
			default:
				return ref_tcp(f, len, cur, nh, dport);
			}
		}
		if (nh == 0 || nh == 43 || nh == 60 || nh == 51 || nh == 44)
			return RG_PASS_EXT_LIMIT;
		return ref_tcp(f, len, cur, nh, dport);
	}
	return proto == 0x8100 || proto == 0x88a8 ? RG_PASS_MALFORMED : RG_PASS_NOT_IP;
}

/* The verdict's counter; *hit: the ban that matched (else untouched). */
static enum rg_counter reference(const uint8_t *f, size_t len, const struct rule **hit)
{
	struct rg_addr src;
	unsigned dport = 0;
	enum rg_counter c = ref_parse(f, len, &src, &dport);
	const struct rule *exact = NULL, *best = NULL;

	if (c != RG_INSPECTED)
		return c;
	if (!port_ok(dport))
		return RG_PASS_PORT;
	for (int i = 0; i < nbans; i++) {
		const struct rule *b = &bans[i];

		if (!b->present)
			continue;
		if (b->k.prefixlen == 128 && !memcmp(&b->k.addr, &src, 16))
			exact = b;
		else if (b->k.prefixlen < 128 && addr_in_prefix(&b->k, &src) &&
			 (!best || b->k.prefixlen > best->k.prefixlen))
			best = b;       /* the trie answers with the longest match only */
	}
	if (exact && exact->live)
		c = RG_DROP_EXACT, *hit = exact;
	else if (!best)
		return exact ? RG_PASS_EXPIRED : RG_PASS_NOT_BANNED;
	else if (!best->live)
		return RG_PASS_EXPIRED;
	else
		c = RG_DROP_PREFIX, *hit = best;
	for (int i = 0; i < nallows; i++)
		if (allows[i].present && addr_in_prefix(&allows[i].k, &src))
			return RG_PASS_ALLOWED;
	return c;
}

/* ---- the program ---- */

static struct rg_maps m;

static void add_ban(const char *s, bool live)
{
	char err[128];
	struct rule *b = &bans[nbans++];

	addr_parse(s, &b->k, err, sizeof(err));
	b->live = live;
	b->present = true;
	/* An expired ban: its expiry 1 ns of uptime, long past. */
	maps_ban(&m, &b->k, live ? 0 : 1, RG_REASON_MANUAL, NULL);
}

static void add_allow(const char *s)
{
	char err[128];
	struct rule *a = &allows[nallows++];

	addr_parse(s, &a->k, err, sizeof(err));
	a->present = true;
	maps_allow_add(&m, &a->k, RG_ALLOW_MANUAL);
}

/* Take a ban or an allow entry out of the maps, or put it back, through
 * maps.c as the daemon and the CLI do (which keeps the prefilters). */
static void toggle(struct rule *r, bool ban)
{
	int rc;

	if (ban)
		rc = r->present ? maps_unban(&m, &r->k) :
				  maps_ban(&m, &r->k, r->live ? 0 : 1, RG_REASON_MANUAL, NULL);
	else
		rc = r->present ? maps_allow_del(&m, &r->k) :
				  maps_allow_add(&m, &r->k, RG_ALLOW_MANUAL);
	if (rc < 0) {
		printf("# cannot toggle a rule: %s\n", strerror(-rc));
		exit(1);
	}
	r->present = !r->present;
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? (uint32_t)(rng % n) : 0;
}

static const char *const v4_pool[] = {
	"10.0.0.1", "10.0.0.2", "10.0.0.7", "10.0.0.9", "10.1.0.1", "10.1.2.3", "10.1.200.9",
	"10.2.3.4", "10.2.9.9", "10.3.0.1", "192.0.2.1", "198.51.100.20", "203.0.113.5",
};
static const char *const v6_pool[] = {
	"2001:db8::1", "2001:db8::2", "2001:db8:1::5", "2001:db8:1:2::9", "2001:db8:2::1",
	"::ffff:10.0.0.1", "::ffff:10.1.0.1", "fe80::1", "2001:db8:ffff::1",
	/* Their last 4 bytes are a banned IPv4 address (bans_v4's key). */
	"::a00:1", "64:ff9b::a00:7", "2001:db8:5::a00:1",
};

/* A frame: usually built from parts, then sometimes damaged. */
static size_t make_frame(uint8_t *buf, size_t cap)
{
	static const uint8_t ext_types[] = { 0, 43, 60, 51, 44, 6, 17 };
	struct pkt_spec s = { 0 };
	struct pkt_layout lay;
	uint8_t ext[8];
	size_t len;
	bool v6 = rnd(3) == 0;

	if (rnd(10) == 0) {             /* pure noise */
		len = 14 + rnd(120);
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rnd(256);
		if (rnd(2)) {           /* an IP ethertype makes the noise go deeper */
			bool six = rnd(2);

			buf[12] = six ? 0x86 : 0x08;
			buf[13] = six ? 0xdd : 0x00;
		}
		return len;
	}
	s.src = v6 ? v6_pool[rnd(sizeof(v6_pool) / sizeof(*v6_pool))] :
		     v4_pool[rnd(sizeof(v4_pool) / sizeof(*v4_pool))];
	s.dst = v6 ? "2001:db8:99::1" : "192.0.2.99";
	s.l4 = rnd(8) == 0 ? IPPROTO_UDP : IPPROTO_TCP;
	s.dport = rnd(4) == 0 ? (uint16_t)rnd(65536) :
		  (uint16_t[]){ 25, 80, 465, 587 }[rnd(4)];
	s.vlans = rnd(6) == 0 ? (int)rnd(4) : 0;
	if (!v6 && rnd(5) == 0)
		s.ip_opt_words = (int)rnd(11);
	if (rnd(10) == 0) {
		s.frag_offset = (uint16_t)rnd(3);
		s.more_frags = rnd(2);
	}
	if (v6 && rnd(3) == 0) {
		s.n_ext = (int)rnd(8);
		for (int i = 0; i < s.n_ext; i++)
			ext[i] = ext_types[rnd(5)];
		s.ext = ext;
	}
	if (rnd(20) == 0)
		s.bad_version = (uint8_t)rnd(16);
	if (rnd(20) == 0)
		s.tcp_doff = (uint8_t)rnd(16);
	if (!v6 && rnd(20) == 0)
		s.bad_ihl = (uint8_t)rnd(16);
	s.payload = rnd(8) == 0 ? rnd(600) : rnd(40);
	s.seq = (uint32_t)rnd(0) ^ (uint32_t)(rng >> 17);
	if (rnd(8) == 0)
		s.tcp_flags = (uint8_t)rnd(256);
	s.bad_tcp_csum = rnd(10) == 0;
	if (rnd(10) == 0)
		s.pad_to = 60 + rnd(20);
	len = pkt_build(&s, buf, cap, &lay);
	switch (rnd(6)) {
	case 0:                         /* flip a few bytes */
		for (int i = 0, n = 1 + (int)rnd(4); i < n; i++)
			buf[rnd((uint32_t)len)] ^= (uint8_t)(1 + rnd(255));
		break;
	case 1:                         /* cut short, never below the MAC header */
		len = 14 + rnd((uint32_t)(len - 13));
		break;
	}
	return len;
}

/* Forget when the ban of r last sent a RST: each answer stands alone. */
static void rst_ready(const struct rule *r)
{
	const void *kp;
	int fd = maps_ban_fd(&m, &r->k, &kp);
	struct rg_ban b;

	if (bpf_map_lookup_elem(fd, kp, &b) == 0) {
		b.last_rst_ns = 0;
		bpf_map_update_elem(fd, kp, &b, BPF_EXIST);
	}
}

struct tally {
	uint64_t want[RG_COUNTER_MAX], wrong, drops, rsts;
};

/* Counts in the IPv4 slots (top `bits` bits of the address) that k
 * covers, from the lowest and highest address k holds: a routine of the
 * test's own, not maps.c's. */
static void ref_slots(const struct rg_lpm_key *k, unsigned bits, uint8_t *counts)
{
	struct rg_addr any4 = { { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff } };
	uint32_t lo = 0, hi = UINT32_MAX;

	if (k->prefixlen > 96) {
		struct rg_lpm_key mapped = { 96, any4 };
		uint32_t host = k->prefixlen == 128 ? 0 : UINT32_MAX >> (k->prefixlen - 96);

		if (!addr_in_prefix(&mapped, &k->addr))
			return;
		memcpy(&lo, &k->addr.a[12], 4);
		lo = ntohl(lo) & ~host;
		hi = lo | host;
	} else if (!addr_in_prefix(k, &any4)) {
		return;
	}
	for (uint64_t s = lo >> (32 - bits); s <= hi >> (32 - bits); s++)
		if (counts[s] < RG_PREFILTER_SATURATED)
			counts[s]++;
}

struct ref_pf {
	uint8_t counts[RG_PREFILTER_SLOTS], acounts[RG_ALLOW_PREFILTER_SLOTS];
};

static int ref_count(const struct rg_lpm_key *k, const struct backend_rec *r, void *arg)
{
	struct ref_pf *p = arg;

	if (r->kind == BACKEND_BAN)
		ref_slots(k, RG_PREFILTER_BITS, p->counts);
	else
		ref_slots(k, RG_ALLOW_PREFILTER_BITS, p->acounts);
	return 0;
}

static bool bits_match(const uint64_t *bits, const uint8_t *counts, size_t slots)
{
	for (size_t s = 0; s < slots; s++)
		if (!!(bits[s / 64] >> (s % 64) & 1) != !!counts[s])
			return false;
	return true;
}

/* The prefilters as maps.c kept them through every change, against
 * counts made afresh from the maps' entries by a routine of our own. */
static bool recount_same(void)
{
	static struct ref_pf p;

	memset(&p, 0, sizeof(p));
	if (maps_walk(&m, BACKEND_BAN, ref_count, &p) < 0 ||
	    maps_walk(&m, BACKEND_ALLOW, ref_count, &p) < 0)
		return false;
	return !memcmp(p.counts, m.pf_counts, sizeof(p.counts)) &&
	       !memcmp(p.acounts, m.apf_counts, sizeof(p.acounts)) &&
	       bits_match(m.pf_bits, m.pf_counts, RG_PREFILTER_SLOTS) &&
	       bits_match(m.apf_bits, m.apf_counts, RG_ALLOW_PREFILTER_SLOTS);
}

/* frames random frames, each verdict (and with rst, each answer's bytes)
 * against the reference. */
static void pass(int prog, long frames, bool rst, struct tally *t)
{
	for (long i = 0; i < frames; i++) {
		uint8_t buf[1600], out[1600], ref[1600];
		size_t len = make_frame(buf, sizeof(buf)), rl = 0;
		const struct rule *hit = NULL;
		enum rg_counter c = reference(buf, len, &hit);
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = buf, .data_size_in = (__u32)len,
			    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);
		int verdict, expect = c >= RG_DROP_EXACT ? XDP_DROP : XDP_PASS;
		bool same;

		if (rst && expect == XDP_DROP && (rl = rst_ref(buf, len, ref))) {
			rst_ready(hit);
			expect = XDP_TX;
		}
		verdict = bpf_prog_test_run_opts(prog, &o) < 0 ? -1 : (int)o.retval;
		same = expect == XDP_TX ? o.data_size_out == rl && !memcmp(out, ref, rl) :
					  o.data_size_out == len && !memcmp(out, buf, len);
		t->want[RG_INSPECTED]++;
		t->want[c]++;
		t->drops += expect != XDP_PASS;
		t->rsts += expect == XDP_TX;
		if ((verdict != expect || !same) && t->wrong++ < 5) {
			printf("# %s frame %ld (%zu bytes): program %d, reference %s%s:",
			       rst ? "rst" : "drop", i, len, verdict, counter_name(c),
			       expect == XDP_TX ? " answered" : "");
			for (size_t j = 0; j < len && j < 80; j++)
				printf(" %02x", buf[j]);
			printf("\n");
		}
	}
}

int main(void)
{
	struct rcptguard *skel = rcptguard__open_and_load();
	const char *env = getenv("RG_RANDOM_FRAMES");
	long frames = env ? atol(env) : 100000;
	struct tally t = { .wrong = 0 };
	struct rg_stats st;
	int prog;

	ok(skel != NULL, "the program loads");
	if (!skel)
		return tap_done();
	m = skel_maps(skel);
	prog = bpf_program__fd(skel->progs.rcptguard_xdp);
	maps_set_ports(&m, ports, sizeof(ports) / sizeof(ports[0]));
	add_ban("10.0.0.1", true);
	add_ban("10.0.0.7", true);      /* and allowlisted below */
	add_ban("10.0.0.9", false);     /* expired */
	add_ban("10.1.0.0/16", true);
	add_ban("10.2.0.0/16", true);
	add_ban("10.2.3.0/24", false);  /* expired, inside a live /16: the trie says expired */
	add_ban("2001:db8::1", true);
	add_ban("2001:db8:3::c000:201", true);  /* last 4 bytes: 192.0.2.1, not banned */
	add_ban("2001:db8:1::/48", true);
	add_ban("2001:db8:1:2::/64", false);
	add_ban("2001:db8:2::/48", false);
	add_ban("10.3.0.0/20", true);   /* 16 slots of the /24 prefilter */
	/* Covers every IPv4-mapped address, so every slot of the prefilter:
	 * only in place now and then in the churn pass. */
	add_ban("::/80", true);
	add_allow("10.0.0.7");
	add_allow("10.1.2.0/24");
	add_allow("2001:db8:1:2::9");
	add_allow("10.2.0.0/15");       /* 2 slots of the /16 allow prefilter */
	toggle(&bans[nbans - 1], true);
	pass(prog, frames, false, &t);
	ok(t.wrong == 0, "drop: %ld frames: every verdict matches the reference (%llu wrong, "
	   "%llu drops)", frames, (unsigned long long)t.wrong, (unsigned long long)t.drops);
	/* Unlimited but for the per-ban cap, which rst_ready() lifts. */
	maps_set_answer(&m, RG_ACTION_RST, 1000000);
	t.wrong = t.drops = 0;
	pass(prog, frames, true, &t);
	ok(t.wrong == 0, "rst: %ld frames: every verdict and every RST's bytes match the "
	   "reference (%llu wrong, %llu drops, %llu RSTs)", frames, (unsigned long long)t.wrong,
	   (unsigned long long)t.drops, (unsigned long long)t.rsts);
	/* Churn: bans and allow entries leave and come back one at a time,
	 * many sharing a prefilter slot, the verdicts checked in between. */
	t.wrong = t.drops = 0;
	for (int r = 0; r < 200; r++) {
		bool ban = rnd(3) != 0;

		toggle(ban ? &bans[rnd((uint32_t)nbans)] : &allows[rnd((uint32_t)nallows)], ban);
		pass(prog, frames / 200, true, &t);
	}
	ok(t.wrong == 0, "churn: 200 bans or allow entries removed or put back, %ld frames "
	   "between them: every verdict matches the reference (%llu wrong, %llu drops)",
	   frames / 200, (unsigned long long)t.wrong, (unsigned long long)t.drops);
	ok(recount_same(), "counting the prefilters again from the maps gives the bits and counts "
	   "kept entry by entry through the churn");
	t.wrong = t.drops = 0;
	pass(prog, frames / 10, true, &t);
	ok(t.wrong == 0, "after the prefilters were counted again, every verdict matches the "
	   "reference (%llu wrong)", (unsigned long long)t.wrong);
	ok(maps_read_stats(&m, &st) == 0, "the counters read");
	for (unsigned c = 0; c < RG_COUNTER_MAX; c++)
		ok(st.packets[c] == t.want[c], "counter %s: %llu, reference %llu", counter_name(c),
		   (unsigned long long)st.packets[c], (unsigned long long)t.want[c]);
	ok(st.rst_sent == t.rsts && st.rst_suppressed == 0, "RSTs sent %llu, reference %llu; "
	   "none suppressed (%llu)", (unsigned long long)st.rst_sent,
	   (unsigned long long)t.rsts, (unsigned long long)st.rst_suppressed);
	rcptguard__destroy(skel);
	return tap_done();
}
