/* cmd_status.c - stats, status, detach: the program and its pins. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "backend_nft.h"
#include "cli.h"
#include "duration.h"
#include "grow.h"
#include "ifaces.h"
#include "json.h"
#include "links.h"
#include "names.h"
#include "prometheus.h"
#include "table.h"

/* Metrics, from the daemon or (when it is down) from the maps. */
struct metric {
	char name[64];
	char *help, *labels;            /* a followed file's label is as long as its path */
	double value;
};

struct metrics {
	struct metric *v;
	size_t n, cap;
};

static void add_metric(void *arg, const char *name, const char *help, const char *labels,
		       double v)
{
	struct metrics *m = arg;
	char *h = strdup(help), *l = strdup(labels);

	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct metric *nv = realloc(m->v, cap * sizeof(*nv));

		if (!nv) {
			free(h);
			free(l);
			return;
		}
		m->v = nv;
		m->cap = cap;
	}
	if (!h || !l) {
		free(h);
		free(l);
		return;
	}
	snprintf(m->v[m->n].name, sizeof(m->v[m->n].name), "%s", name);
	m->v[m->n].help = h;
	m->v[m->n].labels = l;
	m->v[m->n++].value = v;
}

/* Prometheus labels (name="value",...; \\, \" and \n escaped) as one
 * object; what follows a malformed label is left out. */
static void json_labels(struct json *j, const char *s)
{
	char name[64], val[sizeof(((struct metric *)0)->labels)];

	json_object(j);
	while (*s) {
		size_t n = strcspn(s, "=");
		size_t v = 0;

		if (n == 0 || n >= sizeof(name) || s[n] != '=' || s[n + 1] != '"')
			break;
		memcpy(name, s, n);
		name[n] = '\0';
		for (s += n + 2; *s && *s != '"' && v + 1 < sizeof(val); s++)
			val[v++] = *s == '\\' && s[1] ? (*++s == 'n' ? '\n' : *s) : *s;
		if (*s++ != '"')
			break;
		val[v] = '\0';
		json_key(j, name);
		json_string(j, val);
		if (*s == ',')
			s++;
	}
	json_end(j);
}

