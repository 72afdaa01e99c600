/* rst.bpf.h - answer a banned client's SYN with a RST|ACK built in place
 * (ban_action = rst), for rcptguard.bpf.c only. RFC 9293 3.10.7.1: to a
 * segment without ACK, <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. Nothing
 * is answered that is not a whole, checksum-valid, unfragmented pure SYN:
 * every such packet is dropped as in drop mode. The RST is never larger
 * than the SYN (its IP header has no options, its TCP header is 20 bytes,
 * and the SYN's is at least that), so a spoofed source gains nothing. */
#ifndef RG_RST_BPF_H
#define RG_RST_BPF_H

/* SYN segments longer than this (TCP header and payload) are only
 * dropped: a SYN carries at most a TFO cookie's worth of data, and the
 * checksum loop must stay bounded for the verifier. */
#define RG_RST_MAX_SEG 512
#define RG_TCP_FIN 0x01
#define RG_TCP_SYN 0x02
#define RG_TCP_RST 0x04
#define RG_TCP_ACK 0x10

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rg_settings);
} settings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rg_rst_bucket);
} rst_bucket SEC(".maps");

/* The 16-bit one's complement sum of len bytes at off, added to seed,
 * folded, not inverted (a valid header sums to 0xffff); -1 when the
 * bytes are not all in the packet. A global function: the verifier walks
 * its loop once, not once per caller's path. */
__noinline int rg_csum(struct xdp_md *ctx, __u64 off, __u64 len, __u64 seed)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u64 s = seed;
	void *p;

	if (off > 256 || len > RG_RST_MAX_SEG)
		return -1;
	p = data + off;
	for (int i = 0; i < RG_RST_MAX_SEG / 2; i++) {
		if (len < 2)
			break;
		/* Keeps clang from turning the bounds check into a trip
		 * count the verifier cannot follow. */
		asm volatile("" : "+r"(p));
		if (p + 2 > end)
			return -1;
		s += *(__u16 *)p;
		p += 2;
		len -= 2;
	}
	if (len) {
		if (p + 1 > end)
			return -1;
		/* The odd last byte is the high half of a word, zero padded. */
		s += bpf_htons((__u16)(*(__u8 *)p << 8));
	}
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (int)s;
}

/* Both caps (one RST per ban per second, this CPU's bucket): 1 when a RST
 * may go now, and then it is charged. */
static __always_inline int rst_allowed(struct rg_ban *ban, const struct rg_settings *cfg)
{
	__u32 zero = 0;
	struct rg_rst_bucket *b = bpf_map_lookup_elem(&rst_bucket, &zero);
	__u64 now = bpf_ktime_get_coarse_ns(), tat;

	if (!b || now - ban->last_rst_ns < RG_RST_PER_BAN_NS)
		return 0;
	tat = b->tat_ns > now ? b->tat_ns : now;
	if (tat - now >= 1000000000ULL)
		return 0;
	b->tat_ns = tat + cfg->rst_interval_ns;
	ban->last_rst_ns = now;
	return 1;
}

/* Where the headers are, as offsets from the start of the frame, and what
 * the answer needs of them. */
struct rst_in {
	__u64 l3, l4, seg;      /* seg: TCP header and payload */
	__u32 ack;              /* the RST's acknowledgment number, host order */
	__be16 sport, dport;
};

/* A pure SYN (no ACK, RST or FIN) whose segment lies in the frame: the
 * answer's inputs in *in, else 0. */
static __always_inline int rst_syn(void *data, void *end, struct tcphdr *th, __u32 seg,
				   struct rst_in *in)
{
	__u8 *flags = (__u8 *)th + 13;

	if ((void *)(th + 1) > end || seg < th->doff * 4 || seg > RG_RST_MAX_SEG)
		return 0;
	if ((*flags & (RG_TCP_SYN | RG_TCP_ACK | RG_TCP_RST | RG_TCP_FIN)) != RG_TCP_SYN)
		return 0;
	in->l4 = (void *)th - data;
	if (in->l4 + seg > (__u32)(end - data))
		return 0;
	in->seg = seg;
	/* SEG.LEN: the payload and the SYN's one. */
	in->ack = bpf_ntohl(th->seq) + 1 + (seg - th->doff * 4);
	in->sport = th->source;
	in->dport = th->dest;
	return 1;
}

/* The sums of the incoming packet: its IPv4 header (ip_len 0 for IPv6)
 * and its TCP segment with the pseudo-header at addr_off (addr_len bytes
 * of source and destination). */
static __always_inline int rst_sums_ok(struct xdp_md *ctx, const struct rst_in *in, __u32 ip_len,
				       __u32 addr_off, __u32 addr_len)
{
	int pseudo;

	if (ip_len && rg_csum(ctx, in->l3, ip_len, 0) != 0xffff)
		return 0;
	pseudo = rg_csum(ctx, addr_off, addr_len, bpf_htons(IPPROTO_TCP) + bpf_htons(in->seg));
	return pseudo >= 0 && rg_csum(ctx, in->l4, in->seg, pseudo) == 0xffff;
}

