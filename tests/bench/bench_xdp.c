/* bench_xdp.c - ns/packet of the XDP program through BPF_PROG_TEST_RUN for
 * a banned source (hit), an unbanned one (miss), a banned but allowlisted
 * one (inside a banned /24, allowed by an exact entry: every lookup the
 * program makes) and an unprotected port, with no bans, then 1, 100k and
 * 1M exact bans plus 1000 /24 prefixes, next to a bare XDP_DROP program as
 * the floor (xdp_drop.bpf.c, which flood.sh attaches to a veth too). Ratios within one run are what count. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"
#include "duration.h"
#include "maps.h"
#include "packet.h"
#include "skel_maps.h"
#include "xdp_drop.skel.h"

static double ns_per_packet(int prog, const uint8_t *frame, size_t len, unsigned repeat)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = (__u32)len,
		    .repeat = repeat);

	if (bpf_prog_test_run_opts(prog, &o) < 0)
		return -1;
	return (double)o.duration;      /* the kernel's average per repeat, in ns */
}

/* Fill exact bans up to total n with 10.x.y.z addresses, in batches
 * (bans_v4's keys are the 4 address bytes). */
static void fill(const struct rg_maps *m, unsigned from, unsigned n)
{
	enum { BATCH = 8192 };
	static uint8_t keys[BATCH][4];
	static struct rg_ban vals[BATCH];
	LIBBPF_OPTS(bpf_map_batch_opts, bo);

	for (unsigned i = from; i < n;) {
		__u32 cnt = 0;

		for (; cnt < BATCH && i < n; cnt++, i++) {
			keys[cnt][0] = 10;
			keys[cnt][1] = (uint8_t)(i >> 16);
			keys[cnt][2] = (uint8_t)(i >> 8);
			keys[cnt][3] = (uint8_t)i;
			maps_prefilter_add(m, keys[cnt]);
			vals[cnt] = (struct rg_ban){ .expires_ns = mono_ns() + 3600000000000ULL,
						     .reason = RG_REASON_MANUAL };
		}
		if (bpf_map_update_batch(m->bans_v4, keys, vals, &cnt, &bo) < 0) {
			perror("bpf_map_update_batch");
			exit(1);
		}
	}
}

/* 1000 banned /24s in 100.64.0.0/10, and one allowlisted address in the
 * first of them. */
static void add_prefixes(const struct rg_maps *m)
{
	struct rg_lpm_key k;
	char s[64];

	for (unsigned i = 0; i < 1000; i++) {
		snprintf(s, sizeof(s), "100.%u.%u.0/24", 64 + i / 256, i % 256);
		addr_parse(s, &k, s, sizeof(s));
		maps_ban(m, &k, duration_expiry_ns(3600), RG_REASON_MANUAL, NULL);
	}
	addr_parse("100.64.0.5", &k, s, sizeof(s));
	maps_allow_add(m, &k, 0);
}

int main(int argc, char **argv)
{
	static const uint16_t ports[] = { 25 };
	static const unsigned sizes[] = { 0, 1, 100000, 1000000 };
	unsigned repeat = argc > 1 ? (unsigned)atoi(argv[1]) : 2000000;
	struct rcptguard *skel = rcptguard__open_and_load();
	struct xdp_drop *floor = xdp_drop__open_and_load();
	struct pkt_spec hit = { .src = "10.0.0.0", .dst = "192.0.2.1", .dport = 25 };
	struct pkt_spec miss = { .src = "172.16.0.1", .dst = "192.0.2.1", .dport = 25 };
	struct pkt_spec web = { .src = "10.0.0.0", .dst = "192.0.2.1", .dport = 80 };
	struct pkt_spec allowed = { .src = "100.64.0.5", .dst = "192.0.2.1", .dport = 25 };
	uint8_t fh[128], fm[128], fw[128], fa[128];
	struct pkt_layout lay;
	size_t lh, lm, lw, la;
	struct rg_maps m;
	unsigned have = 0;
	int prog, fl;

	if (!skel || !floor) {
		fprintf(stderr, "bench_xdp: cannot load programs (run as root)\n");
		return 1;
	}
	fl = bpf_program__fd(floor->progs.xdp_drop);
	m = skel_maps(skel);
	prog = bpf_program__fd(skel->progs.rcptguard_xdp);
	maps_set_ports(&m, ports, 1);
	lh = pkt_build(&hit, fh, sizeof(fh), &lay);
	lm = pkt_build(&miss, fm, sizeof(fm), &lay);
	lw = pkt_build(&web, fw, sizeof(fw), &lay);
	la = pkt_build(&allowed, fa, sizeof(fa), &lay);
	printf("%-8s %8s %8s %8s %8s %8s %8s %9s\n", "bans", "prefixes", "floor_ns", "hit_ns",
	       "miss_ns", "allow_ns", "port80_ns", "hit/floor");
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		double f, h, mi, a, w;

		if (s == 1)
			add_prefixes(&m);
		fill(&m, have, sizes[s]);
		have = sizes[s];
		f = ns_per_packet(fl, fh, lh, repeat);
		h = ns_per_packet(prog, fh, lh, repeat);
		mi = ns_per_packet(prog, fm, lm, repeat);
		a = ns_per_packet(prog, fa, la, repeat);
		w = ns_per_packet(prog, fw, lw, repeat);
		/* With no bans, "hit" and "allowlisted" packets are misses too. */
		printf("%-8u %8u %8.1f %8.1f %8.1f %8.1f %8.1f %9.2f\n", sizes[s], s ? 1000 : 0, f, h,
		       mi, a, w, h / f);
	}
	rcptguard__destroy(skel);
	xdp_drop__destroy(floor);
	return 0;
}
