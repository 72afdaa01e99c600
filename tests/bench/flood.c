/* flood.c - send a SYN flood from the sender's veth with live frames
 * (BPF_PROG_TEST_RUN + BPF_F_TEST_XDP_LIVE_FRAMES on an XDP_TX program),
 * for SECONDS, and print how many frames were sent and how fast.
 *
 *   flood IFNAME SRC[+COUNT] DST SECONDS DST_MAC
 *
 * SRC+COUNT sends from COUNT IPv4 addresses starting at SRC, scattered
 * (xdp_tx.bpf.c rewrites each frame's source).
 * DST_MAC is the receiver's: frames for another host never reach its IP
 * layer (nft prerouting, TCP).
 * Run inside the sender's namespace; the receiver counts what arrives. */
#include <bpf/bpf.h>
#include <arpa/inet.h>
#include <bpf/libbpf.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "load_util.h"
#include "packet.h"
#include "xdp_tx.skel.h"

int main(int argc, char **argv)
{
	struct pkt_spec s = { .l4 = 6, .dport = 25 };
	struct pkt_layout lay;
	struct xdp_tx *skel;
	struct in_addr base;
	uint8_t frame[128];
	unsigned ifindex;
	double secs, t0;
	unsigned long long sent = 0;
	size_t len;
	int fd;
	unsigned mac[6];
	uint32_t count = 1;
	char *plus;

	if (argc != 6 || sscanf(argv[5], "%x:%x:%x:%x:%x:%x", &mac[0], &mac[1], &mac[2], &mac[3],
				&mac[4], &mac[5]) != 6) {
		fprintf(stderr, "usage: flood IFNAME SRC[+COUNT] DST SECONDS DST_MAC\n");
		return 2;
	}
	ifindex = if_nametoindex(argv[1]);
	if ((plus = strchr(argv[2], '+'))) {
		*plus = '\0';
		count = (uint32_t)strtoul(plus + 1, NULL, 10);
	}
	s.src = argv[2];
	s.dst = argv[3];
	secs = atof(argv[4]);
	len = pkt_build(&s, frame, sizeof(frame), &lay);
	for (int i = 0; i < 6; i++)
		frame[i] = (uint8_t)mac[i];
	if (!ifindex || !len || inet_pton(AF_INET, s.src, &base) != 1 || !(skel = xdp_tx__open())) {
		fprintf(stderr, "flood: no interface %s, or a bad source %s\n", argv[1], s.src);
		return 2;
	}
	skel->rodata->src_base = ntohl(base.s_addr);
	skel->rodata->src_count = count;
	if (xdp_tx__load(skel)) {
		fprintf(stderr, "flood: cannot load the sender program\n");
		return 2;
	}
	fd = bpf_program__fd(skel->progs.xdp_tx);
	t0 = mono_now();
	while (mono_now() - t0 < secs) {
		struct xdp_md ctx = { .data_end = (__u32)len, .ingress_ifindex = ifindex };
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = (__u32)len,
			    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1000000,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = 64);

		if (bpf_prog_test_run_opts(fd, &o) < 0) {
			perror("flood: BPF_PROG_TEST_RUN");
			return 1;
		}
		sent += 1000000;
	}
	printf("sent=%llu seconds=%.2f mpps=%.2f\n", sent, mono_now() - t0, sent / (mono_now() - t0) / 1e6);
	xdp_tx__destroy(skel);
	return 0;
}
