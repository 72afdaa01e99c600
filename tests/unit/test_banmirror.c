/* test_banmirror.c - the front's ban mirror against a plain
 * array, through random puts and deletes (deletion shifts clusters back). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "banmirror.h"
#include "tap.h"

#define UNIVERSE 5000

static struct rg_lpm_key key(unsigned i)
{
	struct rg_lpm_key k = { .prefixlen = 96 + 24 + (i % 9) };

	k.addr.a[10] = k.addr.a[11] = 0xff;
	k.addr.a[12] = 10;
	k.addr.a[13] = (unsigned char)(i >> 8);
	k.addr.a[14] = (unsigned char)i;
	return k;
}

int main(void)
{
	struct banmirror t = { 0 };
	static bool in[UNIVERSE];
	static uint64_t exp[UNIVERSE];
	size_t live = 0, wrong = 0;
	unsigned seed = 7;

	ok(banmirror_get(&t, &(struct rg_lpm_key){ .prefixlen = 128 }) == NULL,
	   "an empty table finds nothing");
	ok(banmirror_del(&t, &(struct rg_lpm_key){ .prefixlen = 128 }) == -ENOENT,
	   "deleting from it: ENOENT");
	for (int round = 0; round < 200000; round++) {
		unsigned i = (unsigned)rand_r(&seed) % UNIVERSE;
		struct rg_lpm_key k = key(i);

		if (rand_r(&seed) % 3) {
			live += !in[i];
			in[i] = true;
			exp[i] = (uint64_t)round;
			if (banmirror_put(&t, &k, i % 7, exp[i], 100, i % 2 ? "note" : NULL) < 0)
				wrong++;
		} else {
			int rc = banmirror_del(&t, &k);

			if (rc != (in[i] ? 0 : -ENOENT))
				wrong++;
			live -= in[i];
			in[i] = false;
		}
	}
	ok(wrong == 0, "put and del answer like the reference (%zu wrong)", wrong);
	ok(t.n == live, "%zu entries, the reference has %zu", t.n, live);
	for (unsigned i = 0; i < UNIVERSE; i++) {
		struct rg_lpm_key k = key(i);
		struct banmirror_entry *e = banmirror_get(&t, &k);

		if (!e != !in[i] || (e && (e->expires_ns != exp[i] || e->reason != i % 7 ||
					   e->created_unix != 100 || !e->note != !(i % 2))))
			wrong++;
	}
	ok(wrong == 0, "every key found or missing as it should, with its fields");
	{
		struct rg_lpm_key k = key(1);

		banmirror_put(&t, &k, 1, 5, 999, NULL);
		ok(banmirror_get(&t, &k)->created_unix == (in[1] ? 100u : 999u),
		   "an update keeps the creation time");
		ok(banmirror_get(&t, &k)->note == NULL, "an update replaces the note");
	}
	banmirror_free(&t);
	ok(t.n == 0 && banmirror_get(&t, &(struct rg_lpm_key){ .prefixlen = 0 }) == NULL,
	   "free empties it");
	return tap_done();
}
