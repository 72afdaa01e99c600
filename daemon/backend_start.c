/* backend_start.c - the configured backend, or the auto chain. */
#include <stdio.h>
#include <string.h>
#include "backend_start.h"
#include "backend_nft.h"
#include "links.h"
#include "log.h"
#include "maps.h"

static const struct backend_ops *const by_config[] = {
	[BACKEND_XDP] = &backend_xdp, [BACKEND_NFT] = &backend_nft, [BACKEND_NONE] = &backend_none,
};

/* backend = auto: the first that starts. */
static const enum backend_cfg auto_chain[] = { BACKEND_XDP, BACKEND_NFT, BACKEND_NONE };
#define AUTO_N (sizeof(auto_chain) / sizeof(auto_chain[0]))

/* ban_action = rst on a store that can only drop (or only log) still
 * works as drop: said once per start or reload. */
static void check_answer(const struct backend_run *b, const struct config *c)
{
	unsigned caps = b->ops->caps ? b->ops->caps(b->ctx) : 0;

	if (c->ban_action == RG_ACTION_RST && !(caps & BACKEND_ANSWER_RST))
		log_warn("event=ban_action_unsupported backend=%s ban_action=rst using=drop "
			 "fix=\"use backend = xdp or nft, or ban_action = drop\"", b->ops->name);
}

static int start(struct backend_run *b, enum backend_cfg kind, enum backend_mode mode,
		 const struct config *c, const char *saved_proof, char *err, size_t errlen)
{
	const struct backend_ops *ops = by_config[kind];
	struct backend_open io = { .saved_proof = saved_proof };

	if (!(b->ctx = ops->open(c, mode, &io, err, errlen)))
		return -1;
	b->ops = ops;
	b->kind = kind;
	b->fresh = io.fresh;
	b->adopt = io.adopt;
	check_answer(b, c);
	return 0;
}

int backend_start(struct backend_run *b, const struct config *c, const char *saved_proof,
		  char *err, size_t errlen)
{
	memset(b, 0, sizeof(*b));
	if (c->backend != BACKEND_AUTO)
		return start(b, c->backend, BACKEND_SETUP, c, saved_proof, err, errlen);
	for (size_t i = 0; i < AUTO_N; i++) {
		if (start(b, auto_chain[i], BACKEND_TRY, c, saved_proof, err, errlen) == 0)
			return 0;
		log_warn("event=backend_fallback from=%s to=%s error=\"%s\"",
			 by_config[auto_chain[i]]->name,
			 i + 1 < AUTO_N ? by_config[auto_chain[i + 1]]->name : "nothing", err);
	}
	return -1;
}

int backend_apply(struct backend_run *b, const struct config *c, char *err, size_t errlen)
{
	int rc = b->ops->apply(b->ctx, c, err, errlen);

	if (rc == 0)
		check_answer(b, c);
	return rc;
}

void backend_stop(struct backend_run *b)
{
	if (b->ops)
		b->ops->close(b->ctx);
	memset(b, 0, sizeof(*b));
}

struct xdp_modes {
	uint32_t mode;                  /* of the first link; 0: none yet */
	bool mixed;
};

static int xdp_mode(const struct link_info *li, void *arg)
{
	struct xdp_modes *m = arg;

	if (m->mode && m->mode != li->mode)
		m->mixed = true;
	m->mode = li->mode;
	return 0;
}

void backend_mode(const struct backend_run *b, const struct config *c, char *buf, size_t len)
{
	struct xdp_modes xm = { 0 };
	struct rg_maps maps;
	char err[256];
	const char *hook;

	switch (b->kind) {
	case BACKEND_XDP:
		/* The links say what auto chose on each interface. */
		if (maps_open_fds(&maps, c->bpf_pin_dir, err, sizeof(err)) == 0) {
			links_foreach(&maps, c->bpf_pin_dir, xdp_mode, &xm);
			maps_close(&maps);
		}
		snprintf(buf, len, "%s", xm.mixed ? "mixed" : links_mode_name(xm.mode));
		break;
	case BACKEND_NFT:
		hook = backend_nft_hook(b->ctx);
		snprintf(buf, len, "%s", hook ? hook : "unknown");
		break;
	default:
		snprintf(buf, len, "log-only");
	}
}
