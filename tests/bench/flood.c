/* flood.c - send a SYN flood from the sender's veth for SECONDS and print
 * which generator sent it, how many frames and how fast:
 *
 *   flood IFNAME SRC[+COUNT] DST SECONDS DST_MAC
 *   generator=live-frames|af_packet sent=N seconds=S mpps=M
 *
 * live-frames: BPF_PROG_TEST_RUN + BPF_F_TEST_XDP_LIVE_FRAMES on an XDP_TX
 * program (xdp_tx.bpf.c), 5-19 Mpps on one vCPU. A kernel that refuses the
 * mode (6.18.44-fc-v1300 answers EPERM even to root; docs/performance.md)
 * gets af_packet: an AF_PACKET socket that bypasses the qdisc, sendmmsg
 * batches, about 1-2 Mpps, so the offered load may be below what XDP can
 * drop (platform.md item 7); flood.sh and the report say which one ran.
 * SRC+COUNT sends from COUNT IPv4 addresses starting at SRC, scattered
 * the same way by both (flood_src.h).
 * DST_MAC is the receiver's: frames for another host never reach its IP
 * layer (nft prerouting, TCP).
 * Run inside the sender's namespace; the receiver counts what arrives. */
#include <bpf/bpf.h>
#include <arpa/inet.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "flood_src.h"
#include "load_util.h"
#include "packet.h"
#include "xdp_tx.skel.h"

#define BATCH 64                        /* frames per sendmmsg */

enum { SENT, REFUSED, FAILED };

struct flood {
	uint8_t frame[128];
	size_t len;
	struct pkt_layout lay;
	unsigned ifindex;
	uint32_t base, count;           /* sources, host order */
	double secs;
};

/* Live frames for f->secs, the time taken in *took. REFUSED when the
 * kernel turns the mode down at the first call, before a frame was sent. */
static int flood_live(const struct flood *f, unsigned long long *sent, double *took)
{
	struct xdp_md ctx = { .data_end = (__u32)f->len, .ingress_ifindex = f->ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->frame, .data_size_in = (__u32)f->len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1000000,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = 64);
	struct xdp_tx *skel = xdp_tx__open();
	int ret = SENT, fd;
	double t0;

	if (!skel) {
		fprintf(stderr, "flood: cannot open the sender program\n");
		return FAILED;
	}
	skel->rodata->src_base = f->base;
	skel->rodata->src_count = f->count;
	if (xdp_tx__load(skel)) {
		fprintf(stderr, "flood: cannot load the sender program\n");
		xdp_tx__destroy(skel);
		return FAILED;
	}
	fd = bpf_program__fd(skel->progs.xdp_tx);
	t0 = mono_now();
	while (mono_now() - t0 < f->secs) {
		if (bpf_prog_test_run_opts(fd, &o) < 0) {
			ret = !*sent && (errno == EPERM || errno == EINVAL || errno == EOPNOTSUPP) ?
			      REFUSED : FAILED;
			if (ret == FAILED)
				perror("flood: BPF_PROG_TEST_RUN with live frames");
			break;
		}
		*sent += o.repeat;
	}
	*took = mono_now() - t0;
	xdp_tx__destroy(skel);
	return ret;
}

/* The same frames through an AF_PACKET socket for f->secs (the time taken
 * in *took), BATCH at a time, each with the next source. Of a batch the
 * veth cannot take whole (its ring is full) only what it took counts, and
 * the sender yields: a receiver sharing its CPU drains the ring. */
static int flood_socket(const struct flood *f, unsigned long long *sent, double *took)
{
	static uint8_t frames[BATCH][sizeof(f->frame)];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = (int)f->ifindex };
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	uint32_t seq = 0;
	int one = 1, fd, n;
	double t0;

	/* Protocol 0: the socket receives nothing, and the kernel reads the
	 * frame's own EtherType. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0) {
		perror("flood: an AF_PACKET socket with PACKET_QDISC_BYPASS on the sender's interface");
		return FAILED;
	}
	memset(msg, 0, sizeof(msg));
	for (int i = 0; i < BATCH; i++) {
		memcpy(frames[i], f->frame, f->len);
		iov[i] = (struct iovec){ .iov_base = frames[i], .iov_len = f->len };
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = mono_now();
	while (mono_now() - t0 < f->secs) {
		for (int i = 0; f->count > 1 && i < BATCH; i++)
			flood_set_src(frames[i] + f->lay.l3, frames[i] + f->lay.l4,
				      htonl(flood_src(f->base, f->count, seq++)));
		n = sendmmsg(fd, msg, BATCH, 0);
		if (n < 0 && errno != ENOBUFS && errno != EAGAIN) {
			perror("flood: sendmmsg on the AF_PACKET socket");
			close(fd);
			return FAILED;
		}
		if (n > 0)
			*sent += (unsigned)n;
		if (n < BATCH)
			sched_yield();
	}
	*took = mono_now() - t0;
	close(fd);
	return SENT;
}

int main(int argc, char **argv)
{
	struct pkt_spec s = { .l4 = 6, .dport = 25 };
	struct flood f = { .count = 1 };
	unsigned long long sent = 0, count = 1;
	const char *gen = "live-frames";
	unsigned mac[6];
	struct in_addr base;
	char *plus, *end;
	double took = 0;
	int r;

	if (argc != 6 || sscanf(argv[5], "%x:%x:%x:%x:%x:%x", &mac[0], &mac[1], &mac[2], &mac[3],
				&mac[4], &mac[5]) != 6) {
		fprintf(stderr, "usage: flood IFNAME SRC[+COUNT] DST SECONDS DST_MAC\n");
		return 2;
	}
	f.ifindex = if_nametoindex(argv[1]);
	if ((plus = strchr(argv[2], '+'))) {
		*plus = '\0';
		errno = 0;
		count = strtoull(plus + 1, &end, 10);
	}
	s.src = argv[2];
	s.dst = argv[3];
	f.secs = atof(argv[4]);
	f.len = pkt_build(&s, f.frame, sizeof(f.frame), &f.lay);
	for (int i = 0; i < 6; i++)
		f.frame[i] = (uint8_t)mac[i];
	if (!f.ifindex || !f.len || inet_pton(AF_INET, s.src, &base) != 1) {
		fprintf(stderr, "flood: no interface %s, or a bad source %s\n", argv[1], s.src);
		return 2;
	}
	f.base = ntohl(base.s_addr);
	if ((plus && (errno || *end)) || count < 1 || f.base + count - 1 > UINT32_MAX) {
		fprintf(stderr, "flood: COUNT must be 1 to %llu from %s\n",
			UINT32_MAX - (unsigned long long)f.base + 1, s.src);
		return 2;
	}
	f.count = (uint32_t)count;
	if ((r = flood_live(&f, &sent, &took)) == REFUSED) {
		gen = "af_packet";
		r = flood_socket(&f, &sent, &took);
	}
	if (r != SENT)
		return 1;
	printf("generator=%s sent=%llu seconds=%.2f mpps=%.2f\n", gen, sent, took, sent / took / 1e6);
	return 0;
}
