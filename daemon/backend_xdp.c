/* backend_xdp.c - bans in the pinned XDP maps. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "backend.h"
#include "links.h"
#include "log.h"
#include "pins.h"
#include "xdp_loader.h"

struct xdpb {
	struct rg_maps maps;
	struct xdp_loaded *xdp;         /* NULL when only the maps are open (ATTACH) */
	char pin_dir[PATH_MAX];
};

#define MAPS(ctx) (&((struct xdpb *)(ctx))->maps)

/* After a failed load no map is open; links_detach() needs none. */
static const struct rg_maps no_maps = MAPS_NONE;

static int detach_ours(const struct link_info *li, void *arg)
{
	links_detach(&no_maps, ((const struct config *)arg)->bpf_pin_dir, li->ifname);
	return 0;
}

/* Any ban map pinned, whichever version named it (bans_*). */
static bool bans_pinned(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	bool any = false;

	while (d && !any && (de = readdir(d)))
		any = strncmp(de->d_name, "bans_", 5) == 0;
	if (d)
		closedir(d);
	return any;
}

static void *open_store(const struct config *c, enum backend_mode mode, struct backend_open *io,
			char *err, size_t errlen)
{
	struct xdpb *b = calloc(1, sizeof(*b));

	if (!b) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(b->pin_dir, sizeof(b->pin_dir), "%s", c->bpf_pin_dir);
	if (mode == BACKEND_ATTACH || mode == BACKEND_REMOVE) {
		/* Another version's maps are the daemon's to carry over. */
		if ((mode == BACKEND_REMOVE || xdp_pins_check(c->bpf_pin_dir, err, errlen) == 0) &&
		    maps_open(&b->maps, c->bpf_pin_dir, err, errlen) == 0)
			return b;
		/* Pins another version made (other maps, other values) can
		 * still be removed: destroy() needs only the pin directory. */
		if (mode == BACKEND_REMOVE && bans_pinned(c->bpf_pin_dir)) {
			b->maps = no_maps;
			return b;
		}
	} else if (!c->n_interfaces) {
		snprintf(err, errlen, "no interface to protect: the config names none and no "
			 "default route exists; add 'interface = NAME'");
	} else if ((b->xdp = xdp_load(c, &b->maps, &io->fresh, err, errlen))) {
		return b;
	} else if (mode == BACKEND_TRY) {
		/* No half-attached XDP program may stay behind the fallback. */
		links_foreach(&no_maps, c->bpf_pin_dir, detach_ours, (void *)c);
	}
	free(b);
	return NULL;
}

static void close_store(void *ctx)
{
	struct xdpb *b = ctx;

	if (!b)
		return;
	maps_close(&b->maps);
	if (b->xdp)
		xdp_release(b->xdp);
	free(b);
}

static int apply(void *ctx, const struct config *c, char *err, size_t errlen)
{
	return xdp_apply(c, MAPS(ctx), err, errlen);
}

static unsigned caps(void *ctx)
{
	(void)ctx;
	return BACKEND_DROPS | BACKEND_PER_BAN_COUNTERS | BACKEND_COUNTS_PASSES | BACKEND_ANSWER_RST;
}

static int put(void *ctx, const struct rg_lpm_key *k, const struct backend_rec *r)
{
	if (r->kind == BACKEND_ALLOW)
		return maps_allow_add(MAPS(ctx), k, r->allow.origin);
	return maps_ban(MAPS(ctx), k, r->ban.expires_ns, r->ban.reason, r->note);
}

static int del(void *ctx, enum backend_kind kind, const struct rg_lpm_key *k)
{
	return kind == BACKEND_ALLOW ? maps_allow_del(MAPS(ctx), k) : maps_unban(MAPS(ctx), k);
}

static int walk(void *ctx, enum backend_kind kind, backend_walk_cb cb, void *arg)
{
	return maps_walk(MAPS(ctx), kind, cb, arg);
}

static int get(void *ctx, const struct rg_lpm_key *k, struct backend_rec *out)
{
	*out = (struct backend_rec){ .kind = BACKEND_BAN, .note = "" };
	return maps_get_ban(MAPS(ctx), k, &out->ban);
}

static int stats(void *ctx, struct rg_stats *out)
{
	return maps_read_stats(MAPS(ctx), out);
}

static int detach_one(const struct link_info *li, void *arg)
{
	struct xdpb *b = arg;

	if (links_detach(&b->maps, b->pin_dir, li->ifname) == 0)
		log_info("event=detach ifname=%s", li->ifname);
	return 0;
}

/* Each link, then each pin (another version's too), then the
 * directories: whatever cannot be removed is named, and the rest still
 * goes. */
static int destroy(void *ctx)
{
	struct xdpb *b = ctx;
	char path[PATH_MAX + 64];
	int rc;

	links_foreach(&b->maps, b->pin_dir, detach_one, b);
	if ((rc = pins_clear(b->pin_dir)) < 0)
		log_err("event=destroy_failed path=%s error=\"%s\"", b->pin_dir, strerror(-rc));
	pins_link_path(path, sizeof(path), b->pin_dir, "");
	rmdir(path);
	if (rmdir(b->pin_dir) < 0 && errno != ENOENT && (rc = -errno))
		log_err("event=destroy_failed path=%s error=\"%s\"", b->pin_dir, strerror(errno));
	return rc;
}

const struct backend_ops backend_xdp = {
	.name = "xdp", .open = open_store, .close = close_store, .apply = apply,
	.destroy = destroy, .caps = caps,
	.put = put, .del = del, .walk = walk, .get = get, .stats = stats,
};
