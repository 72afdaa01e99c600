/* links.h - XDP links pinned per interface under PIN_DIR/links/IFNAME. */
#ifndef RG_LINKS_H
#define RG_LINKS_H

#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "maps.h"

struct link_info {
	char ifname[RG_IFNAME_LEN];
	uint32_t ifindex;
	uint32_t prog_id;
	uint32_t mode;                  /* enum rg_xdp_mode, 0 if unknown */
	uint64_t attached_unix;
};

/* Attach prog_fd to ifname in the requested mode, or move its existing
 * pinned link to prog_fd without a gap. Refuses to replace an XDP program
 * it did not attach. Records the attachment in the ifaces map. */
int links_attach(const struct rg_maps *m, const char *dir, const char *ifname,
		 int prog_fd, enum xdp_mode_cfg want, struct link_info *out,
		 char *err, size_t errlen);

/* Move every pinned link to prog_fd (bpf_link_update: each interface
 * changes program at once, no packet goes unchecked). Returns how many
 * could not be moved, each logged. */
int links_move(const struct rg_maps *m, const char *dir, int prog_fd);

/* Detach and unpin one interface's link; 0, or -ENOENT if none is pinned. */
int links_detach(const struct rg_maps *m, const char *dir, const char *ifname);

typedef int (*link_cb)(const struct link_info *li, void *arg);
/* Calls cb for every pinned link. */
int links_foreach(const struct rg_maps *m, const char *dir, link_cb cb, void *arg);

const char *links_mode_name(uint32_t mode);

#endif
