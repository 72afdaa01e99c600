/* rcptguardd.c - the daemon: load and attach the XDP drop path, open the
 * recipients database, serve the query socket, all in one event loop. */
#include <errno.h>
#include <sys/resource.h>
#include <linux/capability.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "config.h"
#include "duration.h"
#include "ifaces.h"
#include "lapi_pull.h"
#include "lapi_push.h"
#include "log.h"
#include "loop.h"
#include "maps.h"
#include "addr.h"
#include "backend_start.h"
#include "bgread.h"
#include "follow.h"
#include "grow.h"
#include "history.h"
#include "judge.h"
#include "logline.h"
#include "control.h"
#include "enforce.h"
#include "metrics_file.h"
#include "metrics.h"
#include "notify.h"
#include "offenders.h"
#include "privdrop.h"
#include "query.h"
#include "state.h"
#include "verdict.h"
#include "version.h"

/* Expired bans already pass in the kernel; the sweep only frees their slots. */
#define BAN_SWEEP_MS 5000
/* How soon a replaced recipients database is noticed. */
#define DB_CHECK_MS 500
/* How soon a ban change reaches the journal (and is fsynced). */
#define STATE_CHECK_MS 1000
/* Offender records journaled per tick; beyond, the whole state is saved. */
#define JOURNAL_OFFENDERS 1024
/* How much longer than the state file the journal may grow. */
#define JOURNAL_COMPACT_SLACK (64u << 10)
/* How soon lines queued behind a stalled log reader are tried again. */
#define LOG_FLUSH_MS 200
/* How often the sessions of new bans are looked for (enforce.h). */
#define SESSIONS_MS 100

struct daemon {
	const char *path;
	struct config *cfg;
	struct loop *loop;
	struct backend_run be;
	struct offenders *off;
	struct enforcer *enf;
	struct judge *judge;
	struct verdicts *verdicts;
	struct dnsbl *dnsbl;
	struct query *query;
	struct server *control;
	struct follow *follow;          /* NULL: no follow lines */
	struct lapi_pull *crowdsec;     /* NULL: no crowdsec_bouncer_key_file */
	struct lapi_push *push;         /* NULL: no crowdsec_machine_file */
	struct lapi_status crowdsec_st;
	struct bgread *reconcile;       /* the store's bans read back; NULL: none running */
	bool reconcile_due;             /* to start once the daemon is ready */
	size_t reconcile_pardoned;      /* by the merge so far */
	uint64_t reconcile_merge_ns;    /* its time on the loop so far */
	uint64_t reconcile_turn_ns;     /* and its longest slice */
	struct control_env env;
	struct watch sig, ban_sweep, db_check, state_save, log_flush, sessions;
	struct metrics_file metrics;
	bool state_failing, follow_failing;
	struct journal journal;         /* ban changes since the last full save */
	struct history history;         /* every ban, unban and expiry, for people */
	bool journal_behind;            /* a change missed it: save the whole state */
	/* Clients banned or unbanned since the last tick: their offender
	 * records (offense count, pardon) are journaled with the change. */
	struct rg_lpm_key changed[JOURNAL_OFFENDERS];
	size_t nchanged;
	int state_lock;
	uint64_t turn_bans;             /* placed by evidence in this turn of the loop */
	uint64_t saved_at, state_bytes; /* time and size of the last full save */
};

#define OWNER(w, field) ((struct daemon *)((char *)(w) - offsetof(struct daemon, field)))

static void usage(FILE *f)
{
	fprintf(f, "usage: rcptguardd [-f] [-t] [-c FILE]\n"
		   "       rcptguardd --version\n"
		   "  -c FILE  config file (default " CONFIG_DEFAULT_PATH ")\n"
		   "  -f       stay in the foreground, log to stderr\n"
		   "  -t       check the config file and exit\n"
		   "  -V, --version  print the version (and the git commit built) and exit\n"
		   "see rcptguardd(8)\n");
}

/* Fork into the background; the parent exits once the child reports that
 * it is serving, with the child's verdict as exit code. */
static int daemonize(int *ready_fd)
{
	int p[2];
	pid_t pid;
	char st = 1;

	if (pipe(p) < 0 || (pid = fork()) < 0) {
		log_err("event=daemonize error=\"%s\"", strerror(errno));
		return -1;
	}
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &st, 1) != 1)
			st = 1;
		_exit(st);
	}
	close(p[0]);
	setsid();
	*ready_fd = p[1];
	return 0;
}

