/* dnsbl.h - DNSBL lookups on the event loop with c-ares: all lists in
 * parallel, deduplicated while in flight, cached per address (negative
 * answers too), at most dns_max_inflight queries at once. Timeouts and
 * errors count as not listed. */
#ifndef RG_DNSBL_H
#define RG_DNSBL_H

#include <stdbool.h>
#include <stdint.h>
#include "config.h"
#include "loop.h"

enum dnsbl_status { DA_NONE, DA_QUEUED, DA_PENDING, DA_LISTED, DA_CLEAN, DA_ERROR };

struct dnsbl_answer {
	uint8_t status;                 /* enum dnsbl_status */
	uint8_t a[4];                   /* the A record, when there was one */
	uint32_t asked, expires;        /* unix seconds */
};

struct dnsbl_result {
	bool complete;                  /* no list still pending */
	double score;                   /* sum of the listed lists' weights */
	int list;                       /* the heaviest positive list, or -1 */
	const char *txt;                /* its TXT reason, "" if none */
	const struct dnsbl_answer *answers;     /* one per configured list */
};

struct dnsbl_stats {
	uint64_t lookups, cache_hits, queries, listed[DNSBL_MAX_LISTS];
	uint64_t timeouts, servfail, error_codes, outside, bad_answers, other_errors, queue_full;
	uint64_t error_code[256];               /* by the last octet of 127.255.255.N */
	unsigned inflight, inflight_max;
};

struct dnsbl;

/* NULL with err set when c-ares cannot start; a config without lists
 * gives a dnsbl that never looks anything up. */
struct dnsbl *dnsbl_new(struct loop *l, const struct config *c, char *err, size_t errlen);
void dnsbl_free(struct dnsbl *d);
bool dnsbl_enabled(const struct dnsbl *d);
const struct dnsbl_list *dnsbl_lists(const struct dnsbl *d, unsigned *n);

/* Called after answers arrive (to re-check waiting verdicts). */
void dnsbl_on_progress(struct dnsbl *d, void (*cb)(void *arg), void *arg);

/* Start lookups for a, unless cached or in flight; fresh=true ignores the
 * cache (rcptguard dnsbl check). */
void dnsbl_lookup(struct dnsbl *d, const struct rg_addr *a, bool fresh);
/* What is known now; false if a was never looked up (or was evicted). */
bool dnsbl_result(struct dnsbl *d, const struct rg_addr *a, struct dnsbl_result *out);
/* Mark a's listing as counted as ban evidence; true the first time. */
bool dnsbl_claim_evidence(struct dnsbl *d, const struct rg_addr *a);

const struct dnsbl_stats *dnsbl_stats(const struct dnsbl *d);

#endif
