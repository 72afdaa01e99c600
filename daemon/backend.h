/* backend.h - enforcement: one front, several small backends.
 *
 * The front (enforce.c) does what every backend shares: the allowlist
 * check before a ban, expiry arithmetic, counting and one log line per
 * ban, unban, expiry and allowlist hit. A backend is a struct of a few
 * primitive operations on its own store: the XDP maps (backend_xdp.c), or
 * nothing at all for trial runs (backend_none.c). */
#ifndef RG_BACKEND_H
#define RG_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include "maps.h"
#include "rcptguard.h"

typedef void (*expired_cb)(const struct rg_lpm_key *k, void *arg);

struct backend_ops {
	const char *name;
	/* secs 0: permanent. Keeps the counters of an existing ban. */
	int (*ban)(void *ctx, const struct rg_lpm_key *k, uint64_t secs, unsigned reason,
		   const char *note);
	/* 0, or -ENOENT. */
	int (*unban)(void *ctx, const struct rg_lpm_key *k);
	int (*foreach)(void *ctx, ban_cb cb, void *arg);
	bool (*has)(void *ctx, const struct rg_lpm_key *k);
	int (*allow_add)(void *ctx, const struct rg_lpm_key *k, unsigned origin);
	int (*allow_del)(void *ctx, const struct rg_lpm_key *k);
	int (*allow_foreach)(void *ctx, allow_cb cb, void *arg);
	/* Drop counters; zeros where the backend drops nothing. */
	int (*stats)(void *ctx, struct rg_stats *out);
	/* Remove expired bans, calling cb for each. */
	void (*sweep)(void *ctx, uint64_t now_ns, expired_cb cb, void *arg);
};

extern const struct backend_ops backend_xdp;
extern const struct backend_ops backend_none;

/* The none backend's store (its bans exist only in memory). */
void *backend_none_new(void);
void backend_none_free(void *ctx);

#endif