static void report_ready(int *ready_fd, char status)
{
	int fd;

	if (*ready_fd < 0)
		return;
	if (write(*ready_fd, &status, 1) != 1)
		log_warn("event=daemonize error=\"cannot report readiness\"");
	close(*ready_fd);
	*ready_fd = -1;
	if (status == 0 && (fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

/* Re-read the config: everything that can fail (the file, the allowlist
 * and its files, the spamtraps, a new database) is prepared first; then
 * the kernel gets the ports and the allowlist, each put back if a later
 * write fails; the rest cannot fail. Keys that need a restart keep their
 * old values (config_reload_diff) and are named in restart. */
static int reload(void *arg, char *changed, char *restart, size_t len, char *err,
		  size_t errlen)
{
	struct daemon *d = arg;
	struct config *next = malloc(sizeof(*next));
	struct allowlist allow = { 0 };
	struct verdicts_next vn = { 0 };
	size_t n;

	*changed = *restart = '\0';
	if (!next || config_load(next, d->path, err, errlen) < 0) {
		if (!next)
			snprintf(err, errlen, "out of memory");
		goto refused;
	}
	ifaces_default_routes(next);
	config_reload_diff(d->cfg, next, changed, len, restart, len);
	if (enforce_allow_prepare(d->enf, next, &allow, err, errlen) < 0 ||
	    verdicts_prepare(d->verdicts, next, &vn, err, errlen) < 0)
		goto refused;
	if (backend_apply(&d->be, next, err, errlen) < 0)
		goto refused;
	if (enforce_allow_commit(d->enf, &allow, err, errlen) < 0) {
		n = strlen(err);
		if (backend_apply(&d->be, d->cfg, err + n, errlen - n) < 0)
			log_err("event=reload_rollback error=\"%s\"", err + n);
		err[n] = '\0';
		goto refused;
	}
	verdicts_commit(d->verdicts, next, &vn);
	offenders_configure(d->off, &next->offenders);
	*d->cfg = *next;
	free(next);
	if (metrics_file_apply(&d->metrics, d->cfg) < 0)
		log_err("event=metrics_textfile result=failed error=\"cannot set its timer: %s\"",
			strerror(errno));
	log_set_debug(d->cfg->log_level == LOG_LEVEL_DEBUG);
	enforce_sessions(d->enf, d->cfg);
	log_info("event=reload result=ok ports=%u allow=%u changed=\"%s\" needs_restart=\"%s\"",
		 d->cfg->n_ports, d->cfg->n_allow, changed, restart);
	return 0;
refused:
	log_err("event=reload result=refused error=\"%s\" note=\"old config stays in force\"",
		err);
	allowlist_free(&allow);
	verdicts_next_free(&vn);
	*changed = *restart = '\0';
	free(next);
	return -1;
}

/* A full save (compaction): the state file, and an empty journal after it. */
static void save_state(struct daemon *d)
{
	char err[512], path[4200];
	struct stat sb;

	if (state_write(d->cfg->state_dir, &d->journal, d->enf, d->off, &d->cfg->offenders, err,
			sizeof(err)) < 0) {
		/* Once per outage, not every interval; the old file stays. */
		if (!d->state_failing)
			log_err("event=state_save result=failed error=\"%s\" note=\"bans stay "
				"enforced; the previous state file is kept\"", err);
		d->state_failing = true;
		return;
	}
	/* Only a save that worked counts: a failed one is tried again at the
	 * next tick, so the file catches up as soon as there is room. */
	snprintf(path, sizeof(path), "%s/state", d->cfg->state_dir);
	d->state_bytes = stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
	d->saved_at = mono_ns();
	d->journal_behind = false;
	if (d->state_failing)
		log_info("event=state_save result=ok note=recovered");
	d->state_failing = false;
	d->env.state_saved = wall_secs();
}

/* Each ban and unban becomes a journal line, written at the next tick. */
static void on_ban_change(const struct rg_lpm_key *k, bool banned, uint64_t secs,
			  unsigned reason, const char *note, void *arg)
{
	struct daemon *d = arg;
	char line[JOURNAL_LINE_MAX];

	if (banned && reason != RG_REASON_MANUAL)
		d->turn_bans++;
	state_change(line, sizeof(line), k, banned, secs, reason, note);
	if (journal_add(&d->journal, line) < 0 || d->nchanged == JOURNAL_OFFENDERS)
		d->journal_behind = true;
	else
		d->changed[d->nchanged++] = *k;
}

/* Each ban, unban and expiry becomes a history line; a ban carries the
 * latest recipients its network tried. */
static void on_judge_event(const struct judge_event *e, void *arg)
{
	struct daemon *d = arg;
	const struct recent_rcpt *r[HISTORY_RCPTS];
	size_t n = e->what == JUDGE_BAN ? judge_recent(d->judge, e->key, r, HISTORY_RCPTS) : 0;
	char line[HISTORY_LINE];

	history_line(line, sizeof(line), e, r, n);
	history_add(&d->history, line);
	/* The CrowdSec watcher pushes each ban placed here, with its evidence. */
	if (e->what == JUDGE_BAN && d->push && !e->remote)
		lapi_push_ban(d->push, e->key, e->secs, e->reason, (unsigned)(e->score + 0.5),
			      d->cfg->offenders.threshold, d->cfg->offenders.window);
}

/* The crowdsec_* keys that only make sense together. */
static int crowdsec_check(const struct config *c, char *err, size_t errlen)
{
	if (*c->crowdsec_bouncer_key_file && !*c->crowdsec_url)
		snprintf(err, errlen, "crowdsec_bouncer_key_file needs crowdsec_url (the LAPI to pull "
			 "from)");
	else if (*c->crowdsec_url && !*c->crowdsec_bouncer_key_file && !*c->crowdsec_machine_file)
		snprintf(err, errlen, "crowdsec_url is set but neither crowdsec_bouncer_key_file "
			 "(pull decisions) nor crowdsec_machine_file (push bans) is");
	else
		return 0;
	return -1;
}

/* An unban by hand of an address CrowdSec's LAPI bans: our own pushed
 * decision is deleted there too; another's stays, and the admin is told how
 * to delete it. */
static bool crowdsec_unbanned(void *arg, const struct rg_lpm_key *k, char *note, size_t len)
{
	struct daemon *d = arg;
	struct lapi_set *set = d->crowdsec ? lapi_pull_set(d->crowdsec) : NULL;
	int64_t id = set && d->push ? lapi_set_forget_mine(set, k) : 0;
	char a[ADDR_STRLEN];

	addr_format(k, a, sizeof(a));
	if (id) {
		lapi_push_forget(d->push, id);
		snprintf(note, len, "rcptguard's own decision %lld for %s is being deleted from the "
			 "CrowdSec LAPI too", (long long)id, a);
		return true;
	}
	if (!set || !lapi_set_holds(set, k))
		return false;
	snprintf(note, len, "pardoned here, but the CrowdSec LAPI still holds a decision for %s; "
		 "delete it there: cscli decisions delete --%s %s", a,
		 k->prefixlen == 128 ? "ip" : "range", a);
	return true;
}

/* The offender records the changes of this tick left behind (the verdict
 * updates them after the ban), journaled after the changes. */
static void journal_offenders(struct daemon *d)
{
	char line[JOURNAL_LINE_MAX];

	for (size_t i = 0; i < d->nchanged; i++) {
		const struct offender *e = offenders_get(d->off, &d->changed[i]);

		if (!e)
			continue;
		state_off_change(line, sizeof(line), e);
		if (journal_add(&d->journal, line) < 0)
			d->journal_behind = true;
	}
	d->nchanged = 0;
}

/* Log positions move with every line; they are saved with the state. */
static void save_positions(struct daemon *d)
{
	char err[512];

	if (follow_save(d->follow, err, sizeof(err)) < 0) {
		if (!d->follow_failing)
			log_err("event=follow_save result=failed error=\"%s\" note=\"after a "
				"restart some lines may be read again\"", err);
		d->follow_failing = true;
		return;
	}
	d->follow_failing = false;
}

static void on_log_line(const struct logline *l, void *arg)
{
	struct daemon *d = arg;

	verdicts_log_line(d->verdicts, l);
}

static void on_signal(struct watch *w, uint32_t events)
{
	struct daemon *d = OWNER(w, sig);
	struct signalfd_siginfo si;

	(void)events;
	if (read(w->fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGHUP) {
		char err[512], changed[512], restart[512];

		reload(d, changed, restart, sizeof(changed), err, sizeof(err));
		return;
	}
	log_info("event=stop signal=%s note=\"bans stay enforced in the kernel\"",
		 strsignal((int)si.ssi_signo));
	loop_stop(d->loop, 0);
}

static void expired(const struct rg_lpm_key *k, void *arg)
{
	struct daemon *d = arg;

	judge_expired(d->judge, k, (uint32_t)wall_secs());
}

static void on_ban_sweep(struct watch *w, uint32_t events)
{
	struct daemon *d = OWNER(w, ban_sweep);
	uint64_t ticks;

	(void)events;
	if (read(w->fd, &ticks, sizeof(ticks)) == sizeof(ticks))
		enforce_sweep(d->enf, mono_ns(), expired, d);
}

static void on_sessions(struct watch *w, uint32_t events)
{
	struct daemon *d = OWNER(w, sessions);
	uint64_t ticks;

	(void)events;
	if (read(w->fd, &ticks, sizeof(ticks)) == sizeof(ticks))
		enforce_sessions_due(d->enf, mono_ns());
}

static void on_state_save(struct watch *w, uint32_t events)
{
	struct daemon *d = OWNER(w, state_save);
	uint64_t ticks;
	char err[512];

	(void)events;
	if (read(w->fd, &ticks, sizeof(ticks)) != sizeof(ticks))
		return;
	journal_offenders(d);
	if (journal_flush(&d->journal, err, sizeof(err)) < 0) {
		if (!d->journal_behind)
			log_err("event=state_journal result=failed error=\"%s\" note=\"saving the "
				"whole state instead\"", err);
		d->journal_behind = true;
	}
	/* A journal longer than the file costs more to read back than a
	 * rewrite: then, or every state_interval, the whole state is saved. */
	if (d->journal_behind || d->state_failing ||
	    d->journal.size > d->state_bytes + JOURNAL_COMPACT_SLACK ||
	    mono_ns() - d->saved_at >= d->cfg->state_interval * 1000000000ULL)
		save_state(d);
	save_positions(d);
}

static void on_db_check(struct watch *w, uint32_t events)
{
	struct daemon *d = OWNER(w, db_check);
	uint64_t ticks;

	(void)events;
	if (read(w->fd, &ticks, sizeof(ticks)) == sizeof(ticks))
		verdicts_check_db(d->verdicts);
}

/* Lines the log reader could not take yet. */
static void on_log_flush(struct watch *w, uint32_t events)
{
	uint64_t ticks;

	(void)events;
	if (read(w->fd, &ticks, sizeof(ticks)) == sizeof(ticks))
		log_flush();
}

/* Bans of one turn of the loop share one commit (nft: one netlink batch
 * instead of one per ban); then they are in the kernel. */
static void flush_bans(void *arg)
{
	struct daemon *d = arg;

	enforce_flush(d->enf);
	history_flush(&d->history);
	if (d->turn_bans)
		prom_observe(&d->env.ban_reaction,
			     (double)(mono_ns() - loop_turn_start(d->loop)) / 1e9, d->turn_bans);
	d->turn_bans = 0;
}

/* Signals are blocked from the start and read from a signalfd, so one
 * arriving during start-up waits for the loop instead of killing us. */
static void block_signals(sigset_t *mask)
{
	sigemptyset(mask);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGHUP);
	sigprocmask(SIG_BLOCK, mask, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int setup_loop(struct daemon *d, const sigset_t *mask, char *err, size_t errlen)
{
	d->sig.fd = signalfd(-1, mask, SFD_CLOEXEC | SFD_NONBLOCK);
	d->sig.cb = on_signal;
	d->ban_sweep.cb = on_ban_sweep;
	d->db_check.cb = on_db_check;
	d->state_save.cb = on_state_save;
	d->log_flush.cb = on_log_flush;
	d->sessions.cb = on_sessions;
	if (d->sig.fd < 0 || loop_add(d->loop, &d->sig, EPOLLIN) < 0 ||
	    loop_timer(d->loop, &d->ban_sweep, BAN_SWEEP_MS) < 0 ||
	    loop_timer(d->loop, &d->db_check, DB_CHECK_MS) < 0 ||
	    loop_timer(d->loop, &d->state_save, STATE_CHECK_MS) < 0 ||
	    loop_timer(d->loop, &d->log_flush, LOG_FLUSH_MS) < 0 ||
	    loop_timer(d->loop, &d->sessions, SESSIONS_MS) < 0 ||
	    metrics_file_start(&d->metrics, d->loop, &d->env, d->cfg) < 0) {
		snprintf(err, errlen, "cannot set up the event loop: %s", strerror(errno));
		return -1;
	}
	enforce_batch(d->enf, true);
	loop_on_turn_end(d->loop, flush_bans, d);
	return 0;
}

/* The pinned maps (or the nft table) are the truth for live bans; the
 * judge puts back what they lack (judge_restore). A table someone else
 * may have changed is taken as saved until it is read back (reconcile). */
static void restore_state(struct daemon *d, const struct state *st, bool reconcile)
{
	size_t restored, pardoned;
	bool fresh = d->be.fresh, adopt = d->be.adopt || reconcile;
	int rc = judge_restore(d->judge, st, fresh, adopt, (uint32_t)wall_secs(), &restored,
			       &pardoned);

	if (rc < 0) {
		log_err("event=state_load result=failed restored=0 error=\"cannot %s the "
			"bans: %s\"", adopt ? "remember" : "write", strerror(-rc));
		restored = 0;
	}
	log_info("event=state_load result=ok bans=%zu offenders=%zu restored=%zu pardoned=%zu "
		 "maps=%s%s journaled=%zu", st->nbans, st->noffs, restored, pardoned,
		 fresh ? "new" : "kept",
		 !(enforce_caps(d->enf) & BACKEND_SLOW_DUMP) || fresh ? "" : reconcile ?
		 " read=state reconcile=background" : " read=state", st->journaled);
}

/* The table read back, merged a slice per turn of the loop; then the
 * bans it corrected, in one line. */
static int on_reconciled(void *arg, const struct banmirror *kernel,
			 const struct rg_lpm_key *expect, size_t n_expect, int rc,
			 uint64_t elapsed_ns)
{
	struct daemon *d = arg;
	struct reconcile_counts n;
	size_t refused;
	uint64_t t0 = mono_ns();
	int merged = judge_reconcile_step(d->judge, rc == 0 ? kernel : NULL, expect, n_expect,
					  (uint32_t)wall_secs(), &n, &d->reconcile_pardoned);
	unsigned long long ms = elapsed_ns / 1000000;

	t0 = mono_ns() - t0;
	d->reconcile_merge_ns += t0;
	if (t0 > d->reconcile_turn_ns)
		d->reconcile_turn_ns = t0;
	if (merged == 1)
		return 1;
	d->reconcile = NULL;
	if (rc < 0) {
		log_err("event=reconcile result=failed backend=%s elapsed_ms=%llu error=\"cannot "
			"read the bans of the %s store back: %s\" note=\"the state file's bans stay "
			"in force; the next start reads the store again\"", d->be.ops->name, ms,
			d->be.ops->name, strerror(-rc));
		return 0;
	}
	if (merged < 0) {
		log_err("event=reconcile result=failed backend=%s elapsed_ms=%llu error=\"%s\" "
			"note=\"the bans are read from the store again when next needed\"",
			d->be.ops->name, ms, strerror(-merged));
		return 0;
	}
	if (merged == 2) {
		log_info("event=reconcile result=superseded backend=%s elapsed_ms=%llu note=\"a "
			 "failed write made the daemon read the store whole meanwhile\"",
			 d->be.ops->name, ms);
		return 0;
	}
	t0 = mono_ns();
	refused = judge_refuse_bans(d->judge, &d->cfg->offenders.nat64);
	t0 = mono_ns() - t0;
	d->reconcile_merge_ns += t0;
	/* merge_ms: the part on the event loop, in slices of at most
	 * longest_turn_ms. */
	log_info("event=reconcile result=ok backend=%s bans=%zu added=%zu removed=%zu updated=%zu "
		 "pardoned=%zu changed_meanwhile=%zu rewritten=%zu refused=%zu elapsed_ms=%llu "
		 "merge_ms=%llu longest_turn_ms=%llu", d->be.ops->name, n.bans - refused, n.added,
		 n.removed, n.updated, d->reconcile_pardoned, n.changed, n.rewritten, refused, ms,
		 (unsigned long long)d->reconcile_merge_ns / 1000000,
		 (unsigned long long)(d->reconcile_turn_ns > t0 ? d->reconcile_turn_ns : t0) /
		 1000000);
	save_state(d);
	return 0;
}

struct keys {
	struct rg_lpm_key *v;
	size_t n, cap;
};

static int expect_one(const struct rg_lpm_key *k, const struct rg_ban *b, const char *note,
		      void *arg)
{
	struct keys *x = arg;

	(void)b, (void)note;
	if (grow(&x->v, &x->cap, x->n + 1, sizeof(*x->v), 4096) < 0)
		return -ENOMEM;
	x->v[x->n++] = *k;
	return 0;
}

/* Read the store back on a thread while the daemon serves; the bans taken
 * from the state file are asked for one by one if the dump misses them. */
static void start_reconcile(struct daemon *d)
{
	struct keys x = { 0 };
	struct reconcile_counts n;
	char err[256] = "out of memory";

	if (enforce_records(d->enf, expect_one, &x) < 0)
		free(x.v);
	else if ((d->reconcile = bgread_start(d->loop, d->be.ops, d->cfg, x.v, x.n, on_reconciled,
					      d, err, sizeof(err))))
		return;         /* x.v is the reader's now */
	judge_reconcile_step(d->judge, NULL, NULL, 0, 0, &n, &d->reconcile_pardoned);
	log_err("event=reconcile result=failed backend=%s error=\"%s\" note=\"the state file's "
		"bans stay in force; the next start reads the store again\"", d->be.ops->name, err);
}

/* Every connection is a descriptor: let max_connections fit under the
 * soft limit (up to the hard one; beyond it connections are shed). */
static void raise_nofile(const struct config *c)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)c->max_connections + 256;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

static uint64_t seed(void)
{
	uint64_t s = mono_ns() ^ ((uint64_t)getpid() << 32);
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (read(fd, &s, sizeof(s)) != sizeof(s))
			s ^= wall_secs();
		close(fd);
	}
	return s;
}

/* The state directory must exist before it is handed over. */
static int drop_root(struct daemon *d, char *err, size_t errlen)
{
	/* nf_tables asks for CAP_NET_ADMIN on every change, and so does
	 * SOCK_DESTROY (checked against the caller, not the socket's opener);
	 * XDP maps need none. */
	unsigned caps = enforce_caps(d->enf);
	bool keep = (caps & BACKEND_NEEDS_NET_ADMIN) ||
		    (d->cfg->close_sessions && (caps & BACKEND_DROPS));
	int rc;

	if (mkdir(d->cfg->state_dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %.200s: %s", d->cfg->state_dir, strerror(errno));
		return -1;
	}
	rc = privdrop(d->cfg->user, d->cfg->state_dir, keep ? CAP_NET_ADMIN : -1, err, errlen);
	if (rc == 1) {
		log_warn("event=privdrop result=skipped note=\"%s\"", err);
		return 0;
	}
	if (rc == 0 && getuid() != 0)
		log_info("event=privdrop user=%s uid=%d capabilities=%s", d->cfg->user,
			 (int)getuid(), keep ? "cap_net_admin" : "none");
	return rc;
}

/* Everything between the config and the loop; fails before touching the
 * kernel when the database or the allowlist is bad. */
static int start(struct daemon *d, char *err, size_t errlen)
{
	struct state st;
	char serr[512];
	bool loaded, reconcile = false;
	int rc;

	if (!(d->off = offenders_new(&d->cfg->offenders, seed()))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!(d->enf = enforce_new(NULL, NULL)) || !(d->judge = judge_new(d->off, d->enf))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!(d->dnsbl = dnsbl_new(d->loop, d->cfg, err, errlen)) ||
	    !(d->verdicts = verdicts_new(d->cfg, d->judge, d->dnsbl, err, errlen)))
		return -1;
	/* A daemon already running holds the state lock: say so at once. */
	if (server_in_use(d->cfg->query_socket)) {
		snprintf(err, errlen, "another process serves %s; is rcptguardd already running?",
			 d->cfg->query_socket);
		return -1;
	}
	/* Held while we run: the CLI writes the journal only while we do not. */
	if ((d->state_lock = state_dir_lock(d->cfg->state_dir, 5000, err, errlen)) < 0)
		return -1;
	/* Read first: the nft backend checks the proof saved with it. */
	if (!(loaded = state_read(d->cfg->state_dir, &st, serr, sizeof(serr)) == 0))
		log_err("event=state_load result=refused error=\"%s\"", serr);
	if (st.journal_skipped)
		log_warn("event=state_load journal_skipped=%zu note=\"torn or damaged journal "
			 "lines (a crash while writing) are ignored\"", st.journal_skipped);
	/* The proof covers the file, not changes journaled after it. */
	rc = backend_start(&d->be, d->cfg, st.journaled ? "" : st.proof, err, errlen);
	if (rc == 0) {
		enforce_use(d->enf, d->be.ops, d->be.ctx);
		enforce_sessions(d->enf, d->cfg);
		/* Someone else may have changed the store: it is read back in
		 * the background, the saved bans in force meanwhile. */
		reconcile = (enforce_caps(d->enf) & BACKEND_SLOW_DUMP) && !d->be.fresh &&
			    !d->be.adopt;
		if (enforce_mirror(d->enf, d->be.adopt || reconcile) != 0) {
			snprintf(err, errlen, "cannot read the bans of the %s backend's store",
				 d->be.ops->name);
			rc = -1;
		}
	}
	if (rc == 0)
		rc = enforce_load_allow(d->enf, d->cfg, err, errlen);
	/* The unbans made while we were down are its first lines, written
	 * once we run as our user. */
	history_init(&d->history, d->cfg->state_dir);
	judge_on_event(d->judge, on_judge_event, d);
	if (rc == 0 && loaded)
		restore_state(d, &st, reconcile);
	/* Unproven from here: a save before the read is merged has no proof. */
	if ((d->reconcile_due = rc == 0 && reconcile))
		enforce_reconcile_begin(d->enf);
	/* Still root: a journal the CLI made (root's, 0600) is readable. */
	if (rc == 0 && journal_open(&d->journal, d->cfg->state_dir, st.gen, serr,
				    sizeof(serr)) < 0) {
		log_err("event=state_journal result=failed error=\"%s\" note=\"saving the "
			"whole state instead\"", serr);
		d->journal_behind = true;
	}
	if (rc == 0)
		judge_refuse_bans(d->judge, &d->cfg->offenders.nat64);
	state_free(&st);
	if (rc < 0)
		return -1;
	/* Still root: the key file may be root's alone. */
	if (crowdsec_check(d->cfg, err, errlen) < 0)
		return -1;
	if (*d->cfg->crowdsec_bouncer_key_file &&
	    !(d->crowdsec = lapi_pull_start(d->loop, d->cfg, d->judge, &d->crowdsec_st, err,
					    errlen)))
		return -1;
	/* on_judge_event pushes the judge's bans once this is set. */
	if (*d->cfg->crowdsec_machine_file &&
	    !(d->push = lapi_push_start(d->loop, d->cfg, d->crowdsec ?
					lapi_pull_set(d->crowdsec) : NULL, &d->crowdsec_st,
					err, errlen)))
		return -1;
	d->env = (struct control_env){ .cfg = d->cfg, .enf = d->enf, .off = d->off,
				       .judge = d->judge, .crowdsec = &d->crowdsec_st,
				       .crowdsec_unbanned = crowdsec_unbanned,
				       .verdicts = d->verdicts, .started = time(NULL),
				       .reload = reload, .reload_arg = d };
	backend_mode(&d->be, d->cfg, d->env.backend_mode, sizeof(d->env.backend_mode));
	if (!(d->query = query_start(d->loop, d->cfg, d->verdicts, d->dnsbl, err, errlen)))
		return -1;
	d->env.query = query_server(d->query);
	d->env.dnsbl = d->dnsbl;
	if (!(d->control = control_start(d->loop, &d->env, err, errlen)) ||
	    drop_root(d, err, errlen) < 0)
		return -1;
	/* What was read, journal included, becomes one file and an empty
	 * journal, made as the user so they are its own to append to and
	 * replace; from here every change is journaled. */
	save_state(d);
	history_start(&d->history);
	enforce_on_change(d->enf, on_ban_change, d);
	/* As the user the daemon runs as: a log it cannot read shows now. */
	d->follow = follow_start(d->loop, d->cfg, on_log_line, d, err, errlen);
	d->env.follow = d->follow;
	return d->follow || !*err ? 0 : -1;
}

/* rcptguardd -t: what start would refuse, without privileges. The files
 * the config names are read whole; a missing user or a log that does not
 * exist yet only warn, as at start (the user may be made later, a log is
 * followed once it appears). */
static int check_config(const struct config *c, char *err, size_t errlen)
{
	struct allowlist allow;
	struct verdicts_next vn;
	struct stat st = { 0 };

	if (crowdsec_check(c, err, errlen) < 0 ||
	    enforce_allow_prepare(NULL, c, &allow, err, errlen) < 0 ||
	    verdicts_prepare(NULL, c, &vn, err, errlen) < 0)
		return -1;
	allowlist_free(&allow);
	verdicts_next_free(&vn);
	if (*c->user && strcmp(c->user, "root") != 0 && !getpwnam(c->user))
		fprintf(stderr, "rcptguardd: warning: user '%s' does not exist, so rcptguardd "
			"would keep running as root; create it (useradd --system %s) or set "
			"user = root\n", c->user, c->user);
	for (unsigned i = 0; i < c->n_follow; i++) {
		if (stat(c->follow[i], &st) < 0 && errno == ENOENT)
			fprintf(stderr, "rcptguardd: warning: follow %s does not exist yet; it is "
				"read once it appears\n", c->follow[i]);
		else if (access(c->follow[i], R_OK) < 0 || S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "cannot read follow %s: %s", c->follow[i],
				 S_ISDIR(st.st_mode) ? "a directory; name the log file" :
				 strerror(errno));
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct daemon d = { .path = CONFIG_DEFAULT_PATH, .state_lock = -1 };
	bool foreground = false, test_only = false;
	char err[512];
	int ready_fd = -1, opt, rc = 1;
	sigset_t mask;

	log_init("rcptguardd");
	while ((opt = getopt_long(argc, argv, "c:fthV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': d.path = optarg; break;
		case 'f': foreground = true; break;
		case 't': test_only = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': version_print(stdout, "rcptguardd"); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "rcptguardd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	d.cfg = malloc(sizeof(*d.cfg));
	if (!d.cfg || config_load(d.cfg, d.path, err, sizeof(err)) < 0) {
		fprintf(stderr, "rcptguardd: %s\n", d.cfg ? err : "out of memory");
		return 1;
	}
	if (test_only) {
		if (check_config(d.cfg, err, sizeof(err)) < 0) {
			fprintf(stderr, "rcptguardd: %s: %s\n", d.path, err);
			return 1;
		}
		printf("rcptguardd: %s: config ok\n", d.path);
		return 0;
	}
	ifaces_default_routes(d.cfg);
	raise_nofile(d.cfg);
	if (!foreground && daemonize(&ready_fd) < 0)
		return 1;
	if (log_nonblocking() < 0)
		log_warn("event=log_blocking error=\"%s\" note=\"a stalled log reader can stall "
			 "the daemon\"", strerror(errno));
	log_set_debug(d.cfg->log_level == LOG_LEVEL_DEBUG);
	if (foreground && d.cfg->log_to == LOG_TO_SYSLOG && log_to_syslog() < 0)
		log_warn("event=log_syslog result=failed error=\"cannot send to /dev/log: %s\" "
			 "note=\"logging to stderr; is a syslog daemon running?\"", strerror(errno));
	block_signals(&mask);
	d.loop = loop_new();
	if (!d.loop) {
		snprintf(err, sizeof(err), "cannot create the event loop: %s", strerror(errno));
		goto fail;
	}
	if (start(&d, err, sizeof(err)) < 0 || setup_loop(&d, &mask, err, sizeof(err)) < 0)
		goto fail;
	log_info("event=start config=%s backend=%s pin_dir=%s interfaces=%u ports=%u "
		 "recipients=%s", d.path, enforce_backend(d.enf), d.cfg->bpf_pin_dir,
		 d.cfg->n_interfaces, d.cfg->n_ports,
		 d.cfg->recipients[0] ? d.cfg->recipients : "none");
	/* systemd's Type=notify: the sockets listen and the backend is attached. */
	if (notify_send("READY=1", err, sizeof(err)) < 0)
		log_warn("event=notify result=failed error=\"%s\"", err);
	if (!foreground) {
		report_ready(&ready_fd, 0);
		log_to_syslog();
	}
	/* After the start: the read's kernel time is no start-up's. */
	if (d.reconcile_due)
		start_reconcile(&d);
	rc = loop_run(d.loop);
	notify_send("STOPPING=1", err, sizeof(err));
	enforce_batch(d.enf, false);
	/* A clean stop leaves one file whose proof is current (fast restart). */
	journal_flush(&d.journal, err, sizeof(err));
	save_state(&d);
	save_positions(&d);
	goto out;
fail:
	log_err("event=start error=\"%s\"", err);
	report_ready(&ready_fd, 1);
out:
	bgread_stop(d.reconcile);
	follow_stop(d.follow);
	lapi_push_free(d.push);
	lapi_pull_free(d.crowdsec);
	server_free(d.control);
	query_stop(d.query);
	backend_stop(&d.be);
	verdicts_free(d.verdicts);
	dnsbl_free(d.dnsbl);
	judge_free(d.judge);
	enforce_free(d.enf);
	offenders_free(d.off);
	journal_close(&d.journal);
	history_flush(&d.history);
	history_free(&d.history);
	if (d.state_lock >= 0)
		close(d.state_lock);
	loop_free(d.loop);
	free(d.cfg);
	log_drain(1000);
	return rc;
}
