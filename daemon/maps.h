/* maps.h - operations on the pinned maps, shared by the daemon and the CLI
 * (which works on them directly when the daemon is down). */
#ifndef RG_MAPS_H
#define RG_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "backend.h"
#include "rcptguard.h"

struct rg_maps {
	int bans_v4, bans_v6, bans_prefix, allow_exact, allow_prefix;
	int ports, stats, notes, ifaces, settings, prefilter, prefilter_count;
	int allow_prefilter, allow_prefilter_count;
	/* The prefilters' bits and counts, mapped (maps_mmap). */
	uint64_t *pf_bits, *apf_bits;
	uint8_t *pf_counts, *apf_counts;
};

/* No map open. */
#define MAPS_NONE ((struct rg_maps){ -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, \
					 NULL, NULL, NULL, NULL })

/* Open every pinned map under dir. */
int maps_open(struct rg_maps *m, const char *dir, char *err, size_t errlen);
/* The same without mapping the prefilters (18 MB of the daemon's resident
 * set): for readers that change no ban or allow entry. */
int maps_open_fds(struct rg_maps *m, const char *dir, char *err, size_t errlen);
void maps_close(struct rg_maps *m);
/* Map the prefilter's bitmap and counts of open maps (maps_open does). */
int maps_mmap(struct rg_maps *m);

/* Count a new IPv4 single-address ban (v4: 4 bytes, network order) in the
 * ban prefilter before it enters bans_v4, for code that fills bans_v4
 * itself in batches (benchmarks); maps_ban() and maps_unban() keep the
 * prefilters otherwise, maps_allow_add() and maps_allow_del() the allow
 * prefilter. Every other write to the ban and allow maps must go through
 * them, or the program can miss a ban or an allow entry. */
void maps_prefilter_add(const struct rg_maps *m, const void *v4);

/* Ban k until expires_ns (CLOCK_MONOTONIC, duration_expiry_ns(); 0:
 * permanent). Re-banning keeps the counters and creation time and sets the
 * new expiry. note may be NULL. */
int maps_ban(const struct rg_maps *m, const struct rg_lpm_key *k, uint64_t expires_ns,
	     unsigned reason, const char *note);
/* Write b (counters, creation time and all) as the ban of k: an entry
 * carried over from another map layout. */
int maps_ban_carry(const struct rg_maps *m, const struct rg_lpm_key *k, const struct rg_ban *b,
		   const char *note);
/* The map that holds the ban k and k's key in it (a 4-byte IPv4 address,
 * an rg_addr or the LPM key itself). */
int maps_ban_fd(const struct rg_maps *m, const struct rg_lpm_key *k, const void **key);

/* Exactly this key (an LPM map lookup would match covering prefixes). */
int maps_get_ban(const struct rg_maps *m, const struct rg_lpm_key *k, struct rg_ban *out);
/* 0, or -ENOENT when there was no such ban. */
int maps_unban(const struct rg_maps *m, const struct rg_lpm_key *k);

/* Every entry of kind, exact keys first; stops when cb returns non-zero. */
int maps_walk(const struct rg_maps *m, enum backend_kind kind, backend_walk_cb cb, void *arg);

/* Every entry of one map whose keys and values have these sizes; stops
 * when fn returns non-zero. */
int maps_walk_fd(int fd, size_t key_size, size_t val_size,
		 int (*fn)(const void *key, void *val, void *arg), void *arg);

int maps_allow_add(const struct rg_maps *m, const struct rg_lpm_key *k, unsigned origin);
/* Write a (its creation time kept) as the allow entry of k. */
int maps_allow_carry(const struct rg_maps *m, const struct rg_lpm_key *k, const struct rg_allow *a);
int maps_allow_del(const struct rg_maps *m, const struct rg_lpm_key *k);

int maps_set_ports(const struct rg_maps *m, const uint16_t *ports, unsigned n);
int maps_get_ports(const struct rg_maps *m, struct rg_ports *out);

/* Global counters summed over all CPUs. */
int maps_read_stats(const struct rg_maps *m, struct rg_stats *sum);

/* How banned SYNs are answered: action is enum rg_ban_action, rate the
 * RSTs per second all CPUs may send together. */
int maps_set_answer(const struct rg_maps *m, unsigned action, uint32_t rate);

#endif
