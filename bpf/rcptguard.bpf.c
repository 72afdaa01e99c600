// SPDX-License-Identifier: GPL-2.0
/* rcptguard.bpf.c - drop packets from banned clients to the protected mail
 * ports in the driver (or answer their SYNs with a RST: rst.bpf.h).
 * Everything the parser does not fully understand passes: this program may
 * only ever drop what it is sure about. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "rcptguard.h"
#include "bans.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rg_ports);
} ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rg_stats);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, struct rg_lpm_key);
	__type(value, struct rg_note);
} ban_notes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct rg_iface);
} ifaces SEC(".maps");

#include "rst.bpf.h"

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
};

/* The parts of a packet the verdict needs. */
struct pkt {
	struct rg_addr src;
	__u16 dport;
};

static __always_inline int count(struct rg_stats *st, enum rg_counter c, __u64 len)
{
	st->packets[RG_INSPECTED]++;
	st->bytes[RG_INSPECTED] += len;
	st->packets[c]++;
	st->bytes[c] += len;
	return c >= RG_DROP_EXACT ? XDP_DROP : XDP_PASS;
}

/* Returns RG_INSPECTED when p is filled in, otherwise the pass counter. */
static __always_inline enum rg_counter parse_tcp(void *l4, void *end, __u8 proto,
						 struct pkt *p)
{
	struct tcphdr *th = l4;

	if (proto != IPPROTO_TCP)
		return RG_PASS_NOT_TCP;
	if ((void *)(th + 1) > end || th->doff < 5)
		return RG_PASS_MALFORMED;
	p->dport = bpf_ntohs(th->dest);
	return RG_INSPECTED;
}

static __always_inline enum rg_counter parse_ipv4(void *l3, void *end, struct pkt *p)
{
	struct iphdr *ip = l3;

	if ((void *)(ip + 1) > end)
		return RG_PASS_MALFORMED;
	if (ip->version != 4 || ip->ihl < 5)
		return RG_PASS_MALFORMED;
	/* A later fragment carries no port. Its first fragment was judged
	 * (and dropped if banned), so it can never be reassembled: pass. */
	if (ip->frag_off & bpf_htons(0x1fff))
		return RG_PASS_FRAGMENT;
	__builtin_memset(&p->src, 0, sizeof(p->src));
	p->src.a[10] = 0xff;
	p->src.a[11] = 0xff;
	__builtin_memcpy(&p->src.a[12], &ip->saddr, 4);
	return parse_tcp(l3 + ip->ihl * 4, end, ip->protocol, p);
}

struct ipv6_opt_hdr_min {
	__u8 nexthdr;
	__u8 hdrlen;
};

struct ipv6_frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 id;
};

static __always_inline enum rg_counter parse_ipv6(void *l3, void *end, struct pkt *p)
{
	struct ipv6hdr *ip6 = l3;
	void *cur = ip6 + 1;
	__u8 nh;

	if (cur > end)
		return RG_PASS_MALFORMED;
	if (ip6->version != 6)
		return RG_PASS_MALFORMED;
	__builtin_memcpy(&p->src, &ip6->saddr, 16);
	nh = ip6->nexthdr;

#pragma unroll
	for (int i = 0; i < RG_MAX_EXT_HDRS; i++) {
		struct ipv6_opt_hdr_min *oh = cur;

		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if ((void *)(oh + 1) > end)
				return RG_PASS_MALFORMED;
			nh = oh->nexthdr;
			cur += (oh->hdrlen + 1) * 8;
			break;
		case IPPROTO_AH:
			if ((void *)(oh + 1) > end)
				return RG_PASS_MALFORMED;
			nh = oh->nexthdr;
			cur += (oh->hdrlen + 2) * 4;
			break;
		case IPPROTO_FRAGMENT: {
			struct ipv6_frag_hdr *fh = cur;

			if ((void *)(fh + 1) > end)
				return RG_PASS_MALFORMED;
			if (fh->frag_off & bpf_htons(0xfff8))
				return RG_PASS_FRAGMENT;
			nh = fh->nexthdr;
			cur = fh + 1;
			break;
		}
		default:
			return parse_tcp(cur, end, nh, p);
		}
	}
	/* Still inside extension headers: too long a chain to judge. */
	switch (nh) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_DSTOPTS:
	case IPPROTO_AH:
	case IPPROTO_FRAGMENT:
		return RG_PASS_EXT_LIMIT;
	}
	return parse_tcp(cur, end, nh, p);
}

static __always_inline int port_protected(__u16 port)
{
	__u32 zero = 0;
	struct rg_ports *pm = bpf_map_lookup_elem(&ports, &zero);

	if (!pm)
		return 0;
	return (pm->bits[(port >> 6) & (RG_PORT_WORDS - 1)] >> (port & 63)) & 1;
}

/* A banned client's packet: dropped, or with ban_action = rst a SYN is
 * answered when the caps allow (over them it is dropped and counted). */
static __always_inline int answer(struct xdp_md *ctx, struct rg_stats *st, struct rg_ban *ban,
				  __u64 l3, int v6)
{
	__u32 zero = 0;
	struct rg_settings *cfg = bpf_map_lookup_elem(&settings, &zero);
	struct rst_in in;

	if (!cfg || cfg->ban_action != RG_ACTION_RST || !rst_check(ctx, l3, v6, &in))
		return XDP_DROP;
	if (!rst_allowed(ban, cfg)) {
		__sync_fetch_and_add(&ban->rst_suppressed, 1);
		st->rst_suppressed++;
		return XDP_DROP;
	}
	if (!(v6 ? rst_build_v6(ctx, &in) : rst_build_v4(ctx, &in)))
		return XDP_DROP;
	__sync_fetch_and_add(&ban->rst_sent, 1);
	st->rst_sent++;
	return XDP_TX;
}

SEC("xdp")
int rcptguard_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u64 len = end - data;
	struct ethhdr *eth = data;
	struct rg_stats *st;
	struct rg_ban *ban;
	void *l3 = eth + 1;
	struct pkt p;
	enum rg_counter c;
	__u64 now = 0;
	__u32 zero = 0;
	__u16 proto;

	st = bpf_map_lookup_elem(&stats, &zero);
	if (!st)
		return XDP_PASS;
	if (l3 > end)
		return count(st, RG_PASS_MALFORMED, len);
	proto = eth->h_proto;

#pragma unroll
	for (int i = 0; i < 2; i++) {
		struct vlan_hdr *vh = l3;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > end)
			return count(st, RG_PASS_MALFORMED, len);
		proto = vh->proto;
		l3 = vh + 1;
	}

	if (proto == bpf_htons(ETH_P_IP))
		c = parse_ipv4(l3, end, &p);
	else if (proto == bpf_htons(ETH_P_IPV6))
		c = parse_ipv6(l3, end, &p);
	else if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD))
		c = RG_PASS_MALFORMED;      /* a third tag: more than we follow */
	else
		c = RG_PASS_NOT_IP;
	if (c != RG_INSPECTED)
		return count(st, c, len);
	if (!port_protected(p.dport))
		return count(st, RG_PASS_PORT, len);

	ban = judge(&p.src, &c, &now);
	if (!ban)
		return count(st, c, len);
	ban_count(ban, len);
	count(st, c, len);
	return answer(ctx, st, ban, l3 - data, proto == bpf_htons(ETH_P_IPV6));
}

char LICENSE[] SEC("license") = "GPL";
