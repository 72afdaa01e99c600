/* test_front.c - the enforcement front over any backend: the ban mirror of
 * a store that is slow to list agrees with the store through random bans,
 * unbans, expiries and failed commits, and lists it once, not per
 * question; the sweep of a store without kernel expiry removes what
 * expired; allowlist precedence, the one duration -> expiry conversion,
 * the change hook, allow entries in the store, exact lookups by a walk,
 * and every counter. The store is the none backend's, with the
 * capability bits of the backend under test. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"
#include "backend.h"
#include "banmirror.h"
#include "duration.h"
#include "enforce.h"
#include "logcap.h"
#include "tap.h"

static unsigned walks, unbans, slow_caps;
static bool fail_commit;

static unsigned slow(void *ctx)
{
	(void)ctx;
	return slow_caps;
}

static int counted_walk(void *ctx, enum backend_kind kind, backend_walk_cb cb, void *arg)
{
	walks++;
	return backend_none.walk(ctx, kind, cb, arg);
}

static int counted_del(void *ctx, enum backend_kind kind, const struct rg_lpm_key *k)
{
	unbans++;
	return backend_none.del(ctx, kind, k);
}

/* A failed commit: the queued bans may or may not be in the kernel. */
static int batch(void *ctx, bool on)
{
	(void)ctx;
	return on || !fail_commit ? 0 : -EIO;
}

static void version(void *ctx, char *buf, size_t len)
{
	(void)ctx;
	snprintf(buf, len, "v1");
}

static struct rg_lpm_key key(unsigned i)
{
	struct rg_lpm_key k = { .prefixlen = 128 };

	k.addr.a[0] = 0x20, k.addr.a[1] = 0x01, k.addr.a[2] = 0x0d, k.addr.a[3] = 0xb8;
	k.addr.a[14] = (uint8_t)(i >> 8), k.addr.a[15] = (uint8_t)i;
	return k;
}

struct set {
	bool in[64];
};

static int mark(const struct rg_lpm_key *k, const struct rg_ban *b, const char *note, void *arg)
{
	(void)b, (void)note;
	((struct set *)arg)->in[k->addr.a[15] % 64] = true;
	return 0;
}

static int mark_rec(const struct rg_lpm_key *k, const struct backend_rec *r, void *arg)
{
	return mark(k, &r->ban, r->note, arg);
}

/* The bans of the store itself. */
static void store_marks(void *store, struct set *s)
{
	backend_none.walk(store, BACKEND_BAN, mark_rec, s);
}

static bool same_bans(struct enforcer *e, void *store)
{
	struct set m = { { 0 } }, s = { { 0 } };
	unsigned w = walks;

	enforce_records(e, mark, &m);
	walks = w;
	store_marks(store, &s);
	return !memcmp(&m, &s, sizeof(m));
}

