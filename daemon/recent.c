/* recent.c - a ring of the latest bad recipients, searched newest first. */
#include <stdio.h>
#include "recent.h"

void recent_add(struct recent *r, const struct rg_lpm_key *k, const char *rcpt, uint32_t t)
{
	struct recent_rcpt *e = &r->v[r->head];

	r->head = (r->head + 1) % RECENT_MAX;
	e->key = *k;
	e->t = t ? t : 1;
	snprintf(e->rcpt, sizeof(e->rcpt), "%s", rcpt);
}

size_t recent_get(const struct recent *r, const struct rg_lpm_key *k,
		  const struct recent_rcpt **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 1; i <= RECENT_MAX && n < max; i++) {
		const struct recent_rcpt *e = &r->v[(r->head + RECENT_MAX - i) % RECENT_MAX];

		if (!e->t)
			break;          /* the ring has not wrapped yet */
		if (e->key.prefixlen >= k->prefixlen && addr_in_prefix(k, &e->key.addr))
			out[n++] = e;
	}
	return n;
}
