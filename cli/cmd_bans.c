/* cmd_bans.c - ban, unban, list, allow. Through the daemon when it runs
 * (so its offender table hears of manual bans and unbans), on the pinned
 * maps when it does not. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "duration.h"
#include "allowlist.h"
#include "control.h"
#include "grow.h"
#include "json.h"
#include "names.h"
#include "sockkill.h"
#include "state.h"
#include "table.h"

/* A manual ban without --for. */
#define DEFAULT_BAN_SECS 3600

static void warn_allowlisted(const char *addr, const char *entry)
{
	fprintf(stderr, "rcptguard: note: allow entry %s covers %s; allowlisted addresses "
		"are never dropped or refused\n", entry, addr);
}

static void say_lifted(const char *ban, const char *entry)
{
	printf("the ban of %s no longer applies to %s: allowlisted addresses are never "
	       "dropped or refused\n", ban, entry);
}

/* One change per address argument: through the daemon while it runs, on
 * the pinned maps from the moment it does not. All addresses are parsed
 * first, so a bad one changes nothing. */
struct change {
	const char *done;               /* "banned", "removed ban", ... */
	const char *suffix;             /* after the address in the done line */
	/* The control request for one address, into w; returns its length. */
	int (*request)(const struct change *ch, const char *addr, const char **w);
	/* The same change on the maps: 0 or -errno. */
	int (*direct)(struct ctx *x, const struct change *ch, const struct rg_lpm_key *k);
	/* The front journals it, so the daemon keeps it; false: the state
	 * file does not hold this kind of change. */
	bool journaled;
	uint64_t secs;                  /* ban only */
	const char *note;
	bool ban, force;                /* ban: a wide one needs --force */
	char num[24];
};

static int each_address(struct ctx *x, int argc, char **argv, const char *what,
			const struct change *ch)
{
	struct rg_lpm_key *keys;
	char a[ADDR_STRLEN], covers[128];
	int rc = EXIT_OK;
	bool direct = false;

	if (argc < 1)
		return usage_error("%s needs an address", what);
	keys = calloc((size_t)argc, sizeof(*keys));
	if (!keys || parse_addrs(argc, argv, keys) < 0) {
		free(keys);
		return keys ? EXIT_USAGE : EXIT_FAIL;
	}
	for (int i = 0; ch->ban && i < argc; i++)
		if (addr_needs_force(&keys[i], &x->cfg.offenders.nat64, covers, sizeof(covers)) &&
		    !ch->force) {
			free(keys);
			return usage_error("%s covers %s; add --force to ban it anyway", argv[i],
					   covers);
		}
	for (int i = 0; i < argc; i++) {
		struct ctl_reply r = { 0 };
		int got = DAEMON_DOWN, e;

		addr_format(&keys[i], a, sizeof(a));
		if (!direct) {
			const char *w[5];

			got = ask(x, &r, false, ch->request(ch, a, w), w);
			if (got == EXIT_OK && r.n && *ctl_get(&r.rec[0], "allowlisted"))
				warn_allowlisted(a, ctl_get(&r.rec[0], "allowlisted"));
		}
		if (got == DAEMON_DOWN) {
			if (!direct && (store_lock(x) < 0 || store_open(x) < 0 ||
					(ch->journaled && store_journal(x) < 0))) {
				rc = EXIT_FAIL;
				break;
			}
			direct = true;
			e = ch->direct(x, ch, &keys[i]);
			got = EXIT_FAIL;
			if (e == 0 && ch->journaled && (x->unrecorded || store_flush(x) < 0))
				e = 1;  /* said why */
			if (e == -ENOENT)
				fprintf(stderr, "rcptguard: %s: no such %s entry\n", a, what);
			else if (e < 0)
				fprintf(stderr, "rcptguard: %s %s: %s%s\n", what, a, strerror(-e),
					e == -E2BIG || e == -ENOMEM ? "; the map is full, raise its "
					"max_* size in the config" : "");
			else if (e == 0)
				got = EXIT_OK;
		}
		/* Lifted bans come first, as allow_add_direct() says them. */
		for (size_t j = 0; got == EXIT_OK && j < r.n; j++)
			if (*ctl_get(&r.rec[j], "lifted"))
				say_lifted(ctl_get(&r.rec[j], "lifted"), ctl_get(&r.rec[j], "for"));
		for (size_t j = 0; got == EXIT_OK && j < r.n; j++)
			if (*ctl_get(&r.rec[j], "crowdsec"))
				printf("note: %s\n", ctl_get(&r.rec[j], "crowdsec"));
		ctl_free(&r);
		if (got == EXIT_OK) {
			printf("%s %s%s\n", ch->done, a, ch->suffix);
			if (ch->ban && addr_needs_force(&keys[i], &x->cfg.offenders.nat64, covers,
							sizeof(covers)))
				printf("note: %s covers %s\n", a, covers);
		} else
			rc = EXIT_FAIL;
	}
	free(keys);
	return rc;
}

