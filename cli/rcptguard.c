/* rcptguard.c - the admin CLI. It works on the pinned maps directly, so
 * every command here keeps working while the daemon is down. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "addr.h"
#include "config.h"
#include "duration.h"
#include "links.h"
#include "maps.h"
#include "names.h"
#include "pins.h"
#include "table.h"

/* Exit codes, documented in rcptguard(8). */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

#define DEFAULT_BAN_SECS 3600

struct ctx {
	struct config cfg;
	struct rg_maps maps;
	bool json;
};

static void usage(FILE *f)
{
	fputs("usage: rcptguard [-c FILE] [--pin-dir DIR] COMMAND [ARGS]\n"
	      "  ban ADDR[/LEN]... [--for DURATION] [--reason TEXT]\n"
	      "  unban ADDR[/LEN]...\n"
	      "  list [--json]\n"
	      "  allow add|del ADDR[/LEN]...\n"
	      "  allow list [--json]\n"
	      "  stats [--json]\n"
	      "  status [--json]\n"
	      "  detach\n"
	      "see rcptguard(8)\n", f);
}

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("rcptguard: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("; see 'rcptguard --help'\n", stderr);
	return EXIT_USAGE;
}

static int open_maps(struct ctx *x)
{
	char err[512];

	if (maps_open(&x->maps, x->cfg.bpf_pin_dir, err, sizeof(err)) < 0) {
		fprintf(stderr, "rcptguard: %s\n", err);
		return -1;
	}
	return 0;
}

/* Parse every address argument first, so a bad one changes nothing. */
static int parse_addrs(int argc, char **argv, struct rg_lpm_key *out)
{
	char err[256];

	for (int i = 0; i < argc; i++)
		if (addr_parse(argv[i], &out[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "rcptguard: %s\n", err);
			return -1;
		}
	return 0;
}

static int cmd_ban(struct ctx *x, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "for", required_argument, NULL, 'f' },
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	uint64_t secs = DEFAULT_BAN_SECS;
	const char *note = NULL;
	struct rg_lpm_key *keys;
	char err[256], dur[32], a[ADDR_STRLEN], by[ADDR_STRLEN];
	int opt, n, rc = EXIT_OK;

	optind = 0;             /* glibc: a full restart of option parsing */
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'f' && duration_parse(optarg, &secs, err, sizeof(err)) < 0)
			return usage_error("--for: %s", err);
		if (opt == 'r')
			note = optarg;
		if (opt == '?')
			return EXIT_USAGE;
	}
	n = argc - optind;
	if (n < 1)
		return usage_error("%s needs an address", "ban");
	keys = calloc((size_t)n, sizeof(*keys));
	if (!keys || parse_addrs(n, argv + optind, keys) < 0) {
		free(keys);
		return keys ? EXIT_USAGE : EXIT_FAIL;
	}
	if (open_maps(x) < 0) {
		free(keys);
		return EXIT_FAIL;
	}
	if (secs)
		duration_format(secs, dur, sizeof(dur));
	for (int i = 0; i < n; i++) {
		struct rg_lpm_key cover;
		int e = maps_ban(&x->maps, &keys[i], secs, RG_REASON_MANUAL, note);

		addr_format(&keys[i], a, sizeof(a));
		if (e < 0) {
			fprintf(stderr, "rcptguard: cannot ban %s: %s%s\n", a, strerror(-e),
				e == -E2BIG || e == -ENOMEM ?
				"; the ban map is full, raise max_bans or max_prefix_bans" : "");
			rc = EXIT_FAIL;
			continue;
		}
		printf("banned %s %s%s\n", a, secs ? "for " : "permanently", secs ? dur : "");
		if (maps_allow_overlaps(&x->maps, &keys[i], &cover)) {
			addr_format(&cover, by, sizeof(by));
			fprintf(stderr, "rcptguard: note: allow entry %s covers %s; "
				"allowlisted addresses are never dropped\n", by, a);
		}
	}
	free(keys);
	return rc;
}

