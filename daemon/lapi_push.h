/* lapi_push.h - the watcher: each ban rcptguard decides is pushed to
 * CrowdSec's LAPI as an alert carrying its decision (POST /v1/alerts after
 * POST /v1/watchers/login), from a bounded queue, on the event loop; the
 * decisions the LAPI made of them are marked as ours in the bouncer's set,
 * so they are not taken back as remote bans when the stream returns them. */
#ifndef RG_LAPI_PUSH_H
#define RG_LAPI_PUSH_H

#include "config.h"
#include "lapi_decision.h"
#include "loop.h"

#define LAPI_PUSH_QUEUE 1024

struct lapi_push;

/* set may be NULL (no bouncer). NULL with err set. */
struct lapi_push *lapi_push_start(struct loop *l, const struct config *c, struct lapi_set *set,
				  struct lapi_status *st, char *err, size_t errlen);
void lapi_push_free(struct lapi_push *p);
/* Queue a ban of k for secs (0: permanent) for reason; events in window
 * seconds against a threshold of capacity were its evidence. A full queue
 * drops its oldest (counted). */
void lapi_push_ban(struct lapi_push *p, const struct rg_lpm_key *k, uint64_t secs,
		   unsigned reason, unsigned events, double capacity, uint32_t window);

/* Delete decision id, one of ours, from the LAPI (an unban by hand): when
 * the LAPI allows it, every bouncer lifts it. */
void lapi_push_forget(struct lapi_push *p, int64_t id);

#endif
