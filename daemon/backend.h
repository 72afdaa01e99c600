/* backend.h - enforcement: one front, several small backends.
 *
 * The front (enforce.c) does what every backend shares: the allowlist
 * check before a ban, expiry arithmetic, counting and one log line per
 * ban, unban, expiry and allowlist hit. A backend is a struct of a few
 * primitive operations on its own store: the XDP maps (backend_xdp.c),
 * an nftables table (backend_nft.c), or nothing at all for trial runs
 * (backend_none.c). */
#ifndef RG_BACKEND_H
#define RG_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include "maps.h"
#include "rcptguard.h"

/* Room for a backend's proof word (ops.proof), NUL included. */
#define RG_PROOF_LEN 192

typedef void (*expired_cb)(const struct rg_lpm_key *k, void *arg);

struct backend_ops {
	const char *name;
	/* secs 0: permanent. Keeps the counters of an existing ban. */
	int (*ban)(void *ctx, const struct rg_lpm_key *k, uint64_t secs, unsigned reason,
		   const char *note);
	/* 0, or -ENOENT. */
	int (*unban)(void *ctx, const struct rg_lpm_key *k);
	int (*foreach)(void *ctx, ban_cb cb, void *arg);
	/* The same without drop counters (0), from memory where the kernel is
	 * slow to ask. NULL: foreach. */
	int (*records)(void *ctx, ban_cb cb, void *arg);
	bool (*has)(void *ctx, const struct rg_lpm_key *k);
	int (*allow_add)(void *ctx, const struct rg_lpm_key *k, unsigned origin);
	int (*allow_del)(void *ctx, const struct rg_lpm_key *k);
	int (*allow_foreach)(void *ctx, allow_cb cb, void *arg);
	/* Drop counters; zeros where the backend drops nothing. */
	int (*stats)(void *ctx, struct rg_stats *out);
	/* Remove expired bans, calling cb for each. */
	void (*sweep)(void *ctx, uint64_t now_ns, expired_cb cb, void *arg);
	/* While on, bans may be queued and sent in large batches; turning it
	 * off sends the rest. NULL: every ban is written at once anyway. */
	int (*bulk)(void *ctx, bool on);
	/* Per-ban drop counters exist (the none backend has none to count). */
	bool (*ban_counters)(void *ctx);
	/* A ban the store already holds, known from the state file: only
	 * remembered. NULL where the store is asked directly. */
	int (*adopt)(void *ctx, const struct rg_lpm_key *k, uint64_t secs, unsigned reason,
		     uint64_t created_unix, const char *note);
	/* A word proving the store holds exactly what records() reports,
	 * saved with them; "" when there is none. NULL: never one. */
	void (*proof)(void *ctx, char *buf, size_t len);
};

extern const struct backend_ops backend_xdp;
extern const struct backend_ops backend_none;
extern const struct backend_ops backend_nft;

/* The none backend's store (its bans exist only in memory). */
void *backend_none_new(void);
void backend_none_free(void *ctx);

struct config;
/* The daemon's start of the nft backend. */
struct nft_start {
	const char *saved_proof;        /* in: the proof saved with the state, "": none */
	bool fresh;                     /* out: the table was made now */
	bool adopt;                     /* out: it is as saved; adopt the saved bans */
};
/* The nft backend's store: the table named in c. With setup, the table
 * is made or refreshed for c; without, it must exist (the CLI with the
 * daemon down). */
void *backend_nft_open(const struct config *c, struct nft_start *setup, char *err,
		       size_t errlen);
void backend_nft_close(void *ctx);
/* A reload: new ports. 0 or -errno. */
int backend_nft_ports(void *ctx, const struct config *c);
/* Remove the table; -ENOENT when there is none. */
int backend_nft_delete(void *ctx);
/* "ingress" or "prerouting": where the table's chain hooks in. */
const char *backend_nft_hook(void *ctx);

#endif