static void mirror_agrees(void)
{
	struct backend_ops ops = backend_none;
	void *store = backend_none_new();
	struct enforcer *e;
	char proof[RG_PROOF_LEN];
	bool agrees = true, answers = true;
	unsigned reads;

	ops.caps = slow, ops.walk = counted_walk, ops.del = counted_del;
	ops.batch = batch, ops.version = version, ops.get = NULL;
	slow_caps = BACKEND_SLOW_DUMP | BACKEND_KERNEL_EXPIRY;
	e = enforce_new(&ops, store);
	ok(enforce_mirror(e, false) == 0 && walks == 1, "the mirror is read once at the start");
	srandom(17);
	for (unsigned i = 0; i < 5000; i++) {
		unsigned n = (unsigned)random() % 64, op = (unsigned)random() % 8;
		struct rg_lpm_key k = key(n);

		if (op < 4)
			enforce_ban(e, &k, NULL, op == 0 ? 0 : 3600, 1, NULL, true, "test");
		else if (op < 6)
			enforce_unban(e, &k, "test");
		else if (op == 6)
			answers &= enforce_has_ban(e, &k) == (backend_none.get(store, &k,
							     &(struct backend_rec){ 0 }) == 0);
		else {
			fail_commit = random() % 2;
			enforce_flush(e);
			fail_commit = false;
		}
		agrees &= same_bans(e, store);
	}
	ok(agrees, "through 5000 random bans, unbans and failed commits the mirror lists "
	   "what the store holds");
	ok(answers, "and answers 'banned?' as the store would");
	reads = walks;
	for (unsigned i = 0; i < 100; i++)
		enforce_has_ban(e, &(struct rg_lpm_key){ .prefixlen = 128 });
	ok(walks == reads, "questions are answered from the mirror, not by listing the store");
	enforce_proof(e, proof, sizeof(proof));
	ok(strcmp(proof, "v1") == 0, "a whole mirror gives the store's version as its proof");
	fail_commit = true;
	enforce_flush(e);
	fail_commit = false;
	enforce_proof(e, proof, sizeof(proof));
	ok(proof[0] == 0, "after a failed commit there is no proof: %s", proof);
	ok(enforce_has_ban(e, &(struct rg_lpm_key){ .prefixlen = 128 }) == false &&
	   walks == reads + 1, "and the next question reads the store again");

	/* The kernel expires the bans itself: the sweep only logs them. */
	unbans = 0;
	enforce_ban(e, &(struct rg_lpm_key){ .prefixlen = 120 }, NULL, 1, 1, NULL, true, "t");
	enforce_sweep(e, mono_ns() + 2000000000ULL, NULL, NULL);
	ok(unbans == 0 && !enforce_has_ban(e, &(struct rg_lpm_key){ .prefixlen = 120 }),
	   "an expired ban leaves the mirror without an unban (the kernel expired it)");
	enforce_free(e);
	backend_none_free(store);
}

/* The reasons of the store's bans, by key number (0: none). */
struct reasons {
	unsigned r[64];
};

static int note_reason(const struct rg_lpm_key *k, const struct backend_rec *r, void *arg)
{
	((struct reasons *)arg)->r[k->addr.a[15] % 64] = r->ban.reason + 1;
	return 0;
}

static int note_mirror(const struct rg_lpm_key *k, const struct rg_ban *b, const char *note,
		       void *arg)
{
	(void)note;
	((struct reasons *)arg)->r[k->addr.a[15] % 64] = b->reason + 1;
	return 0;
}

static int snap_one(const struct rg_lpm_key *k, const struct backend_rec *r, void *arg)
{
	return banmirror_put(arg, k, r->ban.reason, r->ban.expires_ns, r->ban.created_unix,
			     r->note);
}

static void expired(const struct rg_lpm_key *k, void *arg)
{
	(void)k;
	(*(unsigned *)arg)++;
}

static void gone_count(const struct rg_lpm_key *k, void *arg)
{
	(void)k;
	(*(unsigned *)arg)++;
}

/* A restart from the state file while the store is read back: the store
 * starts as someone left it (not as saved), the front bans and unbans
 * while the read runs, the read sees the store at some moment of that
 * (and asks for the saved keys it missed later); now and then everything
 * is unbanned meanwhile. Merged, the mirror must list exactly what the
 * store holds, with its reasons, and pardon exactly the saved bans the
 * store had lost that nobody touched since; after an unban of everything
 * only the bans made since remain; a delete meanwhile (which can make the
 * kernel's dump skip an element) leaves the result unproven. */
