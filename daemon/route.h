/* route.h - Postfix's address resolver (trivial-rewrite's resolve_addr)
 * on an address in Postfix's internal form: the mailbox that
 * "user%site@ours", "site!user@ours" and "\"user@site\"@ours" reach,
 * routed hop by hop while each domain is ours. */
#ifndef RG_ROUTE_H
#define RG_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

/* Postfix's settings of the same names. */
struct route_rules {
	bool percent_hack;      /* allow_percent_hack: "user%site" is "user@site" */
	bool swap_bangpath;     /* swap_bangpath: "site!user" is "user@site" */
	bool resolve_dequoted;  /* resolve_dequoted: @ % ! in a quoted local part route too */
};

enum route_result {
	ROUTE_OURS,             /* a mailbox in one of our domains */
	ROUTE_NOT_OURS,         /* a hop to a domain that is not ours, or a
				   mailbox in none ("user%@ours") */
	ROUTE_UNROUTABLE,       /* Postfix routes it in a way not followed here */
};

/* Whether a domain (normalised by rcpt_domain, not empty) is ours. */
typedef bool route_ours_fn(void *ctx, const char *domain);

/* Route the address in a (*len bytes with an '@'; lower-cased as lookups
 * compare it, quotes and escapes removed) and write the mailbox it reaches
 * into a ("user@domain", NUL-terminated, the domain as rcpt_domain writes
 * it; at most cap bytes with the NUL): ROUTE_OURS, *len set. The first
 * domain is checked like every other. Each hop shortens the address: the
 * cost is linear in *len plus one ours() per hop. */
enum route_result route_postfix(char *a, size_t *len, size_t cap, const struct route_rules *rules,
				route_ours_fn *ours, void *ctx);

#endif
