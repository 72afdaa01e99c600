/* bans.bpf.h - the ban and allow maps and the lookup chain that judges a
 * source address. Included by rcptguard.bpf.c and by the per-step
 * benchmark (tests/bench/steps.bpf.c), so both time the same maps. */
#ifndef RG_BANS_BPF_H
#define RG_BANS_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "rcptguard.h"

/* Sizes are set by the loader from the config before load. IPv4 single
 * addresses have their own hash with a 4-byte key: a million of them take
 * 130 bytes each in the kernel instead of 203 with 16-byte keys
 * (bench_steps measures it). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1048576);
	__type(key, __u32);                 /* the IPv4 address, network order */
	__type(value, struct rg_ban);
} bans_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1048576);
	__type(key, struct rg_addr);        /* never IPv4-mapped */
	__type(value, struct rg_ban);
} bans_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, struct rg_lpm_key);
	__type(value, struct rg_ban);
} bans_prefix SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, struct rg_addr);
	__type(value, struct rg_allow);
} allow_exact SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, struct rg_lpm_key);
	__type(value, struct rg_allow);
} allow_prefix SEC(".maps");

/* rcptguard.h: IPv4's prefilters, bits (the program reads them) and their
 * counts (only userspace uses them). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, RG_PREFILTER_WORDS);
	__type(key, __u32);
	__type(value, __u64);
} prefilter_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, RG_PREFILTER_SLOTS / RG_PREFILTER_COUNT_CHUNK);
	__type(key, __u32);
	__type(value, struct rg_prefilter_counts);
} prefilter_v4_count SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, RG_ALLOW_PREFILTER_WORDS);
	__type(key, __u32);
	__type(value, __u64);
} prefilter_allow_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, RG_ALLOW_PREFILTER_SLOTS / RG_PREFILTER_COUNT_CHUNK);
	__type(key, __u32);
	__type(value, struct rg_prefilter_counts);
} prefilter_allow_v4_count SEC(".maps");

/* Is src IPv4-mapped? Then *v4 is its address, network order. */
static __always_inline int src_v4(const struct rg_addr *src, __u32 *v4)
{
	__u64 hi;
	__u32 mid;

	__builtin_memcpy(&hi, src->a, 8);
	__builtin_memcpy(&mid, src->a + 8, 4);
	__builtin_memcpy(v4, src->a + 12, 4);
	return hi == 0 && mid == bpf_htonl(0xffff);
}

/* The bit of v4's slot (its top `bits` bits) in a prefilter map. */
static __always_inline int prefilter_bit(void *map, __u32 v4, int bits)
{
	__u32 slot = bpf_ntohl(v4) >> (32 - bits), word = slot >> 6;
	__u64 *w = bpf_map_lookup_elem(map, &word);

	return w && (*w >> (slot & 63)) & 1;
}

/* May a ban cover v4 (network order)? */
static __always_inline int prefilter_v4_may(__u32 v4)
{
	return prefilter_bit(&prefilter_v4, v4, RG_PREFILTER_BITS);
}

static __always_inline int ban_live(const struct rg_ban *b, __u64 *now)
{
	if (!b->expires_ns)
		return 1;
	if (!*now)
		*now = bpf_ktime_get_coarse_ns();
	return *now < b->expires_ns;
}

/* Allow entries only matter once a ban matched: looked up after it. */
static __always_inline int allowed(const struct rg_addr *src)
{
	struct rg_lpm_key k = { .prefixlen = 128, .addr = *src };
	__u32 v4;

	if (src_v4(src, &v4) && !prefilter_bit(&prefilter_allow_v4, v4, RG_ALLOW_PREFILTER_BITS))
		return 0;
	return bpf_map_lookup_elem(&allow_exact, src) ||
	       bpf_map_lookup_elem(&allow_prefix, &k);
}

/* An IPv4-mapped address (whatever the packet's family) is judged by its
 * IPv4 ban, as the userspace side files it (maps.c). */
static __always_inline struct rg_ban *ban_exact(const struct rg_addr *src)
{
	__u32 v4;

	if (src_v4(src, &v4))
		return bpf_map_lookup_elem(&bans_v4, &v4);
	return bpf_map_lookup_elem(&bans_v6, src);
}

/* How far judge_to() goes: the program always goes the whole way; the
 * per-step benchmark stops early to time each step inside the chain. */
enum rg_chain {
	RG_CHAIN_EXACT,             /* exact ban and its expiry */
	RG_CHAIN_PREFIX,            /* then the prefix bans */
	RG_CHAIN_ALLOW,             /* then the allow entries: a verdict */
};

/* The live ban that drops src (*c: RG_DROP_EXACT or RG_DROP_PREFIX), or
 * NULL with *c the pass counter. *now caches the clock. */
static __always_inline struct rg_ban *judge_to(const struct rg_addr *src, enum rg_counter *c,
					       __u64 *now, enum rg_chain upto)
{
	struct rg_ban *ban;
	__u32 v4;

	if (src_v4(src, &v4) && !prefilter_v4_may(v4)) {
		*c = RG_PASS_NOT_BANNED;
		return 0;
	}
	ban = ban_exact(src);
	*c = RG_DROP_EXACT;
	if (upto == RG_CHAIN_EXACT)
		return ban && ban_live(ban, now) ? ban : 0;
	if (!ban || !ban_live(ban, now)) {
		struct rg_lpm_key k = { .prefixlen = 128, .addr = *src };
		int had_exact = ban != 0;

		*c = RG_DROP_PREFIX;
		ban = bpf_map_lookup_elem(&bans_prefix, &k);
		if (!ban) {
			*c = had_exact ? RG_PASS_EXPIRED : RG_PASS_NOT_BANNED;
			return 0;
		}
		if (!ban_live(ban, now)) {
			*c = RG_PASS_EXPIRED;
			return 0;
		}
	}
	if (upto == RG_CHAIN_ALLOW && allowed(src)) {
		*c = RG_PASS_ALLOWED;
		return 0;
	}
	return ban;
}

/* The whole chain: the program's verdict. */
static __always_inline struct rg_ban *judge(const struct rg_addr *src, enum rg_counter *c,
					    __u64 *now)
{
	return judge_to(src, c, now, RG_CHAIN_ALLOW);
}

/* A dropped packet's share of its ban's counters. */
static __always_inline void ban_count(struct rg_ban *ban, __u64 len)
{
	__sync_fetch_and_add(&ban->packets, 1);
	__sync_fetch_and_add(&ban->bytes, len);
}

#endif
