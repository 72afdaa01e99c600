/* backend_none.c - trial runs: bans and allow entries are logged and
 * listed but enforced nowhere. Each kind lives in an array found through
 * the keyed index (replay judges a whole log's worth of bans over this
 * store). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backend.h"
#include "grow.h"
#include "keyindex.h"

struct entry {
	struct rg_lpm_key k;
	struct rg_ban b;
	struct rg_allow a;
	struct rg_note note;
};

struct kind {
	struct entry *e;
	size_t n, cap;
	struct keyindex idx;
};

struct none {
	struct kind kind[BACKEND_ALLOW + 1];
};

static void kind_init(struct kind *t)
{
	*t = (struct kind){ 0 };
	keyindex_init(&t->idx, sizeof(struct entry), offsetof(struct entry, k), 0);
}

static void kind_free(struct kind *t)
{
	keyindex_free(&t->idx);
	free(t->e);
}

void *backend_none_new(void)
{
	struct none *s = calloc(1, sizeof(*s));

	for (size_t i = 0; s && i <= BACKEND_ALLOW; i++)
		kind_init(&s->kind[i]);
	return s;
}

void backend_none_free(void *ctx)
{
	struct none *s = ctx;

	for (size_t i = 0; s && i <= BACKEND_ALLOW; i++)
		kind_free(&s->kind[i]);
	free(s);
}

static struct entry *find(const struct kind *t, const struct rg_lpm_key *k)
{
	uint32_t i = keyindex_find(&t->idx, t->e, k);

	return i == KEYINDEX_NONE ? NULL : &t->e[i];
}

static int put(void *ctx, const struct rg_lpm_key *k, const struct backend_rec *r)
{
	struct kind *t = &((struct none *)ctx)->kind[r->kind];
	struct entry *e = find(t, k);

	if (!e) {
		if (grow(&t->e, &t->cap, t->n + 1, sizeof(*t->e), 64) < 0 ||
		    keyindex_reserve(&t->idx, t->e, t->n) < 0)
			return -ENOMEM;
		e = &t->e[t->n];
		*e = (struct entry){ .k = *k, .b.created_unix = r->ban.created_unix,
				     .b.prefixlen = k->prefixlen };
		keyindex_insert(&t->idx, t->e, (uint32_t)t->n++);
	}
	e->b.expires_ns = r->ban.expires_ns;
	e->b.reason = r->ban.reason;
	e->a = r->allow;
	snprintf(e->note.text, sizeof(e->note.text), "%s", r->note ? r->note : "");
	return 0;
}

static int del(void *ctx, enum backend_kind kind, const struct rg_lpm_key *k)
{
	struct kind *t = &((struct none *)ctx)->kind[kind];
	uint32_t i = keyindex_find(&t->idx, t->e, k);

	if (i == KEYINDEX_NONE)
		return -ENOENT;
	keyindex_remove(&t->idx, t->e, i, (uint32_t)(t->n - 1));
	t->e[i] = t->e[--t->n];
	return 0;
}

static int walk(void *ctx, enum backend_kind kind, backend_walk_cb cb, void *arg)
{
	struct kind *t = &((struct none *)ctx)->kind[kind];

	for (size_t i = 0; i < t->n; i++) {
		struct backend_rec r = { .kind = kind, .ban = t->e[i].b, .allow = t->e[i].a,
					 .note = t->e[i].note.text };
		int rc = cb(&t->e[i].k, &r, arg);

		if (rc)
			return rc;
	}
	return 0;
}

static int get(void *ctx, const struct rg_lpm_key *k, struct backend_rec *out)
{
	const struct entry *e = find(&((struct none *)ctx)->kind[BACKEND_BAN], k);

	if (!e)
		return -ENOENT;
	*out = (struct backend_rec){ .kind = BACKEND_BAN, .ban = e->b, .note = "" };
	return 0;
}

static int stats(void *ctx, struct rg_stats *out)
{
	(void)ctx;
	memset(out, 0, sizeof(*out));
	return 0;
}

static void *open_store(const struct config *c, enum backend_mode mode, struct backend_open *io,
			char *err, size_t errlen)
{
	void *s;

	(void)c;
	if (mode == BACKEND_ATTACH || mode == BACKEND_REMOVE) {
		snprintf(err, errlen, "backend = none keeps its bans in rcptguardd's memory "
			 "only; start rcptguardd");
		return NULL;
	}
	if (!(s = backend_none_new()))
		snprintf(err, errlen, "out of memory");
	io->fresh = true;
	return s;
}

static int apply(void *ctx, const struct config *c, char *err, size_t errlen)
{
	(void)ctx, (void)c, (void)err, (void)errlen;
	return 0;
}

/* Nothing is in the kernel: the store empties. */
static int destroy(void *ctx)
{
	struct none *s = ctx;

	for (size_t i = 0; i <= BACKEND_ALLOW; i++) {
		kind_free(&s->kind[i]);
		kind_init(&s->kind[i]);
	}
	return 0;
}

static unsigned caps(void *ctx)
{
	(void)ctx;
	return 0;
}

const struct backend_ops backend_none = {
	.name = "none", .open = open_store, .close = backend_none_free, .apply = apply,
	.destroy = destroy, .caps = caps,
	.put = put, .del = del, .walk = walk, .get = get, .stats = stats,
};
