/* nft_table.h - rcptguard's own nftables table, and nothing else of the
 * ruleset:
 *
 *   table inet NAME
 *     set ports                 inet_service     protected TCP ports
 *     set allow4_LEN, allow6_LEN                 allow entries of one prefix length
 *     set ban4_LEN, ban6_LEN    timeout, counter bans of one prefix length
 *     chain ingress | prerouting (base chain, policy accept)
 *       meta l4proto != tcp accept
 *       tcp dport != @ports accept
 *       ip saddr & MASK @allow4_LEN counter accept      one per allow set
 *       ip saddr & MASK @ban4_LEN counter drop          one per ban set
 *
 * One hash set per prefix length in use (made with its rule on first use)
 * keeps lookups O(1) and lets prefixes nest, which interval sets refuse.
 * Keys are masked addresses; elements carry their ban's details in a
 * comment, so the table alone describes every ban (as the pinned maps do). */
#ifndef RG_NFT_TABLE_H
#define RG_NFT_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "nft.h"
#include "rcptguard.h"

enum nftt_kind { NFTT_ALLOW, NFTT_BAN };

struct nft_table {
	struct nft *n;
	char name[64];
	bool exists;                    /* the table was there when opened */
	uint64_t handle;                /* the kernel's, of the table and each set */
	uint64_t handles[2][2][129];
	bool counters;                  /* ban sets count per element */
	const char *chain;              /* our chain, once asked (NULL: none) */
	bool chain_known;
	/* Sets in the kernel: [kind][is_v4][prefix length in the family]. */
	bool have[2][2][129];
	bool queued[2][2][129];         /* made since the last commit */
	int err;                        /* a message lost since the last commit */
};

/* Open a session and read what of the table exists. 0, or -1 with err. */
int nftt_open(struct nft_table *t, const char *name, char *err, size_t errlen);
void nftt_close(struct nft_table *t);
/* Are the table and every set of kind it had at open still there, the
 * same ones (not deleted, nor deleted and made again)? 0, -ENOENT, or
 * -errno. A set deleted during a read answers -ENOENT like a missing
 * element, or is skipped by nftt_foreach: ask this after reading. */
int nftt_unchanged(const struct nft_table *t, enum nftt_kind kind);

/* Make or refresh the table in one batch: sets that exist stay with every
 * element; the chain is rebuilt for c's hook, interfaces and ports. */
int nftt_setup(struct nft_table *t, const struct config *c, char *err, size_t errlen);
/* Replace the protected ports (a reload). */
int nftt_set_ports(struct nft_table *t, const uint16_t *ports, unsigned n);
/* What a banned client's packets get (ban_action, rst_rate): 0 or -errno. */
int nftt_set_answer(struct nft_table *t, enum rg_ban_action action, uint32_t rate);
/* Delete the table: every ban and rule of ours, nothing else. */
int nftt_delete(struct nft_table *t);

/* Queue adding (timeout_ms 0: no timeout) or deleting the element for k;
 * a set missing for k's length is queued first with its rule. Nothing is
 * sent until nftt_commit(), or until a batch is full. */
void nftt_add(struct nft_table *t, enum nftt_kind kind, const struct rg_lpm_key *k,
	      uint64_t timeout_ms, const char *comment);
void nftt_del(struct nft_table *t, enum nftt_kind kind, const struct rg_lpm_key *k);
/* Every element of every set of kind, queued for removal. */
void nftt_flush(struct nft_table *t, enum nftt_kind kind);
/* 0 or -errno. On failure sets queued since the last commit are
 * forgotten again. */
int nftt_commit(struct nft_table *t);

struct nftt_elem {
	struct rg_lpm_key key;
	bool has_timeout;
	uint64_t expires_ms;            /* left, when has_timeout */
	uint64_t packets, bytes;
	const char *comment;            /* "" when none */
};
typedef int (*nftt_elem_cb)(const struct nftt_elem *e, void *arg);
/* Every live element of every set of kind; stops when cb returns non-zero. */
int nftt_foreach(struct nft_table *t, enum nftt_kind kind, nftt_elem_cb cb, void *arg);

/* The element of k alone, to cb: 0, or -ENOENT. */
int nftt_get(struct nft_table *t, enum nftt_kind kind, const struct rg_lpm_key *k,
	     nftt_elem_cb cb, void *arg);

/* Rule counters: drops by ban sets of full-length (exact) and shorter
 * (prefix) keys, accepts by allow sets, and the answer chain's RSTs sent
 * and SYNs over its limit (packets, then bytes: the rules' pairs). */
struct nftt_counters {
	uint64_t exact_pkts, exact_bytes, prefix_pkts, prefix_bytes, allow_pkts, allow_bytes;
	uint64_t rst_sent_pkts, rst_sent_bytes, rst_suppressed_pkts, rst_suppressed_bytes;
};
int nftt_counters(struct nft_table *t, struct nftt_counters *out);

/* Which chain (hook) holds our rules: "ingress", "prerouting" or NULL. */
const char *nftt_hook(struct nft_table *t);
/* Is the table dropping? 0 when the table, its chain, the chain's port
 * rule and a drop rule for every ban set are there; 1 with what is
 * missing in buf. */
int nftt_missing(struct nft_table *t, char *buf, size_t len);

#endif
