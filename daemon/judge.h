/* judge.h - the only room that changes offender or ban state: evidence,
 * manual bans and unbans, allow entries, expiries and the state read at
 * start pass through here, and the judge carries its decisions out through
 * the enforcement front (enforce.h). Times are unix seconds, passed in:
 * the daemon gives the wall clock, replay the stamps of old logs. */
#ifndef RG_JUDGE_H
#define RG_JUDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "addr.h"
#include "enforce.h"
#include "offenders.h"
#include "recent.h"
#include "state.h"

struct judge_stats {
	uint64_t evidence_refused;      /* from sources that are never offenders */
	uint64_t spared;                /* bans an allow entry prevented */
	uint64_t pardoned;              /* bans a manual unban prevented */
};

/* What one piece of evidence did. */
struct judgement {
	bool banned;                    /* the client is banned now */
	unsigned nbans;                 /* bans placed now: its network, then the /24 */
	struct decision bans[2];
};

/* A ban placed, lifted or run out, for the history (history.h). */
struct judge_event {
	enum { JUDGE_BAN, JUDGE_UNBAN, JUDGE_EXPIRE } what;
	const struct rg_lpm_key *key;
	uint32_t time;
	uint64_t secs;                  /* ban: its duration, 0 permanent */
	unsigned reason, offense;       /* ban; offense 0: by hand */
	double score, threshold;        /* a ban by evidence: the level that made it */
	const char *note;               /* ban: the admin's text, "" when none */
	const char *by;                 /* who: "judge", or the control or CLI peer */
	bool remote;                    /* ban: a remote source's (the LAPI) outlasts it and
					   keeps the kernel entry; not pushed there again */
};
typedef void (*judge_event_cb)(const struct judge_event *e, void *arg);

struct judge;

/* Evidence is recorded in off; bans are carried out through enf. */
struct judge *judge_new(struct offenders *off, struct enforcer *enf);
void judge_free(struct judge *j);
/* cb hears of every ban, unban and expiry the judge carries out. */
void judge_on_event(struct judge *j, judge_event_cb cb, void *arg);
/* The latest bad recipients from inside k, newest first (recent.h). */
size_t judge_recent(const struct judge *j, const struct rg_lpm_key *k,
		    const struct recent_rcpt **out, size_t max);

/* One piece of evidence against (or, EV_VALID, for) client; rcpt (may be
 * NULL) is the recipient it guessed, source a suffix for the log lines
 * (" source=log format=..." or ""). */
struct judgement judge_evidence(struct judge *j, const struct rg_addr *client,
				enum evidence ev, double weight, const char *rcpt,
				const char *source, uint32_t now);
/* Is client's network under a ban now, and does an allow entry beat it?
 * *net is the network the client is tracked as. */
enum ban_state { BAN_NONE, BAN_IN_FORCE, BAN_BEATEN };
enum ban_state judge_ban_state(struct judge *j, const struct rg_addr *client, uint32_t now,
			       struct rg_lpm_key *net);
/* Why the client's network is banned now (enum rg_reason), or -1 when it
 * is not. */
int judge_ban_reason(struct judge *j, const struct rg_addr *client, uint32_t now);

/* By hand (the control socket): a ban placed anyway (no escalation; the
 * kernel's allow map still spares allowlisted addresses), an unban that
 * pardons (0, -ENOENT without such a ban, -errno), every ban lifted (how
 * many, or -ENOMEM). by goes into the log lines. */
enum enf_result judge_manual_ban(struct judge *j, const struct rg_lpm_key *k, uint64_t secs,
				 const char *note, const char *by, uint32_t now);
int judge_unban(struct judge *j, const struct rg_lpm_key *k, const char *by, uint32_t now);
long judge_unban_all(struct judge *j, const char *by, uint32_t now);
/* An allow entry added or removed by hand (0, -ENOENT, -errno). An added
 * one beats every ban it overlaps (judge_lifted lists them). */
int judge_allow_changed(struct judge *j, const struct rg_lpm_key *k, bool add);
/* The bans an allow entry overlaps, which stop applying to it (in the
 * kernel, whose allow map beats the ban map, and in judge_ban_state). */
int judge_lifted(struct judge *j, const struct rg_lpm_key *entry, ban_cb cb, void *arg);

/* A decision of another source (CrowdSec's LAPI), already checked for
 * address sanity: a ban for secs with the RG_REASON_CROWDSEC reason unless
 * the allowlist covers k, k was unbanned by hand within pardon_time, or a
 * local ban of k lasts at least as long (the kernel keeps the longest). */
enum enf_result judge_remote_ban(struct judge *j, const struct rg_lpm_key *k, uint64_t secs,
				 const char *note, const char *why, uint32_t now);
/* That source ended it: lifted unless a local ban of k is in force, which
 * then takes the kernel entry back with its own expiry. */
void judge_remote_lift(struct judge *j, const struct rg_lpm_key *k, const char *why,
		       uint32_t now);

/* Every kernel entry that source holds (after a restart: the pinned maps
 * or the state kept them, and only a startup stream can say which still hold). */
int judge_remote_foreach(struct judge *j, ban_cb cb, void *arg);

/* A ban expired (the front's sweep). */
void judge_expired(struct judge *j, const struct rg_lpm_key *k, uint32_t now);

/* At start, with the backend's store ready: the saved offenders come back,
 * bans lifted while the daemon was down pardon, and the saved bans are
 * written (fresh: the store was made now), adopted (adopt: it is as saved)
 * or, when missing from a store that survived, pardoned. 0 or -errno from
 * the store; *restored and *pardoned count. */
int judge_restore(struct judge *j, const struct state *st, bool fresh, bool adopt,
		  uint32_t now, size_t *restored, size_t *pardoned);
/* The store's bans read back in the background (adopt was a guess, see
 * enforce_reconcile_begin), merged into the front's a slice per call
 * (enforce_reconcile_step, whose result this is); each saved ban the
 * store lacks pardons, as judge_restore would have (*pardoned adds up). */
int judge_reconcile_step(struct judge *j, const struct banmirror *kernel,
			 const struct rg_lpm_key *expect, size_t n_expect, uint32_t now,
			 struct reconcile_counts *n, size_t *pardoned);
/* The address-sanity rule on load: remove every automatic ban that no
 * evidence may make (addr_refused), whether the state file restored it or
 * the kernel kept it; one log line each. Manual bans stay: they passed
 * --force. Returns how many were removed. */
size_t judge_refuse_bans(struct judge *j, const struct nat64_prefixes *nat64);

const struct judge_stats *judge_stats(const struct judge *j);

#endif
