/* xdp_loader.c - the libbpf skeleton, pinned maps, one link per interface. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "links.h"
#include "log.h"
#include "pins.h"
#include "rcptguard.skel.h"
#include "xdp_loader.h"

struct xdp_loaded {
	struct rcptguard *skel;
};

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf's warnings explain failures we then report ourselves. */
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static int set_pins(struct rcptguard *skel, const struct config *c, char *err, size_t errlen)
{
	struct bpf_map *map;
	char path[4096];

	bpf_map__set_max_entries(skel->maps.bans_v4, c->max_bans);
	bpf_map__set_max_entries(skel->maps.bans_v6, c->max_bans);
	bpf_map__set_max_entries(skel->maps.bans_prefix, c->max_prefix_bans);
	bpf_map__set_max_entries(skel->maps.allow_exact, c->max_allow);
	bpf_map__set_max_entries(skel->maps.allow_prefix, c->max_allow);
	bpf_object__for_each_map(map, skel->obj) {
		/* The RST buckets are the loaded program's own: not pinned. */
		if (map == skel->maps.rst_bucket)
			continue;
		if (pins_path(path, sizeof(path), c->bpf_pin_dir, bpf_map__name(map)) < 0 ||
		    bpf_map__set_pin_path(map, path) < 0) {
			snprintf(err, errlen, "cannot set pin path for map %s", bpf_map__name(map));
			return -1;
		}
	}
	return 0;
}

int xdp_apply(const struct config *c, const struct rg_maps *m, char *err, size_t errlen)
{
	int rc = maps_set_ports(m, c->ports, c->n_ports);

	if (rc < 0) {
		snprintf(err, errlen, "cannot write the ports into the maps: %s", strerror(-rc));
		return -1;
	}
	rc = maps_set_answer(m, c->ban_action, c->rst_rate);
	if (rc < 0) {
		snprintf(err, errlen, "cannot write ban_action and rst_rate into the maps: %s",
			 strerror(-rc));
		return -1;
	}
	return 0;
}

struct stale_ctx {
	const struct config *c;
	const struct rg_maps *m;
};

static int detach_unlisted(const struct link_info *li, void *arg)
{
	struct stale_ctx *s = arg;

	for (unsigned i = 0; i < s->c->n_interfaces; i++)
		if (strcmp(s->c->interfaces[i], li->ifname) == 0)
			return 0;
	links_detach(s->m, s->c->bpf_pin_dir, li->ifname);
	log_info("event=detach ifname=%s why=not_in_config", li->ifname);
	return 0;
}

static bool pinned(const struct config *c, const char *name)
{
	char pin[4096];

	return pins_path(pin, sizeof(pin), c->bpf_pin_dir, name) == 0 && access(pin, F_OK) == 0;
}

struct xdp_loaded *xdp_load(const struct config *c, struct rg_maps *m, bool *fresh,
			    char *err, size_t errlen)
{
	struct xdp_loaded *x = calloc(1, sizeof(*x));
	struct stale_ctx sc = { c, m };
	int prog_fd, rc;
	bool recount;

	if (!x) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	libbpf_set_print(libbpf_quiet);
	if (pins_prepare(c->bpf_pin_dir, err, errlen) < 0)
		goto fail;
	/* No pinned bans yet: first start, or the first since a reboot. */
	*fresh = !pinned(c, "bans_v4");
	/* Prefilters made now must learn what reused maps already hold. */
	recount = !pinned(c, "prefilter_v4") || !pinned(c, "prefilter_v4_count") ||
		  !pinned(c, "allow_prefilter_v4") || !pinned(c, "allow_prefilter_v4_count");
	x->skel = rcptguard__open();
	if (!x->skel) {
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(errno));
		goto fail;
	}
	if (set_pins(x->skel, c, err, errlen) < 0)
		goto fail;
	rc = rcptguard__load(x->skel);
	if (rc) {
		snprintf(err, errlen, "cannot load the XDP program: %s; if the maps pinned at %s "
			 "were made by another version or with other max_bans/max_prefix_bans/"
			 "max_allow, restore those settings or run 'rcptguard detach' "
			 "(drops every ban)", strerror(-rc), c->bpf_pin_dir);
		goto fail;
	}
	if (maps_open(m, c->bpf_pin_dir, err, errlen) < 0)
		goto fail;
	if (recount) {
		long n = maps_prefilter_recount(m);

		if (n < 0) {
			snprintf(err, errlen, "cannot fill the new prefilter maps under %s from the "
				 "pinned bans: %s", c->bpf_pin_dir, strerror((int)-n));
			goto fail_maps;
		}
		if (n)
			log_info("event=prefilter_recount entries=%ld", n);
	}
	if (xdp_apply(c, m, err, errlen) < 0)
		goto fail_maps;
	links_foreach(m, c->bpf_pin_dir, detach_unlisted, &sc);
	prog_fd = bpf_program__fd(x->skel->progs.rcptguard_xdp);
	for (unsigned i = 0; i < c->n_interfaces; i++)
		if (links_attach(m, c->bpf_pin_dir, c->interfaces[i], prog_fd, c->xdp_mode,
				 NULL, err, errlen) < 0)
			goto fail_maps;
	return x;
fail_maps:
	maps_close(m);
fail:
	xdp_release(x);
	return NULL;
}

void xdp_release(struct xdp_loaded *x)
{
	if (!x)
		return;
	rcptguard__destroy(x->skel);
	free(x);
}
