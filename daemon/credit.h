/* credit.h - the valid recipients of open SMTP transactions, waiting for
 * a complete message. Credit is for mail, not for commands: a valid
 * recipient is remembered under its transaction (the client and the policy
 * protocol's instance), once however often it is asked, and counts only
 * when the message is known complete. DATA is not enough: the MTA asks
 * before its 354, and a client can hang up there. Memory is bounded: per
 * transaction, per client and in all, the oldest transaction making room.
 * No I/O; the caller passes the time. */
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
 * client, whose network is net. After DATA a transaction takes no more
 * recipients: a note then starts a new one and the old one earns nothing. */
void credit_note(struct credit *c, const struct rg_addr *client, const struct rg_lpm_key *net,
		 const char *instance, const char *rcpt, uint32_t now);

/* The transaction was asked at DATA: its recipients now wait for proof
 * that the message was complete. */
void credit_data(struct credit *c, const struct rg_addr *client, const char *instance,
		 uint32_t now);

/* The message is complete (Postfix's END-OF-MESSAGE): the number of
 * distinct valid recipients of the transaction. It is forgotten, so a
 * second END-OF-MESSAGE earns nothing. */
unsigned credit_complete(struct credit *c, const struct rg_addr *client, const char *instance,
			 uint32_t now);

/* The instance starts another transaction (qmail: MAIL, or the RCPT count
 * back at 1). If the last one was asked at DATA, the client ended that
 * message with "." before it could send this command: its count, as
 * credit_complete. Otherwise it ended without a message: 0. Forgotten
 * either way. */
unsigned credit_next(struct credit *c, const struct rg_addr *client, const char *instance,
		     uint32_t now);

#endif