static int ban_request(const struct change *ch, const char *addr, const char **w)
{
	int n = 0;

	w[n++] = "ban";
	if (ch->force)
		w[n++] = "--force";
	w[n++] = addr, w[n++] = ch->num;
	if (ch->note)
		w[n++] = ch->note;
	return n;
}

/* As the daemon would: the sessions the new ban covers end now. */
static void close_sessions(struct ctx *x, const struct rg_lpm_key *k)
{
	struct sockkill_result r = { 0 };
	char a[ADDR_STRLEN];
	int e = store_close_sessions(x, k, &r);

	addr_format(k, a, sizeof(a));
	if (e < 0 || r.failed)
		fprintf(stderr, "rcptguard: cannot close the open sessions of %s: %s\n", a,
			strerror(e < 0 ? -e : r.error));
	if (r.closed)
		fprintf(stderr, "rcptguard: closed %u open session%s of %s\n", r.closed,
			r.closed == 1 ? "" : "s", a);
}

/* The log lines' why: who changed it. */
static const char *by_cli(char *buf, size_t len)
{
	snprintf(buf, len, "by=cli uid=%d", (int)getuid());
	return buf;
}

/* A failed ban is said in the front's log line (the ban map is full...). */
static int ban_direct(struct ctx *x, const struct change *ch, const struct rg_lpm_key *k)
{
	char a[ADDR_STRLEN], by[ADDR_STRLEN], why[48];
	struct rg_lpm_key cover;
	int e = enforce_ban(x->enf, k, NULL, ch->secs, RG_REASON_MANUAL, ch->note, true,
			    by_cli(why, sizeof(why))) == ENF_BANNED ? 0 : 1;

	if (e == 0 && store_allow_overlaps(x, k, &cover)) {
		addr_format(k, a, sizeof(a));
		addr_format(&cover, by, sizeof(by));
		warn_allowlisted(a, by);
	}
	if (e == 0 && x->cfg.close_sessions)
		close_sessions(x, k);
	return e;
}

static int unban_request(const struct change *ch, const char *addr, const char **w)
{
	(void)ch;
	w[0] = "unban", w[1] = addr;
	return 2;
}

static int unban_direct(struct ctx *x, const struct change *ch, const struct rg_lpm_key *k)
{
	char why[48], a[ADDR_STRLEN], err[512];
	int e = enforce_unban(x->enf, k, by_cli(why, sizeof(why)));

	(void)ch;
	if (e != -ENOENT)
		return e;
	addr_format(k, a, sizeof(a));
	control_no_such_ban(x->enf, a, k, err, sizeof(err));
	fprintf(stderr, "rcptguard: %s\n", err);
	return 1;               /* said why */
}

static int allow_add_request(const struct change *ch, const char *addr, const char **w)
{
	(void)ch;
	w[0] = "allow", w[1] = "add", w[2] = addr;
	return 3;
}

static int lifted_in_map(const struct rg_lpm_key *k, const struct rg_ban *b, const char *note,
			 void *arg)
{
	char a[ADDR_STRLEN], e[ADDR_STRLEN];

	(void)b, (void)note;
	if (prefix_overlap(k, arg)) {
		addr_format(k, a, sizeof(a));
		addr_format(arg, e, sizeof(e));
		say_lifted(a, e);
	}
	return 0;
}

static int allow_add_direct(struct ctx *x, const struct change *ch, const struct rg_lpm_key *k)
{
	int e = enforce_allow_add(x->enf, k);

	(void)ch;
	if (e == 0)
		enforce_records(x->enf, lifted_in_map, (void *)k);
	return e;
}

