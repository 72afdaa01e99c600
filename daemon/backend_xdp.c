/* backend_xdp.c - bans in the pinned XDP maps. */
#include <stdio.h>
#include <stdlib.h>
#include "backend.h"
#include "links.h"
#include "xdp_loader.h"

struct xdpb {
	struct rg_maps maps;
	struct xdp_loaded *xdp;         /* NULL when only the maps are open (ATTACH) */
};

#define MAPS(ctx) (&((struct xdpb *)(ctx))->maps)

/* After a failed load no map is open; links_detach() needs none. */
static const struct rg_maps no_maps = { -1, -1, -1, -1, -1, -1, -1, -1 };

static int detach_ours(const struct link_info *li, void *arg)
{
	links_detach(&no_maps, ((const struct config *)arg)->bpf_pin_dir, li->ifname);
	return 0;
}

static void *open_store(const struct config *c, enum backend_mode mode, struct backend_open *io,
			char *err, size_t errlen)
{
	struct xdpb *b = calloc(1, sizeof(*b));

	if (!b) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (mode == BACKEND_ATTACH) {
		if (maps_open(&b->maps, c->bpf_pin_dir, err, errlen) == 0)
			return b;
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
	return BACKEND_DROPS | BACKEND_PER_BAN_COUNTERS | BACKEND_COUNTS_PASSES;
}

static int ban(void *ctx, const struct rg_lpm_key *k, const struct backend_ban *b,
	       const struct rg_ban *old)
{
	(void)old;
	return maps_ban(MAPS(ctx), k, b->expires_ns, b->reason, b->note);
}

static int unban(void *ctx, const struct rg_lpm_key *k)
{
	return maps_unban(MAPS(ctx), k);
}

static int foreach(void *ctx, ban_cb cb, void *arg)
{
	return maps_foreach_ban(MAPS(ctx), cb, arg);
}

static int get(void *ctx, const struct rg_lpm_key *k, struct rg_ban *out)
{
	return maps_get_ban(MAPS(ctx), k, out);
}

static int allow_add(void *ctx, const struct rg_lpm_key *k, unsigned origin)
{
	return maps_allow_add(MAPS(ctx), k, origin);
}

static int allow_del(void *ctx, const struct rg_lpm_key *k)
{
	return maps_allow_del(MAPS(ctx), k);
}

static int allow_foreach(void *ctx, allow_cb cb, void *arg)
{
	return maps_foreach_allow(MAPS(ctx), cb, arg);
}

static int stats(void *ctx, struct rg_stats *out)
{
	return maps_read_stats(MAPS(ctx), out);
}

const struct backend_ops backend_xdp = {
	.name = "xdp", .open = open_store, .close = close_store, .apply = apply, .caps = caps,
	.ban = ban, .unban = unban, .foreach = foreach, .get = get,
	.allow_add = allow_add, .allow_del = allow_del, .allow_foreach = allow_foreach,
	.stats = stats,
};
