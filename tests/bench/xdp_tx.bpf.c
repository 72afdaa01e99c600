/* xdp_tx.bpf.c - the flood's sender: BPF_PROG_TEST_RUN with live frames
 * runs this on the sender's veth, and XDP_TX puts every frame on the wire
 * to the receiver (platform.md item 7: the only generator that keeps up).
 * With src_count > 1 each frame gets another IPv4 source, drawn from
 * src_base .. src_base + src_count - 1 in a scattered order (a botnet,
 * not a scan), with both checksums fixed. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

volatile const __u32 src_base;          /* host order */
volatile const __u32 src_count;
__u32 seq;

/* RFC 1624: a 16-bit one's complement checksum after a 32-bit word of
 * what it covers changed from old to new (all in network order). */
static __always_inline __u16 csum_replace(__u16 check, __u32 old, __u32 new)
{
	__u32 s = (__u16)~check;

	s += (~old >> 16) + (~old & 0xffff) + (new >> 16) + (new & 0xffff);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)~s;
}

SEC("xdp")
int xdp_tx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct tcphdr *tcp = (void *)(ip + 1);
	__u32 src;

	if (src_count < 2 || (void *)(tcp + 1) > end || ip->ihl != 5)
		return XDP_TX;
	src = bpf_htonl(src_base + seq++ * 2654435761u % src_count);
	ip->check = csum_replace(ip->check, ip->saddr, src);
	tcp->check = csum_replace(tcp->check, ip->saddr, src);
	ip->saddr = src;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
