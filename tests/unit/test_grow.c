/* test_grow.c - the one growable array: contents kept, capacity doubles,
 * sizes that would overflow refused with the array left as it was. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include "grow.h"
#include "tap.h"

/* first * 2^k for some k, the only capacities grow() makes. */
static int doubled_from(size_t cap, size_t first)
{
	size_t c = first ? first : 1;

	while (c < cap)
		c *= 2;
	return c == cap;
}

int main(void)
{
	/* Random runs of appends and jumps: every element written stays, the
	 * capacity covers what was asked and is never more than twice it. */
	{
		int bad = 0, runs = 200;

		srand(17);
		for (int r = 0; r < runs; r++) {
			uint32_t *v = NULL;
			size_t n = 0, cap = 0, first = (size_t)(rand() % 70);

			for (int step = 0; step < 60; step++) {
				size_t need = n + 1 + (rand() % 4 ? 0 : (size_t)(rand() % 3000));

				bool grown = grow(&v, &cap, need, sizeof(*v), first) == 0;

				/* More than twice the need only when first asked for it. */
				if (!grown || cap < need || !doubled_from(cap, first) ||
				    (cap > (first ? first : 1) && cap / 2 >= need)) {
					bad++;
					break;
				}
				while (n < need) {
					v[n] = (uint32_t)(n * 2654435761u);
					n++;
				}
			}
			for (size_t i = 0; i < n; i++)
				bad += v[i] != (uint32_t)(i * 2654435761u);
			free(v);
		}
		ok(bad == 0, "%d random runs: contents kept, capacity covers the need, doubles (%d bad)",
		   runs, bad);
	}
	/* Enough room already: nothing moves. */
	{
		char *v = NULL, *was;
		size_t cap = 0;

		ok(grow(&v, &cap, 10, 1, 64) == 0 && cap == 64, "the first capacity is the one asked for");
		was = v;
		ok(grow(&v, &cap, 64, 1, 64) == 0 && v == was && cap == 64, "a need that fits moves nothing");
		ok(grow(&v, &cap, 65, 1, 64) == 0 && cap == 128, "one more doubles");
		free(v);
	}
	/* Sizes whose byte count or doubling would wrap around. */
	{
		static const struct {
			size_t need, elem;
		} t[] = {
			{ SIZE_MAX, 1 }, { SIZE_MAX / 2 + 2, 1 }, { SIZE_MAX / 8 + 1, 8 },
			{ SIZE_MAX / 16, 24 }, { (size_t)1 << (sizeof(size_t) * 8 - 1), 2 },
		};
		size_t n = sizeof(t) / sizeof(t[0]), refused = 0;

		for (size_t i = 0; i < n; i++) {
			uint64_t *v = malloc(4 * sizeof(*v)), *was = v;
			size_t cap = 4;

			errno = 0;
			refused += grow(&v, &cap, t[i].need, t[i].elem, 4) < 0 && errno == ENOMEM &&
				   v == was && cap == 4;
			free(v);
		}
		ok(refused == n, "needs that would overflow are refused, the array unchanged (%zu of %zu)",
		   refused, n);
	}
	return tap_done();
}
