/* cmd_status.c - stats, status, detach: the program and its pins. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "backend_nft.h"
#include "cli.h"
#include "duration.h"
#include "links.h"
#include "names.h"
#include "prometheus.h"
#include "table.h"

/* Metrics, from the daemon or (when it is down) from the maps. */
struct metric {
	char name[64], labels[96];
	unsigned long long value;
};

struct metrics {
	struct metric *v;
	size_t n, cap;
};

static void add_metric(void *arg, const char *name, const char *labels, unsigned long long v)
{
	struct metrics *m = arg;

	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct metric *nv = realloc(m->v, cap * sizeof(*nv));

		if (!nv)
			return;
		m->v = nv;
		m->cap = cap;
	}
	snprintf(m->v[m->n].name, sizeof(m->v[m->n].name), "%s", name);
	snprintf(m->v[m->n].labels, sizeof(m->v[m->n].labels), "%s", labels);
	m->v[m->n++].value = v;
}

int cmd_stats(struct ctx *x, int argc, char **argv)
{
	static const char *const head[] = { "METRIC", "VALUE" };
	static const char *const w[] = { "stats" };
	struct ctl_reply r = { 0 };
	struct metrics m = { 0 };
	bool prom = false;
	struct rg_stats s;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			x->json = true;
		else if (strcmp(argv[i], "--prometheus") == 0)
			prom = true;
		else
			return usage_error("unexpected argument '%s'", argv[i]);
	}
	rc = ask(x, &r, false, 1, w);
	if (rc == EXIT_OK) {
		for (size_t i = 0; i < r.n; i++)
			add_metric(&m, ctl_get(&r.rec[i], "name"), ctl_get(&r.rec[i], "labels"),
				   strtoull(ctl_get(&r.rec[i], "value"), NULL, 10));
		ctl_free(&r);
	} else if (rc == DAEMON_DOWN) {
		/* The program's own counters are in the maps, daemon or not. */
		if (store_open(x) < 0 || enforce_drops(x->enf, &s) < 0)
			return EXIT_FAIL;
		prom_xdp(&s, add_metric, &m);
	} else {
		return rc;
	}
	if (prom) {
		for (size_t i = 0; i < m.n; i++)
			prom_sample(stdout, i ? m.v[i - 1].name : NULL, m.v[i].name, m.v[i].labels,
				    m.v[i].value);
	} else if (x->json) {
		printf("{\"metrics\":[");
		for (size_t i = 0; i < m.n; i++) {
			printf("%s{\"name\":\"%s\",\"labels\":", i ? "," : "", m.v[i].name);
			json_str(stdout, m.v[i].labels);
			printf(",\"value\":%llu}", m.v[i].value);
		}
		printf("]}\n");
	} else {
		struct table t;

		table_init(&t, "lr", head);
		for (size_t i = 0; i < m.n; i++) {
			char name[192], v[24];

			snprintf(name, sizeof(name), "%s%s%s%s", m.v[i].name, *m.v[i].labels ? "{" : "",
				 m.v[i].labels, *m.v[i].labels ? "}" : "");
			snprintf(v, sizeof(v), "%llu", m.v[i].value);
			const char *cells[] = { name, v };
			table_add(&t, cells);
		}
		table_print(&t, stdout);
		table_free(&t);
	}
	free(m.v);
	return EXIT_OK;
}

