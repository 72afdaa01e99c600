/* bpf_packets.c - crafted frames through BPF_PROG_TEST_RUN: each case
 * checks the verdict, the global counter it lands in, and the per-ban
 * counters; with ban_action = rst, the answer's exact bytes against
 * rst_ref.c and the RST caps. The maps are filled through daemon/maps.c,
 * the code the CLI and daemon use. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "duration.h"
#include "addr.h"
#include "allowlist.h"
#include "maps.h"
#include "names.h"
#include "packet.h"
#include "rst_ref.h"
#include "skel_maps.h"
#include "tap.h"

static struct rg_maps m;
static int prog, bucket_fd;
static bool rst_mode;           /* ban_action = rst is set */
static void *skel_obj;

static struct rg_lpm_key key(const char *s)
{
	struct rg_lpm_key k;
	char err[128];

	if (addr_parse(s, &k, err, sizeof(err)) < 0) {
		fprintf(stderr, "bad test address %s: %s\n", s, err);
		exit(1);
	}
	return k;
}

static void ban(const char *s, uint64_t secs)
{
	struct rg_lpm_key k = key(s);

	if (maps_ban(&m, &k, duration_expiry_ns(secs), RG_REASON_MANUAL, NULL) < 0)
		fprintf(stderr, "cannot ban %s\n", s), exit(1);
}

/* A ban whose expiry is already in the past. */
static void ban_expired(const char *s)
{
	struct rg_lpm_key k = key(s);

	/* Expired at 1 ns of uptime; maps_ban counts it in the prefilter. */
	if (maps_ban(&m, &k, 1, RG_REASON_MANUAL, NULL) < 0)
		fprintf(stderr, "cannot ban %s\n", s), exit(1);
}

static void allow(const char *s)
{
	struct rg_lpm_key k = key(s);

	maps_allow_add(&m, &k, RG_ALLOW_MANUAL);
}

/* What the CLI checks before a prefix ban: the store's allow entries,
 * read through the maps, overlap k. */
static int add_allow(const struct rg_lpm_key *k, const struct backend_rec *r, void *arg)
{
	return allowlist_add(arg, k, r->allow.origin);
}

static bool allow_overlaps(const struct rg_lpm_key *k, struct rg_lpm_key *by)
{
	struct allowlist al = { 0 };
	const struct allow_entry *e = NULL;

	if (maps_walk(&m, BACKEND_ALLOW, add_allow, &al) == 0 && (e = allowlist_overlap(&al, k)))
		*by = e->key;
	allowlist_free(&al);
	return e != NULL;
}

/* The expired bans, found by a walk of the maps and removed: what the
 * front's sweep does over the xdp backend. */
struct expired {
	struct rg_lpm_key k[16];
	int n;
};

static int collect_expired(const struct rg_lpm_key *k, const struct backend_rec *r, void *arg)
{
	struct expired *x = arg;

	if (r->ban.expires_ns && r->ban.expires_ns <= mono_ns() && x->n < 16)
		x->k[x->n++] = *k;
	return 0;
}

static int sweep_expired(void)
{
	struct expired x = { .n = 0 };
	int removed = 0;

	maps_walk(&m, BACKEND_BAN, collect_expired, &x);
	for (int i = 0; i < x.n; i++)
		removed += maps_unban(&m, &x.k[i]) == 0;
	return removed;
}

static int ban_counters(const char *s, struct rg_ban *out)
{
	struct rg_lpm_key k = key(s);
	const void *kp;
	int fd = maps_ban_fd(&m, &k, &kp);

	return bpf_map_lookup_elem(fd, kp, out);
}

static int run(const uint8_t *frame, size_t len, int *verdict)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = (__u32)len,
		    .repeat = 1);
	int rc = bpf_prog_test_run_opts(prog, &o);

	*verdict = (int)o.retval;
	return rc;
}

