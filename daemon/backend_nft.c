/* backend_nft.c - bans as elements of rcptguard's nftables table
 * (nft_table.h). The kernel expires them by their timeouts. A dump of a
 * million elements takes minutes, as the kernel re-walks the set for
 * every reply (SLOW_DUMP): the front mirrors the bans, and the version
 * word (the nf_tables generation) lets it take them from the state file
 * when nothing changed since it was written. */
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backend_nft.h"
#include "banmirror.h"
#include "duration.h"
#include "nft.h"
#include "names.h"
#include "nft_table.h"

struct nftb {
	struct nft_table t;
	bool batch;
	size_t queued;                  /* bans waiting in the batch */
	char where[128];                /* version's "nft/TABLE/BOOT/NETNS", "" if unknown */
};

/* Ban comments: "REASON CREATED NOTE", readable in `nft list`. */
static void ban_comment(char *buf, size_t len, unsigned reason, uint64_t created,
			const char *note)
{
	snprintf(buf, len, "%s %" PRIu64 "%s%.*s", reason_name(reason), created,
		 note && *note ? " " : "", RG_NOTE_LEN - 1, note ? note : "");
}

static void parse_ban_comment(const char *c, struct rg_ban *b, char *note)
{
	char reason[32];
	unsigned long long created = 0;
	int used = 0;

	note[0] = 0;
	if (sscanf(c, "%31s %llu%n", reason, &created, &used) < 2)
		return;
	b->created_unix = created;
	for (unsigned r = 0; r < RG_REASON_MAX; r++)
		if (strcmp(reason, reason_name(r)) == 0)
			b->reason = r;
	snprintf(note, RG_NOTE_LEN, "%s", c[used] == ' ' ? c + used + 1 : "");
}

static uint64_t expires_ns(const struct nftt_elem *e, uint64_t now)
{
	return e->has_timeout ? now + e->expires_ms * 1000000ULL + (e->expires_ms ? 0 : 1) : 0;
}

/* The generation counts from 1 in every network namespace and boot, so
 * the proof names them, and the table: "nft/TABLE/BOOT_ID/NETNS_COOKIE". */
static void locate(struct nftb *b)
{
	char boot[64] = "";
	uint64_t cookie;
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");

	if (f) {
		if (!fgets(boot, sizeof(boot), f))
			boot[0] = 0;
		fclose(f);
	}
	boot[strcspn(boot, "\n")] = 0;
	if (*boot && nft_netns_cookie(b->t.n, &cookie) == 0)
		snprintf(b->where, sizeof(b->where), "nft/%s/%s/%" PRIx64, b->t.name, boot, cookie);
}

static void make_proof(const struct nftb *b, uint32_t gen, char *buf, size_t len)
{
	buf[0] = 0;
	if (gen && *b->where)
		snprintf(buf, len, "%s/%" PRIu32, b->where, gen);
}

static void version(void *ctx, char *buf, size_t len)
{
	struct nftb *b = ctx;

	make_proof(b, nft_tracked(b->t.n), buf, len);
}

static int commit(struct nftb *b)
{
	b->queued = 0;
	return nftt_commit(&b->t);
}

/* A change that can fail on its own (deleting an element the kernel has
 * expired already) goes in a batch of its own: a batch is applied whole or
 * not at all, and it must not take the queued bans down with it. */
static int before_alone(struct nftb *b)
{
	return b->queued ? commit(b) : 0;
}

static int put_ban(struct nftb *b, const struct rg_lpm_key *k, const struct backend_rec *r)
{
	const struct rg_ban *old = r->old;
	uint64_t created = r->ban.created_unix;
	char comment[160];
	/* A new reason, or a change to or from permanent, needs a new
	 * element: the kernel updates only the expiry of one that exists. */
	bool replace = old && (old->reason != r->ban.reason || !old->expires_ns || !r->secs);
	int rc = 0;

	if (replace) {
		if ((rc = before_alone(b)) < 0)
			return rc;
		nftt_del(&b->t, NFTT_BAN, k);
	} else if (old) {
		created = old->created_unix;
	}
	ban_comment(comment, sizeof(comment), r->ban.reason, created, r->note);
	nftt_add(&b->t, NFTT_BAN, k, r->secs * 1000, comment);
	if (b->batch && !replace)
		b->queued++;
	else if ((rc = commit(b)) == -ENOENT && replace) {
		/* The element was gone (expired, or the old ban was a guess:
		 * a store still being read back): the new one alone. */
		nftt_add(&b->t, NFTT_BAN, k, r->secs * 1000, comment);
		rc = commit(b);
	}
	return rc < 0 ? rc : 0;
}