static int allow_del_request(const struct change *ch, const char *addr, const char **w)
{
	(void)ch;
	w[0] = "allow", w[1] = "del", w[2] = addr;
	return 3;
}

static int allow_del_direct(struct ctx *x, const struct change *ch, const struct rg_lpm_key *k)
{
	(void)ch;
	return enforce_allow_del(x->enf, k);
}

int cmd_ban(struct ctx *x, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "for", required_argument, NULL, 'f' },
		{ "reason", required_argument, NULL, 'r' },
		{ "force", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 }
	};
	struct change ch = { .done = "banned", .request = ban_request, .direct = ban_direct,
			     .journaled = true, .secs = DEFAULT_BAN_SECS, .ban = true };
	char err[256], suffix[48], dur[32];
	int opt;

	optind = 0;             /* glibc: a full restart of option parsing */
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'f' && duration_parse(optarg, &ch.secs, err, sizeof(err)) < 0)
			return usage_error("--for: %s", err);
		if (opt == 'r' && strlen(optarg) >= RG_NOTE_LEN)
			return usage_error("--reason: '%s' is %zu bytes; at most %d fit", optarg,
					   strlen(optarg), RG_NOTE_LEN - 1);
		if (opt == 'r')
			ch.note = optarg;
		if (opt == 'F')
			ch.force = true;
		if (opt == '?')
			return EXIT_USAGE;
	}
	if (ch.secs)
		snprintf(ch.num, sizeof(ch.num), "%llu", (unsigned long long)ch.secs);
	else
		snprintf(ch.num, sizeof(ch.num), "permanent");
	duration_format(ch.secs, dur, sizeof(dur));
	snprintf(suffix, sizeof(suffix), ch.secs ? " for %s" : " permanently", dur);
	ch.suffix = suffix;
	return each_address(x, argc - optind, argv + optind, "ban", &ch);
}

/* One ban, from the daemon's records or from the maps. */
struct ban_row {
	struct rg_lpm_key key;
	char reason[24];
	char note[RG_NOTE_LEN];
	uint64_t created, expires;      /* unix; expires 0: permanent */
	bool expired;
	uint64_t packets, bytes;
	uint64_t rst_sent, rst_suppressed;      /* ban_action = rst */
};

struct ban_rows {
	struct ban_row *v;
	size_t n, cap;
};

static struct ban_row *new_row(struct ban_rows *r)
{
	if (grow(&r->v, &r->cap, r->n + 1, sizeof(*r->v), 256) < 0)
		return NULL;
	memset(&r->v[r->n], 0, sizeof(r->v[0]));
	return &r->v[r->n++];
}

static int row_from_map(const struct rg_lpm_key *k, const struct rg_ban *b,
			const char *note, void *arg)
{
	struct ban_row *row = new_row(arg);
	uint64_t now = mono_ns();

	if (!row)
		return -ENOMEM;
	row->key = *k;
	snprintf(row->reason, sizeof(row->reason), "%s", reason_name(b->reason));
	snprintf(row->note, sizeof(row->note), "%s", note);
	row->created = b->created_unix;
	row->expired = b->expires_ns && b->expires_ns <= now;
	row->expires = !b->expires_ns ? 0 : wall_secs() +
		(row->expired ? 0 : (b->expires_ns - now + 999999999ULL) / 1000000000ULL);
	row->packets = b->packets;
	row->bytes = b->bytes;
	row->rst_sent = b->rst_sent;
	row->rst_suppressed = b->rst_suppressed;
	return 0;
}

static int row_from_record(struct ban_rows *rows, const struct ctl_record *rec)
{
	struct ban_row *row = new_row(rows);
	char err[128];

	if (!row || addr_parse(ctl_get(rec, "address"), &row->key, err, sizeof(err)) < 0)
		return -1;
	snprintf(row->reason, sizeof(row->reason), "%s", ctl_get(rec, "reason"));
	snprintf(row->note, sizeof(row->note), "%s", ctl_get(rec, "note"));
	row->created = strtoull(ctl_get(rec, "created"), NULL, 10);
	row->expires = strtoull(ctl_get(rec, "expires"), NULL, 10);
	row->expired = strcmp(ctl_get(rec, "expired"), "1") == 0;
	row->packets = strtoull(ctl_get(rec, "packets"), NULL, 10);
	row->bytes = strtoull(ctl_get(rec, "bytes"), NULL, 10);
	row->rst_sent = strtoull(ctl_get(rec, "rst_sent"), NULL, 10);
	row->rst_suppressed = strtoull(ctl_get(rec, "rst_suppressed"), NULL, 10);
	return 0;
}

