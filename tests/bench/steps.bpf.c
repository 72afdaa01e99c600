// SPDX-License-Identifier: GPL-2.0
/* steps.bpf.c - the per-step timing benchmark's program: walks a key array
 * of source addresses with bpf_loop and times one step of the verdict
 * chain over all of them (bench_steps.c). The maps and the chain are the
 * XDP program's own (bpf/bans.bpf.h). Each key's index depends on the
 * previous step's result, so lookups cannot overlap out of order: this
 * is the latency a packet pays, not a pipelined throughput. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "rcptguard.h"
#include "bans.bpf.h"
#include "steps.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);             /* set by bench_steps */
	__type(key, __u32);
	__type(value, struct rg_addr);
} keys SEC(".maps");

__u32 step, first, nkeys;
__u64 ns, found;

static long one(__u32 i, void *arg)
{
	__u64 *hits = arg;
	/* Always 0, but only known once the previous step finished. */
	__u32 idx = (first + i) | (__u32)(*hits >> 63);
	struct rg_addr *src = bpf_map_lookup_elem(&keys, &idx);
	struct rg_lpm_key k = { .prefixlen = 128 };
	enum rg_counter c;
	struct rg_ban *ban;
	__u64 now = 0;
	__u32 v4;

	if (!src)
		return 1;
	switch (step) {
	case STEP_FLOOR:
		*hits += src->a[15] & 1;
		break;
	case STEP_PREFILTER:
		__builtin_memcpy(&v4, src->a + 12, 4);
		*hits += prefilter_v4_may(v4);
		break;
	case STEP_EXACT:
		*hits += ban_exact(src) != 0;
		break;
	case STEP_EXACT16:
		*hits += bpf_map_lookup_elem(&bans_v6, src) != 0;
		break;
	case STEP_PREFIX:
		k.addr = *src;
		*hits += bpf_map_lookup_elem(&bans_prefix, &k) != 0;
		break;
	case STEP_ALLOW:
		*hits += allowed(src);
		break;
	case STEP_CHAIN_EXACT:
		*hits += judge_to(src, &c, &now, RG_CHAIN_EXACT) != 0;
		break;
	case STEP_CHAIN_PREFIX:
		*hits += judge_to(src, &c, &now, RG_CHAIN_PREFIX) != 0;
		break;
	case STEP_CHAIN_ALLOW:
		*hits += judge(src, &c, &now) != 0;
		break;
	case STEP_JUDGE:
		ban = judge(src, &c, &now);
		if (ban) {
			ban_count(ban, 60);
			*hits += 1;
		}
		break;
	}
	return 0;
}

SEC("xdp")
int steps(struct xdp_md *ctx)
{
	__u64 hits = 0, t0 = bpf_ktime_get_ns();

	bpf_loop(nkeys, one, &hits, 0);
	ns = bpf_ktime_get_ns() - t0;
	found = hits;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
