/* credit.c - open transactions and their valid recipients, in one fixed
 * array (about 2 MB) searched linearly up to its high-water mark: a
 * transaction lives from its first valid RCPT to the end of its message,
 * so few are open unless someone sends RCPTs without mail, and then the
 * bounds hold. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "credit.h"

struct txn {
	uint64_t id;                    /* hash of client and instance; 0: free */
	struct rg_lpm_key net;
	uint32_t t;                     /* first valid RCPT */
	uint32_t n;
	bool data;                      /* asked at DATA */
	uint64_t rcpt[CREDIT_RCPTS];    /* hashes of distinct recipients */
};

struct credit {
	uint64_t seed;
	unsigned hi;                    /* slots [0, hi) may be in use */
	struct txn t[CREDIT_TXNS];
};

struct credit *credit_new(uint64_t seed)
{
	struct credit *c = calloc(1, sizeof(*c));

	if (c)
		c->seed = seed | 1;
	return c;
}

void credit_free(struct credit *c)
{
	free(c);
}

/* FNV-1a from a secret start, then a 64-bit finaliser; never 0. */
static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h ? h : 1;
}

static uint64_t txn_id(const struct credit *c, const struct rg_addr *client,
		       const char *instance)
{
	return mix(mix(c->seed, client, sizeof(*client)), instance, strlen(instance));
}

static bool live(const struct txn *x, uint32_t now)
{
	return x->id && now - x->t < CREDIT_TTL;
}

static bool same_net(const struct rg_lpm_key *a, const struct rg_lpm_key *b)
{
	return a->prefixlen == b->prefixlen && memcmp(&a->addr, &b->addr, sizeof(a->addr)) == 0;
}

/* The transaction id, or a slot for it: a free one, else the oldest of its
 * network when that has too many, else the oldest of all. */
static struct txn *slot(struct credit *c, uint64_t id, const struct rg_lpm_key *net,
			uint32_t now)
{
	struct txn *free_slot = NULL, *oldest = NULL, *oldest_net = NULL;
	unsigned in_net = 0;

	for (unsigned i = 0; i < c->hi; i++) {
		struct txn *x = &c->t[i];

		if (!live(x, now)) {
			free_slot = free_slot ? free_slot : x;
			continue;
		}
		if (x->id == id)
			return x;
		if (!oldest || now - x->t > now - oldest->t)
			oldest = x;
		if (same_net(&x->net, net) && (in_net++, !oldest_net ||
					       now - x->t > now - oldest_net->t))
			oldest_net = x;
	}
	if (in_net >= CREDIT_TXNS_PER_CLIENT)
		return oldest_net;
	if (free_slot)
		return free_slot;
	if (c->hi < CREDIT_TXNS)
		return &c->t[c->hi++];
	return oldest;
}

void credit_note(struct credit *c, const struct rg_addr *client, const struct rg_lpm_key *net,
		 const char *instance, const char *rcpt, uint32_t now)
{
	uint64_t id = txn_id(c, client, instance), h = mix(c->seed, rcpt, strlen(rcpt));
	struct txn *x = slot(c, id, net, now);

	if (x->id != id || x->data)
		*x = (struct txn){ .id = id, .net = *net, .t = now };
	for (uint32_t i = 0; i < x->n; i++)
		if (x->rcpt[i] == h)
			return;
	if (x->n < CREDIT_RCPTS)
		x->rcpt[x->n++] = h;
}

static struct txn *find(struct credit *c, const struct rg_addr *client, const char *instance,
			uint32_t now)
{
	uint64_t id = txn_id(c, client, instance);

	for (unsigned i = 0; i < c->hi; i++)
		if (c->t[i].id == id && live(&c->t[i], now))
			return &c->t[i];
	return NULL;
}

void credit_data(struct credit *c, const struct rg_addr *client, const char *instance,
		 uint32_t now)
{
	struct txn *x = find(c, client, instance, now);

	if (x)
		x->data = true;
}

/* The count of x if it is there and, when need_data, was asked at DATA;
 * x is forgotten. */
static unsigned take(struct txn *x, bool need_data)
{
	unsigned n = x && (x->data || !need_data) ? x->n : 0;

	if (x)
		x->id = 0;
	return n;
}

unsigned credit_complete(struct credit *c, const struct rg_addr *client, const char *instance,
			 uint32_t now)
{
	return take(find(c, client, instance, now), false);
}

unsigned credit_next(struct credit *c, const struct rg_addr *client, const char *instance,
		     uint32_t now)
{
	return take(find(c, client, instance, now), true);
}
