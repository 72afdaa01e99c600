/* keytab.c - open addressing with linear probing and backward-shift
 * deletion over a dense entry array, so a walk touches only live keys. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "keytab.h"

#define KEYTAB_EMPTY UINT32_MAX

/* FNV-1a: keys are chosen by attackers only in their low bits, and the
 * table doubles at half load, so clustering stays short. */
static uint64_t hash(const struct rg_lpm_key *k)
{
	uint64_t h = 1469598103934665603ULL ^ k->prefixlen;

	for (int i = 0; i < 16; i++)
		h = (h ^ k->addr.a[i]) * 1099511628211ULL;
	return h ^ (h >> 29);
}

static bool same(const struct rg_lpm_key *a, const struct rg_lpm_key *b)
{
	return a->prefixlen == b->prefixlen && !memcmp(&a->addr, &b->addr, sizeof(a->addr));
}

static size_t find_slot(const struct keytab *t, const struct rg_lpm_key *k)
{
	size_t mask = t->slots - 1, s = hash(k) & mask;

	while (t->idx[s] != KEYTAB_EMPTY && !same(&t->e[t->idx[s]].key, k))
		s = (s + 1) & mask;
	return s;
}

static int rehash(struct keytab *t, size_t slots)
{
	uint32_t *idx = malloc(slots * sizeof(*idx));

	if (!idx)
		return -ENOMEM;
	free(t->idx);
	t->idx = idx;
	t->slots = slots;
	memset(idx, 0xff, slots * sizeof(*idx));
	for (size_t i = 0; i < t->n; i++)
		idx[find_slot(t, &t->e[i].key)] = (uint32_t)i;
	return 0;
}

void keytab_free(struct keytab *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->e[i].note);
	free(t->e);
	free(t->idx);
	memset(t, 0, sizeof(*t));
}

struct keytab_entry *keytab_get(const struct keytab *t, const struct rg_lpm_key *k)
{
	uint32_t i;

	if (!t->slots)
		return NULL;
	i = t->idx[find_slot(t, k)];
	return i == KEYTAB_EMPTY ? NULL : &t->e[i];
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
		if ((t->n + 1) * 2 > t->slots && rehash(t, t->slots ? t->slots * 2 : 512) < 0) {
			free(copy);
			return -ENOMEM;
		}
		e = &t->e[t->n];
		*e = (struct keytab_entry){ .key = *k, .created_unix = created_unix };
		t->idx[find_slot(t, k)] = (uint32_t)t->n++;
	}
	e->reason = reason;
	e->expires_ns = expires_ns;
	free(e->note);
	e->note = copy;
	return 0;
}

int keytab_del(struct keytab *t, const struct rg_lpm_key *k)
{
	size_t mask, s, next;
	uint32_t i;

	if (!t->slots || (i = t->idx[s = find_slot(t, k)]) == KEYTAB_EMPTY)
		return -ENOENT;
	mask = t->slots - 1;
	/* Backward shift: pull later members of the cluster into the hole. */
	for (next = (s + 1) & mask; t->idx[next] != KEYTAB_EMPTY; next = (next + 1) & mask) {
		size_t home = hash(&t->e[t->idx[next]].key) & mask;

		if (((next - home) & mask) >= ((next - s) & mask)) {
			t->idx[s] = t->idx[next];
			s = next;
		}
	}
	t->idx[s] = KEYTAB_EMPTY;
	free(t->e[i].note);
	/* Keep e dense: the last entry moves into the freed place. */
	if (i != --t->n) {
		t->e[i] = t->e[t->n];
		t->idx[find_slot(t, &t->e[i].key)] = i;
	}
	return 0;
}