static int put_allow(struct nftb *b, const struct rg_lpm_key *k, const struct backend_rec *r)
{
	char comment[64];
	int rc = before_alone(b);

	if (rc < 0)
		return rc;
	snprintf(comment, sizeof(comment), "%s %" PRIu64,
		 r->allow.origin == RG_ALLOW_MANUAL ? "manual" : "config", wall_secs());
	nftt_add(&b->t, NFTT_ALLOW, k, 0, comment);
	return commit(b);
}

static int put(void *ctx, const struct rg_lpm_key *k, const struct backend_rec *r)
{
	return r->kind == BACKEND_ALLOW ? put_allow(ctx, k, r) : put_ban(ctx, k, r);
}

static int del(void *ctx, enum backend_kind kind, const struct rg_lpm_key *k)
{
	struct nftb *b = ctx;
	int rc = before_alone(b);

	if (rc < 0)
		return rc;
	nftt_del(&b->t, kind == BACKEND_ALLOW ? NFTT_ALLOW : NFTT_BAN, k);
	return commit(b);
}

static int clear(void *ctx, enum backend_kind kind)
{
	struct nftb *b = ctx;
	int rc = before_alone(b);

	if (rc < 0)
		return rc;
	nftt_flush(&b->t, kind == BACKEND_ALLOW ? NFTT_ALLOW : NFTT_BAN);
	return commit(b);
}

struct rec_walk {
	backend_walk_cb cb;
	void *arg;
};

/* An element's time left counts from its reply: a large dump lasts minutes. */
static int ban_one(const struct nftt_elem *e, void *arg)
{
	struct rec_walk *w = arg;
	struct backend_rec r = { .kind = BACKEND_BAN, .ban = { .expires_ns = expires_ns(e, mono_ns()),
				 .packets = e->packets, .bytes = e->bytes,
				 .prefixlen = e->key.prefixlen } };
	char note[RG_NOTE_LEN];

	parse_ban_comment(e->comment, &r.ban, note);
	r.note = note;
	return w->cb(&e->key, &r, w->arg);
}

static int allow_one(const struct nftt_elem *e, void *arg)
{
	struct rec_walk *w = arg;
	struct backend_rec r = { .kind = BACKEND_ALLOW, .allow.origin = RG_ALLOW_CONFIG };
	char origin[16];
	unsigned long long created = 0;

	if (sscanf(e->comment, "%15s %llu", origin, &created) == 2) {
		r.allow.created_unix = created;
		if (strcmp(origin, "manual") == 0)
			r.allow.origin = RG_ALLOW_MANUAL;
	}
	return w->cb(&e->key, &r, w->arg);
}

static int walk(void *ctx, enum backend_kind kind, backend_walk_cb cb, void *arg)
{
	struct nftb *b = ctx;
	struct rec_walk w = { cb, arg };

	return kind == BACKEND_ALLOW ? nftt_foreach(&b->t, NFTT_ALLOW, allow_one, &w) :
				       nftt_foreach(&b->t, NFTT_BAN, ban_one, &w);
}

/* A reply of a million-element dump takes a fraction of a second of
 * kernel time, more on a busy machine. */
#define READ_WAIT_MS 30000

static int keep(const struct rg_lpm_key *k, const struct backend_rec *r, void *arg)
{
	return banmirror_put(arg, k, r->ban.reason, r->ban.expires_ns, r->ban.created_unix,
			     r->note);
}

static int read_bans(const struct config *c, const atomic_int *stop,
		     const struct rg_lpm_key *expect, size_t n, struct banmirror *out)
{
	struct nft_table t;
	struct rec_walk w = { keep, out };
	char err[256];
	int rc;

	if (nftt_open(&t, c->nft_table, err, sizeof(err)) < 0)
		return -EIO;
	nft_stop_on(t.n, stop, READ_WAIT_MS);
	/* The daemon started on the table: gone since (nft flush ruleset), it
	 * tells nothing of the bans, like one deleted during the read. */
	rc = t.exists ? nftt_foreach(&t, NFTT_BAN, ban_one, &w) : -ENOENT;
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (!banmirror_get(out, &expect[i]) &&
		    (rc = nftt_get(&t, NFTT_BAN, &expect[i], ban_one, &w)) == -ENOENT)
			rc = 0;
	/* A set deleted meanwhile (nft flush ruleset) hid its elements: the
	 * read is whole only if every set it read is still the one opened. */
	if (rc == 0)
		rc = nftt_unchanged(&t, NFTT_BAN);
	nftt_close(&t);
	return rc;
}

static int stats(void *ctx, struct rg_stats *out)
{
	struct nftb *b = ctx;
	struct nftt_counters c;
	int rc = nftt_counters(&b->t, &c);

	memset(out, 0, sizeof(*out));
	if (rc < 0)
		return rc;
	out->packets[RG_DROP_EXACT] = c.exact_pkts;
	out->bytes[RG_DROP_EXACT] = c.exact_bytes;
	out->packets[RG_DROP_PREFIX] = c.prefix_pkts;
	out->bytes[RG_DROP_PREFIX] = c.prefix_bytes;
	out->packets[RG_PASS_ALLOWED] = c.allow_pkts;
	out->bytes[RG_PASS_ALLOWED] = c.allow_bytes;
	out->rst_sent = c.rst_sent_pkts;
	out->rst_suppressed = c.rst_suppressed_pkts;
	return 0;
}

