/* enforce.h - the enforcement front: allowlist check, expiry arithmetic,
 * counters and one log line per ban, unban, expiry and allowlist hit, in
 * front of one backend (backend.h). */
#ifndef RG_ENFORCE_H
#define RG_ENFORCE_H

#include <stdbool.h>
#include <stdint.h>
#include "allowlist.h"
#include "backend.h"
#include "banmirror.h"
#include "config.h"

enum enf_result { ENF_BANNED, ENF_ALLOWLISTED, ENF_FAILED };

/* The front's lists: non-zero from the callback stops one and is its
 * result. */
typedef int (*ban_cb)(const struct rg_lpm_key *k, const struct rg_ban *b,
		      const char *note, void *arg);
typedef int (*allow_cb)(const struct rg_lpm_key *k, const struct rg_allow *a, void *arg);
typedef void (*expired_cb)(const struct rg_lpm_key *k, void *arg);

struct enforce_stats {
	uint64_t bans[RG_REASON_MAX];           /* by reason */
	uint64_t unbans, expired, allowlist_hits, failures;
};

struct enforcer;

/* ops may be NULL until enforce_use(): the daemon checks its config and
 * database before it touches the kernel. */
struct enforcer *enforce_new(const struct backend_ops *ops, void *ctx);
void enforce_use(struct enforcer *e, const struct backend_ops *ops, void *ctx);
void enforce_free(struct enforcer *e);
const char *enforce_backend(const struct enforcer *e);

/* Every ban placed by enforce_ban() (banned, secs 0: permanent) and lifted
 * by enforce_unban(), after its log line: the state journal hears of it. */
typedef void (*change_cb)(const struct rg_lpm_key *k, bool banned, uint64_t secs,
			  unsigned reason, const char *note, void *arg);
void enforce_on_change(struct enforcer *e, change_cb cb, void *arg);

/* Loopback, the config's allow lines and allow_files become the config
 * entries, here and in the backend; entries added by hand stay (read from
 * the backend at the first call). */
int enforce_load_allow(struct enforcer *e, const struct config *c, char *err, size_t errlen);
/* The CLI with the daemon down: the allowlist is what the backend holds,
 * and nothing is written to it. 0 or -errno. */
int enforce_allow_read(struct enforcer *e);
/* The same in two steps, for a reload that must fail before it changes
 * anything: prepare builds next (files read; e may be NULL: no manual
 * entries), commit writes it and on failure puts the old one back. */
int enforce_allow_prepare(struct enforcer *e, const struct config *c, struct allowlist *next,
			  char *err, size_t errlen);
int enforce_allow_commit(struct enforcer *e, struct allowlist *next, char *err, size_t errlen);

/* A ban then ends the sessions open on c's ports from inside its prefix
 * (sockkill.h), unless c says close_sessions = no; before the first call
 * it ends none (the CLI's replay). */
void enforce_sessions(struct enforcer *e, const struct config *c);
/* End the sessions of bans made 200 ms or more before now_ns (call every
 * 100 ms): the request that made a ban gets its answer first. */
void enforce_sessions_due(struct enforcer *e, uint64_t now_ns);

/* Ban k (for secs; 0 permanent) unless client (may be NULL) or all of k
 * is allowlisted; a manual ban is placed anyway (the kernel's allow map
 * still spares allowlisted addresses). why goes into the log line. */
enum enf_result enforce_ban(struct enforcer *e, const struct rg_lpm_key *k,
			    const struct rg_addr *client, uint64_t secs, unsigned reason,
			    const char *note, bool manual, const char *why);
/* After enforce_use(): a backend whose store is slow to list (SLOW_DUMP)
 * gets its ban mirror, read from the store now or, with adopt (the store
 * is as saved), filled by enforce_adopt(). 0, or non-zero when the store
 * cannot be read. */
int enforce_mirror(struct enforcer *e, bool adopt);
/* Put back a saved ban (state file after a reboot): no allowlist check,
 * no log line of its own (the caller logs a summary). */
int enforce_restore(struct enforcer *e, const struct rg_lpm_key *k, uint64_t secs,
		    unsigned reason, const char *note);
/* A saved ban the backend's store still holds: remembered in the mirror,
 * not written. */
