/* test_front.c - the enforcement front over any backend: the ban mirror of
 * a store that is slow to list agrees with the store through random bans,
 * unbans, expiries and failed commits, and lists it once, not per
 * question; the sweep of a store without kernel expiry removes what
 * expired. The store is the none backend's, with the capability bits of
 * the backend under test. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backend.h"
#include "duration.h"
#include "enforce.h"
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

static void expired(const struct rg_lpm_key *k, void *arg)
{
	(void)k;
	(*(unsigned *)arg)++;
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

int main(void)
{
	/* Thousands of ban lines; the counts above are what is tested. */
	if (!freopen("/dev/null", "w", stderr))
		return 1;
	mirror_agrees();
	sweep_removes();
	return tap_done();
}
