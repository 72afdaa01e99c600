/* control.h - the admin's control socket: a small line protocol served on
 * the event loop (docs/control.md). One request line, words separated by
 * spaces and percent-escaped; the answer is "ok" or "error TEXT", then one
 * record per line as tab-separated key=value fields (values escaped), then
 * a line ".". */
#ifndef RG_CONTROL_H
#define RG_CONTROL_H

#include <stddef.h>
#include <time.h>
#include "config.h"
#include "dnsbl.h"
#include "enforce.h"
#include "judge.h"
#include "lapi_decision.h"
#include "loop.h"
#include "offenders.h"
#include "prometheus.h"
#include "server.h"
#include "verdict.h"

struct control_env {
	const struct config *cfg;
	struct enforcer *enf;
	struct offenders *off;                  /* read only: every change goes to judge */
	struct judge *judge;
	struct verdicts *verdicts;
	struct server *query;
	struct dnsbl *dnsbl;
	struct follow *follow;                  /* NULL: no logs followed */
	const struct lapi_status *crowdsec;     /* the LAPI bouncer's state */
	/* After an unban by hand (called with reload_arg): what it means for
	 * CrowdSec's LAPI, as a sentence for the admin (true), or nothing to
	 * say (false). May be NULL. */
	bool (*crowdsec_unbanned)(void *arg, const struct rg_lpm_key *k, char *note, size_t len);
	time_t started;
	char backend_mode[16];                  /* rcptguard_backend_info's mode */
	struct prom_histogram ban_reaction;     /* evidence in, ban in the kernel */
	uint64_t state_saved;                   /* unix seconds of the last save */
	/* Re-read the config: 0 with the keys it applied in changed and those
	 * that wait for a restart in restart (comma-separated, len bytes
	 * each), or -1 with err set. */
	int (*reload)(void *arg, char *changed, char *restart, size_t len, char *err,
		      size_t errlen);
	void *reload_arg;
};

/* Split one request line (len bytes, its newline last) into
 * percent-decoded words; the number of words, or -1 with why. */
int control_words(char *buf, size_t len, char **w, int max, const char **why);

/* The error for an unban of k (written as arg) that matches no ban: when
 * a shorter prefix's ban covers k, it names that prefix (the daemon's
 * answer and the CLI's with the daemon down). */
void control_no_such_ban(struct enforcer *e, const char *arg, const struct rg_lpm_key *k,
			 char *err, size_t errlen);

struct server *control_start(struct loop *l, struct control_env *env, char *err,
			     size_t errlen);

#endif