/* unban and allow del: parse all, then delete each, reporting misses. */
static int delete_each(struct ctx *x, int argc, char **argv, const char *what,
		       int (*del)(const struct rg_maps *, const struct rg_lpm_key *))
{
	struct rg_lpm_key *keys;
	char a[ADDR_STRLEN];
	int rc = EXIT_OK;

	if (argc < 1)
		return usage_error("%s needs an address", what);
	keys = calloc((size_t)argc, sizeof(*keys));
	if (!keys || parse_addrs(argc, argv, keys) < 0) {
		free(keys);
		return keys ? EXIT_USAGE : EXIT_FAIL;
	}
	if (open_maps(x) < 0) {
		free(keys);
		return EXIT_FAIL;
	}
	for (int i = 0; i < argc; i++) {
		int e = del(&x->maps, &keys[i]);

		addr_format(&keys[i], a, sizeof(a));
		if (e == -ENOENT) {
			fprintf(stderr, "rcptguard: %s: no such %s entry; see '%s'\n", a, what,
				strcmp(what, "ban") == 0 ? "rcptguard list" : "rcptguard allow list");
			rc = EXIT_FAIL;
		} else if (e < 0) {
			fprintf(stderr, "rcptguard: cannot remove %s: %s\n", a, strerror(-e));
			rc = EXIT_FAIL;
		} else {
			printf("removed %s %s\n", what, a);
		}
	}
	free(keys);
	return rc;
}

struct ban_row {
	struct rg_lpm_key key;
	struct rg_ban ban;
	char note[RG_NOTE_LEN];
};

struct ban_rows {
	struct ban_row *v;
	size_t n, cap;
};

static int collect_ban(const struct rg_lpm_key *k, const struct rg_ban *b,
		       const char *note, void *arg)
{
	struct ban_rows *r = arg;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 256;
		struct ban_row *v = realloc(r->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n].key = *k;
	r->v[r->n].ban = *b;
	snprintf(r->v[r->n].note, sizeof(r->v[r->n].note), "%s", note);
	r->n++;
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	const struct rg_lpm_key *x = a, *y = b;
	int c = memcmp(&x->addr, &y->addr, sizeof(x->addr));

	return c ? c : (int)x->prefixlen - (int)y->prefixlen;
}

static int cmd_list(struct ctx *x)
{
	static const char *const head[] = { "ADDRESS", "REASON", "AGE", "EXPIRES", "PACKETS", "BYTES" };
	struct ban_rows rows = { 0 };
	uint64_t now = mono_ns(), wall = wall_secs();
	struct table t;

	if (open_maps(x) < 0)
		return EXIT_FAIL;
	if (maps_foreach_ban(&x->maps, collect_ban, &rows) < 0) {
		fprintf(stderr, "rcptguard: out of memory listing bans\n");
		free(rows.v);
		return EXIT_FAIL;
	}
	qsort(rows.v, rows.n, sizeof(*rows.v), key_cmp);
	table_init(&t, "llrrrr", head);
	if (x->json)
		printf("[");
	for (size_t i = 0; i < rows.n; i++) {
		const struct ban_row *r = &rows.v[i];
		uint64_t age = wall > r->ban.created_unix ? wall - r->ban.created_unix : 0;
		bool expired = r->ban.expires_ns && r->ban.expires_ns <= now;
		uint64_t left = r->ban.expires_ns && !expired ?
			(r->ban.expires_ns - now + 999999999ULL) / 1000000000ULL : 0;
		char a[ADDR_STRLEN], agebuf[32], exp[32], pk[24], by[24];
		const char *reason = r->note[0] ? r->note : reason_name(r->ban.reason);

		addr_format(&r->key, a, sizeof(a));
		if (x->json) {
			printf("%s\n {\"address\":", i ? "," : "");
			json_str(stdout, a);
			printf(",\"reason\":\"%s\",\"note\":", reason_name(r->ban.reason));
			json_str(stdout, r->note);
			printf(",\"created\":%llu,\"age_seconds\":%llu,\"permanent\":%s,"
			       "\"expired\":%s,\"expires_in_seconds\":%llu,\"packets\":%llu,"
			       "\"bytes\":%llu}",
			       (unsigned long long)r->ban.created_unix, (unsigned long long)age,
			       r->ban.expires_ns ? "false" : "true", expired ? "true" : "false",
			       (unsigned long long)left, (unsigned long long)r->ban.packets,
			       (unsigned long long)r->ban.bytes);
			continue;
		}
		duration_format(age, agebuf, sizeof(agebuf));
		if (!r->ban.expires_ns)
			snprintf(exp, sizeof(exp), "never");
		else if (expired)
			snprintf(exp, sizeof(exp), "expired");
		else
			duration_format(left, exp, sizeof(exp));
		snprintf(pk, sizeof(pk), "%llu", (unsigned long long)r->ban.packets);
		snprintf(by, sizeof(by), "%llu", (unsigned long long)r->ban.bytes);
		const char *cells[] = { a, reason, agebuf, exp, pk, by };
		if (table_add(&t, cells) < 0) {
			fprintf(stderr, "rcptguard: out of memory listing bans\n");
			break;
		}
	}
	if (x->json)
		printf("%s]\n", rows.n ? "\n" : "");
	else
		table_print(&t, stdout);
	table_free(&t);
	free(rows.v);
	return EXIT_OK;
}