/* Every ban, however we can get it. */
static int collect_bans(struct ctx *x, struct ban_rows *rows)
{
	static const char *const w[] = { "list" };
	struct ctl_reply r;
	int got = ask(x, &r, false, 1, w);

	if (got == EXIT_OK) {
		for (size_t i = 0; i < r.n; i++)
			if (row_from_record(rows, &r.rec[i]) < 0) {
				fprintf(stderr, "rcptguard: a bad ban record from the daemon\n");
				got = EXIT_FAIL;
				break;
			}
		ctl_free(&r);
		return got;
	}
	if (got != DAEMON_DOWN)
		return got;
	if (store_open(x) < 0)
		return EXIT_FAIL;
	if (enforce_foreach(x->enf, row_from_map, rows) < 0) {
		fprintf(stderr, "rcptguard: out of memory listing bans\n");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static enum { SORT_ADDRESS, SORT_DROPPED, SORT_EXPIRES, SORT_AGE } sort_by;

static int row_cmp(const void *a, const void *b)
{
	const struct ban_row *x = a, *y = b;
	int c;

	switch (sort_by) {
	case SORT_DROPPED:
		if (x->packets != y->packets)
			return x->packets < y->packets ? 1 : -1;
		break;
	case SORT_EXPIRES:
		/* Soonest first; permanent bans last. */
		if ((x->expires ? x->expires : UINT64_MAX) != (y->expires ? y->expires : UINT64_MAX))
			return (x->expires ? x->expires : UINT64_MAX) <
			       (y->expires ? y->expires : UINT64_MAX) ? -1 : 1;
		break;
	case SORT_AGE:
		if (x->created != y->created)
			return x->created < y->created ? 1 : -1;
		break;
	case SORT_ADDRESS:
		break;
	}
	c = memcmp(&x->key.addr, &y->key.addr, sizeof(x->key.addr));
	return c ? c : (int)x->key.prefixlen - (int)y->key.prefixlen;
}

static void print_rows(const struct ban_rows *rows, bool json, const char *reason)
{
	static const char *const head[] = { "ADDRESS", "REASON", "AGE", "EXPIRES", "PACKETS", "BYTES",
					    "RSTS", "RSTS_CAPPED" };
	uint64_t wall = wall_secs();
	struct table t;
	struct json j;

	table_init(&t, "llrrrrrr", head);
	json_init(&j, stdout);
	if (json)
		json_array(&j);
	for (size_t i = 0; i < rows->n; i++) {
		const struct ban_row *r = &rows->v[i];
		uint64_t age = wall > r->created ? wall - r->created : 0;
		uint64_t left = r->expires > wall ? r->expires - wall : 0;
		char a[ADDR_STRLEN], agebuf[32], exp[32], pk[24], by[24], rs[24], rc[24];

		if (reason && strcmp(r->reason, reason) != 0)
			continue;
		addr_format(&r->key, a, sizeof(a));
		if (json) {
			json_object(&j);
			json_key(&j, "address");
			json_string(&j, a);
			json_key(&j, "reason");
			json_string(&j, r->reason);
			json_key(&j, "note");
			json_string(&j, r->note);
			json_key(&j, "created");
			json_uint(&j, r->created);
			json_key(&j, "age_seconds");
			json_uint(&j, age);
			json_key(&j, "permanent");
			json_bool(&j, !r->expires);
			json_key(&j, "expired");
			json_bool(&j, r->expired);
			json_key(&j, "expires_in_seconds");
			json_uint(&j, left);
			json_key(&j, "packets");
			json_uint(&j, r->packets);
			json_key(&j, "bytes");
			json_uint(&j, r->bytes);
			json_key(&j, "rst_sent");
			json_uint(&j, r->rst_sent);
			json_key(&j, "rst_suppressed");
			json_uint(&j, r->rst_suppressed);
			json_end(&j);
			continue;
		}
		duration_format(age, agebuf, sizeof(agebuf));
		if (!r->expires)
			snprintf(exp, sizeof(exp), "never");
		else if (r->expired)
			snprintf(exp, sizeof(exp), "expired");
		else
			duration_format(left, exp, sizeof(exp));
		snprintf(pk, sizeof(pk), "%llu", (unsigned long long)r->packets);
		snprintf(by, sizeof(by), "%llu", (unsigned long long)r->bytes);
		snprintf(rs, sizeof(rs), "%llu", (unsigned long long)r->rst_sent);
		snprintf(rc, sizeof(rc), "%llu", (unsigned long long)r->rst_suppressed);
		const char *cells[] = { a, r->note[0] ? r->note : r->reason, agebuf, exp, pk, by,
					rs, rc };
		if (table_add(&t, cells) < 0) {
			fprintf(stderr, "rcptguard: out of memory listing bans\n");
			break;
		}
	}
	if (json)
		json_end(&j);
	else
		table_print(&t, stdout);
	table_free(&t);
}

int cmd_list(struct ctx *x, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "sort", required_argument, NULL, 's' },
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	struct ban_rows rows = { 0 };
	const char *reason = NULL;
	int opt, rc;

	optind = 0;
	sort_by = SORT_ADDRESS;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'j')
			x->json = true;
		else if (opt == 'r')
			reason = optarg;
		else if (opt == 's' && strcmp(optarg, "dropped") == 0)
			sort_by = SORT_DROPPED;
		else if (opt == 's' && strcmp(optarg, "expires") == 0)
			sort_by = SORT_EXPIRES;
		else if (opt == 's' && strcmp(optarg, "age") == 0)
			sort_by = SORT_AGE;
		else if (opt == 's')
			return usage_error("--sort: '%s' must be dropped, expires or age", optarg);
		else
			return EXIT_USAGE;
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (reason && !reason_code(reason)) {
		char names[128] = "";

		for (unsigned i = 1; i < RG_REASON_MAX; i++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 i > 1 ? ", " : "", reason_name(i));
		return usage_error("--reason: '%s' is not a reason; the reasons are %s", reason,
				   names);
	}
	rc = collect_bans(x, &rows);
	if (rc == EXIT_OK) {
		char err[512];

		if (rows.n)
			qsort(rows.v, rows.n, sizeof(*rows.v), row_cmp);
		print_rows(&rows, x->json, reason);
		/* Set counters came with kernel 5.11; older ones count per rule only. */
		if (!x->json && store_open_quiet(x, err, sizeof(err)) == 0 &&
		    !(enforce_caps(x->enf) & BACKEND_PER_BAN_COUNTERS))
			printf("note: per-ban drop counters are not available on this kernel; "
			       "'rcptguard stats' counts every drop\n");
	}
	free(rows.v);
	return rc;
}

