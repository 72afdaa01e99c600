/* migrate.h - carry the bans of maps pinned by another version (or with
 * other max_bans/max_prefix_bans/max_allow) into this build's maps. The
 * old maps are read by the ABI rules of bpf/rcptguard.h ("Maps another
 * version pinned"), whatever their layout; entries are written through
 * the ordinary map operations of maps.c. */
#ifndef RG_MIGRATE_H
#define RG_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include "maps.h"

struct bpf_object;

enum layout_match {
	LAYOUT_NONE,            /* nothing pinned: a first start or a reboot */
	LAYOUT_SAME,            /* every map as obj declares it */
	LAYOUT_OTHER,           /* another layout: why names the first difference */
};

/* The maps pinned under dir against obj's (opened, sizes set, not
 * loaded): type, key and value size, flags, and with with_max also
 * max_entries; a map missing or one obj does not have is another layout. */
enum layout_match migrate_compare(struct bpf_object *obj, const char *dir, bool with_max,
				  char *why, size_t len);

struct migrate_counts {
	size_t bans, prefixes, allows, notes;   /* carried */
	size_t expired;                         /* not carried: over already */
	size_t refused;                         /* not carried: logged, one line per kind */
	bool unreadable;                        /* a ban, allow or notes map of unknown shape */
};

/* Every live ban (counters, creation time, note), allow entry and
 * interface record pinned under dir, written into to. */
void migrate_carry(const char *dir, const struct rg_maps *to, struct migrate_counts *n);

/* The maps built under dir/PINS_STAGING replace those of dir (a rename
 * each), and maps of dir this build does not pin are unpinned. Until it
 * returns, dir still holds every ban: a migration that dies is redone at
 * the next start. 0, or -1 with the reason in err. */
int migrate_commit(const char *dir, char *err, size_t errlen);

#endif