static void reconcile_merges(void)
{
	struct backend_ops ops = backend_none;
	bool agrees = true, pardons = true, unproven = true, merged = true, cleared = true;
	char proof[RG_PROOF_LEN];

	ops.caps = slow, ops.walk = counted_walk, ops.batch = batch, ops.version = version;
	ops.get = NULL;
	slow_caps = BACKEND_SLOW_DUMP | BACKEND_KERNEL_EXPIRY;
	srandom(29);
	for (unsigned round = 0; round < 300; round++) {
		void *store = backend_none_new();
		struct enforcer *e = enforce_new(&ops, store);
		struct banmirror snap = { 0 };
		struct reconcile_counts n;
		struct reasons want = { { 0 } }, got = { { 0 } };
		bool saved[64], before[64], touched[64] = { false }, since_clear[64] = { false };
		bool clear = false, deletes = false;
		unsigned ops_n = (unsigned)random() % 40, at = ops_n ? (unsigned)random() % ops_n : 0;
		unsigned gone = 0, expect_gone = 0;
		struct rg_lpm_key expect[64];
		size_t nexp;
		int rc;

		for (unsigned i = 0; i < 64; i++) {
			struct rg_lpm_key k = key(i);
			struct backend_rec r = { .kind = BACKEND_BAN, .secs = 3600,
						 .ban = { .expires_ns = duration_expiry_ns(3600),
							  .reason = (unsigned)random() % 3 } };

			if ((before[i] = random() % 2))
				backend_none.put(store, &k, &r);
			saved[i] = random() % 2;
		}
		enforce_mirror(e, true);
		for (unsigned i = 0; i < 64; i++) {
			struct rg_lpm_key k = key(i);

			if (saved[i])
				enforce_adopt(e, &k, 3600, (unsigned)random() % 3, 1, NULL);
		}
		enforce_reconcile_begin(e);
		for (unsigned o = 0; o <= ops_n; o++) {
			unsigned i = (unsigned)random() % 64;
			struct rg_lpm_key k = key(i);

			if (o == at)
				backend_none.walk(store, BACKEND_BAN, snap_one, &snap);
			if (o == ops_n)
				break;
			if (random() % 16 == 0) {
				/* unban --all, as judge_unban_all does it */
				struct set all = { { 0 } };

				enforce_records(e, mark, &all);
				for (unsigned j = 0; j < 64; j++) {
					struct rg_lpm_key kj = key(j);

					if (all.in[j]) {
						enforce_unban(e, &kj, "test");
						touched[j] = deletes = true;
					}
				}
				enforce_cleared(e);
				clear = true;
				memset(since_clear, 0, sizeof(since_clear));
				continue;
			}
			touched[i] = true;
			if (random() % 2) {
				deletes |= enforce_has_ban(e, &k);      /* replaced */
				since_clear[i] = true;
				enforce_ban(e, &k, NULL, random() % 4 ? 600 : 0,
					    (unsigned)random() % 3, NULL, true, "test");
			} else {
				deletes = true;
				since_clear[i] = false;
				enforce_unban(e, &k, "test");
			}
		}
		/* What the read asks for alone: saved keys the dump missed. */
		for (unsigned i = 0; i < 64; i++) {
			struct rg_lpm_key k = key(i);
			struct backend_rec r;

			if (saved[i] && !banmirror_get(&snap, &k) &&
			    backend_none.get(store, &k, &r) == 0)
				banmirror_put(&snap, &k, r.ban.reason, r.ban.expires_ns, 0, NULL);
			expect_gone += saved[i] && !before[i] && !touched[i];
		}
		enforce_proof(e, proof, sizeof(proof));
		unproven &= !*proof;
		nexp = 0;
		for (unsigned i = 0; i < 64; i++)
			if (saved[i])
				expect[nexp++] = key(i);
		while ((rc = enforce_reconcile_step(e, &snap, expect, nexp, gone_count, &gone,
						    &n)) == 1)
			;
		merged &= rc == 0;
		backend_none.walk(store, BACKEND_BAN, note_reason, &want);
		enforce_records(e, note_mirror, &got);
		agrees &= !memcmp(&want, &got, sizeof(want));
		pardons &= gone == expect_gone && n.removed == gone;
		for (unsigned i = 0; clear && i < 64; i++)
			cleared &= got.r[i] == 0 || since_clear[i];
		enforce_proof(e, proof, sizeof(proof));
		/* (the merge after a clear may delete the kernel's own) */
		unproven &= deletes ? !*proof : clear || strcmp(proof, "v1") == 0;
		banmirror_free(&snap);
		enforce_free(e);
		backend_none_free(store);
	}
	ok(merged, "every merge ends");
	ok(agrees, "through 300 random restarts the merged mirror lists the store's bans "
	   "with their reasons, whatever the read saw and the front did meanwhile");
	ok(pardons, "and exactly the saved bans the store had lost, untouched since, are gone");
	ok(cleared, "after everything was unbanned during the read only the bans made since remain");
	ok(unproven, "no proof while the read runs, the store's version once merged, none when "
	   "the front deleted an element meanwhile");
}

/* A saved ban the kernel expired during the read: its saved expiry is up
 * to seconds later than the kernel's (rounded up in the file). */
