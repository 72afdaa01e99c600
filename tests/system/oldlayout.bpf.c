// SPDX-License-Identifier: GPL-2.0
/* oldlayout.bpf.c - test only: the maps of an earlier rcptguard release,
 * and a program that drops TCP to port 25 from the sources they ban, as
 * that release did (migrate.bats). OLD_BAN_SIZE picks the release: 40 is
 * the ban value before ban_action = rst, 64 the one of commit abfa089.
 * The fields are the ABI's fixed ones (bpf/rcptguard.h); the rest of a
 * value is padding here. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct old_addr { __u8 a[16]; };
struct old_lpm_key { __u32 prefixlen; struct old_addr addr; };
struct old_ban {
	__u64 expires_ns, created_unix, packets, bytes;
	__u32 reason, prefixlen;
	__u8 rest[OLD_BAN_SIZE - 40];
};
struct old_allow { __u64 created_unix; __u32 origin; };
struct old_note { char text[64]; };
struct old_iface { char name[16]; __u32 ifindex, mode; __u64 attached_unix; };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, struct old_addr);
	__type(value, struct old_ban);
} bans_exact SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, struct old_lpm_key);
	__type(value, struct old_ban);
} bans_prefix SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, struct old_addr);
	__type(value, struct old_allow);
} allow_exact SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, struct old_lpm_key);
	__type(value, struct old_allow);
} allow_prefix SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, struct old_lpm_key);
	__type(value, struct old_note);
} ban_notes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct old_iface);
} ifaces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64[1024]);
} ports SEC(".maps");

/* The global counters: 12 packet and byte counters, and from the RST
 * release on two more. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64[OLD_BAN_SIZE == 40 ? 24 : 26]);
} stats SEC(".maps");

#if OLD_BAN_SIZE > 40
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64[2]);
} settings SEC(".maps");
#endif

static __always_inline void hit(struct old_ban *b, struct xdp_md *ctx)
{
	__sync_fetch_and_add(&b->packets, 1);
	__sync_fetch_and_add(&b->bytes, ctx->data_end - ctx->data);
}

static __always_inline int judge(struct old_addr *a, struct xdp_md *ctx)
{
	struct old_lpm_key k = { .prefixlen = 128, .addr = *a };
	__u64 now = bpf_ktime_get_coarse_ns();
	struct old_ban *b = bpf_map_lookup_elem(&bans_exact, a);

	if (!b)
		b = bpf_map_lookup_elem(&bans_prefix, &k);
	if (!b || (b->expires_ns && b->expires_ns <= now))
		return XDP_PASS;
	hit(b, ctx);
	return XDP_DROP;
}

SEC("xdp")
int old_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct old_addr a = { { 0 } };
	struct tcphdr *tcp;

	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_TCP || ip->ihl != 5)
			return XDP_PASS;
		a.a[10] = a.a[11] = 0xff;
		__builtin_memcpy(&a.a[12], &ip->saddr, 4);
		tcp = (void *)(ip + 1);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end || ip6->nexthdr != IPPROTO_TCP)
			return XDP_PASS;
		__builtin_memcpy(&a, &ip6->saddr, 16);
		tcp = (void *)(ip6 + 1);
	} else {
		return XDP_PASS;
	}
	if ((void *)(tcp + 1) > end || tcp->dest != bpf_htons(25))
		return XDP_PASS;
	return judge(&a, ctx);
}

char LICENSE[] SEC("license") = "GPL";