static int batch(void *ctx, bool on)
{
	struct nftb *b = ctx;

	b->batch = on;
	return on ? 0 : commit(b);
}

static unsigned caps(void *ctx)
{
	return BACKEND_DROPS | BACKEND_KERNEL_EXPIRY | BACKEND_NEEDS_NET_ADMIN | BACKEND_SLOW_DUMP |
	       BACKEND_ANSWER_RST |
	       (((struct nftb *)ctx)->t.counters ? BACKEND_PER_BAN_COUNTERS : 0);
}

static void close_store(void *ctx)
{
	struct nftb *b = ctx;

	if (!b)
		return;
	nftt_close(&b->t);
	free(b);
}

/* Newer kernels accept a hook on a device that does not exist (yet); a
 * typo must not leave the server unprotected without a word. */
static int check_interfaces(const struct config *c, char *err, size_t errlen)
{
	if (c->nft_hook != NFT_HOOK_INGRESS)
		return 0;
	if (!c->n_interfaces) {
		snprintf(err, errlen, "no interface for the ingress hook: the config names none "
			 "and no default route exists; add 'interface = NAME' or use "
			 "nft_hook = prerouting");
		return -1;
	}
	for (unsigned i = 0; i < c->n_interfaces; i++)
		if (!if_nametoindex(c->interfaces[i])) {
			snprintf(err, errlen, "cannot hook ingress on %s: no such interface; check "
				 "the interface lines in the config", c->interfaces[i]);
			return -1;
		}
	return 0;
}

/* With SETUP the table is made or refreshed for c; with ATTACH it must
 * exist (the CLI with the daemon down). */
static void *open_store(const struct config *c, enum backend_mode mode, struct backend_open *io,
			char *err, size_t errlen)
{
	struct nftb *b;
	char now[RG_PROOF_LEN];
	uint32_t gen = 0;

	if (mode != BACKEND_ATTACH && mode != BACKEND_REMOVE && check_interfaces(c, err, errlen) < 0)
		return NULL;
	if (!(b = calloc(1, sizeof(*b)))) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (nftt_open(&b->t, c->nft_table, err, errlen) < 0) {
		free(b);
		return NULL;
	}
	if (mode == BACKEND_ATTACH || mode == BACKEND_REMOVE) {
		if (b->t.exists)
			return b;
		snprintf(err, errlen, "no nftables table inet %s: rcptguardd has not set it up "
			 "(start it with backend = nft)", c->nft_table);
		goto fail;
	}
	/* Read before our own changes: anyone's commit since the save shows. */
	nft_genid(b->t.n, &gen);
	locate(b);
	make_proof(b, gen, now, sizeof(now));
	io->fresh = !b->t.exists;
	nft_track(b->t.n, gen);
	if (nftt_setup(&b->t, c, err, errlen) < 0)
		goto fail;
	/* Nothing but our setup since the save: the table holds the saved bans. */
	io->adopt = b->t.exists && *now && strcmp(now, io->saved_proof) == 0 &&
		    nft_tracked(b->t.n);
	return b;
fail:
	close_store(b);
	return NULL;
}

static int apply(void *ctx, const struct config *c, char *err, size_t errlen)
{
	struct nft_table *t = &((struct nftb *)ctx)->t;
	int rc = nftt_set_ports(t, c->ports, c->n_ports);

	if (rc < 0) {
		snprintf(err, errlen, "cannot write the ports into table inet %s: %s",
			 c->nft_table, strerror(-rc));
		return -1;
	}
	if ((rc = nftt_set_answer(t, c->ban_action, c->rst_rate)) < 0) {
		snprintf(err, errlen, "cannot write ban_action and rst_rate into table inet %s: %s",
			 c->nft_table, strerror(-rc));
		return -1;
	}
	return 0;
}

static int destroy(void *ctx)
{
	struct nftb *b = ctx;

	return b->t.exists ? nftt_delete(&b->t) : -ENOENT;
}

const struct backend_ops backend_nft = {
	.name = "nft", .open = open_store, .close = close_store, .apply = apply,
	.destroy = destroy, .caps = caps,
	.put = put, .del = del, .walk = walk, .stats = stats, .batch = batch, .version = version,
	.read_bans = read_bans, .clear = clear,
};

const char *backend_nft_hook(void *ctx)
{
	return nftt_hook(&((struct nftb *)ctx)->t);
}

int backend_nft_missing(void *ctx, char *buf, size_t len)
{
	return nftt_missing(&((struct nftb *)ctx)->t, buf, len);
}