static void reconcile_expiry(void)
{
	struct backend_ops ops = backend_none;
	void *store = backend_none_new();
	struct enforcer *e;
	struct banmirror snap = { 0 };
	struct reconcile_counts n;
	struct rg_lpm_key k = key(1);
	unsigned gone = 0, heard = 0;

	ops.caps = slow, ops.batch = batch, ops.version = version, ops.get = NULL;
	slow_caps = BACKEND_SLOW_DUMP | BACKEND_KERNEL_EXPIRY;
	e = enforce_new(&ops, store);
	enforce_mirror(e, true);
	enforce_adopt(e, &k, 2, 1, 1, NULL);
	enforce_reconcile_begin(e);
	while (enforce_reconcile_step(e, &snap, &k, 1, gone_count, &gone, &n) == 1)
		;
	enforce_sweep(e, mono_ns(), expired, &heard);
	ok(gone == 0 && n.removed == 0 && heard == 1 && !enforce_has_ban(e, &k),
	   "a saved ban about to expire that the read misses is an expiry, not a pardon "
	   "(pardoned %u, expired %u)", gone, heard);
	enforce_free(e);

	/* Made permanent by hand while the daemon was down; the daemon's
	 * sweep expires its saved ban during the read. */
	e = enforce_new(&ops, store);
	enforce_mirror(e, true);
	enforce_adopt(e, &k, 1, 1, 1, NULL);
	backend_none.put(store, &k, &(struct backend_rec){ .kind = BACKEND_BAN,
						     .ban = { .reason = 1 } });
	enforce_reconcile_begin(e);
	backend_none.walk(store, BACKEND_BAN, snap_one, &snap);
	enforce_sweep(e, mono_ns() + 2000000000ULL, expired, &heard);
	while (enforce_reconcile_step(e, &snap, &k, 1, gone_count, &gone, &n) == 1)
		;
	ok(enforce_has_ban(e, &k) && gone == 0,
	   "the kernel's permanent element wins over the daemon's expiry of its saved ban");
	banmirror_free(&snap);
	enforce_free(e);
	backend_none_free(store);
}

/* More expired bans than one walk collects, a permanent one among them. */
static void sweep_removes(void)
{
	void *store = backend_none_new();
	struct enforcer *e = enforce_new(&backend_none, store);
	unsigned heard = 0, left = 0;
	struct set s = { { 0 } };

	for (unsigned i = 0; i < 1500; i++)
		enforce_restore(e, &(struct rg_lpm_key){ .prefixlen = 128,
			.addr.a = { 0x20, 1, 0xd, 0xb8, [13] = (uint8_t)(i >> 16),
				    [14] = (uint8_t)(i >> 8), [15] = (uint8_t)i } }, i ? 1 : 0, 1, NULL);
	enforce_sweep(e, mono_ns() + 2000000000ULL, expired, &heard);
	store_marks(store, &s);
	for (unsigned i = 0; i < 64; i++)
		left += s.in[i];
	ok(heard == 1499 && enforce_stats(e)->expired == 1499 && left == 1,
	   "the sweep removes all 1499 expired bans and keeps the permanent one (%u heard)",
	   heard);
	enforce_free(e);
	backend_none_free(store);
}

static struct rg_lpm_key K(const char *s)
{
	struct rg_lpm_key k;
	char err[64];

	addr_parse(s, &k, err, sizeof(err));
	return k;
}

/* The same as a pointer, valid for the next three calls. */
static struct rg_lpm_key *KP(const char *s)
{
	static struct rg_lpm_key ring[4];
	static unsigned i;

	ring[++i % 4] = K(s);
	return &ring[i % 4];
}

/* A random prefix of length lo..hi around a (host bits random too: the
 * front takes the key as given). */
static struct rg_lpm_key around(const char *a, unsigned lo, unsigned hi)
{
	struct rg_lpm_key k = K(a);

	k.prefixlen = lo + (unsigned)random() % (hi - lo + 1);
	k.addr.a[15] = (uint8_t)random();
	return k;
}

/* An allow entry that covers the client or all of the prefix spares it
 * (counted, one log line); one inside the prefix does not (the kernel's
 * allow map spares it); a manual ban is placed anyway. */
