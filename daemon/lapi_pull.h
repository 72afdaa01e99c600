/* lapi_pull.h - the bouncer: decisions pulled from CrowdSec's LAPI
 * (GET /v1/decisions/stream, startup=true first and after any failure,
 * then the changes every crowdsec_pull_interval), parsed as they arrive
 * and handed to lapi_decision.c, which bans through the judge. */
#ifndef RG_LAPI_PULL_H
#define RG_LAPI_PULL_H

#include "config.h"
#include "lapi_decision.h"
#include "loop.h"

struct lapi_pull;

/* NULL with err set (the key file unreadable, curl). st is filled as
 * it runs (status, metrics). */
struct lapi_pull *lapi_pull_start(struct loop *l, const struct config *c, struct judge *j,
				  struct lapi_status *st, char *err, size_t errlen);
void lapi_pull_free(struct lapi_pull *p);
struct lapi_set *lapi_pull_set(const struct lapi_pull *p);

#endif
