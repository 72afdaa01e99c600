/* keytab.h - ban records (all but the drop counters) by key: the front's
 * ban mirror of a store that is slow to ask (nftables: a netlink round
 * trip per question, and a dump of a large set costs seconds), and the
 * replay's live bans. About 50 bytes per ban, plus its note if it has
 * one. A zeroed struct keytab is an empty one. */
#ifndef RG_KEYTAB_H
#define RG_KEYTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "keyindex.h"
#include "rcptguard.h"

struct keytab_entry {
	struct rg_lpm_key key;
	uint32_t reason;
	uint64_t expires_ns;            /* CLOCK_MONOTONIC; 0 = permanent */
	uint64_t created_unix;
	char *note;                     /* NULL when empty */
};

struct keytab {
	struct keytab_entry *e;         /* dense */
	struct keyindex idx;            /* keyed at the first put */
	size_t n, cap;
};

void keytab_free(struct keytab *t);
/* The entry of k, or NULL. */
struct keytab_entry *keytab_get(const struct keytab *t, const struct rg_lpm_key *k);
/* Insert or update (an update keeps created_unix); -ENOMEM. */
int keytab_put(struct keytab *t, const struct rg_lpm_key *k, uint32_t reason,
	       uint64_t expires_ns, uint64_t created_unix, const char *note);
/* 0, or -ENOENT. */
int keytab_del(struct keytab *t, const struct rg_lpm_key *k);

#endif