static void allowlist_precedence(void)
{
	void *store = backend_none_new();
	struct enforcer *e = enforce_new(&backend_none, store);
	struct config c;
	char err[256];
	bool spared = true, placed = true;
	uint64_t hits;

	config_defaults(&c);
	c.allow_own_addresses = false;
	c.allow[0] = K("203.0.113.0/24");
	c.n_allow = 1;
	ok(enforce_load_allow(e, &c, err, sizeof(err)) == 0, "allowlist loaded %s", err);
	srandom(24);
	for (unsigned i = 0; i < 200; i++) {
		/* 203.0.113.x/24..128 (IPv4-mapped: 120..128) lies in the entry. */
		struct rg_lpm_key in = around("203.0.113.0", 120, 128);
		struct rg_lpm_key wide = around("203.0.113.0", 96, 119);

		spared &= enforce_ban(e, &in, NULL, 60, RG_REASON_DNSBL, NULL, false, "t") ==
			  ENF_ALLOWLISTED;
		placed &= enforce_ban(e, &wide, NULL, 60, RG_REASON_DNSBL, NULL, false, "t") ==
			  ENF_BANNED;
	}
	ok(spared, "a prefix inside an allow entry is spared");
	ok(placed, "a prefix around an allow entry is banned (the kernel spares the entry)");
	hits = enforce_stats(e)->allowlist_hits;
	logcap_start();
	ok(enforce_ban(e, KP("203.0.113.5"), &KP("203.0.113.5")->addr, 60,
		       RG_REASON_UNKNOWN_RCPT, NULL, false, "t") == ENF_ALLOWLISTED &&
	   enforce_stats(e)->allowlist_hits == hits + 1, "an allowlisted client spares its ban");
	ok(logcap_has("event=allowlist_hit address=203.0.113.5 entry=203.0.113.0/24 "
		      "reason=unknown-recipient", ""), "in one log line naming the entry");
	ok(enforce_ban(e, KP("203.0.113.7"), NULL, 60, RG_REASON_MANUAL, "n", true, "t") ==
	   ENF_BANNED && enforce_has_ban(e, KP("203.0.113.7")),
	   "a manual ban of an allowlisted address is placed");
	enforce_free(e);
	backend_none_free(store);
}

struct heard {
	unsigned n;
	bool banned;
	uint64_t secs;
	unsigned reason;
	char note[64];
};

static void on_change(const struct rg_lpm_key *k, bool banned, uint64_t secs, unsigned reason,
		      const char *note, void *arg)
{
	struct heard *h = arg;

	(void)k;
	h->n++, h->banned = banned, h->secs = secs, h->reason = reason;
	snprintf(h->note, sizeof(h->note), "%s", note ? note : "");
}

static int refuse_put(void *ctx, const struct rg_lpm_key *k, const struct backend_rec *r)
{
	(void)ctx, (void)k, (void)r;
	return -ENOMEM;
}

/* One conversion of a duration into an expiry; the counters; the change
 * hook hears what was done and nothing else. */
static void expiry_counters_hook(void)
{
	struct backend_ops full = backend_none;
	void *store = backend_none_new();
	struct enforcer *e = enforce_new(&backend_none, store);
	struct rg_lpm_key k = K("192.0.2.1"), p = K("192.0.2.0/24");
	struct heard h = { 0 };
	struct rg_ban b;
	uint64_t before, after;

	enforce_on_change(e, on_change, &h);
	before = mono_ns();
	enforce_ban(e, &k, NULL, 60, RG_REASON_SPAMTRAP, "why", false, "t");
	after = mono_ns();
	ok(enforce_get_ban(e, &k, &b) == 0 && b.expires_ns >= before + 60000000000ULL &&
	   b.expires_ns <= after + 60000000000ULL && b.reason == RG_REASON_SPAMTRAP,
	   "60 s become an expiry 60 s from now, in the store");
	ok(h.n == 1 && h.banned && h.secs == 60 && h.reason == RG_REASON_SPAMTRAP &&
	   strcmp(h.note, "why") == 0, "the hook hears the ban");
	enforce_ban(e, &p, NULL, 0, RG_REASON_MANUAL, NULL, true, "t");
	ok(enforce_get_ban(e, &p, &b) == 0 && b.expires_ns == 0, "0 s is permanent");
	enforce_restore(e, KP("192.0.2.2"), 60, RG_REASON_DNSBL, NULL);
	ok(enforce_stats(e)->bans[RG_REASON_SPAMTRAP] == 1 &&
	   enforce_stats(e)->bans[RG_REASON_MANUAL] == 1 &&
	   enforce_stats(e)->bans[RG_REASON_DNSBL] == 0 && h.n == 2,
	   "bans counted by reason; a restored one is no new ban and no change");
	ok(enforce_unban(e, KP("192.0.2.9"), "t") == -ENOENT && enforce_stats(e)->unbans == 0 &&
	   h.n == 2, "an unban of nothing: -ENOENT, not counted, not heard");
	ok(enforce_unban(e, &k, "t") == 0 && enforce_stats(e)->unbans == 1 && h.n == 3 &&
	   !h.banned, "an unban: counted and heard");
	full.put = refuse_put;
	enforce_use(e, &full, store);
	logcap_start();
	ok(enforce_ban(e, &k, NULL, 60, RG_REASON_SPAMTRAP, NULL, false, "t") == ENF_FAILED &&
	   enforce_stats(e)->failures == 1 && h.n == 3, "a refused ban: a failure, not heard");
	ok(logcap_has("event=ban_failed address=192.0.2.1 backend=none error=", "raise max_bans"),
	   "said with the fix");
	enforce_free(e);
	backend_none_free(store);
}

