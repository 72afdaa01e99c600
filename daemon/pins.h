/* pins.h - where the BPF objects live in bpffs. */
#ifndef RG_PINS_H
#define RG_PINS_H

#include <stddef.h>

/* The maps pinned under the pin directory, by name. */
extern const char *const pins_map_names[];

/* dir/name into buf; -1 if it does not fit. */
int pins_path(char *buf, size_t len, const char *dir, const char *name);

/* dir/links/IFNAME: the pinned XDP link of one interface. */
int pins_link_path(char *buf, size_t len, const char *dir, const char *ifname);

/* Mount bpffs on the pin directory's bpffs root if it is not mounted, then
 * create dir and dir/links. */
int pins_prepare(const char *dir, char *err, size_t errlen);

#endif
