/* backend.h - enforcement: one front, several small backends.
 *
 * The front (enforce.c) does what every backend shares: the allowlist
 * check before a ban, expiry arithmetic, the ban mirror, the sweep,
 * counting and one log line per ban, unban, expiry and allowlist hit. A
 * backend is its lifecycle plus a few primitive operations on the entries
 * of its own store (put, del, walk, stats; optional get, batch, version):
 * the XDP maps (backend_xdp.c), an nftables table (backend_nft.c), or
 * memory only, for trial runs (backend_none.c). Callers ask its capability
 * bits, never which one it is. */
#ifndef RG_BACKEND_H
#define RG_BACKEND_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "rcptguard.h"

/* Room for a backend's version word (ops.version), NUL included. */
#define RG_PROOF_LEN 192

/* What a backend's store does, asked instead of its name. */
enum backend_cap {
	BACKEND_DROPS = 1u << 0,                /* bans drop packets (none only logs) */
	BACKEND_PER_BAN_COUNTERS = 1u << 1,     /* drops are counted per ban */
	BACKEND_KERNEL_EXPIRY = 1u << 2,        /* the kernel removes expired bans itself */
	BACKEND_NEEDS_NET_ADMIN = 1u << 3,      /* every change needs CAP_NET_ADMIN */
	BACKEND_SLOW_DUMP = 1u << 4,            /* a list of its bans costs seconds */
	BACKEND_COUNTS_PASSES = 1u << 5,        /* its stats count every packet inspected,
						   each pass by its reason; else only the
						   drops and allowed passes */
	BACKEND_ANSWER_RST = 1u << 6,           /* ban_action = rst: banned SYNs get a RST */
};

enum backend_mode {
	BACKEND_ATTACH,         /* the CLI with the daemon down: the store must exist */
	BACKEND_REMOVE,         /* ATTACH for destroy() only (rcptguard detach): also a
				 * store another version made, which ATTACH refuses */
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

/* The two kinds of entry a store holds. */
enum backend_kind { BACKEND_BAN, BACKEND_ALLOW };

/* One entry of a store: what put() writes and walk() and get() read. */
struct backend_rec {
	enum backend_kind kind;
	/* BACKEND_BAN: expires_ns (CLOCK_MONOTONIC; 0: permanent, the
	 * front's one conversion), reason, created_unix (now; a store
	 * renewing a ban keeps its own); walk() and get() add the drop
	 * counters and prefixlen. */
	struct rg_ban ban;
	uint64_t secs;                  /* put: the duration expires_ns came from */
	const char *note;               /* put: may be NULL; walk: "" when none */
	/* put: the ban of k the front knows the store holds, NULL when none
	 * or unknown. */
	const struct rg_ban *old;
	/* BACKEND_ALLOW: origin (RG_ALLOW_*); walk() adds created_unix. */
	struct rg_allow allow;
};

/* Non-zero stops the walk and is its result. */
typedef int (*backend_walk_cb)(const struct rg_lpm_key *k, const struct backend_rec *r,
			       void *arg);

struct config;
struct banmirror;

/* Lifecycle (open, close, apply, destroy, caps), then the primitives on
 * the store's entries. Everything the backends share (allowlist
 * precedence, expiry, the ban mirror, sweep, log lines) is the front's. */
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
	/* Remove the store from the kernel, bans and all (XDP: its links and
	 * pins; nft: its table): 0 or -errno; close() still follows. */
	int (*destroy)(void *ctx);
	/* BACKEND_* bits; NULL: none. */
	unsigned (*caps)(void *ctx);
	/* Place or renew an entry of r->kind; a renewed ban keeps its
	 * counters. 0 or -errno. */
	int (*put)(void *ctx, const struct rg_lpm_key *k, const struct backend_rec *r);
	/* 0, or -ENOENT. */
	int (*del)(void *ctx, enum backend_kind kind, const struct rg_lpm_key *k);
	/* Every entry of kind; the walk may not remove what it walks. */
	int (*walk)(void *ctx, enum backend_kind kind, backend_walk_cb cb, void *arg);
	/* Optional: exactly the ban of k, note excepted: 0 or -ENOENT. NULL
	 * where a lookup costs a walk (SLOW_DUMP: the front's mirror answers). */
	int (*get)(void *ctx, const struct rg_lpm_key *k, struct backend_rec *out);
	/* Drop counters; zeros where the backend drops nothing. */
	int (*stats)(void *ctx, struct rg_stats *out);
	/* Optional: while on, puts may be queued and sent in large batches;
	 * turning it off sends the rest (0 or -errno: the queued puts may be
	 * lost). NULL: every put is written at once. */
	int (*batch)(void *ctx, bool on);
	/* Optional: a word naming what the store holds now, saved with the
	 * state file: the same word at the next start proves nobody changed
	 * it. "" when unknown or changed by someone else. */
	void (*version)(void *ctx, char *buf, size_t len);
	/* Optional (SLOW_DUMP): every ban of the store c names into out, as
	 * walk() sees them, read through a session of its own for a thread
	 * of its own (bgread.h): it touches nothing but its arguments. A key
	 * of expect (n of them) the dump did not show is asked for alone: a
	 * dump that races changes to the store may skip elements. 0, -errno;
	 * -ECANCELED soon after *stop turns non-zero. */
	int (*read_bans)(const struct config *c, const atomic_int *stop,
			 const struct rg_lpm_key *expect, size_t n, struct banmirror *out);
	/* Optional: remove every entry of kind at once, those the daemon
	 * does not know included (unban --all while the store is read back:
	 * a dump racing the deletes may not have shown them). 0, -errno. */
	int (*clear)(void *ctx, enum backend_kind kind);
};

extern const struct backend_ops backend_xdp;
extern const struct backend_ops backend_none;
extern const struct backend_ops backend_nft;

/* The none backend's store (its entries exist only in memory): the
 * replay's, and the unit tests'. */
void *backend_none_new(void);
void backend_none_free(void *ctx);

#endif
