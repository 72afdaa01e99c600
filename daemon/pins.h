/* pins.h - where the BPF objects live in bpffs. */
#ifndef RG_PINS_H
#define RG_PINS_H

#include <stddef.h>

/* The maps pinned under the pin directory, by name. */
extern const char *const pins_map_names[];

/* The directory under the pin directory where a migration builds the
 * maps of a new layout before they replace the old pins (migrate.c). */
#define PINS_STAGING "migrating"

/* dir/name into buf; -1 if it does not fit. */
int pins_path(char *buf, size_t len, const char *dir, const char *name);

/* dir/links/IFNAME: the pinned XDP link of one interface. */
int pins_link_path(char *buf, size_t len, const char *dir, const char *ifname);

/* Mount bpffs on the pin directory's bpffs root if it is not mounted, then
 * create dir and dir/links. */
int pins_prepare(const char *dir, char *err, size_t errlen);

/* Unpin every map under dir/PINS_STAGING and remove it: what a migration
 * that died left behind. 0, or -errno of the first pin that stays. */
int pins_drop_staging(const char *dir);
/* The same, and every map pinned under dir (whatever version made it;
 * links stay). */
int pins_clear(const char *dir);

#endif