int cmd_stats(struct ctx *x, int argc, char **argv)
{
	static const char *const head[] = { "METRIC", "VALUE" };
	static const char *const w[] = { "stats" };
	struct ctl_reply r = { 0 };
	struct metrics m = { 0 };
	char v[PROM_VALUE_LEN];
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
			add_metric(&m, ctl_get(&r.rec[i], "name"), ctl_get(&r.rec[i], "help"),
				   ctl_get(&r.rec[i], "labels"),
				   strtod(ctl_get(&r.rec[i], "value"), NULL));
		ctl_free(&r);
	} else if (rc == DAEMON_DOWN) {
		/* The program's own counters are in the maps, daemon or not. */
		if (store_open(x) < 0 || enforce_drops(x->enf, &s) < 0)
			return EXIT_FAIL;
		prom_drops(&s, enforce_caps(x->enf), add_metric, &m);
	} else {
		return rc;
	}
	if (prom) {
		for (size_t i = 0; i < m.n; i++)
			prom_sample(stdout, i ? m.v[i - 1].name : NULL, m.v[i].name, m.v[i].help,
				    m.v[i].labels, m.v[i].value);
	} else if (x->json) {
		struct json j;

		json_init(&j, stdout);
		json_object(&j);
		json_key(&j, "metrics");
		json_array(&j);
		for (size_t i = 0; i < m.n; i++) {
			json_object(&j);
			json_key(&j, "name");
			json_string(&j, m.v[i].name);
			json_key(&j, "labels");
			json_labels(&j, m.v[i].labels);
			json_key(&j, "value");
			json_number_text(&j, prom_value(v, sizeof(v), m.v[i].value));
			json_end(&j);
		}
		json_end(&j);
		json_end(&j);
	} else {
		struct table t;

		table_init(&t, "lr", head);
		for (size_t i = 0; i < m.n; i++) {
			char name[192];

			snprintf(name, sizeof(name), "%s%s%s%s", m.v[i].name, *m.v[i].labels ? "{" : "",
				 m.v[i].labels, *m.v[i].labels ? "}" : "");
			prom_value(v, sizeof(v), m.v[i].value);
			const char *cells[] = { name, v };
			table_add(&t, cells);
		}
		table_print(&t, stdout);
		table_free(&t);
	}
	for (size_t i = 0; i < m.n; i++) {
		free(m.v[i].help);
		free(m.v[i].labels);
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

/* What status reports, gathered before any of it is printed. */
struct status {
	const struct ctl_record *d;     /* the daemon's record; NULL: not running */
	uint64_t up;
	bool store, xdp;                /* a store was opened; it is the XDP maps */
	const char *hook;               /* nft: the chain, NULL when missing */
	struct counts c;
	size_t allow;
	unsigned ports[CONFIG_MAX_PORTS], nports;
	struct link_info *links;
	size_t nlinks, cap;
	char problem[512];              /* why the bans are not enforced; "" when they are */
};

static int add_link(const struct link_info *li, void *arg)
{
	struct status *st = arg;

	if (grow(&st->links, &st->cap, st->nlinks + 1, sizeof(*st->links), 8) < 0)
		return -1;
	st->links[st->nlinks++] = *li;
	return 0;
}

static void ports_from_map(struct status *st, const struct rg_ports *p)
{
	for (unsigned port = 0; port < 65536 && st->nports < CONFIG_MAX_PORTS; port++)
		if (p->bits[port >> 6] >> (port & 63) & 1)
			st->ports[st->nports++] = port;
}

/* xdp: the program attached on every interface the config names (or
 * that carries a default route, as the daemon chooses them). */
static void check_links(struct ctx *x, struct status *st)
{
	if (!ifaces_default_routes(&x->cfg))
		snprintf(st->problem, sizeof(st->problem), "no interface to attach to: the config "
			 "names none and no default route exists");
	for (unsigned i = 0; i < x->cfg.n_interfaces && !*st->problem; i++) {
		bool on = false;

		for (size_t l = 0; l < st->nlinks; l++)
			on |= strcmp(st->links[l].ifname, x->cfg.interfaces[i]) == 0 &&
			      st->links[l].ifindex && st->links[l].prog_id;
		if (!on)
			snprintf(st->problem, sizeof(st->problem), "the XDP program is not attached "
				 "to %s", x->cfg.interfaces[i]);
	}
}

/* Health: the daemon up and its backend enforcing the bans. */
static int health(struct ctx *x, struct status *st)
{
	if (!st->d) {
		snprintf(st->problem, sizeof(st->problem), "rcptguardd is not running");
		return EXIT_DOWN;
	}
	if (strcmp(ctl_get(st->d, "backend"), "none") == 0)
		return EXIT_OK;         /* it only logs: up is all it can be */
	if (!st->store)
		snprintf(st->problem, sizeof(st->problem), "no %s store to enforce the bans",
			 ctl_get(st->d, "backend"));
	else if (st->xdp)
		check_links(x, st);
	else
		backend_nft_missing(x->store, st->problem, sizeof(st->problem));
	return *st->problem ? EXIT_NOT_ENFORCING : EXIT_OK;
}

static void print_daemon(const struct ctl_record *d, const char *up, bool store)
{
	if (d)
		printf("daemon:    running, pid %s, backend %s, up %s, %s offenders\n",
		       ctl_get(d, "pid"), ctl_get(d, "backend"), up, ctl_get(d, "offenders"));
	if (d)
		printf("version:   %s%s%s%s\n", ctl_get(d, "version"),
		       *ctl_get(d, "commit") ? " (git " : "", ctl_get(d, "commit"),
		       *ctl_get(d, "commit") ? ")" : "");
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
	if (d && *ctl_get(d, "reconciling"))
		printf("reconcile: reading the kernel's bans back for %s s (the state file's are "
		       "in force meanwhile)\n", ctl_get(d, "reconciling"));
	if (!d)
		printf("daemon:    not running%s\n", store ? " (bans stay enforced)" : "");
}

static void print_text(struct ctx *x, const struct status *st)
{
	static const char *const head[] = { "INTERFACE", "IFINDEX", "MODE", "PROGRAM", "ATTACHED" };
	char buf[32];
	struct table t;

	duration_format(st->up, buf, sizeof(buf));
	print_daemon(st->d, buf, st->store);
	if (!st->store)
		goto out;
	if (st->xdp)
		printf("pin dir:   %s\n", x->cfg.bpf_pin_dir);
	else
		printf("nftables:  table inet %s, chain %s%s\n", x->cfg.nft_table,
		       st->hook ? st->hook : "missing (bans are kept but not enforced; start "
		       "rcptguardd)", (enforce_caps(x->enf) & BACKEND_PER_BAN_COUNTERS) != 0 ? "" :
		       "; per-ban drop counters are not available on this kernel");
	printf("ports:    ");
	for (unsigned i = 0; i < st->nports; i++)
		printf(" %u", st->ports[i]);
	printf("\nbans:      %zu addresses, %zu prefixes\nallow:     %zu entries\n", st->c.exact,
	       st->c.prefix, st->allow);
	if (!st->xdp)
		goto out;
	printf("\n");
	if (!st->nlinks)
		printf("not attached to any interface: bans are kept but not enforced; start "
		       "rcptguardd\n");
	table_init(&t, "lrlrl", head);
	for (size_t i = 0; i < st->nlinks; i++) {
		const struct link_info *li = &st->links[i];
		char idx[16], prog[16], since[32];
		uint64_t wall = wall_secs();

		snprintf(idx, sizeof(idx), "%u", li->ifindex);
		snprintf(prog, sizeof(prog), "%u", li->prog_id);
		duration_format(wall > li->attached_unix ? wall - li->attached_unix : 0,
				since, sizeof(since));
		const char *cells[] = { li->ifname, idx, links_mode_name(li->mode), prog, since };
		table_add(&t, cells);
	}
	if (st->nlinks)
		table_print(&t, stdout);
	table_free(&t);
out:
	if (!st->d)
		printf("health:    down: %s\n", st->problem);
	else if (*st->problem)
		printf("health:    not enforcing: %s\n", st->problem);
	else
		printf("health:    ok\n");
}

static void print_json(struct ctx *x, const struct status *st)
{
	struct json j;

	json_init(&j, stdout);
	json_object(&j);
	json_key(&j, "daemon");
	if (st->d) {
		json_object(&j);
		ctl_json_fields(&j, st->d, NULL);
		json_key(&j, "uptime_seconds");
		json_uint(&j, st->up);
		json_end(&j);
	} else {
		json_null(&j);
	}
	json_key(&j, "store");
	if (st->store)
		json_string(&j, enforce_backend(x->enf));
	else
		json_null(&j);
	if (st->store && st->xdp) {
		json_key(&j, "pin_dir");
		json_string(&j, x->cfg.bpf_pin_dir);
		json_key(&j, "interfaces");
		json_array(&j);
		for (size_t i = 0; i < st->nlinks; i++) {
			const struct link_info *li = &st->links[i];

			json_object(&j);
			json_key(&j, "interface");
			json_string(&j, li->ifname);
			json_key(&j, "ifindex");
			json_uint(&j, li->ifindex);
			json_key(&j, "mode");
			json_string(&j, links_mode_name(li->mode));
			json_key(&j, "program_id");
			json_uint(&j, li->prog_id);
			json_key(&j, "attached");
			json_uint(&j, li->attached_unix);
			json_end(&j);
		}
		json_end(&j);
	} else if (st->store) {
		json_key(&j, "nft_table");
		json_string(&j, x->cfg.nft_table);
		json_key(&j, "nft_hook");
		if (st->hook)
			json_string(&j, st->hook);
		else
			json_null(&j);
	}
	json_key(&j, "ports");
	json_array(&j);
	for (unsigned i = 0; i < st->nports; i++)
		json_uint(&j, st->ports[i]);
	json_end(&j);
	if (st->store) {
		json_key(&j, "bans_exact");
		json_uint(&j, st->c.exact);
		json_key(&j, "bans_prefix");
		json_uint(&j, st->c.prefix);
		json_key(&j, "allow");
		json_uint(&j, st->allow);
		json_key(&j, "ban_counters");
		json_bool(&j, (enforce_caps(x->enf) & BACKEND_PER_BAN_COUNTERS) != 0);
	}
	json_key(&j, "enforcing");
	json_bool(&j, !*st->problem);
	json_key(&j, "problem");
	if (*st->problem)
		json_string(&j, st->problem);
	else
		json_null(&j);
	json_end(&j);
}

int cmd_status(struct ctx *x, int argc, char **argv)
{
	static const char *const w[] = { "status" };
	struct status st = { 0 };
	struct ctl_reply r = { 0 };
	bool quiet = false;
	char err[1024];
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			x->json = true;
		else if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0)
			quiet = true;
		else
			return usage_error("unexpected argument '%s'", argv[i]);
	}
	if ((rc = ask(x, &r, true, 1, w)) == EXIT_FAIL)
		return rc;
	st.d = rc == EXIT_OK && r.n ? &r.rec[0] : NULL;
	if (st.d) {
		uint64_t started = strtoull(ctl_get(st.d, "started"), NULL, 10), now = wall_secs();

		st.up = now > started ? now - started : 0;
		if (strcmp(ctl_get(st.d, "backend"), "none") == 0)
			x->cfg.backend = BACKEND_NONE;
		else
			x->cfg.backend = strcmp(ctl_get(st.d, "backend"), "nft") == 0 ?
					 BACKEND_NFT : BACKEND_XDP;
	}
	/* backend = none has no store; without a daemon nothing was ever started. */
	st.store = store_open_quiet(x, err, sizeof(err)) == 0;
	if (!st.store && !st.d && !quiet)
		fprintf(stderr, "rcptguard: %s\n", err);
	if (st.store) {
		st.xdp = x->cfg.backend == BACKEND_XDP &&
			 maps_open_fds(&x->maps, x->cfg.bpf_pin_dir, err, sizeof(err)) == 0;
		enforce_foreach(x->enf, count_ban, &st.c);
		enforce_allow_foreach(x->enf, count_allow, &st.allow);
		if (st.xdp) {
			struct rg_ports ports;

			if (maps_get_ports(&x->maps, &ports) == 0)
				ports_from_map(&st, &ports);
			links_foreach(&x->maps, x->cfg.bpf_pin_dir, add_link, &st);
		} else {
			st.hook = backend_nft_hook(x->store);
		}
	}
	for (unsigned i = 0; !st.xdp && i < x->cfg.n_ports; i++)
		st.ports[st.nports++] = x->cfg.ports[i];
	rc = health(x, &st);
	if (!quiet && x->json)
		print_json(x, &st);
	else if (!quiet)
		print_text(x, &st);
	free(st.links);
	ctl_free(&r);
	return rc;
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
	void *store = ops->open(&x->cfg, BACKEND_REMOVE, NULL, err, sizeof(err));
	struct rg_maps maps;
	int e;

	if (!store)
		return DAEMON_DOWN;
	if (links && maps_open_fds(&maps, x->cfg.bpf_pin_dir, err, sizeof(err)) == 0) {
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