/* The RST's TCP header at th; its checksum is filled in by the caller. */
static __always_inline void rst_tcp(struct tcphdr *th, const struct rst_in *in)
{
	__builtin_memset(th, 0, sizeof(*th));
	th->source = in->dport;
	th->dest = in->sport;
	th->ack_seq = bpf_htonl(in->ack);
	th->doff = 5;
	th->rst = 1;
	th->ack = 1;
}

static __always_inline int swap_macs(struct ethhdr *eth, void *end)
{
	__u8 mac[ETH_ALEN];

	if ((void *)(eth + 1) > end)
		return 0;
	__builtin_memcpy(mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, mac, ETH_ALEN);
	return 1;
}

/* Trim the frame to len bytes (never grows it). */
static __always_inline int rst_trim(struct xdp_md *ctx, __u32 len)
{
	__u32 have = ctx->data_end - ctx->data;

	return len <= have && bpf_xdp_adjust_tail(ctx, (int)len - (int)have) == 0;
}

/* Is the frame an answerable SYN over IPv4 (v6 0) or IPv6 (v6 1) at
 * l3? Fills in. Fragments (IPv4 MF or offset, IPv6 any extension header)
 * and SYNs from a group MAC address are not. */
static __always_inline int rst_check(struct xdp_md *ctx, __u64 l3, int v6, struct rst_in *in)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6;
	struct iphdr *ip;
	__u32 ihl, tot;

	if (l3 > 22 || (void *)(eth + 1) > end || eth->h_source[0] & 1)
		return 0;
	in->l3 = l3;
	if (v6) {
		ip6 = data + l3;
		if ((void *)(ip6 + 1) > end || ip6->nexthdr != IPPROTO_TCP)
			return 0;
		return rst_syn(data, end, (struct tcphdr *)(ip6 + 1),
			       bpf_ntohs(ip6->payload_len), in) &&
		       rst_sums_ok(ctx, in, 0, l3 + 8, 32);
	}
	ip = data + l3;
	if ((void *)(ip + 1) > end)
		return 0;
	ihl = ip->ihl * 4;
	tot = bpf_ntohs(ip->tot_len);
	if (ip->frag_off & bpf_htons(0x3fff) || tot < ihl + 20)
		return 0;
	return rst_syn(data, end, (void *)ip + ihl, tot - ihl, in) &&
	       rst_sums_ok(ctx, in, ihl, l3 + 12, 8);
}

/* The TCP checksum of the RST whose addresses are at addr_off. */
static __always_inline int rst_tcp_sum(struct xdp_md *ctx, __u32 addr_off, __u32 addr_len,
				       __u32 l4)
{
	int sum = rg_csum(ctx, addr_off, addr_len, bpf_htons(IPPROTO_TCP) + bpf_htons(20));

	return sum < 0 ? sum : rg_csum(ctx, l4, 20, sum);
}

/* Rewrite the checked IPv4 SYN into the RST: 1, or 0 when it could not be
 * (the frame is then dropped). */
static __always_inline int rst_build_v4(struct xdp_md *ctx, const struct rst_in *in)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u64 l3 = in->l3;
	struct iphdr *ip;
	__be32 saddr, daddr;
	int sum;

	if (l3 > 22 || data + l3 + 40 > end)
		return 0;
	ip = data + l3;
	saddr = ip->saddr;
	daddr = ip->daddr;
	__builtin_memset(ip, 0, sizeof(*ip));
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = bpf_htons(40);
	ip->frag_off = bpf_htons(0x4000);       /* DF */
	ip->ttl = 64;
	ip->protocol = IPPROTO_TCP;
	ip->saddr = daddr;
	ip->daddr = saddr;
	rst_tcp((struct tcphdr *)(ip + 1), in);
	if ((sum = rg_csum(ctx, l3, 20, 0)) < 0)
		return 0;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (data + l3 + 40 > end)
		return 0;
	((struct iphdr *)(data + l3))->check = (__u16)~sum;
	if ((sum = rst_tcp_sum(ctx, l3 + 12, 8, l3 + 20)) < 0)
		return 0;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (data + l3 + 40 > end)
		return 0;
	((struct tcphdr *)(data + l3 + 20))->check = (__u16)~sum;
	return swap_macs(data, end) && rst_trim(ctx, l3 + 40);
}

static __always_inline int rst_build_v6(struct xdp_md *ctx, const struct rst_in *in)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u64 l3 = in->l3;
	struct ipv6hdr *ip6;
	struct in6_addr a;
	int sum;

	if (l3 > 22 || data + l3 + 60 > end)
		return 0;
	ip6 = data + l3;
	a = ip6->saddr;
	ip6->saddr = ip6->daddr;
	ip6->daddr = a;
	*(__be32 *)ip6 = bpf_htonl(0x60000000);       /* version, no class or flow */
	ip6->payload_len = bpf_htons(20);
	ip6->hop_limit = 64;
	rst_tcp((struct tcphdr *)(ip6 + 1), in);
	if ((sum = rst_tcp_sum(ctx, l3 + 8, 32, l3 + 40)) < 0)
		return 0;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (data + l3 + 60 > end)
		return 0;
	((struct tcphdr *)(data + l3 + 40))->check = (__u16)~sum;
	return swap_macs(data, end) && rst_trim(ctx, l3 + 60);
}

#endif
