/* xdp_tx.bpf.c - the flood's sender: BPF_PROG_TEST_RUN with live frames
 * runs this on the sender's veth, and XDP_TX puts every frame on the wire
 * to the receiver (platform.md item 7: the only generator that keeps up).
 * With src_count > 1 each frame gets another IPv4 source, drawn from
 * src_base .. src_base + src_count - 1 (flood_src.h, which flood.c's
 * AF_PACKET fallback shares). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "flood_src.h"

volatile const __u32 src_base;          /* host order */
volatile const __u32 src_count;
__u32 seq;

SEC("xdp")
int xdp_tx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct tcphdr *tcp = (void *)(ip + 1);

	if (src_count < 2 || (void *)(tcp + 1) > end || ip->ihl != 5)
		return XDP_TX;
	flood_set_src((__u8 *)ip, (__u8 *)tcp, bpf_htonl(flood_src(src_base, src_count, seq++)));
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
