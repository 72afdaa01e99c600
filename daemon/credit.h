/* credit.h - the valid recipients of open SMTP transactions, waiting for
 * DATA. Credit is for mail, not for RCPT commands: a valid recipient is
 * remembered under its transaction (the client and the policy protocol's
 * instance), once however often it is asked, and counts only when that
 * transaction reaches DATA. Memory is bounded: per transaction, per client
 * and in all, the oldest transaction making room. No I/O; the caller
 * passes the time. */
#ifndef RG_CREDIT_H
#define RG_CREDIT_H

#include <stdint.h>
#include "rcptguard.h"

#define CREDIT_TXNS 4096                /* open transactions remembered in all */
#define CREDIT_TXNS_PER_CLIENT 16       /* ... from one client network */
#define CREDIT_RCPTS 64                 /* distinct recipients per transaction */
#define CREDIT_TTL 3600                 /* a transaction older than this is gone */

struct credit;

struct credit *credit_new(uint64_t seed);
void credit_free(struct credit *c);

/* The valid recipient rcpt (normalised) of the transaction instance of
 * client, whose network is net. */
void credit_note(struct credit *c, const struct rg_addr *client, const struct rg_lpm_key *net,
		 const char *instance, const char *rcpt, uint32_t now);

/* The transaction reached DATA (or ended without it: the caller drops the
 * count): the number of distinct valid recipients it had. It is forgotten,
 * so a second DATA or END-OF-MESSAGE earns nothing. */
unsigned credit_take(struct credit *c, const struct rg_addr *client, const char *instance,
		     uint32_t now);

#endif