int enforce_adopt(struct enforcer *e, const struct rg_lpm_key *k, uint64_t secs,
		  unsigned reason, uint64_t created_unix, const char *note);
/* A SLOW_DUMP store started from the state file (its bans adopted) while
 * its bans are read back on a thread (bgread.h), as a foreign change
 * means the file may be wrong: from begin on, every key the front changes
 * (ban, unban, expiry) is noted, and at the end the mirror becomes the
 * store's bans as read but for those keys, whose current ban wins (an
 * element the kernel could not update in place is rewritten). Each saved
 * ban the store lacks goes to gone(). No proof (enforce_proof) until a
 * read is merged. */
struct reconcile_counts {
	size_t added, removed, updated;         /* the mirror's bans the read corrected */
	size_t changed, rewritten;              /* keys changed meanwhile; elements rewritten */
	size_t bans;                            /* the front's bans after the merge */
};
void enforce_reconcile_begin(struct enforcer *e);
/* Everything was unbanned (unban --all): the read's bans the front has not
 * made since are deleted from the store when merged, not adopted. */
void enforce_cleared(struct enforcer *e);
/* Since when a read runs (CLOCK_MONOTONIC ns), if one does. */
bool enforce_reconciling(const struct enforcer *e, uint64_t *since_ns);
/* Merge the read in slices, one per call (a turn of the event loop):
 * kernel holds every ban the read found, or is NULL when it failed (the
 * saved bans stay, unproven); expect the saved keys the read was given.
 * 1: call again; 0: merged, *n says what changed; 2: the mirror was read
 * whole meanwhile (after a failed write), nothing to merge; -errno: the
 * mirror is read again. Keys changed between calls still win. */
int enforce_reconcile_step(struct enforcer *e, const struct banmirror *kernel,
			   const struct rg_lpm_key *expect, size_t n_expect, expired_cb gone,
			   void *arg, struct reconcile_counts *n);
/* Room for n more enforce_adopt() calls (a million at start would rehash
 * the mirror at every doubling). 0 or -ENOMEM. */
int enforce_adopt_room(struct enforcer *e, size_t n);
/* The backend's proof that its store holds what enforce_records() lists
 * (a word saved with the state); "" when none. */
void enforce_proof(struct enforcer *e, char *buf, size_t len);
/* Around many enforce_restore() calls: lets the backend batch them. */
int enforce_batch(struct enforcer *e, bool on);
/* The daemon keeps the backend in batch mode and sends what a turn of its
 * loop queued here, so bans that arrive together share one commit; a
 * failed commit is logged and counted. 0 or -errno. */
int enforce_flush(struct enforcer *e);
/* The backend's BACKEND_* capability bits. */
unsigned enforce_caps(const struct enforcer *e);
/* 0, -ENOENT if there was no such ban. */
int enforce_unban(struct enforcer *e, const struct rg_lpm_key *k, const char *why);

int enforce_allow_add(struct enforcer *e, const struct rg_lpm_key *k);
int enforce_allow_del(struct enforcer *e, const struct rg_lpm_key *k);
const struct allowlist *enforce_allowlist(const struct enforcer *e);

int enforce_foreach(struct enforcer *e, ban_cb cb, void *arg);
/* The backend's allow entries, with their origin and creation time. */
int enforce_allow_foreach(struct enforcer *e, allow_cb cb, void *arg);
/* Every ban without its drop counters: cheap on every backend. */
int enforce_records(struct enforcer *e, ban_cb cb, void *arg);
/* Exactly the ban of k, with its drop counters: 0 or -ENOENT. */
int enforce_get_ban(struct enforcer *e, const struct rg_lpm_key *k, struct rg_ban *out);
/* Is exactly this key banned (live or expired, until the sweep)? */
bool enforce_has_ban(struct enforcer *e, const struct rg_lpm_key *k);
/* Remove expired bans; cb (may be NULL) hears of each after it is logged. */
void enforce_sweep(struct enforcer *e, uint64_t now_ns, expired_cb cb, void *arg);
int enforce_drops(struct enforcer *e, struct rg_stats *out);
const struct enforce_stats *enforce_stats(const struct enforcer *e);

#endif
