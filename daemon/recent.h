/* recent.h - the latest bad recipients, over all clients: a fixed ring,
 * so what show and the history's evidence hold is bounded whatever an
 * attack sends. A client's own entries survive as long as the ring takes
 * to wrap; the recipients that led to a ban are the newest when it is
 * made. */
#ifndef RG_RECENT_H
#define RG_RECENT_H

#include <stddef.h>
#include <stdint.h>
#include "addr.h"

#define RECENT_MAX 4096                 /* recipients remembered */
#define RECENT_RCPT 64                  /* bytes kept of each, NUL included */

struct recent_rcpt {
	struct rg_lpm_key key;          /* the network the client is tracked as */
	uint32_t t;                     /* unix seconds; 0: an empty slot */
	char rcpt[RECENT_RCPT];
};

struct recent {
	struct recent_rcpt v[RECENT_MAX];
	size_t head;                    /* the next slot written */
};

void recent_add(struct recent *r, const struct rg_lpm_key *k, const char *rcpt, uint32_t t);
/* Up to max entries of the networks inside k, newest first, into out;
 * how many. */
size_t recent_get(const struct recent *r, const struct rg_lpm_key *k,
		  const struct recent_rcpt **out, size_t max);

#endif
