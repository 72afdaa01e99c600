/* cli.h - what the rcptguard subcommands share. */
#ifndef RG_CLI_H
#define RG_CLI_H

#include <stdbool.h>
#include "addr.h"
#include "backend.h"
#include "config.h"
#include "control_client.h"
#include "enforce.h"
#include "journal.h"
#include "maps.h"

/* Exit codes, documented in rcptguard(8). */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2,
       EXIT_DOWN = 3,                   /* status: rcptguardd is not running */
       EXIT_NOT_ENFORCING = 4 };        /* status: it runs, its backend drops nothing */

struct ctx {
	struct config cfg;
	struct rg_maps maps;            /* status and detach: the pinned maps */
	const struct backend_ops *ops;  /* the store opened by store_open() */
	void *store;
	struct enforcer *enf;           /* the front over it */
	struct journal *journal;        /* store_record()'s, once opened */
	bool unrecorded;                /* a change the journal could not take */
	int journal_lock;
	bool locked;                    /* journal_lock is held: store_lock() */
	bool json;
};

/* "rcptguard: <message>; see 'rcptguard --help'", returns EXIT_USAGE. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* store.c: the kernel's bans with the daemon down - the pinned maps or
 * the nftables table, whichever the backend uses, behind the same
 * enforcement front as the daemon's (x->enf: its checks and log lines).
 * -1 after saying why. */
int store_open(struct ctx *x);
/* The same without printing; err says why. */
int store_open_quiet(struct ctx *x, char *err, size_t errlen);
void store_close(struct ctx *x);
/* Changes made on the store are recorded in the state journal for the
 * daemon to apply when it starts. store_journal() locks the state
 * directory (until store_close()) before the first change, from when the
 * front's bans and unbans are queued as the daemon's are (a failure sets
 * unrecorded); store_record() queues one change line, store_flush() writes
 * and fsyncs the queue.
 * Each: 0, or -1 after saying why. */
int store_journal(struct ctx *x);
/* Take the state directory's lock before changing the kernel's entries
 * with the daemon down: a daemon that is starting holds it, and a change
 * made beside its start (a carry-over of the maps among it) would be
 * lost. Kept until store_close(). */
int store_lock(struct ctx *x);
int store_record(struct ctx *x, const char *change);
int store_flush(struct ctx *x);
/* Does an allow entry overlap k? Fills *by if so. */
bool store_allow_overlaps(struct ctx *x, const struct rg_lpm_key *k, struct rg_lpm_key *by);
/* Exactly the ban of k: 0 or -ENOENT. */
/* A ban made here ends the sessions inside k as the daemon's would (sockkill.h),
 * sparing the store's allow entries: 0 or -errno. */
struct sockkill_result;
int store_close_sessions(struct ctx *x, const struct rg_lpm_key *k, struct sockkill_result *r);
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
int cmd_status(struct ctx *x, int argc, char **argv);
int cmd_detach(struct ctx *x);
int cmd_reload(struct ctx *x);
/* cmd_offenders.c */
int cmd_show(struct ctx *x, int argc, char **argv);
/* cmd_top.c */
int cmd_top(struct ctx *x, int argc, char **argv);
/* cmd_history.c */
int cmd_history(struct ctx *x, int argc, char **argv);
/* cmd_dnsbl.c */
int cmd_dnsbl(struct ctx *x, int argc, char **argv);
/* cmd_replay.c */
int cmd_replay(struct ctx *x, int argc, char **argv);
/* cmd_recipients.c */
int cmd_recipients(struct ctx *x, int argc, char **argv);

#endif
