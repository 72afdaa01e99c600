/* cmd_status.c - stats, status, detach: the program and its pins. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "duration.h"
#include "links.h"
#include "names.h"
#include "pins.h"
#include "table.h"

int cmd_stats(struct ctx *x)
{
	static const char *const head[] = { "COUNTER", "PACKETS", "BYTES" };
	struct rg_stats s;
	struct table t;
	int e;

	if (open_maps(x) < 0)
		return EXIT_FAIL;
	if ((e = maps_read_stats(&x->maps, &s)) < 0) {
		fprintf(stderr, "rcptguard: cannot read counters: %s\n", strerror(-e));
		return EXIT_FAIL;
	}
	if (x->json) {
		printf("{");
		for (unsigned i = 0; i < RG_COUNTER_MAX; i++)
			printf("%s\"%s\":{\"packets\":%llu,\"bytes\":%llu}", i ? "," : "",
			       counter_name(i), (unsigned long long)s.packets[i],
			       (unsigned long long)s.bytes[i]);
		printf("}\n");
		return EXIT_OK;
	}
	table_init(&t, "lrr", head);
	for (unsigned i = 0; i < RG_COUNTER_MAX; i++) {
		char p[24], b[24];

		snprintf(p, sizeof(p), "%llu", (unsigned long long)s.packets[i]);
		snprintf(b, sizeof(b), "%llu", (unsigned long long)s.bytes[i]);
		const char *cells[] = { counter_name(i), p, b };
		table_add(&t, cells);
	}
	table_print(&t, stdout);
	table_free(&t);
	return EXIT_OK;
}

struct counts {
	size_t exact, prefix;
};

static int count_ban(const struct rg_lpm_key *k, const struct rg_ban *b,
		     const char *note, void *arg)
{
	struct counts *c = arg;

	(void)b;
	(void)note;
	if (k->prefixlen == 128)
		c->exact++;
	else
		c->prefix++;
	return 0;
}

static int count_allow(const struct rg_lpm_key *k, const struct rg_allow *a, void *arg)
{
	(void)k;
	(void)a;
	(*(size_t *)arg)++;
	return 0;
}

struct link_rows {
	struct table t;
	bool json;
	unsigned n;
};

static int show_link(const struct link_info *li, void *arg)
{
	struct link_rows *r = arg;
	char idx[16], prog[16], since[32];
	uint64_t wall = wall_secs();

	if (r->json) {
		printf("%s{\"interface\":", r->n ? "," : "");
		json_str(stdout, li->ifname);
		printf(",\"ifindex\":%u,\"mode\":\"%s\",\"program_id\":%u,\"attached\":%llu}",
		       li->ifindex, links_mode_name(li->mode), li->prog_id,
		       (unsigned long long)li->attached_unix);
	} else {
		snprintf(idx, sizeof(idx), "%u", li->ifindex);
		snprintf(prog, sizeof(prog), "%u", li->prog_id);
		duration_format(wall > li->attached_unix ? wall - li->attached_unix : 0,
				since, sizeof(since));
		const char *cells[] = { li->ifname, idx, links_mode_name(li->mode), prog, since };
		table_add(&r->t, cells);
	}
	r->n++;
	return 0;
}

static void port_list(const struct rg_ports *p, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned port = 0; port < 65536 && off < len; port++)
		if (p->bits[port >> 6] >> (port & 63) & 1)
			off += (size_t)snprintf(buf + off, len - off, "%s%u", off ? " " : "", port);
}

int cmd_status(struct ctx *x)
{
	static const char *const head[] = { "INTERFACE", "IFINDEX", "MODE", "PROGRAM", "ATTACHED" };
	struct link_rows lr = { .json = x->json };
	struct counts c = { 0 };
	size_t allow = 0;
	struct rg_ports ports;
	char plist[512] = "";

	if (open_maps(x) < 0)
		return EXIT_FAIL;
	maps_foreach_ban(&x->maps, count_ban, &c);
	maps_foreach_allow(&x->maps, count_allow, &allow);
	if (maps_get_ports(&x->maps, &ports) == 0)
		port_list(&ports, plist, sizeof(plist));
	table_init(&lr.t, "lrlrl", head);
	if (x->json) {
		printf("{\"pin_dir\":");
		json_str(stdout, x->cfg.bpf_pin_dir);
		printf(",\"interfaces\":[");
	}
	links_foreach(&x->maps, x->cfg.bpf_pin_dir, show_link, &lr);
	if (x->json) {
		printf("],\"ports\":\"%s\",\"bans_exact\":%zu,\"bans_prefix\":%zu,\"allow\":%zu}\n",
		       plist, c.exact, c.prefix, allow);
	} else {
		printf("pin dir:   %s\nports:     %s\nbans:      %zu addresses, %zu prefixes\n"
		       "allow:     %zu entries\n\n", x->cfg.bpf_pin_dir, plist, c.exact,
		       c.prefix, allow);
		if (lr.n)
			table_print(&lr.t, stdout);
		else
			printf("not attached to any interface: bans are kept but not enforced; "
			       "start rcptguardd\n");
	}
	table_free(&lr.t);
	return EXIT_OK;
}

static int detach_link(const struct link_info *li, void *arg)
{
	struct ctx *x = arg;

	if (links_detach(&x->maps, x->cfg.bpf_pin_dir, li->ifname) == 0)
		printf("detached %s\n", li->ifname);
	return 0;
}

int cmd_detach(struct ctx *x)
{
	char path[4096];
	int rc = EXIT_OK;

	if (open_maps(x) < 0)
		return EXIT_FAIL;
	links_foreach(&x->maps, x->cfg.bpf_pin_dir, detach_link, x);
	maps_close(&x->maps);
	for (size_t i = 0; pins_map_names[i]; i++)
		if (pins_path(path, sizeof(path), x->cfg.bpf_pin_dir, pins_map_names[i]) == 0 &&
		    unlink(path) < 0 && errno != ENOENT) {
			fprintf(stderr, "rcptguard: cannot remove %s: %s\n", path, strerror(errno));
			rc = EXIT_FAIL;
		}
	pins_link_path(path, sizeof(path), x->cfg.bpf_pin_dir, "");
	rmdir(path);
	if (rmdir(x->cfg.bpf_pin_dir) < 0 && errno != ENOENT) {
		fprintf(stderr, "rcptguard: cannot remove %s: %s\n", x->cfg.bpf_pin_dir,
			strerror(errno));
		rc = EXIT_FAIL;
	}
	if (rc == EXIT_OK)
		printf("removed the XDP program and every pinned map under %s\n",
		       x->cfg.bpf_pin_dir);
	return rc;
}