int cmd_reload(struct ctx *x)
{
	static const char *const w[] = { "reload" };
	struct ctl_reply r;
	int rc = ask(x, &r, true, 1, w);

	if (rc == DAEMON_DOWN) {
		fprintf(stderr, "rcptguard: rcptguardd is not running (no control socket at %s)\n",
			x->cfg.control_socket);
		return EXIT_FAIL;
	}
	if (rc == EXIT_OK) {
		const char *changed = r.n ? ctl_get(&r.rec[0], "changed") : "";
		const char *restart = r.n ? ctl_get(&r.rec[0], "needs_restart") : "";

		printf("reloaded\n");
		if (*changed)
			printf("changed: %s\n", changed);
		if (*restart)
			printf("needs restart: %s (the old values stay in force until "
			       "rcptguardd restarts)\n", restart);
		ctl_free(&r);
	}
	return rc;
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

static void print_daemon(const struct ctl_record *d, const char *up)
{
	if (d)
		printf("daemon:    running, pid %s, backend %s, up %s, %s offenders\n",
		       ctl_get(d, "pid"), ctl_get(d, "backend"), up, ctl_get(d, "offenders"));
	if (d && strcmp(ctl_get(d, "recipients"), "none") != 0)
		printf("recipients: %s, %s keys, %s domains\n", ctl_get(d, "recipients"),
		       ctl_get(d, "recipients_keys"), ctl_get(d, "recipients_domains"));
	if (d && *ctl_get(d, "recipients_refused"))
		printf("warning:   recipients file refused; the last good database stays in use: "
		       "%s\n", ctl_get(d, "recipients_refused"));
	if (d && *ctl_get(d, "follow_warning"))
		printf("warning:   followed log %s: whoever can write a line there can ban any "
		       "address (docs/qmail.md)\n", ctl_get(d, "follow_warning"));
	if (d && *ctl_get(d, "follow_error"))
		printf("error:     followed log %s (tried again every second; see the "
		       "daemon's follow_error line for the fix)\n", ctl_get(d, "follow_error"));
	if (d && strcmp(ctl_get(d, "crowdsec"), "up") == 0)
		printf("crowdsec:  up, %s decisions pulled\n", ctl_get(d, "crowdsec_decisions"));
	if (d && strcmp(ctl_get(d, "crowdsec"), "down") == 0)
		printf("crowdsec:  down (bans in force stay; retrying), %s decisions held: %s\n",
		       ctl_get(d, "crowdsec_decisions"), ctl_get(d, "crowdsec_error"));
	if (d && *ctl_get(d, "crowdsec_push"))
		printf("crowdsec:  pushes %s, %s queued\n", ctl_get(d, "crowdsec_push"),
		       ctl_get(d, "crowdsec_push_queued"));
	if (!d)
		printf("daemon:    not running (bans stay enforced)\n");
}

static void json_daemon(const struct ctl_record *d, uint64_t up)
{
	printf("{\"pid\":%s,\"backend\":\"%s\",\"uptime_seconds\":%llu,\"recipients_refused\":",
	       ctl_get(d, "pid"), ctl_get(d, "backend"), (unsigned long long)up);
	json_str(stdout, ctl_get(d, "recipients_refused"));
	printf(",\"crowdsec\":");
	json_str(stdout, ctl_get(d, "crowdsec"));
	printf("}");
}

int cmd_status(struct ctx *x)
{
	static const char *const head[] = { "INTERFACE", "IFINDEX", "MODE", "PROGRAM", "ATTACHED" };
	struct link_rows lr = { .json = x->json };
	struct counts c = { 0 };
	size_t allow = 0;
	struct rg_ports ports;
	char plist[512] = "", err[1024];
	static const char *const w[] = { "status" };
	struct ctl_reply r = { 0 };
	int rc = ask(x, &r, true, 1, w);
	const struct ctl_record *d = rc == EXIT_OK && r.n ? &r.rec[0] : NULL;
	uint64_t up = d ? wall_secs() - strtoull(ctl_get(d, "started"), NULL, 10) : 0;
	const char *hook = NULL;
	char upbuf[32];
	bool xdp, counters;

	if (rc == EXIT_FAIL)
		return rc;
	duration_format(up, upbuf, sizeof(upbuf));
	if (d && strcmp(ctl_get(d, "backend"), "none") == 0)
		x->cfg.backend = BACKEND_NONE;
	else if (d)
		x->cfg.backend = strcmp(ctl_get(d, "backend"), "nft") == 0 ? BACKEND_NFT : BACKEND_XDP;
	if (store_open_quiet(x, err, sizeof(err)) < 0) {
		/* backend = none has no store; otherwise nothing was ever started. */
		if (!d) {
			fprintf(stderr, "rcptguard: %s\n", err);
			return EXIT_FAIL;
		}
		if (x->json) {
			printf("{\"daemon\":");
			json_daemon(d, up);
			printf("}\n");
		} else
			print_daemon(d, upbuf);
		ctl_free(&r);
		return EXIT_OK;
	}
	xdp = x->cfg.backend == BACKEND_XDP &&
	      maps_open(&x->maps, x->cfg.bpf_pin_dir, err, sizeof(err)) == 0;
	counters = enforce_caps(x->enf) & BACKEND_PER_BAN_COUNTERS;
	enforce_foreach(x->enf, count_ban, &c);
	enforce_allow_foreach(x->enf, count_allow, &allow);
	if (xdp && maps_get_ports(&x->maps, &ports) == 0)
		port_list(&ports, plist, sizeof(plist));
	for (unsigned i = 0; !xdp && i < x->cfg.n_ports; i++)
		snprintf(plist + strlen(plist), sizeof(plist) - strlen(plist), "%s%u",
			 i ? " " : "", x->cfg.ports[i]);
	if (x->cfg.backend == BACKEND_NFT)
		hook = backend_nft_hook(x->store);
	table_init(&lr.t, "lrlrl", head);
	if (x->json) {
		printf("{\"daemon\":");
		if (d)
			json_daemon(d, up);
		else
			printf("null");
		printf(",");
		printf("\"store\":\"%s\",", enforce_backend(x->enf));
		if (xdp) {
			printf("\"pin_dir\":");
			json_str(stdout, x->cfg.bpf_pin_dir);
			printf(",\"interfaces\":[");
			links_foreach(&x->maps, x->cfg.bpf_pin_dir, show_link, &lr);
			printf("],");
		} else {
			printf("\"nft_table\":\"inet %s\",\"nft_hook\":\"%s\",", x->cfg.nft_table,
			       hook ? hook : "");
		}
		printf("\"ports\":\"%s\",\"bans_exact\":%zu,\"bans_prefix\":%zu,\"allow\":%zu,"
		       "\"ban_counters\":%s}\n", plist, c.exact, c.prefix, allow,
		       counters ? "true" : "false");
	} else {
		print_daemon(d, upbuf);
		if (xdp)
			printf("pin dir:   %s\n", x->cfg.bpf_pin_dir);
		else
			printf("nftables:  table inet %s, chain %s%s\n", x->cfg.nft_table,
			       hook ? hook : "missing (bans are kept but not enforced; start "
			       "rcptguardd)", counters ? "" :
			       "; per-ban drop counters are not available on this kernel");
		printf("ports:     %s\nbans:      %zu addresses, %zu prefixes\n"
		       "allow:     %zu entries\n", plist, c.exact, c.prefix, allow);
		if (xdp) {
			links_foreach(&x->maps, x->cfg.bpf_pin_dir, show_link, &lr);
			printf("\n");
			if (lr.n)
				table_print(&lr.t, stdout);
			else
				printf("not attached to any interface: bans are kept but not "
				       "enforced; start rcptguardd\n");
		}
	}
	table_free(&lr.t);
	ctl_free(&r);
	return EXIT_OK;
}

static int print_link(const struct link_info *li, void *arg)
{
	(void)arg;
	printf("detached %s\n", li->ifname);
	return 0;
}

/* The store of ops, removed through its destroy op; DAEMON_DOWN when
 * there is none. links: name the interfaces that lose the XDP program
 * (the status's view of the pins). */
static int detach_store(struct ctx *x, const struct backend_ops *ops, bool links)
{
	char err[512];
	void *store = ops->open(&x->cfg, BACKEND_ATTACH, NULL, err, sizeof(err));
	struct rg_maps maps;
	int e;

	if (!store)
		return DAEMON_DOWN;
	if (links && maps_open(&maps, x->cfg.bpf_pin_dir, err, sizeof(err)) == 0) {
		links_foreach(&maps, x->cfg.bpf_pin_dir, print_link, NULL);
		maps_close(&maps);
	}
	e = ops->destroy(store);
	ops->close(store);
	if (e < 0) {
		fprintf(stderr, "rcptguard: cannot remove the %s store: %s\n", ops->name,
			strerror(-e));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* Everything rcptguard put into the kernel, whichever backend made it. */
int cmd_detach(struct ctx *x)
{
	int a = detach_store(x, &backend_xdp, true), b = detach_store(x, &backend_nft, false);

	if (a == DAEMON_DOWN && b == DAEMON_DOWN) {
		fprintf(stderr, "rcptguard: nothing to detach: no rcptguard maps are pinned at %s "
			"and there is no nftables table inet %s\n", x->cfg.bpf_pin_dir,
			x->cfg.nft_table);
		return EXIT_FAIL;
	}
	if (a == EXIT_OK)
		printf("removed the XDP program and every pinned map under %s\n",
		       x->cfg.bpf_pin_dir);
	if (b == EXIT_OK)
		printf("removed nftables table inet %s with every ban in it\n", x->cfg.nft_table);
	return a == EXIT_FAIL || b == EXIT_FAIL ? EXIT_FAIL : EXIT_OK;
}
