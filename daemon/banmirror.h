/* banmirror.h - the in-memory ban mirror: ban records (all but the drop
 * counters) by key. The front keeps one for a store that is slow to ask
 * (nftables: a netlink round trip per question, and a dump of a large set
 * costs seconds); replay keeps its simulated live bans in one. About 50
 * bytes per ban, plus its note if it has one. A zeroed struct banmirror is
 * an empty one. */
#ifndef RG_BANMIRROR_H
#define RG_BANMIRROR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "keyindex.h"
#include "rcptguard.h"

struct banmirror_entry {
	struct rg_lpm_key key;
	uint32_t reason;
	uint64_t expires_ns;            /* CLOCK_MONOTONIC; 0 = permanent */
	uint64_t created_unix;
	char *note;                     /* NULL when empty */
};

struct banmirror {
	struct banmirror_entry *e;         /* dense */
	struct keyindex idx;            /* keyed at the first put */
	size_t n, cap;
};

void banmirror_free(struct banmirror *t);
/* The entry of k, or NULL. */
struct banmirror_entry *banmirror_get(const struct banmirror *t, const struct rg_lpm_key *k);
/* Insert or update (an update keeps created_unix); -ENOMEM. */
int banmirror_put(struct banmirror *t, const struct rg_lpm_key *k, uint32_t reason,
	       uint64_t expires_ns, uint64_t created_unix, const char *note);
/* Room for n entries in all (a bulk load); -ENOMEM. */
int banmirror_reserve(struct banmirror *t, size_t n);
/* 0, or -ENOENT. */
int banmirror_del(struct banmirror *t, const struct rg_lpm_key *k);

#endif
