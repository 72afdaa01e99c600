/* cmd_bans.c - ban, unban, list, allow: bans and allow entries in the
 * pinned maps. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "duration.h"
#include "names.h"
#include "table.h"

/* A manual ban without --for. */
#define DEFAULT_BAN_SECS 3600

int cmd_ban(struct ctx *x, int argc, char **argv)
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

int cmd_list(struct ctx *x)
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

int cmd_allow(struct ctx *x, int argc, char **argv)
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

int cmd_unban(struct ctx *x, int argc, char **argv)
{
	return delete_each(x, argc, argv, "ban", maps_unban);
}
