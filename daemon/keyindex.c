/* keyindex.c - see keyindex.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "duration.h"
#include "keyindex.h"

static uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

void keyindex_init(struct keyindex *x, size_t stride, size_t key_off, uint64_t seed)
{
	if (!seed && getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = mono_ns() ^ wall_secs() << 32;
	*x = (struct keyindex){ .stride = stride, .key_off = key_off,
				.k0 = seed * 0x9e3779b97f4a7c15ULL + 1,
				.k1 = rotl(seed, 17) ^ 0xc2b2ae3d27d4eb4fULL };
}

void keyindex_free(struct keyindex *x)
{
	free(x->slot);
	x->slot = NULL;
	x->slots = 0;
}

static const struct rg_lpm_key *key_at(const struct keyindex *x, const void *base, uint32_t i)
{
	return (const struct rg_lpm_key *)((const char *)base + i * x->stride + x->key_off);
}

/* A keyed mix of the 20-byte key (SipHash-like rounds). */
static uint64_t hash(const struct keyindex *x, const struct rg_lpm_key *k)
{
	uint64_t v0 = x->k0 ^ 0x736f6d6570736575ULL, v1 = x->k1 ^ 0x646f72616e646f6dULL;
	uint64_t w[3] = { 0, 0, k->prefixlen };

	memcpy(&w[0], k->addr.a, 8);
	memcpy(&w[1], k->addr.a + 8, 8);
	for (int i = 0; i < 3; i++) {
		v0 += w[i];
		v1 ^= v0;
		v0 = rotl(v0, 29) * 0x9e3779b97f4a7c15ULL;
		v1 = rotl(v1, 31) + v0;
	}
	v0 ^= v1 >> 33;
	v0 *= 0xff51afd7ed558ccdULL;
	return v0 ^ (v0 >> 29);
}

static bool same(const struct rg_lpm_key *a, const struct rg_lpm_key *b)
{
	return a->prefixlen == b->prefixlen && !memcmp(&a->addr, &b->addr, sizeof(a->addr));
}

/* The slot holding k, or the empty slot where it would go. */
static size_t find_slot(const struct keyindex *x, const void *base, const struct rg_lpm_key *k)
{
	size_t mask = x->slots - 1, s = hash(x, k) & mask;

	while (x->slot[s] != KEYINDEX_NONE && !same(key_at(x, base, x->slot[s]), k))
		s = (s + 1) & mask;
	return s;
}

uint32_t keyindex_find(const struct keyindex *x, const void *base, const struct rg_lpm_key *k)
{
	return x->slots ? x->slot[find_slot(x, base, k)] : KEYINDEX_NONE;
}

int keyindex_reserve(struct keyindex *x, const void *base, size_t n)
{
	return keyindex_reserve_for(x, base, n, n);
}

int keyindex_reserve_for(struct keyindex *x, const void *base, size_t n, size_t want)
{
	size_t slots = x->slots ? x->slots : 512;
	uint32_t *slot;

	while ((want + 1) * 2 > slots)
		slots *= 2;
	if (slots == x->slots)
		return 0;
	if (!(slot = malloc(slots * sizeof(*slot))))
		return -ENOMEM;
	free(x->slot);
	x->slot = slot;
	x->slots = slots;
	memset(slot, 0xff, slots * sizeof(*slot));
	for (size_t i = 0; i < n; i++)
		keyindex_insert(x, base, (uint32_t)i);
	return 0;
}

void keyindex_insert(struct keyindex *x, const void *base, uint32_t i)
{
	x->slot[find_slot(x, base, key_at(x, base, i))] = i;
}

void keyindex_remove(struct keyindex *x, const void *base, uint32_t i, uint32_t last)
{
	size_t mask = x->slots - 1, s = find_slot(x, base, key_at(x, base, i)), next;

	/* Backward shift: pull later members of the cluster into the hole. */
	for (next = (s + 1) & mask; x->slot[next] != KEYINDEX_NONE; next = (next + 1) & mask) {
		size_t home = hash(x, key_at(x, base, x->slot[next])) & mask;

		if (((next - home) & mask) >= ((next - s) & mask)) {
			x->slot[s] = x->slot[next];
			s = next;
		}
	}
	x->slot[s] = KEYINDEX_NONE;
	if (i != last)
		x->slot[find_slot(x, base, key_at(x, base, last))] = i;
}
