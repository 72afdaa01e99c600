/* rcptguard.c - the admin CLI. It works on the kernel's store directly
 * (store.c), so every command here keeps working while the daemon is down. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "version.h"

static void usage(FILE *f)
{
	fputs("usage: rcptguard [-c FILE] [--pin-dir DIR] [--control-socket PATH] COMMAND [ARGS]\n"
	      "       rcptguard --version\n"
	      "  ban ADDR[/LEN]... [--for DURATION] [--reason TEXT]\n"
	      "  unban ADDR[/LEN]... | --all\n"
	      "  list [--json] [--sort=dropped|expires|age] [--reason REASON]\n"
	      "  show ADDR [--json]\n"
	      "  history [ADDR[/LEN]] [--since DURATION] [--json]\n"
	      "  top [--once] [--json] [-n N]\n"
	      "  allow add|del ADDR[/LEN]...\n"
	      "  allow list [--json]\n"
	      "  stats [--json|--prometheus]\n"
	      "  status [--json] [--quiet]\n"
	      "  reload\n"
	      "  detach\n"
	      "  dnsbl check ADDR\n"
	      "  recipients compile [-o FILE.cdb] [--mode OCTAL] [SOURCE...]\n"
	      "  recipients check [--db FILE.cdb] [--json] ADDRESS...\n"
	      "  recipients reload [--force]\n"
	      "  replay [-c FILE] [--json] [--bytes-per-attempt N] LOGFILE...\n"
	      "see rcptguard(8)\n", f);
}

int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("rcptguard: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("; see 'rcptguard --help'\n", stderr);
	return EXIT_USAGE;
}

int ask(struct ctx *x, struct ctl_reply *r, bool quiet, int n, const char *const *words)
{
	static bool noted;
	char err[512];

	switch (ctl_call(x->cfg.control_socket, words, n, r, err, sizeof(err))) {
	case CTL_OK:
		if (!r->error)
			return EXIT_OK;
		fprintf(stderr, "rcptguard: %s\n", r->error);
		ctl_free(r);
		return EXIT_FAIL;
	case CTL_DOWN:
		if (!quiet && !noted)
			fprintf(stderr, "rcptguard: note: rcptguardd is not running; working on the "
				"kernel's bans directly\n");
		noted = true;
		return DAEMON_DOWN;
	default:
		fprintf(stderr, "rcptguard: %s\n", err);
		return EXIT_FAIL;
	}
}

int parse_addrs(int argc, char **argv, struct rg_lpm_key *out)
{
	char err[256];

	for (int i = 0; i < argc; i++)
		if (addr_parse(argv[i], &out[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "rcptguard: %s\n", err);
			return -1;
		}
	return 0;
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
		{ "control-socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = CONFIG_DEFAULT_PATH, *pin_dir = NULL, *sock = NULL, *cmd;
	struct ctx *x = calloc(1, sizeof(*x));
	bool explicit_path = false;
	int opt, rc;

	if (!x)
		return EXIT_FAIL;
	x->maps = MAPS_NONE;
	while ((opt = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': path = optarg; explicit_path = true; break;
		case 'p': pin_dir = optarg; break;
		case 's': sock = optarg; break;
		case 'h': usage(stdout); free(x); return EXIT_OK;
		case 'V': version_print(stdout, "rcptguard"); free(x); return EXIT_OK;
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
	if (sock)
		snprintf(x->cfg.control_socket, sizeof(x->cfg.control_socket), "%s", sock);
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	if (strcmp(cmd, "ban") == 0)
		rc = cmd_ban(x, argc, argv);
	else if (strcmp(cmd, "unban") == 0)
		rc = cmd_unban(x, argc - 1, argv + 1);
	else if (strcmp(cmd, "list") == 0)
		rc = cmd_list(x, argc, argv);
	else if (strcmp(cmd, "show") == 0)
		rc = cmd_show(x, argc, argv);
	else if (strcmp(cmd, "history") == 0)
		rc = cmd_history(x, argc, argv);
	else if (strcmp(cmd, "top") == 0)
		rc = cmd_top(x, argc, argv);
	else if (strcmp(cmd, "reload") == 0)
		rc = argc == 1 ? cmd_reload(x) : usage_error("unexpected argument '%s'", argv[1]);
	else if (strcmp(cmd, "allow") == 0)
		rc = cmd_allow(x, argc - 1, argv + 1);
	else if (strcmp(cmd, "stats") == 0)
		rc = cmd_stats(x, argc, argv);
	else if (strcmp(cmd, "status") == 0)
		rc = cmd_status(x, argc, argv);
	else if (strcmp(cmd, "dnsbl") == 0)
		rc = cmd_dnsbl(x, argc, argv);
	else if (strcmp(cmd, "replay") == 0)
		rc = cmd_replay(x, argc, argv);
	else if (strcmp(cmd, "recipients") == 0)
		rc = cmd_recipients(x, argc - 1, argv + 1);
	else if (strcmp(cmd, "detach") == 0)
		rc = argc == 1 ? cmd_detach(x) : usage_error("unexpected argument '%s'", argv[1]);
	else if (strcmp(cmd, "help") == 0)
		usage(stdout), rc = EXIT_OK;
	else
		rc = usage_error("unknown command '%s'", cmd);
	store_close(x);
	free(x);
	return rc;
}
