/* xdp_loader.h - load the XDP program with its maps pinned and attach it to
 * the configured interfaces; restarts reuse the pinned maps and links. */
#ifndef RG_XDP_LOADER_H
#define RG_XDP_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include "config.h"
#include "maps.h"

struct xdp_loaded;

/* Load (reusing pinned maps; maps of another layout or other max_* are
 * migrated first, migrate.h), attach every interface, write the ports.
 * Detaches pinned links of interfaces the config no longer names. On
 * success *m holds the open maps, and *fresh says whether they were made
 * now (nothing was pinned: a first start, or a reboot). */
struct xdp_loaded *xdp_load(const struct config *c, struct rg_maps *m, bool *fresh,
			    char *err, size_t errlen);
/* 0 when the maps pinned at dir are this build's layout (or none are);
 * -1 with err naming the difference and the fix (start the daemon). */
int xdp_pins_check(const char *dir, char *err, size_t errlen);
/* Apply a new config's ports, ban_action and rst_rate (interfaces need a
 * restart). */
int xdp_apply(const struct config *c, const struct rg_maps *m, char *err, size_t errlen);
/* Free userspace state; bans, maps and links stay pinned and enforced. */
void xdp_release(struct xdp_loaded *x);

#endif