/* Only a ban that is gone counts as removed; one that stays is named. */
static int unban_rows(struct ctx *x, const struct ban_rows *rows)
{
	char a[ADDR_STRLEN], why[48];
	size_t removed = 0, failed = 0;

	by_cli(why, sizeof(why));
	for (size_t i = 0; i < rows->n; i++) {
		int e = enforce_unban(x->enf, &rows->v[i].key, why);

		if (e == -ENOENT)
			continue;       /* expired and swept meanwhile */
		if (e < 0) {
			addr_format(&rows->v[i].key, a, sizeof(a));
			fprintf(stderr, "rcptguard: unban %s: %s\n", a, strerror(-e));
			failed++;
			continue;
		}
		removed++;
	}
	if (!x->unrecorded && store_flush(x) < 0)
		x->unrecorded = true;
	printf("removed %zu bans\n", removed);
	if (failed)
		fprintf(stderr, "rcptguard: %zu bans could not be removed\n", failed);
	return failed || x->unrecorded ? EXIT_FAIL : EXIT_OK;
}

int cmd_unban(struct ctx *x, int argc, char **argv)
{
	struct ban_rows rows = { 0 };
	int rc;

	if (argc != 1 || strcmp(argv[0], "--all") != 0) {
		static const struct change ch = { .done = "removed ban", .suffix = "",
						   .request = unban_request, .direct = unban_direct,
						   .journaled = true };

		return each_address(x, argc, argv, "unban", &ch);
	}
	{
		static const char *const w[] = { "unban", "--all" };
		struct ctl_reply r;

		rc = ask(x, &r, false, 2, w);
		if (rc == EXIT_OK) {
			printf("removed %s bans\n", r.n ? ctl_get(&r.rec[0], "unbanned") : "0");
			ctl_free(&r);
		}
		if (rc != DAEMON_DOWN)
			return rc;
	}
	if (store_lock(x) < 0 || store_open(x) < 0 || store_journal(x) < 0)
		return EXIT_FAIL;
	if ((rc = enforce_foreach(x->enf, row_from_map, &rows)) < 0) {
		fprintf(stderr, "rcptguard: cannot list the bans: %s\n", strerror(-rc));
		free(rows.v);
		return EXIT_FAIL;
	}
	rc = unban_rows(x, &rows);
	free(rows.v);
	return rc;
}