/* A failed batch commit: counted and said once; the mirror reads again. */
static void failed_commit(void)
{
	struct backend_ops ops = backend_none;
	void *store = backend_none_new();
	struct enforcer *e = enforce_new(&ops, store);

	ops.batch = batch;
	fail_commit = true;
	logcap_start();
	ok(enforce_flush(e) == -EIO && enforce_stats(e)->failures == 1 &&
	   logcap_has("event=ban_commit result=failed backend=none ", ""),
	   "a failed commit is a failure and one log line");
	fail_commit = false;
	ok(enforce_flush(e) == 0 && enforce_stats(e)->failures == 1, "a good one is not");
	enforce_free(e);
	backend_none_free(store);
}

static int count_allow(const struct rg_lpm_key *k, const struct rg_allow *a, void *arg)
{
	(void)k;
	*(unsigned *)arg += a->origin == RG_ALLOW_MANUAL ? 100 : 1;
	return 0;
}

/* Allow entries reach the store and come back from it; exact lookups
 * where the store has no get(). */
static void store_entries(void)
{
	struct backend_ops ops = backend_none;
	void *store = backend_none_new();
	struct enforcer *e = enforce_new(&ops, store), *again;
	struct rg_lpm_key m = K("198.51.100.0/24");
	unsigned n = 0;
	struct rg_ban b;

	ops.get = NULL;
	ok(enforce_allow_add(e, &m) == 0 && enforce_allow_foreach(e, count_allow, &n) == 0 &&
	   n == 100, "a manual allow entry is in the store");
	again = enforce_new(&ops, store);
	ok(enforce_allow_read(again) == 0 && allowlist_match(enforce_allowlist(again),
							      &KP("198.51.100.9")->addr),
	   "and is read back by a second front over the store (the CLI's)");
	enforce_free(again);
	ok(enforce_allow_del(e, &m) == 0 && (n = 0, enforce_allow_foreach(e, count_allow, &n)) == 0 &&
	   n == 0 && !allowlist_match(enforce_allowlist(e), &KP("198.51.100.9")->addr),
	   "removed from both");
	enforce_ban(e, &m, NULL, 60, RG_REASON_RELAY, NULL, false, "t");
	ok(enforce_get_ban(e, &m, &b) == 0 && b.reason == RG_REASON_RELAY &&
	   enforce_get_ban(e, KP("198.51.100.1"), &b) == -ENOENT &&
	   enforce_has_ban(e, &m), "without get() a walk finds exactly the key, not a covering prefix");
	enforce_free(e);
	backend_none_free(store);
}

int main(void)
{
	/* Thousands of ban lines; the counts above are what is tested. */
	if (!freopen("/dev/null", "w", stderr))
		return 1;
	mirror_agrees();
	reconcile_merges();
	reconcile_expiry();
	sweep_removes();
	allowlist_precedence();
	expiry_counters_hook();
	failed_commit();
	store_entries();
	logcap_end();
	return tap_done();
}
