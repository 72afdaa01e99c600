/* xdp_loader.c - the libbpf skeleton, pinned maps, one link per interface. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "links.h"
#include "log.h"
#include "migrate.h"
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

static void set_sizes(struct rcptguard *skel, const struct config *c)
{
	bpf_map__set_max_entries(skel->maps.bans_v4, c->max_bans);
	bpf_map__set_max_entries(skel->maps.bans_v6, c->max_bans);
	bpf_map__set_max_entries(skel->maps.bans_prefix, c->max_prefix_bans);
	bpf_map__set_max_entries(skel->maps.allow_exact, c->max_allow);
	bpf_map__set_max_entries(skel->maps.allow_prefix, c->max_allow);
}

/* The maps are pinned under dir: the pin directory, or its staging
 * directory while a migration builds them. */
static int set_pins(struct rcptguard *skel, const char *dir, char *err, size_t errlen)
{
	struct bpf_map *map;
	char path[4096];

	bpf_object__for_each_map(map, skel->obj) {
		/* The RST buckets are the loaded program's own: not pinned. */
		if (map == skel->maps.rst_bucket)
			continue;
		if (pins_path(path, sizeof(path), dir, bpf_map__name(map)) < 0 ||
		    bpf_map__set_pin_path(map, path) < 0) {
			snprintf(err, errlen, "cannot set pin path for map %s", bpf_map__name(map));
			return -1;
		}
	}
	return 0;
}

static int load(struct rcptguard *skel, const char *dir, char *err, size_t errlen)
{
	int rc;

	if (set_pins(skel, dir, err, errlen) < 0)
		return -1;
	rc = rcptguard__load(skel);
	if (rc)
		snprintf(err, errlen, "cannot load the XDP program: %s", strerror(-rc));
	return rc ? -1 : 0;
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

/* The pinned maps are another layout (another version's, or other max_*
 * settings): build this build's maps beside them, carry every entry over,
 * move the links to the new program, then replace the pins. Until the
 * pins are replaced the old maps hold every ban, so a start that dies
 * here is redone by the next. *fresh says whether the state file must
 * put bans back (some could not be carried, or there were none). */
static int carry_over(struct rcptguard *skel, const struct config *c, const char *why,
		      bool *fresh, char *err, size_t errlen)
{
	char staging[PATH_MAX], q[600];
	struct migrate_counts n;
	struct rg_maps to;

	if (pins_path(staging, sizeof(staging), c->bpf_pin_dir, PINS_STAGING) < 0 ||
	    (mkdir(staging, 0700) < 0 && errno != EEXIST)) {
		snprintf(err, errlen, "cannot create %s/%s: %s", c->bpf_pin_dir, PINS_STAGING,
			 strerror(errno));
		return -1;
	}
	if (load(skel, staging, err, errlen) < 0 || maps_open(&to, staging, err, errlen) < 0)
		return -1;
	migrate_carry(c->bpf_pin_dir, &to, &n);
	/* The ports and answer first: the program acts on them at once. */
	if (xdp_apply(c, &to, err, errlen) < 0) {
		maps_close(&to);
		return -1;
	}
	links_move(&to, c->bpf_pin_dir, bpf_program__fd(skel->progs.rcptguard_xdp));
	maps_close(&to);
	if (migrate_commit(c->bpf_pin_dir, err, errlen) < 0)
		return -1;
	log_info("event=maps_migrated bans=%zu prefixes=%zu allows=%zu notes=%zu from=%s "
		 "expired=%zu refused=%zu", n.bans, n.prefixes, n.allows, n.notes,
		 log_quote(q, sizeof(q), why), n.expired, n.refused);
	/* Nothing carried may be a first start that died while pinning. */
	*fresh = n.refused || n.unreadable || !(n.bans + n.prefixes);
	return 0;
}

struct xdp_loaded *xdp_load(const struct config *c, struct rg_maps *m, bool *fresh,
			    char *err, size_t errlen)
{
	struct xdp_loaded *x = calloc(1, sizeof(*x));
	struct stale_ctx sc = { c, m };
	enum layout_match match;
	char why[256];
	int prog_fd;

	if (!x) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	libbpf_set_print(libbpf_quiet);
	if (pins_prepare(c->bpf_pin_dir, err, errlen) < 0)
		goto fail;
	x->skel = rcptguard__open();
	if (!x->skel) {
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(errno));
		goto fail;
	}
	set_sizes(x->skel, c);
	/* A migration that died: the old pins are still whole. */
	pins_drop_staging(c->bpf_pin_dir);
	match = migrate_compare(x->skel->obj, c->bpf_pin_dir, true, why, sizeof(why));
	/* No pinned maps yet: first start, or the first since a reboot. */
	*fresh = match == LAYOUT_NONE;
	if (match == LAYOUT_OTHER ? carry_over(x->skel, c, why, fresh, err, errlen) < 0 :
				    load(x->skel, c->bpf_pin_dir, err, errlen) < 0)
		goto fail;
	if (maps_open(m, c->bpf_pin_dir, err, errlen) < 0)
		goto fail;
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

int xdp_pins_check(const char *dir, char *err, size_t errlen)
{
	struct rcptguard *skel = rcptguard__open();
	char why[256];
	enum layout_match match;

	if (!skel) {
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(errno));
		return -1;
	}
	match = migrate_compare(skel->obj, dir, false, why, sizeof(why));
	rcptguard__destroy(skel);
	if (match != LAYOUT_OTHER)
		return 0;
	snprintf(err, errlen, "the maps pinned at %s were made by another rcptguard version "
		 "(%s); start rcptguardd: it carries their bans over to this version's maps",
		 dir, why);
	return -1;
}

void xdp_release(struct xdp_loaded *x)
{
	if (!x)
		return;
	rcptguard__destroy(x->skel);
	free(x);
}
