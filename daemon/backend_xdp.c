/* backend_xdp.c - bans in the pinned XDP maps; ctx is a struct rg_maps. */
#include "backend.h"

static int ban(void *ctx, const struct rg_lpm_key *k, uint64_t secs, unsigned reason,
	       const char *note)
{
	return maps_ban(ctx, k, secs, reason, note);
}

static int unban(void *ctx, const struct rg_lpm_key *k)
{
	return maps_unban(ctx, k);
}

static int foreach(void *ctx, ban_cb cb, void *arg)
{
	return maps_foreach_ban(ctx, cb, arg);
}

static bool has(void *ctx, const struct rg_lpm_key *k)
{
	struct rg_ban b;

	return maps_get_ban(ctx, k, &b) == 0;
}

static int allow_add(void *ctx, const struct rg_lpm_key *k, unsigned origin)
{
	return maps_allow_add(ctx, k, origin);
}

static int allow_del(void *ctx, const struct rg_lpm_key *k)
{
	return maps_allow_del(ctx, k);
}

static int allow_foreach(void *ctx, allow_cb cb, void *arg)
{
	return maps_foreach_allow(ctx, cb, arg);
}

static int stats(void *ctx, struct rg_stats *out)
{
	return maps_read_stats(ctx, out);
}

static void sweep(void *ctx, uint64_t now_ns, expired_cb cb, void *arg)
{
	maps_sweep_expired(ctx, now_ns, cb, arg);
}

static bool ban_counters(void *ctx)
{
	(void)ctx;
	return true;
}

const struct backend_ops backend_xdp = {
	.name = "xdp", .ban = ban, .unban = unban, .foreach = foreach, .has = has,
	.allow_add = allow_add, .allow_del = allow_del, .allow_foreach = allow_foreach,
	.stats = stats, .sweep = sweep, .ban_counters = ban_counters,
};
