/* cmd_recipients.c - recipients compile and check: the recipients CDB. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "recipients.h"
#include "recipients_compile.h"
#include "table.h"

static const char *db_path(const struct ctx *x, const char *given, const char *opt)
{
	if (given)
		return given;
	if (x->cfg.recipients[0])
		return x->cfg.recipients;
	usage_error("no recipients database in the config; give %s FILE.cdb", opt);
	return NULL;
}

static int compile(struct ctx *x, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' }, { NULL, 0, NULL, 0 }
	};
	const char *out = NULL;
	struct compile_src *src;
	struct compile_stats st;
	size_t n = 0;
	int opt, rc = EXIT_FAIL;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		if (opt == 'o')
			out = optarg;
		else
			return EXIT_USAGE;
	}
	if (!(out = db_path(x, out, "-o")))
		return EXIT_USAGE;
	src = calloc((size_t)(argc - optind) + 1, sizeof(*src));
	if (!src)
		return EXIT_FAIL;
	if (optind == argc)
		src[n++] = (struct compile_src){ "-", stdin };
	for (int i = optind; i < argc; i++, n++) {
		src[n].name = argv[i];
		src[n].f = strcmp(argv[i], "-") == 0 ? stdin : fopen(argv[i], "r");
		if (!src[n].f) {
			fprintf(stderr, "rcptguard: cannot open %s: %s\n", argv[i], strerror(errno));
			goto out;
		}
	}
	if (recipients_compile(src, n, out, &st, stderr) == 0) {
		printf("compiled %s: %zu addresses, %zu catch-all domains, %zu negative entries, "
		       "%zu domains (%zu duplicates merged)\n", out, st.addresses, st.catchalls,
		       st.negatives, st.domains, st.duplicates);
		rc = EXIT_OK;
	}
out:
	for (size_t i = 0; i < n; i++)
		if (src[i].f && src[i].f != stdin)
			fclose(src[i].f);
	free(src);
	return rc;
}

static int check(struct ctx *x, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' }, { "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const head[] = { "ADDRESS", "VERDICT", "KEY" };
	const char *path = NULL;
	struct recipients *r;
	struct table t;
	char err[512];
	int opt;

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
	if (!(path = db_path(x, path, "--db")))
		return EXIT_USAGE;
	if (!(r = recipients_open(path, err, sizeof(err)))) {
		fprintf(stderr, "rcptguard: %s\n", err);
		return EXIT_FAIL;
	}
	table_init(&t, "lll", head);
	if (x->json)
		printf("[");
	for (int i = optind; i < argc; i++) {
		char key[RCPT_MAX + 16];
		const char *v = rcpt_verdict_name(recipients_lookup(r, argv[i], key, sizeof(key)));

		if (x->json) {
			printf("%s\n {\"address\":", i > optind ? "," : "");
			json_str(stdout, argv[i]);
			printf(",\"verdict\":\"%s\",\"key\":", v);
			json_str(stdout, key);
			printf("}");
		} else {
			const char *cells[] = { argv[i], v, key[0] ? key : "-" };

			table_add(&t, cells);
		}
	}
	if (x->json)
		printf("\n]\n");
	else
		table_print(&t, stdout);
	table_free(&t);
	recipients_close(r);
	return EXIT_OK;
}

int cmd_recipients(struct ctx *x, int argc, char **argv)
{
	if (argc < 1)
		return usage_error("recipients needs %s", "compile or check");
	if (strcmp(argv[0], "compile") == 0)
		return compile(x, argc, argv);
	if (strcmp(argv[0], "check") == 0)
		return check(x, argc, argv);
	return usage_error("recipients: unknown subcommand '%s'", argv[0]);
}