/* Run one frame; check verdict and that exactly counter c moved by one. */
static void expect(const char *name, const uint8_t *frame, size_t len, int want, unsigned c)
{
	struct rg_stats before, after;
	int verdict = -1, moved_ok = 1;

	maps_read_stats(&m, &before);
	if (run(frame, len, &verdict) < 0) {
		ok(0, "%s: BPF_PROG_TEST_RUN failed", name);
		return;
	}
	maps_read_stats(&m, &after);
	for (unsigned i = 1; i < RG_COUNTER_MAX; i++) {
		__u64 d = after.packets[i] - before.packets[i];

		if (d != (i == c)) {
			moved_ok = 0;
			printf("# %s: counter %s moved by %llu\n", name, counter_name(i),
			       (unsigned long long)d);
		}
	}
	if (after.packets[RG_INSPECTED] - before.packets[RG_INSPECTED] != 1 ||
	    after.bytes[c] - before.bytes[c] != len)
		moved_ok = 0;
	ok(verdict == want && moved_ok, "%s -> %s (%s)", name,
	   want == XDP_DROP ? "drop" : "pass", counter_name(c));
}

static void check(const char *name, const struct pkt_spec *s, int want, unsigned c)
{
	uint8_t buf[512];
	struct pkt_layout lay;
	size_t len = pkt_build(s, buf, sizeof(buf), &lay);

	expect(name, buf, len, want, c);
}

#define V4(from, port) ((struct pkt_spec){ .src = from, .dst = "192.0.2.1", .dport = port })
#define V6(from, port) ((struct pkt_spec){ .src = from, .dst = "2001:db8::1", .dport = port })

static void truncations(const char *name, const struct pkt_spec *s)
{
	uint8_t buf[512];
	struct pkt_layout lay;
	size_t full = pkt_build(s, buf, sizeof(buf), &lay);
	size_t cuts[] = { 14, lay.l3 - 1, lay.l3, lay.l3 + 1, lay.l3 + 20, lay.l4 - 5,
			  lay.l4 - 1, lay.l4,
			  lay.l4 + 3, lay.l4 + 19 };
	char label[96];

	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		/* XDP test runs need a whole Ethernet header. */
		if (cuts[i] < 14 || cuts[i] >= full)
			continue;
		snprintf(label, sizeof(label), "%s cut at %zu of %zu bytes", name, cuts[i], full);
		expect(label, buf, cuts[i], XDP_PASS, RG_PASS_MALFORMED);
	}
}

/* ---- ban_action = rst ---- */

/* Forget when the ban of s last sent a RST (the per-ban cap). */
static void rst_ready(const char *s)
{
	struct rg_lpm_key k = key(s);
	const void *kp;
	int fd = maps_ban_fd(&m, &k, &kp);
	struct rg_ban b;

	if (bpf_map_lookup_elem(fd, kp, &b) == 0) {
		b.last_rst_ns = 0;
		bpf_map_update_elem(fd, kp, &b, BPF_EXIST);
	}
}

/* Empty every CPU's RST bucket (a full one allows a second's worth). */
static void bucket_reset(void)
{
	int ncpu = libbpf_num_possible_cpus();
	struct rg_rst_bucket *v = calloc((size_t)ncpu, sizeof(*v));
	__u32 zero = 0;

	bpf_map_update_elem(bucket_fd, &zero, v, BPF_ANY);
	free(v);
}

/* One frame from the ban of banned with ban_action = rst: the verdict
 * (XDP_TX with exactly the reference's bytes, or XDP_DROP, or XDP_PASS
 * with the frame untouched), the reference agreeing that it is answered,
 * and the RST counters, global and the ban's, moving by one where they
 * should. */
