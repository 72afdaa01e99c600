/* keyindex.h - the index of every table an attacker can fill (offenders,
 * the ban mirror): open addressing over the caller's dense array of
 * entries, 32-bit slots, linear probing, backward-shift deletion, hashed
 * with a random secret so chosen keys cannot be aimed at one cluster.
 * Entry i's key sits at base + i * stride + key_off; base may move
 * (realloc) between calls. */
#ifndef RG_KEYINDEX_H
#define RG_KEYINDEX_H

#include <stddef.h>
#include <stdint.h>
#include "rcptguard.h"

#define KEYINDEX_NONE UINT32_MAX

struct keyindex {
	uint32_t *slot;                 /* entry index, or KEYINDEX_NONE */
	size_t slots;                   /* power of two, at least twice the entries */
	uint64_t k0, k1;                /* the secret */
	size_t stride, key_off;
};

/* seed 0: a random one. */
void keyindex_init(struct keyindex *x, size_t stride, size_t key_off, uint64_t seed);
void keyindex_free(struct keyindex *x);
/* Entry index of k among base's entries, or KEYINDEX_NONE. */
uint32_t keyindex_find(const struct keyindex *x, const void *base, const struct rg_lpm_key *k);
/* Room for entry n (base holds n entries): 0, or -ENOMEM. */
int keyindex_reserve(struct keyindex *x, const void *base, size_t n);
/* The same with room for entry want at once (a bulk load: no rehash per
 * doubling on the way). */
int keyindex_reserve_for(struct keyindex *x, const void *base, size_t n, size_t want);
/* Index entry i, whose key is not indexed yet (after keyindex_reserve). */
void keyindex_insert(struct keyindex *x, const void *base, uint32_t i);
/* Drop entry i, before the caller moves entry last (the array's last)
 * into its place. */
void keyindex_remove(struct keyindex *x, const void *base, uint32_t i, uint32_t last);

#endif
