/* cmd_recipients.c - recipients compile and check: the recipients CDB. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"
#include "grow.h"
#include "json.h"
#include "recipients.h"
#include "qmail_tree.h"
#include "recipients_compile.h"
#include "table.h"
#include "verdict.h"

/* Addresses read from a qmail installation, as recipients source text,
 * with a count per domain for the summary. */
struct qmail_src {
	FILE *text;                     /* open_memstream */
	char *buf;
	size_t len;
	bool dry_run;
	struct table summary;
	size_t warnings;
	char **dom;
	size_t *count, ndom, dcap, ccap;
};

static void q_address(const char *entry, void *arg)
{
	struct qmail_src *q = arg;
	const char *at = strrchr(entry, '@');

	fprintf(q->dry_run ? stdout : q->text, "%s\n", entry);
	for (size_t i = 0; at && i < q->ndom; i++)
		if (strcmp(q->dom[i], at + 1) == 0)
			q->count[i]++;
}

static void q_domain(const char *domain, const char *kind, void *arg)
{
	struct qmail_src *q = arg;
	char n[24];
	size_t count = 0;

	for (size_t i = 0; i < q->ndom; i++)
		if (strcmp(q->dom[i], domain) == 0)
			count = q->count[i];
	snprintf(n, sizeof(n), "%zu", count);
	const char *cells[] = { domain, kind, n };
	table_add(&q->summary, cells);
}

static void q_warn(const char *msg, void *arg)
{
	((struct qmail_src *)arg)->warnings++;
	fprintf(stderr, "rcptguard: warning: %s\n", msg);
}

/* The domains of rcpthosts first (for the counts), then everything. */
static void q_collect(const char *domain, const char *kind, void *arg)
{
	struct qmail_src *q = arg;

	(void)kind;
	if (grow(&q->dom, &q->dcap, q->ndom + 1, sizeof(*q->dom), 16) < 0 ||
	    grow(&q->count, &q->ccap, q->ndom + 1, sizeof(*q->count), 16) < 0 ||
	    !(q->dom[q->ndom] = strdup(domain)))
		return;
	q->count[q->ndom++] = 0;
}

static void q_none(const char *entry, void *arg)
{
	(void)entry, (void)arg;
}

static void q_quiet(const char *msg, void *arg)
{
	(void)msg, (void)arg;
}

static void q_free(struct qmail_src *q)
{
	for (size_t i = 0; i < q->ndom; i++)
		free(q->dom[i]);
	free(q->dom);
	free(q->count);
	table_free(&q->summary);
	if (q->text)
		fclose(q->text);
	free(q->buf);
}

static int from_qmail(struct qmail_src *q, const struct qmail_tree_opts *o)
{
	static const char *const head[] = { "DOMAIN", "SERVED AS", "ADDRESSES" };
	const struct qmail_tree_out first = { q_none, q_collect, q_quiet, q };
	const struct qmail_tree_out out = { q_address, q_domain, q_warn, q };
	char err[512];

	table_init(&q->summary, "llr", head);
	if (!q->dry_run && !(q->text = open_memstream(&q->buf, &q->len))) {
		fprintf(stderr, "rcptguard: out of memory\n");
		return -1;
	}
	if (qmail_tree_read(o, &first, err, sizeof(err)) < 0 ||
	    qmail_tree_read(o, &out, err, sizeof(err)) < 0) {
		fprintf(stderr, "rcptguard: %s\n", err);
		return -1;
	}
	if (q->text && fflush(q->text) != 0)
		return -1;
	return 0;
}

static const char *db_path(const struct ctx *x, const char *given, const char *opt)
{
	if (given)
		return given;
	if (x->cfg.recipients[0])
		return x->cfg.recipients;
	usage_error("no recipients database in the config; give %s FILE.cdb", opt);
	return NULL;
}