static void rst_case(const char *name, const uint8_t *f, size_t len, const char *banned,
		     int want, bool suppressed)
{
	uint8_t out[1600], ref[1600];
	size_t ref_len = rst_ref(f, len, ref);
	struct rg_stats before, after;
	struct rg_ban b1 = { 0 }, b2 = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = (__u32)len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);
	bool bytes_ok, count_ok;

	maps_read_stats(&m, &before);
	ban_counters(banned, &b1);
	if (bpf_prog_test_run_opts(prog, &o) < 0) {
		ok(0, "%s: BPF_PROG_TEST_RUN failed", name);
		return;
	}
	maps_read_stats(&m, &after);
	ban_counters(banned, &b2);
	if (want == XDP_TX)
		bytes_ok = ref_len && o.data_size_out == ref_len && !memcmp(out, ref, ref_len) &&
			   ref_len <= len;
	else
		bytes_ok = (want == XDP_PASS || !ref_len || suppressed || !rst_mode) &&
			   o.data_size_out == len && !memcmp(out, f, len);
	count_ok = after.rst_sent - before.rst_sent == (want == XDP_TX) &&
		   b2.rst_sent - b1.rst_sent == (want == XDP_TX) &&
		   after.rst_suppressed - before.rst_suppressed == suppressed &&
		   b2.rst_suppressed - b1.rst_suppressed == suppressed;
	if (!bytes_ok && want == XDP_TX) {
		printf("# got %u bytes:", o.data_size_out);
		for (__u32 i = 0; i < o.data_size_out && i < 80; i++)
			printf(" %02x", out[i]);
		printf("\n# want %zu bytes:", ref_len);
		for (size_t i = 0; i < ref_len && i < 80; i++)
			printf(" %02x", ref[i]);
		printf("\n");
	}
	ok((int)o.retval == want && bytes_ok && count_ok, "rst: %s -> %s%s", name,
	   want == XDP_TX ? "RST" : want == XDP_DROP ? "drop" : "pass",
	   suppressed ? " (over the cap)" : "");
}

static void rst_check(const char *name, const struct pkt_spec *s, int want)
{
	uint8_t buf[1600];
	struct pkt_layout lay;
	size_t len = pkt_build(s, buf, sizeof(buf), &lay);

	rst_ready(s->src);
	rst_case(name, buf, len, s->src, want, false);
}

