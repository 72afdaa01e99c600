/* backend.h - enforcement: one front, several small backends.
 *
 * The front (enforce.c) does what every backend shares: the allowlist
 * check before a ban, expiry arithmetic, counting and one log line per
 * ban, unban, expiry and allowlist hit. A backend is a struct of a few
 * primitive operations on its own store: the XDP maps (backend_xdp.c),
 * an nftables table (backend_nft.c), or nothing at all for trial runs
 * (backend_none.c). Callers ask its capability bits, never which one it
 * is. */
#ifndef RG_BACKEND_H
#define RG_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "rcptguard.h"

/* Room for a backend's version word (ops.version), NUL included. */
#define RG_PROOF_LEN 192

typedef int (*ban_cb)(const struct rg_lpm_key *k, const struct rg_ban *b,
		      const char *note, void *arg);
typedef int (*allow_cb)(const struct rg_lpm_key *k, const struct rg_allow *a, void *arg);
typedef void (*expired_cb)(const struct rg_lpm_key *k, void *arg);

/* What a backend's store does, asked instead of its name. */
enum backend_cap {
	BACKEND_DROPS = 1u << 0,                /* bans drop packets (none only logs) */
	BACKEND_PER_BAN_COUNTERS = 1u << 1,     /* drops are counted per ban */
	BACKEND_KERNEL_EXPIRY = 1u << 2,        /* the kernel removes expired bans itself */
	BACKEND_NEEDS_NET_ADMIN = 1u << 3,      /* every change needs CAP_NET_ADMIN */
	BACKEND_SLOW_DUMP = 1u << 4,            /* a list of its bans costs seconds */
};

enum backend_mode {
	BACKEND_ATTACH,         /* the CLI with the daemon down: the store must exist */
	BACKEND_SETUP,          /* the daemon: make or refresh the store for the config */
	BACKEND_TRY,            /* SETUP as a step of backend = auto: a failure leaves
				 * nothing half made behind */
};

/* The daemon's start (SETUP, TRY); NULL with ATTACH. */
struct backend_open {
	const char *saved_proof;        /* in: the proof saved with the state, "": none */
	bool fresh;                     /* out: the store was made now: restore the state */
	bool adopt;                     /* out: it is as saved: adopt the saved bans */
};

/* One ban as the front hands it over: the duration and the expiry it
 * makes (the front's one conversion), for stores that count either. */
struct backend_ban {
	uint64_t secs;                  /* 0: permanent */
	uint64_t expires_ns;            /* CLOCK_MONOTONIC; 0: permanent */
	unsigned reason;
	uint64_t created_unix;          /* now; a store renewing a ban keeps its own */
	const char *note;               /* may be NULL */
};

struct config;

struct backend_ops {
	const char *name;
	/* The store: opened (ATTACH) or made and set up for c. NULL with the
	 * reason in err. */
	void *(*open)(const struct config *c, enum backend_mode mode, struct backend_open *io,
		      char *err, size_t errlen);
	/* Free userspace state; bans stay enforced in the kernel. */
	void (*close)(void *ctx);
	/* A reload: c's ports. 0, or -1 with the reason in err. */
	int (*apply)(void *ctx, const struct config *c, char *err, size_t errlen);
	/* Remove the store from the kernel, bans and all: 0 or -errno. NULL:
	 * rcptguard detach removes it by hand (XDP: links and pins, each
	 * named as it goes; cli/cmd_status.c). */
	int (*destroy)(void *ctx);
	/* BACKEND_* bits; NULL: none. */
	unsigned (*caps)(void *ctx);
	/* Place or renew a ban. old: the ban of k the front knows the store
	 * holds, NULL when none or unknown. Keeps the counters of an existing
	 * ban. */
	int (*ban)(void *ctx, const struct rg_lpm_key *k, const struct backend_ban *b,
		   const struct rg_ban *old);
	/* 0, or -ENOENT. */
	int (*unban)(void *ctx, const struct rg_lpm_key *k);
	int (*foreach)(void *ctx, ban_cb cb, void *arg);
	/* Exactly the ban of k: 0 or -ENOENT. NULL where a lookup costs a
	 * list of every ban (SLOW_DUMP: the front's mirror answers). */
	int (*get)(void *ctx, const struct rg_lpm_key *k, struct rg_ban *out);
	int (*allow_add)(void *ctx, const struct rg_lpm_key *k, unsigned origin);
	int (*allow_del)(void *ctx, const struct rg_lpm_key *k);
	int (*allow_foreach)(void *ctx, allow_cb cb, void *arg);
	/* Drop counters; zeros where the backend drops nothing. */
	int (*stats)(void *ctx, struct rg_stats *out);
	/* While on, bans may be queued and sent in large batches; turning it
	 * off sends the rest. NULL: every ban is written at once anyway. */
	int (*bulk)(void *ctx, bool on);
	/* A word naming what the store holds now, saved with the state file:
	 * the same word at the next start proves nobody changed it. "" when
	 * unknown or changed by someone else. NULL: never one. */
	void (*version)(void *ctx, char *buf, size_t len);
};

extern const struct backend_ops backend_xdp;
extern const struct backend_ops backend_none;
extern const struct backend_ops backend_nft;

/* The none backend's store (its bans exist only in memory). */
void *backend_none_new(void);
void backend_none_free(void *ctx);
/* "ingress" or "prerouting": where the nft table's chain hooks in; NULL
 * when the chain is missing. */
const char *backend_nft_hook(void *ctx);
/* Does the nft table drop (nftt_missing)? 0, or 1 with what is missing. */
int backend_nft_missing(void *ctx, char *buf, size_t len);

#endif
