/* skel_maps.h - the rg_maps view of a freshly loaded (unpinned) skeleton,
 * for tests and benchmarks that drive the program without a daemon. */
#ifndef RG_TEST_SKEL_MAPS_H
#define RG_TEST_SKEL_MAPS_H

#include <bpf/libbpf.h>
#include "maps.h"
#include "rcptguard.skel.h"

static inline struct rg_maps skel_maps(const struct rcptguard *skel)
{
	return (struct rg_maps){
		bpf_map__fd(skel->maps.bans_v4), bpf_map__fd(skel->maps.bans_v6),
		bpf_map__fd(skel->maps.bans_prefix),
		bpf_map__fd(skel->maps.allow_exact), bpf_map__fd(skel->maps.allow_prefix),
		bpf_map__fd(skel->maps.ports), bpf_map__fd(skel->maps.stats),
		bpf_map__fd(skel->maps.ban_notes), bpf_map__fd(skel->maps.ifaces),
		bpf_map__fd(skel->maps.settings),
	};
}

#endif
