/* xdp_loader.h - load the XDP program with its maps pinned and attach it to
 * the configured interfaces; restarts reuse the pinned maps and links. */
#ifndef RG_XDP_LOADER_H
#define RG_XDP_LOADER_H

#include <stddef.h>
#include "config.h"
#include "maps.h"

struct xdp_loaded;

/* Load (reusing pinned maps), attach every interface, write ports and the
 * config's allow entries. Detaches pinned links of interfaces the config no
 * longer names. On success *m holds the open maps. */
struct xdp_loaded *xdp_load(const struct config *c, struct rg_maps *m,
			    char *err, size_t errlen);
/* Apply a new config's ports and allow entries (interfaces need a restart). */
int xdp_apply(const struct config *c, const struct rg_maps *m, char *err, size_t errlen);
/* Free userspace state; bans, maps and links stay pinned and enforced. */
void xdp_release(struct xdp_loaded *x);

#endif
