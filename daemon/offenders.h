/* offenders.h - who keeps guessing: evidence per client network, a sliding
 * window count per client, ban decisions with escalation, reputation credit for
 * clients that deliver mail to real recipients (the caller decides what was
 * delivered; credit is capped per hour), sticky manual unbans, and a
 * bounded table. No I/O: the caller passes the time and carries out the
 * decisions (see docs/offenders.md for the model). */
#ifndef RG_OFFENDERS_H
#define RG_OFFENDERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "addr.h"
#include "rcptguard.h"

enum evidence {
	EV_NONE = 0,
	EV_UNKNOWN_RCPT,        /* a recipient that does not exist, in our domain */
	EV_SPAMTRAP,            /* a trap address: ban at once */
	EV_RELAY,               /* a domain we do not serve, from a non-relay client */
	EV_DNSBL,               /* a DNSBL listing, with its weight */
	EV_VALID,               /* a real recipient of delivered mail: credit */
	EV_BAN,
	EV_UNBAN,               /* by hand: pardoned for a while */
	EV_ALLOWLISTED,         /* would have been banned, but allowlisted */
	EV_PARDONED,            /* would have been banned, but recently unbanned by hand */
	EV_EXPIRED,
	EV_MAX
};

const char *evidence_name(unsigned ev);

struct offender_cfg {
	unsigned prefix_v4, prefix_v6;          /* aggregation: 32 and 64 */
	struct nat64_prefixes nat64;            /* besides 64:ff9b::/96 */
	double threshold;                       /* evidence that bans: 5 ... */
	uint32_t window;                        /* ... within this many seconds: 600 */
	double relay_weight;                    /* 1 */
	uint32_t reputation_window;             /* valid recipients count this long: 30 d */
	double reputation_credit;               /* threshold grows by this per valid rcpt: 0.1 */
	double reputation_max;                  /* at most this many times: 10 */
	uint32_t reputation_max_per_hour;       /* credits per client and hour: 20 */
	uint32_t ban_time, ban_time_max;        /* 1 h, 7 d */
	double ban_factor;                      /* 4 */
	double ban_jitter;                      /* up to +10 % */
	uint32_t offense_memory;                /* repeats within this escalate: 30 d */
	uint32_t pardon_time;                   /* a manual unban holds this long: 24 h */
	unsigned subnet_bans;                   /* this many /32 bans in one /24 ... 0 = off */
	uint32_t subnet_window;                 /* ... within this: ban the /24 */
	size_t max_offenders;                   /* 1,000,000 */
};

void offenders_defaults(struct offender_cfg *c);

#define OFFENDER_EVENTS 8
#define OFFENDER_RCPT 32

struct offender_event {
	uint32_t t;                             /* unix seconds */
	uint8_t kind;                           /* enum evidence */
	uint8_t pad[3];
};

/* One tracked network; 180 bytes. Times are unix seconds. */
struct offender {
	struct rg_lpm_key key;                  /* the aggregated network */
	float cur, prev;                        /* evidence in this and the last window */
	uint32_t win_start;                     /* start of the current window */
	uint32_t first_seen, last_seen;
	uint32_t last_valid, valid_count;       /* reputation */
	uint32_t credit_hour, credit_n;         /* credits since credit_hour (not saved) */
	uint32_t last_ban, ban_until;           /* ban_until: 0 none, UINT32_MAX permanent */
	float ban_level, ban_threshold;         /* the score that made the last ban, and
						   the threshold then; 0 by hand or for a /24 */
	uint32_t pardon_until;
	uint16_t offenses;                      /* bans within offense_memory */
	uint8_t ban_reason;                     /* enum rg_reason */
	uint8_t ev_head;                        /* next slot of ev[] */
	uint32_t bad_total;                     /* every bad event (for top) */
	struct offender_event ev[OFFENDER_EVENTS];
	char last_rcpt[OFFENDER_RCPT];          /* last bad recipient, cut */
};

struct decision {
	enum { D_NONE, D_BAN, D_ALREADY_BANNED, D_PARDONED, D_REFUSED } what;
	const char *why;                        /* D_REFUSED: addr_refused() */
	struct rg_lpm_key prefix;               /* what to ban */
	uint32_t secs;                          /* 0: permanent */
	unsigned reason;                        /* enum rg_reason */
	unsigned offense;                       /* 1 for a first ban, 2 for a repeat, ... */
	double level, threshold;                /* D_BAN of a client's network: its score */
};

struct offenders;

struct offenders *offenders_new(const struct offender_cfg *c, uint64_t seed);
void offenders_free(struct offenders *o);
/* Take a reloaded config (max_offenders needs a restart). */
void offenders_configure(struct offenders *o, const struct offender_cfg *c);

/* The network a client address is tracked (and banned) as (addr_key_bits). */
struct rg_lpm_key offenders_key(const struct offenders *o, const struct rg_addr *client);

/* Record one piece of evidence; the decision says whether to ban now.
 * D_REFUSED: the client can never be an offender (addr_refused); nothing
 * is recorded. */
struct decision offenders_evidence(struct offenders *o, const struct rg_addr *client,
				   enum evidence ev, double weight, const char *rcpt,
				   uint32_t now);
/* The ban of d was carried out. Returns a further decision: the /24 when
 * enough of its addresses were banned within subnet_window. */
struct decision offenders_banned(struct offenders *o, const struct decision *d, uint32_t now);
/* A decision could not be carried out because the client is allowlisted
 * (EV_ALLOWLISTED) or pardoned (EV_PARDONED): forget its count, note why. */
void offenders_spared(struct offenders *o, const struct rg_lpm_key *k, enum evidence why,
		      uint32_t now);
/* A ban placed by hand (no escalation) or removed by hand (a pardon). */
void offenders_manual_ban(struct offenders *o, const struct rg_lpm_key *k, uint32_t until,
			  uint32_t now);
void offenders_unbanned(struct offenders *o, const struct rg_lpm_key *k, uint32_t now);
/* A ban expired. */
void offenders_expired(struct offenders *o, const struct rg_lpm_key *k, uint32_t now);

const struct offender *offenders_get(const struct offenders *o, const struct rg_lpm_key *k);
/* Insert a record as it was saved (state file); replaces one with its key. */
int offenders_restore(struct offenders *o, const struct offender *rec);
typedef int (*offender_cb)(const struct offender *e, void *arg);
int offenders_foreach(const struct offenders *o, offender_cb cb, void *arg);

size_t offenders_count(const struct offenders *o);
size_t offenders_evicted(const struct offenders *o);
/* Bytes the table holds, entries and index. */
size_t offenders_memory(const struct offenders *o);
/* The evidence counted in the sliding window ending now. */
double offenders_level(const struct offenders *o, const struct offender *e, uint32_t now);
/* The level that bans e: the threshold raised by its reputation. */
double offenders_threshold(const struct offenders *o, const struct offender *e, uint32_t now);

#endif
