/* backend_start.c - one start function per backend, and the auto chain. */
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include "backend_start.h"
#include "links.h"
#include "log.h"

static int start_xdp(struct backend_run *b, const struct config *c, const char *saved_proof,
		     char *err, size_t errlen)
{
	(void)saved_proof;
	if (!c->n_interfaces) {
		snprintf(err, errlen, "no interface to protect: the config names none and no "
			 "default route exists; add 'interface = NAME'");
		return -1;
	}
	if (!(b->xdp = xdp_load(c, &b->maps, &b->fresh, err, errlen)))
		return -1;
	b->ops = &backend_xdp;
	b->ctx = &b->maps;
	return 0;
}

static int start_nft(struct backend_run *b, const struct config *c, const char *saved_proof,
		     char *err, size_t errlen)
{
	struct nft_start st = { .saved_proof = saved_proof };

	if (c->nft_hook == NFT_HOOK_INGRESS && !c->n_interfaces) {
		snprintf(err, errlen, "no interface for the ingress hook: the config names none "
			 "and no default route exists; add 'interface = NAME' or use "
			 "nft_hook = prerouting");
		return -1;
	}
	/* Newer kernels accept a hook on a device that does not exist (yet);
	 * a typo must not leave the server unprotected without a word. */
	for (unsigned i = 0; c->nft_hook == NFT_HOOK_INGRESS && i < c->n_interfaces; i++)
		if (!if_nametoindex(c->interfaces[i])) {
			snprintf(err, errlen, "cannot hook ingress on %s: no such interface; check "
				 "the interface lines in the config", c->interfaces[i]);
			return -1;
		}
	if (!(b->ctx = backend_nft_open(c, &st, err, errlen)))
		return -1;
	b->ops = &backend_nft;
	b->fresh = st.fresh;
	b->adopt = st.adopt;
	return 0;
}

static int start_none(struct backend_run *b, const struct config *c, const char *saved_proof,
		      char *err, size_t errlen)
{
	(void)c, (void)saved_proof;
	if (!(b->ctx = backend_none_new())) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	b->ops = &backend_none;
	b->fresh = true;
	return 0;
}

/* After a failed load no map is open; links_detach() needs none. */
static const struct rg_maps no_maps = { -1, -1, -1, -1, -1, -1, -1, -1 };

static int detach_ours(const struct link_info *li, void *arg)
{
	links_detach(&no_maps, ((const struct config *)arg)->bpf_pin_dir, li->ifname);
	return 0;
}

int backend_start(struct backend_run *b, const struct config *c, const char *saved_proof,
		  char *err, size_t errlen)
{
	static int (*const chain[])(struct backend_run *, const struct config *, const char *,
				    char *, size_t) = { start_xdp, start_nft, start_none };
	static const char *const names[] = { "xdp", "nft", "none", "nothing" };

	memset(b, 0, sizeof(*b));
	switch (c->backend) {
	case BACKEND_XDP: return start_xdp(b, c, saved_proof, err, errlen);
	case BACKEND_NFT: return start_nft(b, c, saved_proof, err, errlen);
	case BACKEND_NONE: return start_none(b, c, saved_proof, err, errlen);
	case BACKEND_AUTO: break;
	}
	for (unsigned i = 0; i < sizeof(chain) / sizeof(chain[0]); i++) {
		if (chain[i](b, c, saved_proof, err, errlen) == 0)
			return 0;
		log_warn("event=backend_fallback from=%s to=%s error=\"%s\"", names[i],
			 names[i + 1], err);
		/* No half-attached XDP program may stay behind the fallback. */
		if (i == 0 && c->n_interfaces)
			links_foreach(&no_maps, c->bpf_pin_dir, detach_ours, (void *)c);
	}
	return -1;
}

int backend_apply(struct backend_run *b, const struct config *c, char *err, size_t errlen)
{
	int rc;

	if (b->xdp)
		return xdp_apply(c, &b->maps, err, errlen);
	if (b->ops == &backend_nft && (rc = backend_nft_ports(b->ctx, c)) < 0) {
		snprintf(err, errlen, "cannot write the ports into table inet %s: %s",
			 c->nft_table, strerror(-rc));
		return -1;
	}
	return 0;
}

void backend_stop(struct backend_run *b)
{
	if (b->xdp) {
		maps_close(&b->maps);
		xdp_release(b->xdp);
	} else if (b->ops == &backend_nft) {
		backend_nft_close(b->ctx);
	} else if (b->ops == &backend_none) {
		backend_none_free(b->ctx);
	}
	memset(b, 0, sizeof(*b));
}
