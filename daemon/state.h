/* state.h - the state file: bans with their expiry, and the offender
 * records worth remembering (offense history, pardons, reputation).
 * Written atomically (temp file, fsync, rename); a torn or corrupt file is
 * refused whole, never half-read. Format: docs/state.md. */
#ifndef RG_STATE_H
#define RG_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "enforce.h"
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
	size_t nbans;
	struct offender *offs;
	size_t noffs;
	uint64_t saved_unix;
	char proof[RG_PROOF_LEN];    /* the backend's, when it gave one; else "" */
};

/* Read dir/state. A missing file is an empty state (returns 0); a bad one
 * returns -1 with err saying where, and st stays empty. */
int state_read(const char *dir, struct state *st, char *err, size_t errlen);
void state_free(struct state *st);

/* The address-sanity rule on load: remove every automatic ban that no
 * evidence may make (addr_refused), whether the state file restored it or
 * the kernel kept it; one log line each. Manual bans stay: they passed
 * --force. Returns how many were removed. */
size_t state_refuse_bans(struct enforcer *enf, const struct nat64_prefixes *nat64);

/* Write the bans of enf and the offenders worth keeping to dir/state. */
int state_write(const char *dir, struct enforcer *enf, const struct offenders *off,
		const struct offender_cfg *cfg, char *err, size_t errlen);

#endif
