/* allowlist.h - networks that are never banned: loopback always, the
 * config's allow lines, allow_file files (CIDRs, or qmail tcprules source
 * lines that grant RELAYCLIENT), and entries added by hand. */
#ifndef RG_ALLOWLIST_H
#define RG_ALLOWLIST_H

#include <stdbool.h>
#include <stddef.h>
#include "rcptguard.h"

struct allow_entry {
	struct rg_lpm_key key;
	unsigned origin;                /* enum rg_allow_origin */
};

struct allowlist {
	struct allow_entry *v;
	size_t n, cap;
};

/* Read one allow_file into al (origin config). Bad lines are an error
 * naming FILE:LINE; tcprules lines that name hosts instead of addresses
 * are skipped and counted in *skipped. */
int allowlist_read_file(struct allowlist *al, const char *path, size_t *skipped,
			char *err, size_t errlen);
int allowlist_add(struct allowlist *al, const struct rg_lpm_key *k, unsigned origin);
/* 0, or -1 if there was no such entry. */
int allowlist_del(struct allowlist *al, const struct rg_lpm_key *k);
/* The entry covering a, if any. */
const struct allow_entry *allowlist_match(const struct allowlist *al, const struct rg_addr *a);
/* Do prefixes a and b share an address (one covers the other)? */
bool prefix_overlap(const struct rg_lpm_key *a, const struct rg_lpm_key *b);
/* Does any entry overlap prefix k (cover it, or lie inside it)? */
const struct allow_entry *allowlist_overlap(const struct allowlist *al,
					    const struct rg_lpm_key *k);
void allowlist_free(struct allowlist *al);

#endif