struct allow_rows {
	struct rg_lpm_key *k;
	struct rg_allow *a;
	size_t n, cap;
};

static int collect_allow(const struct rg_lpm_key *k, const struct rg_allow *a, void *arg)
{
	struct allow_rows *r = arg;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct rg_lpm_key *nk = realloc(r->k, cap * sizeof(*nk));
		struct rg_allow *na = nk ? realloc(r->a, cap * sizeof(*na)) : NULL;

		if (nk)
			r->k = nk;
		if (!na)
			return -ENOMEM;
		r->a = na;
		r->cap = cap;
	}
	r->k[r->n] = *k;
	r->a[r->n++] = *a;
	return 0;
}

static int cmd_allow_list(struct ctx *x)
{
	static const char *const head[] = { "ADDRESS", "ORIGIN", "AGE" };
	struct allow_rows rows = { 0 };
	uint64_t wall = wall_secs();
	struct table t;
	int rc = EXIT_OK;

	if (open_maps(x) < 0)
		return EXIT_FAIL;
	if (maps_foreach_allow(&x->maps, collect_allow, &rows) < 0) {
		fprintf(stderr, "rcptguard: out of memory listing allow entries\n");
		rc = EXIT_FAIL;
		goto out;
	}
	table_init(&t, "lll", head);
	if (x->json)
		printf("[");
	for (size_t i = 0; i < rows.n; i++) {
		const char *origin = rows.a[i].origin == RG_ALLOW_CONFIG ? "config" : "manual";
		uint64_t age = wall > rows.a[i].created_unix ? wall - rows.a[i].created_unix : 0;
		char a[ADDR_STRLEN], agebuf[32];

		addr_format(&rows.k[i], a, sizeof(a));
		if (x->json) {
			printf("%s\n {\"address\":", i ? "," : "");
			json_str(stdout, a);
			printf(",\"origin\":\"%s\",\"created\":%llu}", origin,
			       (unsigned long long)rows.a[i].created_unix);
			continue;
		}
		duration_format(age, agebuf, sizeof(agebuf));
		const char *cells[] = { a, origin, agebuf };
		table_add(&t, cells);
	}
	if (x->json)
		printf("%s]\n", rows.n ? "\n" : "");
	else
		table_print(&t, stdout);
	table_free(&t);
out:
	free(rows.k);
	free(rows.a);
	return rc;
}

static int allow_add(const struct rg_maps *m, const struct rg_lpm_key *k)
{
	return maps_allow_add(m, k, RG_ALLOW_MANUAL);
}