static bool is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int compile(struct ctx *x, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "qmail", optional_argument, NULL, 'q' },
		{ "passwd", required_argument, NULL, 'p' },
		{ "uid-range", required_argument, NULL, 'u' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "mode", required_argument, NULL, 'm' },
		{ "for", required_argument, NULL, 'f' },
		{ "drop-negative", no_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 }
	};
	struct qmail_tree_opts qo = { NULL, "/etc/passwd", 500, 65000 };
	struct qmail_src q = { 0 };
	const char *out = NULL;
	struct compile_src *src = NULL;
	struct compile_stats st;
	size_t n = 0;
	int opt, rc = EXIT_FAIL;
	unsigned lo, hi;
	/* Readable by the daemon's user whatever the caller's umask. */
	unsigned long mode = 0644;
	struct compile_opts co = { 0, TARGET_RCPTGUARD, false };
	char *end;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		switch (opt) {
		case 'o': out = optarg; break;
		case 'q':
			/* --qmail, --qmail=DIR or --qmail DIR */
			qo.dir = optarg ? optarg : optind < argc && is_dir(argv[optind]) ?
				 argv[optind++] : "/var/qmail";
			break;
		case 'p': qo.passwd = optarg; break;
		case 'u':
			if (sscanf(optarg, "%u-%u", &lo, &hi) != 2 || lo > hi)
				return usage_error("--uid-range: '%s' must be MIN-MAX", optarg);
			qo.uid_min = lo, qo.uid_max = hi;
			break;
		case 'n': q.dry_run = true; break;
		case 'm':
			mode = strtoul(optarg, &end, 8);
			if (end == optarg || *end || mode > 0777)
				return usage_error("--mode: '%s' must be an octal mode like 0644",
						   optarg);
			break;
		case 'f':
			if (target_by_name(optarg, &co.target) < 0)
				return usage_error("--for: '%s' must be rcptguard, sagredo or "
						   "validrcptto-2006", optarg);
			break;
		case 'D': co.drop_negative = true; break;
		default: return EXIT_USAGE;
		}
	}
	if (q.dry_run && !qo.dir)
		return usage_error("--dry-run lists what --qmail finds; give --qmail");
	if (co.drop_negative && co.target != TARGET_VALIDRCPTTO_2006)
		return usage_error("--drop-negative is for --for validrcptto-2006, which reads no "
				   "negative entries");
	if (qo.dir) {
		if (from_qmail(&q, &qo) < 0)
			goto out;
		if (q.dry_run) {
			rc = EXIT_OK;
			goto out;
		}
	}
	if (!(out = db_path(x, out, "-o")))
		return q_free(&q), EXIT_USAGE;
	src = calloc((size_t)(argc - optind) + 2, sizeof(*src));
	if (!src)
		goto out;
	if (qo.dir) {
		static char name[4200];

		snprintf(name, sizeof(name), "qmail:%s", qo.dir);
		if (!(src[n].f = fmemopen(q.buf, q.len ? q.len : 1, "r")))
			goto out;
		src[n++].name = name;
	}
	if (optind == argc && !qo.dir)
		src[n++] = (struct compile_src){ "-", stdin };
	for (int i = optind; i < argc; i++, n++) {
		src[n].name = argv[i];
		src[n].f = strcmp(argv[i], "-") == 0 ? stdin : fopen(argv[i], "r");
		if (!src[n].f) {
			fprintf(stderr, "rcptguard: cannot open %s: %s\n", argv[i], strerror(errno));
			goto out;
		}
	}
	co.mode = (mode_t)mode;
	if (recipients_compile(src, n, out, &co, &st, stderr) == 0) {
		if (qo.dir)
			table_print(&q.summary, stdout);
		printf("compiled %s", out);
		if (co.target != TARGET_RCPTGUARD)
			printf(" for %s (%zu keys)", target_name(co.target), st.keys);
		printf(": %zu addresses, %zu catch-all domains, %zu negative entries",
		       st.addresses, st.catchalls, st.negatives);
		if (st.implied || st.dropped)
			printf(" (%zu need no key, %zu left out)", st.implied, st.dropped);
		printf(", %zu domains (%zu duplicates merged)%s\n", st.domains, st.duplicates,
		       q.warnings || st.warnings ? "; see the warnings above" : "");
		rc = EXIT_OK;
	}
out:
	for (size_t i = 0; src && i < n; i++)
		if (src[i].f && src[i].f != stdin)
			fclose(src[i].f);
	free(src);
	q_free(&q);
	return rc;
}

/* The rows of recipients check: a table, or a JSON array. */
struct rows {
	struct table t;
	struct json j;
};

static void check_row(struct ctx *x, struct rows *t, const char *addr, const char *verdict,
		      const char *key)
{
	if (x->json) {
		json_object(&t->j);
		json_key(&t->j, "address");
		json_string(&t->j, addr);
		json_key(&t->j, "verdict");
		json_string(&t->j, verdict);
		json_key(&t->j, "key");
		json_string(&t->j, key);
		json_end(&t->j);
	} else {
		const char *cells[] = { addr, verdict, *key ? key : "-" };

		table_add(&t->t, cells);
	}
}

/* The running daemon's answers, from the database it uses: EXIT_OK,
 * DAEMON_DOWN or EXIT_FAIL. A file it refused is named on stderr. */
