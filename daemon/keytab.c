/* keytab.c - a dense entry array, so a walk touches only live keys, found
 * through the keyed index (keyindex.h). */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "keytab.h"

void keytab_free(struct keytab *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->e[i].note);
	free(t->e);
	keyindex_free(&t->idx);
	memset(t, 0, sizeof(*t));
}

struct keytab_entry *keytab_get(const struct keytab *t, const struct rg_lpm_key *k)
{
	uint32_t i = keyindex_find(&t->idx, t->e, k);

	return i == KEYINDEX_NONE ? NULL : &t->e[i];
}

int keytab_put(struct keytab *t, const struct rg_lpm_key *k, uint32_t reason,
	       uint64_t expires_ns, uint64_t created_unix, const char *note)
{
	struct keytab_entry *e = keytab_get(t, k);
	char *copy = note && *note ? strdup(note) : NULL;

	if (note && *note && !copy)
		return -ENOMEM;

	if (!e) {
		if (t->n == t->cap) {
			size_t cap = t->cap ? t->cap * 2 : 256;
			struct keytab_entry *ne = realloc(t->e, cap * sizeof(*ne));

			if (!ne) {
				free(copy);
				return -ENOMEM;
			}
			t->e = ne;
			t->cap = cap;
		}
		if (!t->idx.stride)
			keyindex_init(&t->idx, sizeof(*t->e), offsetof(struct keytab_entry, key), 0);
		if (keyindex_reserve(&t->idx, t->e, t->n) < 0) {
			free(copy);
			return -ENOMEM;
		}
		e = &t->e[t->n];
		*e = (struct keytab_entry){ .key = *k, .created_unix = created_unix };
		keyindex_insert(&t->idx, t->e, (uint32_t)t->n++);
	}
	e->reason = reason;
	e->expires_ns = expires_ns;
	free(e->note);
	e->note = copy;
	return 0;
}

int keytab_del(struct keytab *t, const struct rg_lpm_key *k)
{
	uint32_t i = keyindex_find(&t->idx, t->e, k);

	if (i == KEYINDEX_NONE)
		return -ENOENT;
	free(t->e[i].note);
	keyindex_remove(&t->idx, t->e, i, (uint32_t)--t->n);
	t->e[i] = t->e[t->n];
	return 0;
}
