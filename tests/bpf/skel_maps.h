/* skel_maps.h - the rg_maps view of a freshly loaded (unpinned) skeleton,
 * for tests and benchmarks that drive the program without a daemon. */
#ifndef RG_TEST_SKEL_MAPS_H
#define RG_TEST_SKEL_MAPS_H

#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include "maps.h"
#include "rcptguard.skel.h"

static inline struct rg_maps skel_maps(const struct rcptguard *skel)
{
	struct rg_maps m = {
		bpf_map__fd(skel->maps.bans_v4), bpf_map__fd(skel->maps.bans_v6),
		bpf_map__fd(skel->maps.bans_prefix),
		bpf_map__fd(skel->maps.allow_exact), bpf_map__fd(skel->maps.allow_prefix),
		bpf_map__fd(skel->maps.ports), bpf_map__fd(skel->maps.stats),
		bpf_map__fd(skel->maps.ban_notes), bpf_map__fd(skel->maps.ifaces),
		bpf_map__fd(skel->maps.settings), bpf_map__fd(skel->maps.prefilter_v4),
		bpf_map__fd(skel->maps.prefilter_v4_count),
		bpf_map__fd(skel->maps.prefilter_allow_v4),
		bpf_map__fd(skel->maps.prefilter_allow_v4_count), NULL, NULL, NULL, NULL,
	};

	if (maps_mmap(&m) < 0) {
		perror("skel_maps: cannot map the prefilter");
		exit(1);
	}
	return m;
}

#endif
