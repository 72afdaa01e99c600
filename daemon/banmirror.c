/* banmirror.c - a dense entry array, so a walk touches only live keys, found
 * through the keyed index (keyindex.h). */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "banmirror.h"
#include "grow.h"

void banmirror_free(struct banmirror *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->e[i].note);
	free(t->e);
	keyindex_free(&t->idx);
	memset(t, 0, sizeof(*t));
}

struct banmirror_entry *banmirror_get(const struct banmirror *t, const struct rg_lpm_key *k)
{
	uint32_t i = keyindex_find(&t->idx, t->e, k);

	return i == KEYINDEX_NONE ? NULL : &t->e[i];
}

int banmirror_reserve(struct banmirror *t, size_t n)
{
	if (!t->idx.stride)
		keyindex_init(&t->idx, sizeof(*t->e), offsetof(struct banmirror_entry, key), 0);
	if (grow(&t->e, &t->cap, n, sizeof(*t->e), 256) < 0 ||
	    keyindex_reserve_for(&t->idx, t->e, t->n, n) < 0)
		return -ENOMEM;
	return 0;
}

int banmirror_put(struct banmirror *t, const struct rg_lpm_key *k, uint32_t reason,
	       uint64_t expires_ns, uint64_t created_unix, const char *note)
{
	struct banmirror_entry *e = banmirror_get(t, k);
	char *copy = note && *note ? strdup(note) : NULL;

	if (note && *note && !copy)
		return -ENOMEM;

	if (!e) {
		if (!t->idx.stride)
			keyindex_init(&t->idx, sizeof(*t->e), offsetof(struct banmirror_entry, key), 0);
		if (grow(&t->e, &t->cap, t->n + 1, sizeof(*t->e), 256) < 0 ||
		    keyindex_reserve(&t->idx, t->e, t->n) < 0) {
			free(copy);
			return -ENOMEM;
		}
		e = &t->e[t->n];
		*e = (struct banmirror_entry){ .key = *k, .created_unix = created_unix };
		keyindex_insert(&t->idx, t->e, (uint32_t)t->n++);
	}
	e->reason = reason;
	e->expires_ns = expires_ns;
	free(e->note);
	e->note = copy;
	return 0;
}

int banmirror_del(struct banmirror *t, const struct rg_lpm_key *k)
{
	uint32_t i = keyindex_find(&t->idx, t->e, k);

	if (i == KEYINDEX_NONE)
		return -ENOENT;
	free(t->e[i].note);
	keyindex_remove(&t->idx, t->e, i, (uint32_t)--t->n);
	t->e[i] = t->e[t->n];
	return 0;
}