static void rst_cases(void)
{
	static const uint8_t dstopts[] = { IPPROTO_DSTOPTS };
	static const uint8_t flags[] = { 0x12, 0x10, 0x03, 0x06, 0x04, 0x08 };
	uint8_t buf[1600];
	struct pkt_layout lay;
	struct pkt_spec s;
	size_t len;
	int ncpu = libbpf_num_possible_cpus();
	cpu_set_t one;

	/* The caps are per CPU: every run on the same one. */
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	sched_setaffinity(0, sizeof(one), &one);
	bucket_fd = bpf_map__fd(((struct rcptguard *)skel_obj)->maps.rst_bucket);
	rst_mode = maps_set_answer(&m, RG_ACTION_RST, 1000000) == 0;
	ok(rst_mode, "rst: ban_action = rst is set");
	bucket_reset();

	rst_check("v4 SYN", &V4("192.0.2.10", 25), XDP_TX);
	rst_check("v6 SYN", &V6("2001:db8::10", 25), XDP_TX);
	len = pkt_build(&V4("198.51.100.5", 587), buf, sizeof(buf), &lay);
	rst_ready("198.51.100.0/24");
	rst_case("v4 SYN from a banned /24", buf, len, "198.51.100.0/24", XDP_TX, false);
	rst_check("v4 SYN to port 80", &V4("192.0.2.10", 80), XDP_PASS);
	rst_check("v4 SYN, not banned", &V4("192.0.2.11", 25), XDP_PASS);
	s = V4("192.0.2.10", 25), s.vlans = 1;
	rst_check("802.1Q v4 SYN", &s, XDP_TX);
	s.vlans = 2;
	rst_check("QinQ v4 SYN", &s, XDP_TX);
	s = V6("2001:db8::10", 465), s.vlans = 2;
	rst_check("QinQ v6 SYN", &s, XDP_TX);
	s = V4("192.0.2.10", 25), s.ip_opt_words = 10;
	rst_check("v4 SYN with 40 bytes of IP options (stripped)", &s, XDP_TX);
	s = V4("192.0.2.10", 25), s.tcp_doff = 15;
	rst_check("v4 SYN with 40 bytes of TCP options", &s, XDP_TX);
	s = V4("192.0.2.10", 25), s.payload = 100, s.seq = 0x12345678;
	rst_check("v4 SYN with 100 bytes of payload (ack counts them)", &s, XDP_TX);
	s = V6("2001:db8::10", 25), s.payload = 33, s.seq = 0xfffffff0;
	rst_check("v6 SYN with 33 bytes of payload, ack wraps", &s, XDP_TX);
	s = V4("192.0.2.10", 25), s.seq = 0xffffffff;
	rst_check("v4 SYN with seq 2^32-1 (ack 0)", &s, XDP_TX);
	s = V4("192.0.2.10", 25), s.pad_to = 60;
	rst_check("v4 SYN with Ethernet padding (padding not answered)", &s, XDP_TX);
	s = V4("192.0.2.10", 25), s.payload = 500;
	rst_check("v4 SYN of 520 segment bytes (over 512: dropped)", &s, XDP_DROP);
	s = V4("192.0.2.10", 25), s.bad_tcp_csum = true;
	rst_check("v4 SYN with a bad TCP checksum", &s, XDP_DROP);
	s = V6("2001:db8::10", 25), s.bad_tcp_csum = true, s.payload = 7;
	rst_check("v6 SYN with payload and a bad TCP checksum", &s, XDP_DROP);
	s = V4("192.0.2.10", 25), s.more_frags = true;
	rst_check("v4 SYN in a first fragment", &s, XDP_DROP);
	s.frag_offset = 10;
	rst_check("v4 later fragment", &s, XDP_PASS);
	s = V6("2001:db8::10", 25), s.ext = dstopts, s.n_ext = 1;
	rst_check("v6 SYN behind a destination options header", &s, XDP_DROP);
	for (size_t i = 0; i < sizeof(flags); i++) {
		char label[64];

		s = V4("192.0.2.10", 25), s.tcp_flags = flags[i];
		snprintf(label, sizeof(label), "v4 TCP flags 0x%02x (not a pure SYN)", flags[i]);
		rst_check(label, &s, XDP_DROP);
	}

	/* Damaged SYNs: IP header checksum, group MAC, a length beyond the frame. */
	s = V4("192.0.2.10", 25);
	len = pkt_build(&s, buf, sizeof(buf), &lay);
	buf[lay.l3 + 4] ^= 0x40;        /* the IP ID: only the header checksum breaks */
	rst_ready("192.0.2.10");
	rst_case("v4 SYN with a bad IP header checksum", buf, len, "192.0.2.10", XDP_DROP, false);
	len = pkt_build(&s, buf, sizeof(buf), &lay);
	buf[6] |= 1;
	rst_case("v4 SYN from a group MAC address", buf, len, "192.0.2.10", XDP_DROP, false);
	s.payload = 40;
	len = pkt_build(&s, buf, sizeof(buf), &lay);
	rst_case("v4 SYN cut short of its IP length", buf, len - 20, "192.0.2.10", XDP_DROP, false);

	/* Every single bit flipped in a tagged v6 SYN with payload: answered
	 * only where the reference (its own checksum) says so. */
	s = V6("2001:db8::10", 25), s.vlans = 1, s.payload = 9;
	len = pkt_build(&s, buf, sizeof(buf), &lay);
	{
		int wrong = 0, answered = 0;

		for (size_t bit = 12 * 8; bit < len * 8; bit++) {
			uint8_t f[256], out[256], ref[256];
			size_t rl;
			LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = (__u32)len,
				    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

			memcpy(f, buf, len);
			f[bit / 8] ^= (uint8_t)(1 << bit % 8);
			rl = rst_ref(f, len, ref);
			rst_ready("2001:db8::10");
			if (bpf_prog_test_run_opts(prog, &o) < 0)
				wrong++;
			else if (o.retval == XDP_TX)
				wrong += !rl || o.data_size_out != rl || memcmp(out, ref, rl);
			else
				wrong += rl != 0;
			answered += o.retval == XDP_TX;
		}
		ok(wrong == 0, "rst: each of %zu single-bit flips of a v6 SYN answered as the "
		   "reference says (%d wrong, %d answered)", (len - 12) * 8, wrong, answered);
	}

	/* The caps: one RST per ban per second, then the per-CPU bucket. */
	rst_ready("192.0.2.10");
	len = pkt_build(&V4("192.0.2.10", 25), buf, sizeof(buf), &lay);
	rst_case("first SYN of a ban", buf, len, "192.0.2.10", XDP_TX, false);
	rst_case("second SYN of the ban within a second", buf, len, "192.0.2.10", XDP_DROP, true);
	ban("192.0.2.61", 3600);
	ban("192.0.2.62", 3600);
	ban("192.0.2.63", 3600);
	/* Two RSTs a second on each CPU. */
	maps_set_answer(&m, RG_ACTION_RST, 2 * (uint32_t)ncpu);
	bucket_reset();
	rst_check("bucket: first of three bans", &V4("192.0.2.61", 25), XDP_TX);
	rst_check("bucket: second of three bans", &V4("192.0.2.62", 25), XDP_TX);
	len = pkt_build(&V4("192.0.2.63", 25), buf, sizeof(buf), &lay);
	rst_case("bucket: third of three bans, bucket empty", buf, len, "192.0.2.63", XDP_DROP,
		 true);
	maps_set_answer(&m, RG_ACTION_DROP, 1000);
	rst_mode = false;
	rst_ready("192.0.2.10");
	len = pkt_build(&V4("192.0.2.10", 25), buf, sizeof(buf), &lay);
	rst_case("ban_action back to drop: a SYN is dropped", buf, len, "192.0.2.10", XDP_DROP,
		 false);
}