static int cmd_allow(struct ctx *x, int argc, char **argv)
{
	struct rg_lpm_key *keys;
	char a[ADDR_STRLEN];
	int rc = EXIT_OK;

	if (argc < 1)
		return usage_error("allow needs %s", "add, del or list");
	if (strcmp(argv[0], "list") == 0)
		return argc == 1 ? cmd_allow_list(x) : usage_error("unexpected argument '%s'", argv[1]);
	if (strcmp(argv[0], "del") == 0)
		return delete_each(x, argc - 1, argv + 1, "allow", maps_allow_del);
	if (strcmp(argv[0], "add") != 0)
		return usage_error("allow: unknown subcommand '%s'", argv[0]);
	if (argc < 2)
		return usage_error("%s needs an address", "allow add");
	keys = calloc((size_t)argc - 1, sizeof(*keys));
	if (!keys || parse_addrs(argc - 1, argv + 1, keys) < 0) {
		free(keys);
		return keys ? EXIT_USAGE : EXIT_FAIL;
	}
	if (open_maps(x) < 0) {
		free(keys);
		return EXIT_FAIL;
	}
	for (int i = 0; i < argc - 1; i++) {
		int e = allow_add(&x->maps, &keys[i]);

		addr_format(&keys[i], a, sizeof(a));
		if (e < 0) {
			fprintf(stderr, "rcptguard: cannot allow %s: %s\n", a, strerror(-e));
			rc = EXIT_FAIL;
		} else {
			printf("allowed %s\n", a);
		}
	}
	free(keys);
	return rc;
}

static int cmd_stats(struct ctx *x)
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

static int cmd_status(struct ctx *x)
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

static int cmd_detach(struct ctx *x)
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

/* Commands that take only an optional --json. */
static int json_only(struct ctx *x, int argc, char **argv, int (*fn)(struct ctx *))
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			x->json = true;
		else
			return usage_error("unexpected argument '%s'", argv[i]);
	}
	return fn(x);
}

static int load_config(struct ctx *x, const char *path, bool explicit_path)
{
	char err[512];

	if (config_load(&x->cfg, path, err, sizeof(err)) == 0)
		return 0;
	/* No config installed: the defaults describe the default pins. */
	if (!explicit_path && access(path, F_OK) < 0 && errno == ENOENT) {
		config_defaults(&x->cfg);
		return 0;
	}
	fprintf(stderr, "rcptguard: %s\n", err);
	return -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = CONFIG_DEFAULT_PATH, *pin_dir = NULL, *cmd;
	struct ctx *x = calloc(1, sizeof(*x));
	bool explicit_path = false;
	int opt, rc;

	if (!x)
		return EXIT_FAIL;
	x->maps = (struct rg_maps){ -1, -1, -1, -1, -1, -1, -1, -1 };
	while ((opt = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': path = optarg; explicit_path = true; break;
		case 'p': pin_dir = optarg; break;
		case 'h': usage(stdout); free(x); return EXIT_OK;
		default: usage(stderr); free(x); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		free(x);
		return EXIT_USAGE;
	}
	if (load_config(x, path, explicit_path) < 0) {
		free(x);
		return EXIT_FAIL;
	}
	if (pin_dir)
		snprintf(x->cfg.bpf_pin_dir, sizeof(x->cfg.bpf_pin_dir), "%s", pin_dir);
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	if (strcmp(cmd, "ban") == 0)
		rc = cmd_ban(x, argc, argv);
	else if (strcmp(cmd, "unban") == 0)
		rc = delete_each(x, argc - 1, argv + 1, "ban", maps_unban);
	else if (strcmp(cmd, "list") == 0)
		rc = json_only(x, argc, argv, cmd_list);
	else if (strcmp(cmd, "allow") == 0)
		rc = cmd_allow(x, argc - 1, argv + 1);
	else if (strcmp(cmd, "stats") == 0)
		rc = json_only(x, argc, argv, cmd_stats);
	else if (strcmp(cmd, "status") == 0)
		rc = json_only(x, argc, argv, cmd_status);
	else if (strcmp(cmd, "detach") == 0)
		rc = argc == 1 ? cmd_detach(x) : usage_error("unexpected argument '%s'", argv[1]);
	else if (strcmp(cmd, "help") == 0)
		usage(stdout), rc = EXIT_OK;
	else
		rc = usage_error("unknown command '%s'", cmd);
	maps_close(&x->maps);
	free(x);
	return rc;
}
