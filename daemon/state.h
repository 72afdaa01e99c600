/* state.h - the state file: bans with their expiry, and the offender
 * records worth remembering (offense history, pardons, reputation), with
 * the journal of ban changes since it was written (journal.h). Written
 * atomically (temp file, fsync, rename); a torn or corrupt file is refused
 * whole, never half-read. Format: docs/state.md. */
#ifndef RG_STATE_H
#define RG_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "enforce.h"
#include "journal.h"
#include "offenders.h"

struct saved_ban {
	struct rg_lpm_key key;
	uint64_t expires_unix;          /* 0: permanent */
	unsigned reason;
	uint64_t created_unix;          /* 0: not saved (older files) */
	char note[RG_NOTE_LEN];
};

struct state {
	struct saved_ban *bans;
	size_t nbans, bans_cap;
	struct offender *offs;
	size_t noffs, offs_cap;
	uint64_t saved_unix;
	char proof[RG_PROOF_LEN];    /* the backend's, when it gave one; else "" */
	uint64_t gen;                   /* the file's generation; its journal follows it */
	/* From the journal: bans lifted after the file was written (a pardon
	 * each), the change lines applied, and the torn or bad ones skipped. */
	struct rg_lpm_key *unbans;
	size_t nunbans, unbans_cap, journaled, journal_skipped;
};

/* Read dir/state and apply the changes journaled after it, in order. A
 * missing file is an empty state (returns 0); a bad one returns -1 with
 * err saying where, and st stays empty. */
int state_read(const char *dir, struct state *st, char *err, size_t errlen);
void state_free(struct state *st);

/* Write the bans of enf and the offenders worth keeping to dir/state as
 * generation j->gen + 1, then start j afresh for it (compaction). When
 * the bans cannot be listed or written, the old file and journal stay. */
int state_write(const char *dir, struct journal *j, struct enforcer *enf,
		const struct offenders *off, const struct offender_cfg *cfg, char *err,
		size_t errlen);

/* dir/state's generation (0: no file) for a writer of its journal. */
int state_generation(const char *dir, uint64_t *gen, char *err, size_t errlen);

/* Journal change lines, shared by the daemon and the CLI. expires_unix 0:
 * permanent. */
void state_ban_change(char *buf, size_t len, const struct rg_lpm_key *k, uint64_t expires_unix,
		      unsigned reason, const char *note, uint64_t created_unix);
void state_unban_change(char *buf, size_t len, const struct rg_lpm_key *k);
/* The line of an enforce_on_change() call: a ban for secs from now (0:
 * permanent), or an unban. */
void state_change(char *buf, size_t len, const struct rg_lpm_key *k, bool banned, uint64_t secs,
		  unsigned reason, const char *note);
/* An offender record as the file has it; a later one of its key replaces
 * an earlier one when loaded. */
void state_off_change(char *buf, size_t len, const struct offender *e);

#endif
