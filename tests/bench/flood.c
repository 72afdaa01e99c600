/* flood.c - send a SYN flood from the sender's veth with live frames
 * (BPF_PROG_TEST_RUN + BPF_F_TEST_XDP_LIVE_FRAMES on an XDP_TX program),
 * for SECONDS, and print how many frames were sent and how fast.
 *
 *   flood XDP_TX_OBJECT IFNAME SRC DST SECONDS DST_MAC
 *
 * DST_MAC is the receiver's: frames for another host never reach its IP
 * layer (nft prerouting, TCP).
 * Run inside the sender's namespace; the receiver counts what arrives. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "packet.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct pkt_spec s = { .l4 = 6, .dport = 25 };
	struct pkt_layout lay;
	struct bpf_object *obj;
	struct bpf_program *prog;
	uint8_t frame[128];
	unsigned ifindex;
	double secs, t0;
	unsigned long long sent = 0;
	size_t len;
	int fd;

	unsigned mac[6];

	if (argc != 7 || sscanf(argv[6], "%x:%x:%x:%x:%x:%x", &mac[0], &mac[1], &mac[2], &mac[3],
				&mac[4], &mac[5]) != 6) {
		fprintf(stderr, "usage: flood XDP_TX_OBJECT IFNAME SRC DST SECONDS DST_MAC\n");
		return 2;
	}
	ifindex = if_nametoindex(argv[2]);
	s.src = argv[3];
	s.dst = argv[4];
	secs = atof(argv[5]);
	len = pkt_build(&s, frame, sizeof(frame), &lay);
	for (int i = 0; i < 6; i++)
		frame[i] = (uint8_t)mac[i];
	obj = bpf_object__open_file(argv[1], NULL);
	if (!ifindex || !obj || bpf_object__load(obj) ||
	    !(prog = bpf_object__find_program_by_name(obj, "xdp_tx"))) {
		fprintf(stderr, "flood: cannot load %s or find %s\n", argv[1], argv[2]);
		return 2;
	}
	fd = bpf_program__fd(prog);
	t0 = now();
	while (now() - t0 < secs) {
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
	printf("sent=%llu seconds=%.2f mpps=%.2f\n", sent, now() - t0, sent / (now() - t0) / 1e6);
	bpf_object__close(obj);
	return 0;
}