int main(void)
{
	static const uint8_t ext4[] = { IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, IPPROTO_ROUTING,
					IPPROTO_FRAGMENT };
	static const uint8_t ext7[] = { IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, IPPROTO_ROUTING,
					IPPROTO_DSTOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS,
					IPPROTO_DSTOPTS };
	static const uint16_t ports[] = { 25, 465, 587 };
	struct rcptguard *skel = rcptguard__open_and_load();
	struct pkt_spec s;
	struct rg_ban b1, b2;

	if (!skel) {
		printf("Bail out! cannot load the XDP program (run as root)\n");
		return 1;
	}
	m = skel_maps(skel);
	skel_obj = skel;
	prog = bpf_program__fd(skel->progs.rcptguard_xdp);
	maps_set_ports(&m, ports, 3);

	ban("192.0.2.10", 3600);
	ban("198.51.100.0/24", 3600);
	ban_expired("192.0.2.20");
	ban("192.0.2.30", 0);
	ban("203.0.113.0/24", 3600);
	allow("203.0.113.7");
	ban("10.1.1.1", 3600);
	allow("10.1.0.0/16");
	ban_expired("198.51.100.77");
	ban_expired("100.64.0.0/10");
	ban("2001:db8::10", 3600);
	ban("2001:db8:1::/64", 3600);
	allow("2001:db8:1:0:8000::/65");

	/* IPv4, exact and prefix, ports */
	check("v4 exact ban, port 25", &V4("192.0.2.10", 25), XDP_DROP, RG_DROP_EXACT);
	check("v4 exact ban, port 465", &V4("192.0.2.10", 465), XDP_DROP, RG_DROP_EXACT);
	check("v4 exact ban, port 587", &V4("192.0.2.10", 587), XDP_DROP, RG_DROP_EXACT);
	check("v4 exact ban, port 80", &V4("192.0.2.10", 80), XDP_PASS, RG_PASS_PORT);
	check("v4 exact ban, port 2525", &V4("192.0.2.10", 2525), XDP_PASS, RG_PASS_PORT);
	check("v4 not banned", &V4("192.0.2.11", 25), XDP_PASS, RG_PASS_NOT_BANNED);
	check("v4 inside banned /24", &V4("198.51.100.5", 25), XDP_DROP, RG_DROP_PREFIX);
	check("v4 just outside banned /24", &V4("198.51.101.5", 25), XDP_PASS, RG_PASS_NOT_BANNED);
	check("v4 expired exact ban", &V4("192.0.2.20", 25), XDP_PASS, RG_PASS_EXPIRED);
	check("v4 expired prefix ban", &V4("100.64.1.2", 25), XDP_PASS, RG_PASS_EXPIRED);
	check("v4 permanent ban", &V4("192.0.2.30", 25), XDP_DROP, RG_DROP_EXACT);
	check("v4 allow entry inside banned /24", &V4("203.0.113.7", 25), XDP_PASS, RG_PASS_ALLOWED);
	check("v4 neighbour of the allow entry", &V4("203.0.113.8", 25), XDP_DROP, RG_DROP_PREFIX);
	check("v4 allow /16 beats exact ban", &V4("10.1.1.1", 25), XDP_PASS, RG_PASS_ALLOWED);
	check("v4 expired exact inside live prefix", &V4("198.51.100.77", 25), XDP_DROP,
	      RG_DROP_PREFIX);

	/* IPv6 */
	check("v6 exact ban", &V6("2001:db8::10", 25), XDP_DROP, RG_DROP_EXACT);
	check("v6 exact ban, port 80", &V6("2001:db8::10", 80), XDP_PASS, RG_PASS_PORT);
	check("v6 not banned", &V6("2001:db8::11", 25), XDP_PASS, RG_PASS_NOT_BANNED);
	check("v6 inside banned /64", &V6("2001:db8:1::5", 587), XDP_DROP, RG_DROP_PREFIX);
	check("v6 allow /65 inside banned /64", &V6("2001:db8:1:0:8000::1", 25), XDP_PASS,
	      RG_PASS_ALLOWED);
	check("IPv4-mapped IPv6 source matches the IPv4 ban", &V6("::ffff:192.0.2.10", 25),
	      XDP_DROP, RG_DROP_EXACT);

	/* VLAN tags */
	s = V4("192.0.2.10", 25), s.vlans = 1;
	check("802.1Q tagged v4 ban", &s, XDP_DROP, RG_DROP_EXACT);
	s.vlans = 2;
	check("802.1ad+802.1Q tagged v4 ban", &s, XDP_DROP, RG_DROP_EXACT);
	s = V6("2001:db8::10", 25), s.vlans = 2;
	check("double tagged v6 ban", &s, XDP_DROP, RG_DROP_EXACT);
	s.vlans = 3;
	check("three VLAN tags (more than we follow)", &s, XDP_PASS, RG_PASS_MALFORMED);

	/* IPv4 options and fragments */
	s = V4("192.0.2.10", 25), s.ip_opt_words = 10;
	check("v4 with 40 bytes of options", &s, XDP_DROP, RG_DROP_EXACT);
	s = V4("192.0.2.10", 25), s.more_frags = true;
	check("v4 first fragment", &s, XDP_DROP, RG_DROP_EXACT);
	s.frag_offset = 185;
	check("v4 later fragment", &s, XDP_PASS, RG_PASS_FRAGMENT);
	s.more_frags = false;
	check("v4 last fragment", &s, XDP_PASS, RG_PASS_FRAGMENT);

	/* IPv6 extension headers */
	s = V6("2001:db8::10", 25), s.ext = ext4, s.n_ext = 4;
	check("v6 hop-by-hop, dest opts, routing, fragment 0", &s, XDP_DROP, RG_DROP_EXACT);
	s.frag_offset = 100, s.more_frags = true;
	check("v6 later fragment", &s, XDP_PASS, RG_PASS_FRAGMENT);
	s = V6("2001:db8::10", 25), s.ext = ext7, s.n_ext = 6;
	check("v6 six extension headers", &s, XDP_DROP, RG_DROP_EXACT);
	s.n_ext = 7;
	check("v6 seven extension headers (more than we follow)", &s, XDP_PASS,
	      RG_PASS_EXT_LIMIT);

	/* Other protocols */
	s = V4("192.0.2.10", 25), s.l4 = IPPROTO_UDP;
	check("v4 UDP to port 25", &s, XDP_PASS, RG_PASS_NOT_TCP);
	s.l4 = IPPROTO_ICMP;
	check("v4 ICMP echo", &s, XDP_PASS, RG_PASS_NOT_TCP);
	s = V6("2001:db8::10", 25), s.l4 = IPPROTO_ICMPV6;
	check("v6 ICMPv6 echo", &s, XDP_PASS, RG_PASS_NOT_TCP);
	s = V4("192.0.2.10", 25), s.ethertype = 0x0806;
	check("ARP", &s, XDP_PASS, RG_PASS_NOT_IP);

	/* Malformed headers */
	s = V4("192.0.2.10", 25), s.bad_ihl = 4;
	check("v4 IHL 4", &s, XDP_PASS, RG_PASS_MALFORMED);
	s = V4("192.0.2.10", 25), s.bad_version = 5;
	check("v4 header with version 5", &s, XDP_PASS, RG_PASS_MALFORMED);
	s = V6("2001:db8::10", 25), s.bad_version = 4;
	check("v6 header with version 4", &s, XDP_PASS, RG_PASS_MALFORMED);
	s = V4("192.0.2.10", 25), s.tcp_doff = 4;
	check("TCP data offset 4", &s, XDP_PASS, RG_PASS_MALFORMED);
	s = V4("192.0.2.10", 25), s.ip_opt_words = 10, s.vlans = 2;
	truncations("tagged v4 with options", &s);
	s = V6("2001:db8::10", 25), s.ext = ext4, s.n_ext = 4, s.vlans = 1;
	truncations("tagged v6 with extension headers", &s);

	/* Per-ban counters and unban */
	ban("192.0.2.50", 3600);
	s = V4("192.0.2.50", 25), s.payload = 100;
	ban_counters("192.0.2.50", &b1);
	check("fresh ban drops", &s, XDP_DROP, RG_DROP_EXACT);
	check("fresh ban drops again", &s, XDP_DROP, RG_DROP_EXACT);
	ban_counters("192.0.2.50", &b2);
	ok(b2.packets - b1.packets == 2 && b2.bytes - b1.bytes == 2 * (14 + 20 + 20 + 100),
	   "the ban's own counters count 2 packets and their bytes (%llu, %llu)",
	   (unsigned long long)(b2.packets - b1.packets), (unsigned long long)(b2.bytes - b1.bytes));
	ban("192.0.2.50", 60);
	ban_counters("192.0.2.50", &b1);
	ok(b1.packets == b2.packets, "re-banning keeps the counters");
	{
		struct rg_lpm_key k = key("192.0.2.50");

		ok(maps_unban(&m, &k) == 0, "unban removes the ban");
		ok(maps_unban(&m, &k) == -ENOENT, "a second unban says there was none");
	}
	check("unbanned address passes", &s, XDP_PASS, RG_PASS_NOT_BANNED);
	{
		uint16_t none[] = { 80 };

		maps_set_ports(&m, none, 1);
		check("port 25 unprotected after ports change", &V4("192.0.2.10", 25), XDP_PASS,
		      RG_PASS_PORT);
		check("port 80 protected after ports change", &V4("192.0.2.10", 80), XDP_DROP,
		      RG_DROP_EXACT);
		maps_set_ports(&m, ports, 3);
	}
	{
		struct rg_lpm_key cover, k = key("203.0.113.0/24");

		ok(allow_overlaps(&k, &cover) && cover.prefixlen == 128,
		   "an allow entry inside a banned prefix is found as overlapping");
		k = key("192.0.2.0/24");
		ok(!allow_overlaps(&k, &cover), "no allow entry overlaps 192.0.2.0/24");
	}
	ok(sweep_expired() == 3, "the sweep removes the three expired bans");
	check("swept exact ban is gone", &V4("192.0.2.20", 25), XDP_PASS, RG_PASS_NOT_BANNED);
	rst_cases();

	rcptguard__destroy(skel);
	return tap_done();
}