struct allow_rows {
	struct rg_lpm_key *k;
	const char **origin;
	size_t n, kcap, ocap;
};

static int add_allow_row(struct allow_rows *r, const struct rg_lpm_key *k, const char *origin)
{
	if (grow(&r->k, &r->kcap, r->n + 1, sizeof(*r->k), 64) < 0 ||
	    grow(&r->origin, &r->ocap, r->n + 1, sizeof(*r->origin), 64) < 0)
		return -ENOMEM;
	r->k[r->n] = *k;
	r->origin[r->n++] = origin;
	return 0;
}

static int allow_from_map(const struct rg_lpm_key *k, const struct rg_allow *a, void *arg)
{
	return add_allow_row(arg, k, a->origin == RG_ALLOW_CONFIG ? "config" : "manual");
}

static int cmd_allow_list(struct ctx *x)
{
	static const char *const head[] = { "ADDRESS", "ORIGIN" };
	static const char *const w[] = { "allow", "list" };
	struct allow_rows rows = { 0 };
	struct ctl_reply r = { 0 };
	struct table t;
	struct json j;
	int rc = ask(x, &r, false, 2, w);
	char err[64];

	if (rc == EXIT_OK) {
		for (size_t i = 0; i < r.n; i++) {
			struct rg_lpm_key k;

			if (addr_parse(ctl_get(&r.rec[i], "address"), &k, err, sizeof(err)) == 0)
				add_allow_row(&rows, &k, strcmp(ctl_get(&r.rec[i], "origin"),
								"config") ? "manual" : "config");
		}
	} else if (rc == DAEMON_DOWN) {
		if (store_open(x) < 0 || enforce_allow_foreach(x->enf, allow_from_map, &rows) < 0)
			rc = EXIT_FAIL;
		else
			rc = EXIT_OK;
	}
	if (rc != EXIT_OK)
		goto out;
	table_init(&t, "ll", head);
	json_init(&j, stdout);
	if (x->json)
		json_array(&j);
	for (size_t i = 0; i < rows.n; i++) {
		char a[ADDR_STRLEN];

		addr_format(&rows.k[i], a, sizeof(a));
		if (x->json) {
			json_object(&j);
			json_key(&j, "address");
			json_string(&j, a);
			json_key(&j, "origin");
			json_string(&j, rows.origin[i]);
			json_end(&j);
		} else {
			const char *cells[] = { a, rows.origin[i] };

			table_add(&t, cells);
		}
	}
	if (x->json)
		json_end(&j);
	else
		table_print(&t, stdout);
	table_free(&t);
out:
	ctl_free(&r);
	free(rows.k);
	free(rows.origin);
	return rc;
}

int cmd_allow(struct ctx *x, int argc, char **argv)
{
	static const struct change add = { .done = "allowed", .suffix = "",
					   .request = allow_add_request, .direct = allow_add_direct };
	static const struct change del = { .done = "removed allow entry", .suffix = "",
					   .request = allow_del_request, .direct = allow_del_direct };

	if (argc < 1)
		return usage_error("allow needs %s", "add, del or list");
	if (strcmp(argv[0], "list") == 0) {
		for (int i = 1; i < argc; i++) {
			if (strcmp(argv[i], "--json") != 0)
				return usage_error("unexpected argument '%s'", argv[i]);
			x->json = true;
		}
		return cmd_allow_list(x);
	}
	if (strcmp(argv[0], "add") == 0)
		return each_address(x, argc - 1, argv + 1, "allow", &add);
	if (strcmp(argv[0], "del") == 0)
		return each_address(x, argc - 1, argv + 1, "allow", &del);
	return usage_error("allow: unknown subcommand '%s'", argv[0]);
}
