/* test_keyindex.c - the keyed index against a plain reference through
 * random inserts and removals (the key not first in its entry, the array
 * moving), and its secret: the same keys land in other slots under
 * another seed, so no fixed set of keys piles into one cluster. */
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "keyindex.h"
#include "banmirror.h"
#include "tap.h"

struct entry {
	uint32_t pad;
	struct rg_lpm_key key;
};

static struct rg_lpm_key key(unsigned i)
{
	struct rg_lpm_key k = { .prefixlen = (uint32_t)(96 + i % 33) };

	memcpy(&k.addr.a[8], &i, sizeof(i));
	return k;
}

static void against_reference(void)
{
	enum { KEYS = 3000 };
	static bool in[KEYS];
	struct keyindex x;
	struct entry *e = NULL;
	size_t n = 0;
	bool agrees = true;

	keyindex_init(&x, sizeof(*e), offsetof(struct entry, key), 0);
	srandom(7);
	for (unsigned step = 0; step < 60000; step++) {
		unsigned i = (unsigned)random() % KEYS;
		struct rg_lpm_key k = key(i);
		uint32_t at = keyindex_find(&x, e, &k);

		agrees &= (at != KEYINDEX_NONE) == in[i] &&
			  (at == KEYINDEX_NONE || !memcmp(&e[at].key, &k, sizeof(k)));
		if (!in[i]) {
			/* A fresh array each time: base moves, as with realloc. */
			struct entry *ne = malloc((n + 1) * sizeof(*ne));

			memcpy(ne, e, n * sizeof(*e));
			free(e);
			e = ne;
			keyindex_reserve(&x, e, n);
			e[n] = (struct entry){ .pad = i, .key = k };
			keyindex_insert(&x, e, (uint32_t)n++);
		} else {
			keyindex_remove(&x, e, at, (uint32_t)--n);
			e[at] = e[n];
		}
		in[i] = !in[i];
	}
	for (unsigned i = 0; i < KEYS; i++) {
		struct rg_lpm_key k = key(i);

		agrees &= (keyindex_find(&x, e, &k) != KEYINDEX_NONE) == in[i];
	}
	ok(agrees, "60000 random inserts and removals: every key found exactly when present "
	   "(%zu present, %zu slots)", n, x.slots);
	keyindex_free(&x);
	free(e);
}

static void layout(uint64_t seed, uint32_t *slots_out, size_t *nslots)
{
	struct entry e[200];
	struct keyindex x;

	for (unsigned i = 0; i < 200; i++)
		e[i] = (struct entry){ .key = key(i) };
	keyindex_init(&x, sizeof(e[0]), offsetof(struct entry, key), seed);
	keyindex_reserve(&x, e, 200);       /* indexes the 200 */
	*nslots = x.slots;
	memcpy(slots_out, x.slot, x.slots * sizeof(*x.slot));
	keyindex_free(&x);
}

static void keyed(void)
{
	static uint32_t a[1024], b[1024], c[1024];
	size_t na, nb, nc;
	struct banmirror t1 = { 0 }, t2 = { 0 };

	layout(1, a, &na);
	layout(1, b, &nb);
	layout(2, c, &nc);
	ok(na == nb && !memcmp(a, b, na * sizeof(*a)), "one seed, one layout");
	ok(na == nc && memcmp(a, c, na * sizeof(*a)), "another seed puts the keys elsewhere");
	for (unsigned i = 0; i < 200; i++) {
		struct rg_lpm_key k = key(i);

		banmirror_put(&t1, &k, 0, 0, 0, NULL);
		banmirror_put(&t2, &k, 0, 0, 0, NULL);
	}
	ok(t1.idx.k0 != t2.idx.k0 && memcmp(t1.idx.slot, t2.idx.slot,
					    t1.idx.slots * sizeof(*t1.idx.slot)),
	   "two ban mirrors have secrets of their own");
	banmirror_free(&t1);
	banmirror_free(&t2);
}

/* A bulk load reserves once: no rehash on the way, every key found, and
 * the keys already there kept. */
static void reserved(void)
{
	struct banmirror t = { 0 };
	size_t slots;
	bool found = true;

	for (unsigned i = 0; i < 100; i++) {
		struct rg_lpm_key k = key(i);

		banmirror_put(&t, &k, 0, 0, 0, NULL);
	}
	ok(banmirror_reserve(&t, 50000) == 0 && t.cap >= 50000, "room for 50000 at once");
	slots = t.idx.slots;
	for (unsigned i = 100; i < 50000; i++) {
		struct rg_lpm_key k = key(i);

		banmirror_put(&t, &k, 0, 0, 0, NULL);
	}
	for (unsigned i = 0; i < 50000; i++) {
		struct rg_lpm_key k = key(i);

		found &= banmirror_get(&t, &k) != NULL;
	}
	ok(t.idx.slots == slots && t.n == 50000 && found,
	   "50000 puts after it: no rehash (%zu slots), all found", t.idx.slots);
	banmirror_free(&t);
}

int main(void)
{
	against_reference();
	keyed();
	reserved();
	return tap_done();
}
