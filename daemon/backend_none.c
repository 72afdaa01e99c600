/* backend_none.c - trial runs: bans are logged and listed but enforced
 * nowhere. They live in an array found through the keyed index (replay
 * judges a whole log's worth of bans over this store). */
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
	struct rg_note note;
};

struct none {
	struct entry *e;
	size_t n, cap;
	struct keyindex idx;
};

void *backend_none_new(void)
{
	struct none *s = calloc(1, sizeof(*s));

	if (s)
		keyindex_init(&s->idx, sizeof(struct entry), offsetof(struct entry, k), 0);
	return s;
}

void backend_none_free(void *ctx)
{
	struct none *s = ctx;

	if (!s)
		return;
	keyindex_free(&s->idx);
	free(s->e);
	free(s);
}

static long find(const struct none *s, const struct rg_lpm_key *k)
{
	uint32_t i = keyindex_find(&s->idx, s->e, k);

	return i == KEYINDEX_NONE ? -1 : (long)i;
}

static int ban(void *ctx, const struct rg_lpm_key *k, const struct backend_ban *b,
	       const struct rg_ban *old)
{
	struct none *s = ctx;
	long i = find(s, k);

	(void)old;
	if (i < 0) {
		if (grow(&s->e, &s->cap, s->n + 1, sizeof(*s->e), 64) < 0 ||
		    keyindex_reserve(&s->idx, s->e, s->n) < 0)
			return -ENOMEM;
		i = (long)s->n;
		s->e[i] = (struct entry){ .k = *k, .b.created_unix = b->created_unix };
		keyindex_insert(&s->idx, s->e, (uint32_t)s->n++);
	}
	s->e[i].b.expires_ns = b->expires_ns;
	s->e[i].b.reason = b->reason;
	snprintf(s->e[i].note.text, sizeof(s->e[i].note.text), "%s", b->note ? b->note : "");
	return 0;
}

static int unban(void *ctx, const struct rg_lpm_key *k)
{
	struct none *s = ctx;
	long i = find(s, k);

	if (i < 0)
		return -ENOENT;
	keyindex_remove(&s->idx, s->e, (uint32_t)i, (uint32_t)(s->n - 1));
	s->e[i] = s->e[--s->n];
	return 0;
}

static int foreach(void *ctx, ban_cb cb, void *arg)
{
	struct none *s = ctx;

	for (size_t i = 0; i < s->n; i++) {
		int rc = cb(&s->e[i].k, &s->e[i].b, s->e[i].note.text, arg);

		if (rc)
			return rc;
	}
	return 0;
}

static int get(void *ctx, const struct rg_lpm_key *k, struct rg_ban *out)
{
	struct none *s = ctx;
	long i = find(s, k);

	if (i < 0)
		return -ENOENT;
	*out = s->e[i].b;
	return 0;
}

static int allow_add(void *ctx, const struct rg_lpm_key *k, unsigned origin)
{
	(void)ctx, (void)k, (void)origin;
	return 0;
}

static int allow_del(void *ctx, const struct rg_lpm_key *k)
{
	(void)ctx, (void)k;
	return 0;
}

static int allow_foreach(void *ctx, allow_cb cb, void *arg)
{
	(void)ctx, (void)cb, (void)arg;
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
	if (mode == BACKEND_ATTACH) {
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

static unsigned caps(void *ctx)
{
	(void)ctx;
	return 0;
}

const struct backend_ops backend_none = {
	.name = "none", .open = open_store, .close = backend_none_free, .apply = apply,
	.caps = caps, .ban = ban, .unban = unban, .foreach = foreach, .get = get,
	.allow_add = allow_add, .allow_del = allow_del, .allow_foreach = allow_foreach,
	.stats = stats,
};
