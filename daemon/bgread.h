/* bgread.h - the bans of a store that is slow to list (SLOW_DUMP: nft,
 * minutes at a million bans), read on a thread of its own while the daemon
 * serves. The thread touches nothing of the daemon's: it fills a ban
 * mirror of its own through the backend's read_bans (a netlink session of
 * its own), and an eventfd hands the result to the event loop. */
#ifndef RG_BGREAD_H
#define RG_BGREAD_H

#include <stddef.h>
#include <stdint.h>
#include "backend.h"
#include "banmirror.h"
#include "config.h"
#include "loop.h"

struct bgread;

/* On the loop: rc 0 with every ban of the store in bans, or -errno; expect
 * as given to bgread_start. Non-zero: call again at the next turn of the
 * loop (a merge in slices); 0: done, everything is freed. */
typedef int (*bgread_done)(void *arg, const struct banmirror *bans,
			   const struct rg_lpm_key *expect, size_t n_expect, int rc,
			   uint64_t elapsed_ns);

/* Start reading the store c names (ops->read_bans; the config is copied),
 * asking for each of the n keys of expect (taken: freed here) the dump
 * does not show. NULL with err when no thread can be started. */
struct bgread *bgread_start(struct loop *l, const struct backend_ops *ops,
			    const struct config *c, struct rg_lpm_key *expect, size_t n,
			    bgread_done done, void *arg, char *err, size_t errlen);
/* Cancel the read and wait for the thread (one netlink reply at most);
 * done is not called (again). NULL: nothing to do. */
void bgread_stop(struct bgread *r);

#endif
