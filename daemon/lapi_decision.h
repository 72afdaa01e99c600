/* lapi_decision.h - what rcptguard does with a decision pulled from
 * CrowdSec's LAPI: the checks (type ban, scope Ip or Range, no wider than
 * crowdsec_max_range, address sanity), the LAPI source's own records
 * (which decision holds which key, until when: one record per source,
 * beside the offender record of a local ban) and the reconciliation of a
 * startup stream. Bans and lifts go through the judge. */
#ifndef RG_LAPI_DECISION_H
#define RG_LAPI_DECISION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "addr.h"
#include "judge.h"
#include "lapi_json.h"
#include "prometheus.h"

/* The bouncer's state for status and metrics. */
struct lapi_status {
	bool enabled, up;
	uint64_t pulls, failures, outages;
	uint64_t added, refreshed, lifted, spared;
	uint64_t refused_kind;          /* not a ban, not an Ip or Range */
	uint64_t refused_width;         /* wider than crowdsec_max_range */
	uint64_t refused_sanity;        /* address sanity, or not an address */
	uint64_t refused_bad;           /* a field too long or of the wrong kind */
	uint64_t records;               /* decisions held now */
	/* The watcher. */
	bool push_enabled, push_down;
	uint64_t pushed, push_dropped, push_rejected, push_failures, push_queued;
	char error[160];                /* the last failure, while down */
};

struct lapi_set;

/* The bouncer's metrics (rcptguard_crowdsec_*), for metrics.c. */
void lapi_metrics(const struct lapi_status *st, metric_cb cb, void *x);

struct lapi_set *lapi_set_new(struct judge *j, const uint8_t max_range[2],
			      const struct nat64_prefixes *nat64, struct lapi_status *st);
void lapi_set_free(struct lapi_set *s);
/* A stream starts: a startup one lists every decision the LAPI holds. */
void lapi_set_begin(struct lapi_set *s);
void lapi_set_apply(struct lapi_set *s, const struct lapi_decision *d, uint32_t now);
/* A startup stream ended whole: records it did not hold are lifted. */
size_t lapi_set_reconcile(struct lapi_set *s, uint32_t now);
/* Decision id of k is one the LAPI made of our own alert: the stream's
 * copy of it is not a remote ban (not counted, not written, not pushed). */
int lapi_set_mine(struct lapi_set *s, const struct rg_lpm_key *k, int64_t id, uint32_t until);
/* After an unban by hand: the id of our own decision for exactly k, its
 * record dropped (0: none). */
int64_t lapi_set_forget_mine(struct lapi_set *s, const struct rg_lpm_key *k);
/* Does the LAPI hold a decision for exactly k (the unban's advice)? */
bool lapi_set_holds(const struct lapi_set *s, const struct rg_lpm_key *k);

#endif