static int check_daemon(struct ctx *x, struct rows *t, int argc, char **argv, int first)
{
	static const char *const st[] = { "status" };
	struct ctl_reply r;
	int rc;

	for (int i = first; i < argc; i++) {
		const char *w[] = { "recipients", "check", argv[i] };

		if ((rc = ask(x, &r, true, 3, w)) != EXIT_OK)
			return rc;
		/* The table escapes its cells itself. */
		if (r.n != 1) {
			fprintf(stderr, "rcptguard: unexpected answer from rcptguardd\n");
			ctl_free(&r);
			return EXIT_FAIL;
		}
		check_row(x, t, argv[i], ctl_get(&r.rec[0], "verdict"), ctl_get(&r.rec[0], "key"));
		ctl_free(&r);
	}
	if (ask(x, &r, true, 1, st) == EXIT_OK) {
		if (r.n && (x->json || ctl_escape(&r) == 0) &&
		    *ctl_get(&r.rec[0], "recipients_refused"))
			fprintf(stderr, "rcptguard: warning: rcptguardd answers from its last good "
				"database; it refused the file: %s\n",
				ctl_get(&r.rec[0], "recipients_refused"));
		ctl_free(&r);
	}
	return EXIT_OK;
}

/* Without the daemon (or with --db): the file itself. */
static int check_file(struct ctx *x, struct rows *t, const char *path, int argc, char **argv,
		      int first)
{
	struct recipients *r;
	struct rcpt_form postfix, qmail;
	char err[1024];

	verdict_forms(&x->cfg, &postfix, &qmail);
	if (!(r = recipients_open(path, err, sizeof(err)))) {
		fprintf(stderr, "rcptguard: %s\n", err);
		return EXIT_FAIL;
	}
	for (int i = first; i < argc; i++) {
		char key[RCPT_MAX + 16];
		const char *v = rcpt_verdict_name(recipients_lookup(r, argv[i], &postfix, key,
									     sizeof(key)));

		check_row(x, t, argv[i], v, key);
	}
	recipients_close(r);
	return EXIT_OK;
}

static int check(struct ctx *x, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' }, { "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const head[] = { "ADDRESS", "VERDICT", "KEY" };
	const char *path = NULL;
	struct rows t;
	int opt, rc = DAEMON_DOWN;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'd')
			path = optarg;
		else if (opt == 'j')
			x->json = true;
		else
			return EXIT_USAGE;
	}
	if (optind == argc)
		return usage_error("recipients check needs an address");
	table_init(&t.t, "lll", head);
	json_init(&t.j, stdout);
	t.t.utf8 = table_utf8_terminal();       /* the admin's addresses and keys */
	if (x->json)
		json_array(&t.j);
	/* The daemon's answer is the one mail gets; --db asks a file. */
	if (!path)
		rc = check_daemon(x, &t, argc, argv, optind);
	if (rc == DAEMON_DOWN)
		rc = (path = db_path(x, path, "--db")) ? check_file(x, &t, path, argc, argv, optind) :
		     EXIT_USAGE;
	if (x->json)
		json_end(&t.j);
	else if (rc == EXIT_OK)
		table_print(&t.t, stdout);
	table_free(&t.t);
	return rc;
}

/* Make the daemon read its database now; --force takes a file that lost
 * more than recipients_max_shrink. */
static int reload(struct ctx *x, int argc, char **argv)
{
	const char *w[] = { "recipients", "reload", "--force" };
	bool force = argc == 2 && strcmp(argv[1], "--force") == 0;
	struct ctl_reply r;
	int rc;

	if (argc > 2 || (argc == 2 && !force))
		return usage_error("usage: rcptguard recipients reload [--force]");
	rc = ask(x, &r, true, force ? 3 : 2, w);
	if (rc == DAEMON_DOWN) {
		fprintf(stderr, "rcptguard: rcptguardd is not running (no control socket at %s); "
			"it reads the database when it starts\n", x->cfg.control_socket);
		return EXIT_FAIL;
	}
	if (rc != EXIT_OK)
		return rc;
	printf("reloaded: %s keys, %s domains\n", r.n ? ctl_get(&r.rec[0], "keys") : "?",
	       r.n ? ctl_get(&r.rec[0], "domains") : "?");
	ctl_free(&r);
	return EXIT_OK;
}

int cmd_recipients(struct ctx *x, int argc, char **argv)
{
	if (argc < 1)
		return usage_error("recipients needs %s", "compile, check or reload");
	if (strcmp(argv[0], "compile") == 0)
		return compile(x, argc, argv);
	if (strcmp(argv[0], "check") == 0)
		return check(x, argc, argv);
	if (strcmp(argv[0], "reload") == 0)
		return reload(x, argc, argv);
	return usage_error("recipients: unknown subcommand '%s'", argv[0]);
}
