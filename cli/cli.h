/* cli.h - what the rcptguard subcommands share. */
#ifndef RG_CLI_H
#define RG_CLI_H

#include <stdbool.h>
#include "addr.h"
#include "config.h"
#include "control_client.h"
#include "maps.h"

/* Exit codes, documented in rcptguard(8). */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

struct ctx {
	struct config cfg;
	struct rg_maps maps;
	bool json;
};

/* "rcptguard: <message>; see 'rcptguard --help'", returns EXIT_USAGE. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Open the pinned maps, or say why not; -1 on failure. */
int open_maps(struct ctx *x);
/* Parse every address argument first, so a bad one changes nothing. */
int parse_addrs(int argc, char **argv, struct rg_lpm_key *out);

/* Ask the daemon. EXIT_OK with its records in r; DAEMON_DOWN when it does
 * not run (a note says the CLI works on the maps instead, unless quiet);
 * EXIT_FAIL with the message printed (the daemon's own error included). */
#define DAEMON_DOWN (-1)
int ask(struct ctx *x, struct ctl_reply *r, bool quiet, int n, const char *const *words);

/* cmd_bans.c */
int cmd_ban(struct ctx *x, int argc, char **argv);
int cmd_unban(struct ctx *x, int argc, char **argv);
int cmd_list(struct ctx *x, int argc, char **argv);
int cmd_allow(struct ctx *x, int argc, char **argv);
/* cmd_status.c */
int cmd_stats(struct ctx *x, int argc, char **argv);
int cmd_status(struct ctx *x);
int cmd_detach(struct ctx *x);
int cmd_reload(struct ctx *x);
/* cmd_offenders.c */
int cmd_show(struct ctx *x, int argc, char **argv);
int cmd_top(struct ctx *x, int argc, char **argv);
/* cmd_dnsbl.c */
int cmd_dnsbl(struct ctx *x, int argc, char **argv);
/* cmd_recipients.c */
int cmd_recipients(struct ctx *x, int argc, char **argv);

#endif
