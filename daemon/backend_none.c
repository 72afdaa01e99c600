/* backend_none.c - trial runs: bans are logged and listed but enforced
 * nowhere. They live in a plain array; trial runs are small. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backend.h"

struct none {
	struct rg_lpm_key *k;
	struct rg_ban *b;
	struct rg_note *note;
	size_t n, cap;
};

void *backend_none_new(void)
{
	return calloc(1, sizeof(struct none));
}

void backend_none_free(void *ctx)
{
	struct none *s = ctx;

	if (!s)
		return;
	free(s->k);
	free(s->b);
	free(s->note);
	free(s);
}

static long find(const struct none *s, const struct rg_lpm_key *k)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->k[i].prefixlen == k->prefixlen && !memcmp(&s->k[i].addr, &k->addr, 16))
			return (long)i;
	return -1;
}

static int ban(void *ctx, const struct rg_lpm_key *k, const struct backend_ban *b,
	       const struct rg_ban *old)
{
	struct none *s = ctx;
	long i = find(s, k);

	(void)old;
	if (i < 0) {
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 64;
			struct rg_lpm_key *nk = realloc(s->k, cap * sizeof(*nk));
			struct rg_ban *nb = nk ? realloc(s->b, cap * sizeof(*nb)) : NULL;
			struct rg_note *nn = nb ? realloc(s->note, cap * sizeof(*nn)) : NULL;

			if (nk)
				s->k = nk;
			if (nb)
				s->b = nb;
			if (!nn)
				return -ENOMEM;
			s->note = nn;
			s->cap = cap;
		}
		i = (long)s->n++;
		s->k[i] = *k;
		s->b[i] = (struct rg_ban){ .created_unix = b->created_unix };
	}
	s->b[i].expires_ns = b->expires_ns;
	s->b[i].reason = b->reason;
	snprintf(s->note[i].text, sizeof(s->note[i].text), "%s", b->note ? b->note : "");
	return 0;
}

static int unban(void *ctx, const struct rg_lpm_key *k)
{
	struct none *s = ctx;
	long i = find(s, k);

	if (i < 0)
		return -ENOENT;
	s->n--;
	s->k[i] = s->k[s->n];
	s->b[i] = s->b[s->n];
	s->note[i] = s->note[s->n];
	return 0;
}

static int foreach(void *ctx, ban_cb cb, void *arg)
{
	struct none *s = ctx;

	for (size_t i = 0; i < s->n; i++) {
		int rc = cb(&s->k[i], &s->b[i], s->note[i].text, arg);

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
	*out = s->b[i];
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
