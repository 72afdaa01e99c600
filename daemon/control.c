/* control.c - the control socket's commands. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "addr.h"
#include "control.h"
#include "duration.h"
#include "escape.h"
#include "follow.h"
#include "log.h"
#include "metrics.h"
#include "names.h"
#include "recipients.h"
#include "version.h"

#define MAX_REQUEST 4096
#define MAX_WORDS 8

/* One record: fields added one by one, then ended. */
static int field(struct conn *c, bool *first, const char *k, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int field(struct conn *c, bool *first, const char *k, const char *fmt, ...)
{
	char raw[512], enc[3 * sizeof(raw) + 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	pct_encode(raw, enc, sizeof(enc));
	if (conn_printf(c, "%s%s=%s", *first ? "" : "\t", k, enc) < 0)
		return -1;
	*first = false;
	return 0;
}

static int end_record(struct conn *c, bool *first)
{
	*first = true;
	return conn_printf(c, "\n");
}

static size_t frame_line(const char *buf, size_t len, size_t *scan)
{
	const char *nl = memchr(buf + *scan, '\n', len - *scan);

	if (!nl) {
		*scan = len;
		return 0;
	}
	*scan = 0;
	return (size_t)(nl - buf) + 1;
}

struct ctx {
	struct conn *c;
	struct control_env *env;
	uint64_t now_ns, now;
	bool first;
	const struct rg_addr *match;    /* show: bans containing this */
	const struct rg_lpm_key *entry; /* allow add: the new entry */
};

static void ban_fields(struct ctx *x, const struct rg_lpm_key *k, const struct rg_ban *b,
		       const char *note)
{
	char a[ADDR_STRLEN];
	bool *f = &x->first;

	addr_format(k, a, sizeof(a));
	field(x->c, f, "address", "%s", a);
	field(x->c, f, "reason", "%s", reason_name(b->reason));
	field(x->c, f, "note", "%s", note);
	field(x->c, f, "created", "%llu", (unsigned long long)b->created_unix);
	/* expires: unix seconds, 0 permanent; "expired" bans wait for the sweep */
	field(x->c, f, "expires", "%llu", b->expires_ns ? (unsigned long long)(x->now +
		(b->expires_ns > x->now_ns ? (b->expires_ns - x->now_ns) / 1000000000ULL : 0)) : 0ULL);
	field(x->c, f, "expired", "%d", b->expires_ns && b->expires_ns <= x->now_ns);
	field(x->c, f, "packets", "%llu", (unsigned long long)b->packets);
	field(x->c, f, "bytes", "%llu", (unsigned long long)b->bytes);
	field(x->c, f, "rst_sent", "%llu", (unsigned long long)b->rst_sent);
	field(x->c, f, "rst_suppressed", "%llu", (unsigned long long)b->rst_suppressed);
}

static int list_one(const struct rg_lpm_key *k, const struct rg_ban *b, const char *note,
		    void *arg)
{
	struct ctx *x = arg;

	if (x->match && !addr_in_prefix(k, x->match))
		return 0;
	if (x->match)
		field(x->c, &x->first, "type", "ban");
	ban_fields(x, k, b, note);
	return end_record(x->c, &x->first) < 0 ? -ENOMEM : 0;
}

static void offender_fields(struct ctx *x, const struct offender *e)
{
	struct offenders *o = x->env->off;
	uint32_t now = (uint32_t)x->now;
	char a[ADDR_STRLEN];
	bool *f = &x->first;

	addr_format(&e->key, a, sizeof(a));
	field(x->c, f, "address", "%s", a);
	field(x->c, f, "level", "%.2f", offenders_level(o, e, now));
	field(x->c, f, "threshold", "%.2f", offenders_threshold(o, e, now));
	field(x->c, f, "bad_total", "%u", e->bad_total);
	field(x->c, f, "offenses", "%u", e->offenses);
	field(x->c, f, "valid_count", "%u", e->valid_count);
	field(x->c, f, "first_seen", "%u", e->first_seen);
	field(x->c, f, "last_seen", "%u", e->last_seen);
	field(x->c, f, "last_ban", "%u", e->last_ban);
	field(x->c, f, "ban_reason", "%s", e->last_ban ? reason_name(e->ban_reason) : "");
	field(x->c, f, "ban_level", "%.2f", e->ban_level);
	field(x->c, f, "ban_threshold", "%.2f", e->ban_threshold);
	field(x->c, f, "ban_until", "%u", e->ban_until);
	field(x->c, f, "pardon_until", "%u", e->pardon_until);
	field(x->c, f, "last_recipient", "%s", e->last_rcpt);
}

static void show_dnsbl(struct ctx *x, const struct rg_addr *a)
{
	static const char *const names[] = { "none", "queued", "pending", "listed", "clean",
					     "error" };
	struct dnsbl_result res;
	const struct dnsbl_list *lists;
	unsigned n;

	if (!dnsbl_enabled(x->env->dnsbl) || !dnsbl_result(x->env->dnsbl, a, &res))
		return;
	lists = dnsbl_lists(x->env->dnsbl, &n);
	for (unsigned i = 0; i < n; i++) {
		const struct dnsbl_answer *an = &res.answers[i];

		field(x->c, &x->first, "type", "dnsbl");
		field(x->c, &x->first, "list", "%s", lists[i].zone);
		field(x->c, &x->first, "status", "%s", names[an->status]);
		field(x->c, &x->first, "answer", "%u.%u.%u.%u", an->a[0], an->a[1], an->a[2], an->a[3]);
		field(x->c, &x->first, "asked", "%u", an->asked);
		field(x->c, &x->first, "weight", "%d", lists[i].weight);
		if ((int)i == res.list)
			field(x->c, &x->first, "txt", "%s", res.txt);
		end_record(x->c, &x->first);
	}
}

/* The latest bad recipients tried from inside k, newest first. */
#define SHOW_RCPTS 10

static void show_recipients(struct ctx *x, const struct rg_lpm_key *k)
{
	const struct recent_rcpt *r[SHOW_RCPTS];
	size_t n = judge_recent(x->env->judge, k, r, SHOW_RCPTS);

	for (size_t i = 0; i < n; i++) {
		field(x->c, &x->first, "type", "recipient");
		field(x->c, &x->first, "time", "%u", r[i]->t);
		field(x->c, &x->first, "recipient", "%s", r[i]->rcpt);
		end_record(x->c, &x->first);
	}
}

static int cmd_show(struct ctx *x, const struct rg_lpm_key *k)
{
	struct rg_lpm_key ok = offenders_key(x->env->off, &k->addr);
	const struct offender *e = offenders_get(x->env->off, k->prefixlen == 128 ? &ok : k);
	const struct allow_entry *al = allowlist_match(enforce_allowlist(x->env->enf), &k->addr);

	x->match = &k->addr;
	if (enforce_foreach(x->env->enf, list_one, x) < 0)
		return -1;
	if (al) {
		char a[ADDR_STRLEN];

		addr_format(&al->key, a, sizeof(a));
		field(x->c, &x->first, "type", "allow");
		field(x->c, &x->first, "entry", "%s", a);
		field(x->c, &x->first, "origin", al->origin == RG_ALLOW_CONFIG ? "config" : "manual");
		end_record(x->c, &x->first);
	}
	show_dnsbl(x, &k->addr);
	if (e) {
		field(x->c, &x->first, "type", "offender");
		offender_fields(x, e);
		end_record(x->c, &x->first);
	}
	for (int i = 0; e && i < OFFENDER_EVENTS; i++) {
		const struct offender_event *ev = &e->ev[(e->ev_head + i) % OFFENDER_EVENTS];

		if (!ev->t)
			continue;
		field(x->c, &x->first, "type", "event");
		field(x->c, &x->first, "time", "%u", ev->t);
		field(x->c, &x->first, "event", "%s", evidence_name(ev->kind));
		end_record(x->c, &x->first);
	}
	show_recipients(x, k->prefixlen == 128 ? &ok : k);
	return 0;
}

void control_no_such_ban(struct enforcer *e, const char *arg, const struct rg_lpm_key *k,
			 char *err, size_t errlen)
{
	char a[ADDR_STRLEN];

	for (unsigned len = k->prefixlen; len-- > 0;) {
		struct rg_lpm_key p = { .prefixlen = len, .addr = k->addr };

		addr_mask(&p);
		if (enforce_has_ban(e, &p)) {
			addr_format(&p, a, sizeof(a));
			snprintf(err, errlen, "%s: no such ban; it is inside the ban of %s: unban %s, "
				 "or allow add %s to spare it alone", arg, a, a, arg);
			return;
		}
	}
	snprintf(err, errlen, "%s: no such ban", arg);
}

static const char *cmd_unban(struct ctx *x, char **w, int nw, char *err, size_t errlen)
{
	char by[64], note[256];
	uid_t uid;
	pid_t pid;
	int rc;

	conn_peer(x->c, &uid, &pid);
	snprintf(by, sizeof(by), "by=control uid=%d pid=%d", (int)uid, (int)pid);
	if (nw == 2 && strcmp(w[1], "--all") == 0) {
		long done = judge_unban_all(x->env->judge, by, (uint32_t)x->now);

		if (done < 0)
			return "out of memory";
		field(x->c, &x->first, "unbanned", "%ld", done);
		end_record(x->c, &x->first);
		return NULL;
	}
	for (int i = 1; i < nw; i++) {
		struct rg_lpm_key k;

		if (addr_parse(w[i], &k, err, errlen) < 0)
			return err;
		rc = judge_unban(x->env->judge, &k, by, (uint32_t)x->now);
		if (rc == 0 && x->env->crowdsec_unbanned &&
		    x->env->crowdsec_unbanned(x->env->reload_arg, &k, note, sizeof(note))) {
			field(x->c, &x->first, "crowdsec", "%s", note);
			end_record(x->c, &x->first);
		}
		if (rc == -ENOENT) {
			control_no_such_ban(x->env->enf, w[i], &k, err, errlen);
			return err;
		}
		if (rc < 0) {
			snprintf(err, errlen, "cannot unban %s: %s", w[i], strerror(-rc));
			return err;
		}
	}
	return NULL;
}

static const char *cmd_ban(struct ctx *x, char **w, int nw, char *err, size_t errlen)
{
	struct rg_lpm_key k;
	const struct allow_entry *al;
	char by[256], covers[128];
	uint64_t secs;
	uid_t uid;
	pid_t pid;
	bool force = nw > 1 && strcmp(w[1], "--force") == 0, wide;

	w += force;
	nw -= force;
	if (nw < 3 || nw > 4)
		return "usage: ban [--force] ADDR DURATION [NOTE]";
	if (nw == 4 && strlen(w[3]) >= RG_NOTE_LEN) {
		snprintf(err, errlen, "the note is %zu bytes; at most %d fit", strlen(w[3]),
			 RG_NOTE_LEN - 1);
		return err;
	}
	if (addr_parse(w[1], &k, err, errlen) < 0 || duration_parse(w[2], &secs, err, errlen) < 0)
		return err;
	wide = addr_needs_force(&k, &x->env->cfg->offenders.nat64, covers, sizeof(covers));
	if (wide && !force) {
		snprintf(err, errlen, "%s covers %s; add --force to ban it anyway", w[1], covers);
		return err;
	}
	conn_peer(x->c, &uid, &pid);
	snprintf(by, sizeof(by), "by=control uid=%d pid=%d%s%s%s", (int)uid, (int)pid,
		 wide ? " forced=yes covers=\"" : "", wide ? covers : "", wide ? "\"" : "");
	if (judge_manual_ban(x->env->judge, &k, secs, nw == 4 ? w[3] : NULL, by,
			     (uint32_t)x->now) != ENF_BANNED) {
		snprintf(err, errlen, "cannot ban %s; see the daemon's log", w[1]);
		return err;
	}
	if ((al = allowlist_overlap(enforce_allowlist(x->env->enf), &k))) {
		char a[ADDR_STRLEN];

		addr_format(&al->key, a, sizeof(a));
		field(x->c, &x->first, "allowlisted", "%s", a);
		end_record(x->c, &x->first);
	}
	return NULL;
}

/* allow add: each ban the new entry lifts (judge_lifted). */
static int say_lifted(const struct rg_lpm_key *k, const struct rg_ban *b, const char *note,
		      void *arg)
{
	struct ctx *x = arg;
	char a[ADDR_STRLEN], e[ADDR_STRLEN];

	(void)b, (void)note;
	addr_format(k, a, sizeof(a));
	addr_format(x->entry, e, sizeof(e));
	field(x->c, &x->first, "lifted", "%s", a);
	field(x->c, &x->first, "for", "%s", e);
	return end_record(x->c, &x->first) < 0 ? -ENOMEM : 0;
}

static const char *cmd_allow(struct ctx *x, char **w, int nw, char *err, size_t errlen)
{
	const struct allowlist *al = enforce_allowlist(x->env->enf);
	struct rg_lpm_key k;
	int rc;

	if (nw == 2 && strcmp(w[1], "list") == 0) {
		for (size_t i = 0; i < al->n; i++) {
			char a[ADDR_STRLEN];

			addr_format(&al->v[i].key, a, sizeof(a));
			field(x->c, &x->first, "address", "%s", a);
			field(x->c, &x->first, "origin", al->v[i].origin == RG_ALLOW_CONFIG ?
			      "config" : "manual");
			end_record(x->c, &x->first);
		}
		return NULL;
	}
	if (nw < 3 || (strcmp(w[1], "add") != 0 && strcmp(w[1], "del") != 0))
		return "usage: allow add|del ADDR... or allow list";
	for (int i = 2; i < nw; i++) {
		if (addr_parse(w[i], &k, err, errlen) < 0)
			return err;
		rc = judge_allow_changed(x->env->judge, &k, w[1][0] == 'a');
		if (rc == -ENOENT) {
			snprintf(err, errlen, "%s: no such allow entry", w[i]);
			return err;
		}
		if (rc < 0) {
			snprintf(err, errlen, "%s: %s", w[i], strerror(-rc));
			return err;
		}
		x->entry = &k;
		if (w[1][0] == 'a' && judge_lifted(x->env->judge, &k, say_lifted, x) < 0)
			return "out of memory";
	}
	return NULL;
}

static void metric(void *arg, const char *name, const char *help, const char *labels,
		   double v)
{
	struct ctx *x = arg;
	char value[PROM_VALUE_LEN];

	field(x->c, &x->first, "name", "%s", name);
	field(x->c, &x->first, "help", "%s", help);
	field(x->c, &x->first, "labels", "%s", labels);
	field(x->c, &x->first, "value", "%s", prom_value(value, sizeof(value), v));
	end_record(x->c, &x->first);
}

static void cmd_status(struct ctx *x)
{
	const struct verdict_stats *vs = verdicts_stats(x->env->verdicts);
	bool *f = &x->first;
	char warn[PATH_MAX + 160];
	uint64_t since;

	field(x->c, f, "pid", "%d", (int)getpid());
	field(x->c, f, "version", "%s", rg_version);
	field(x->c, f, "commit", "%s", rg_commit);
	field(x->c, f, "backend", "%s", enforce_backend(x->env->enf));
	field(x->c, f, "started", "%lld", (long long)x->env->started);
	field(x->c, f, "recipients", "%s", x->env->cfg->recipients[0] ?
	      x->env->cfg->recipients : "none");
	field(x->c, f, "recipients_keys", "%llu", (unsigned long long)vs->recipients_keys);
	field(x->c, f, "recipients_domains", "%llu", (unsigned long long)vs->recipients_domains);
	field(x->c, f, "recipients_refused", "%s", verdicts_db_refused(x->env->verdicts));
	field(x->c, f, "offenders", "%zu", offenders_count(x->env->off));
	field(x->c, f, "query_connections", "%zu", server_connections(x->env->query));
	field(x->c, f, "state_saved", "%llu", (unsigned long long)x->env->state_saved);
	/* Seconds the store's bans have been read back for; "" when not. */
	if (enforce_reconciling(x->env->enf, &since))
		field(x->c, f, "reconciling", "%llu",
		      (unsigned long long)((mono_ns() - since) / 1000000000ULL));
	else
		field(x->c, f, "reconciling", "%s", "");
	field(x->c, f, "follow_warning", "%s", follow_warning(x->env->follow, warn, sizeof(warn)) ?
	      warn : "");
	field(x->c, f, "follow_error", "%s", follow_error(x->env->follow, warn, sizeof(warn)) ?
	      warn : "");
	field(x->c, f, "crowdsec", "%s", !x->env->crowdsec || !x->env->crowdsec->enabled ? "off" :
	      x->env->crowdsec->up ? "up" : "down");
	if (x->env->crowdsec && x->env->crowdsec->enabled) {
		field(x->c, f, "crowdsec_decisions", "%llu",
		      (unsigned long long)x->env->crowdsec->records);
		field(x->c, f, "crowdsec_error", "%s", x->env->crowdsec->error);
	}
	if (x->env->crowdsec && x->env->crowdsec->push_enabled) {
		field(x->c, f, "crowdsec_push", "%s", x->env->crowdsec->push_down ? "down" : "up");
		field(x->c, f, "crowdsec_push_queued", "%llu",
		      (unsigned long long)x->env->crowdsec->push_queued);
	}
	end_record(x->c, f);
}

/* reload: the keys applied and those waiting for a restart. */
static const char *cmd_reload(struct ctx *x, char *err, size_t errlen)
{
	char changed[512], restart[512];

	if (x->env->reload(x->env->reload_arg, changed, restart, sizeof(changed), err,
			   errlen) < 0)
		return err;
	field(x->c, &x->first, "changed", "%s", changed);
	field(x->c, &x->first, "needs_restart", "%s", restart);
	end_record(x->c, &x->first);
	return NULL;
}

/* recipients reload [--force]: read the database now; recipients check
 * ADDR...: what the daemon answers for each, from the database in use. */
static const char *cmd_recipients(struct ctx *x, char **w, int nw, char *err, size_t errlen)
{
	struct verdicts *v = x->env->verdicts;

	if (nw >= 2 && strcmp(w[1], "reload") == 0 &&
	    (nw == 2 || (nw == 3 && strcmp(w[2], "--force") == 0))) {
		const struct verdict_stats *vs = verdicts_stats(v);

		if (verdicts_reload_db(v, nw == 3, err, errlen) < 0)
			return err;
		field(x->c, &x->first, "keys", "%llu", (unsigned long long)vs->recipients_keys);
		field(x->c, &x->first, "domains", "%llu",
		      (unsigned long long)vs->recipients_domains);
		end_record(x->c, &x->first);
		return NULL;
	}
	if (nw < 3 || strcmp(w[1], "check") != 0)
		return "usage: recipients reload [--force] or recipients check ADDR...";
	for (int i = 2; i < nw; i++) {
		char key[RCPT_MAX + 16];
		const char *action, *verdict = verdicts_explain(v, w[i], key, sizeof(key), &action);

		field(x->c, &x->first, "address", "%s", w[i]);
		field(x->c, &x->first, "verdict", "%s", verdict);
		field(x->c, &x->first, "key", "%s", key);
		field(x->c, &x->first, "action", "%s", action);
		end_record(x->c, &x->first);
	}
	return NULL;
}

struct top {
	const struct offender **v;
	size_t n, cap;
	uint32_t now;
	struct offenders *o;
};

static int top_collect(const struct offender *e, void *arg)
{
	struct top *t = arg;

	/* Network aggregates only; quiet entries do not make the list. */
	if (!e->bad_total || e->last_seen + 3600 < t->now)
		return 0;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		const struct offender **v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = e;
	return 0;
}

static struct top *sorting;

static int top_cmp(const void *a, const void *b)
{
	const struct offender *x = *(const struct offender *const *)a;
	const struct offender *y = *(const struct offender *const *)b;
	double lx = offenders_level(sorting->o, x, sorting->now);
	double ly = offenders_level(sorting->o, y, sorting->now);

	if (lx != ly)
		return lx < ly ? 1 : -1;
	return x->bad_total < y->bad_total ? 1 : x->bad_total > y->bad_total ? -1 : 0;
}

static const char *cmd_top(struct ctx *x, char **w, int nw)
{
	struct top t = { .now = (uint32_t)x->now, .o = x->env->off };
	unsigned long n = nw > 1 ? strtoul(w[1], NULL, 10) : 20;

	if (offenders_foreach(x->env->off, top_collect, &t) < 0) {
		free(t.v);
		return "out of memory";
	}
	sorting = &t;
	if (t.n)                        /* qsort(NULL, 0, ...) is undefined */
		qsort(t.v, t.n, sizeof(*t.v), top_cmp);
	for (size_t i = 0; i < t.n && i < n; i++) {
		offender_fields(x, t.v[i]);
		end_record(x->c, &x->first);
	}
	free(t.v);
	return NULL;
}

int control_words(char *buf, size_t len, char **w, int max, const char **why)
{
	char *save = NULL;
	int nw = 0;

	buf[len - 1] = '\0';
	if (len > 1 && buf[len - 2] == '\r')
		buf[len - 2] = '\0';
	if (memchr(buf, '\0', len - 1)) {
		*why = "NUL byte in request";
		return -1;
	}
	for (char *t = strtok_r(buf, " ", &save); t && nw < max; t = strtok_r(NULL, " ", &save))
		if (pct_decode(t) == 0)
			w[nw++] = t;
	return nw;
}

static int handle(struct conn *c, char *buf, size_t len, const char **why)
{
	struct control_env *env = conn_ctx(c);
	struct ctx x = { .c = c, .env = env, .now_ns = mono_ns(), .now = wall_secs(),
			 .first = true };
	char *w[MAX_WORDS], err[512];
	const char *fail = NULL;
	size_t mark;
	int nw = 0;
	uid_t uid;
	pid_t pid;

	if ((nw = control_words(buf, len, w, MAX_WORDS, why)) < 0)
		return -1;
	conn_peer(c, &uid, &pid);
	log_debug("event=control_command uid=%d pid=%d command=%s", (int)uid, (int)pid,
		 nw ? w[0] : "-");
	/* Answers are written after "ok"; an error replaces them. */
	mark = conn_pending(c);
	if (conn_printf(c, "ok\n") < 0)
		return -1;
	if (!nw)
		fail = "empty request";
	else if (strcmp(w[0], "list") == 0)
		fail = enforce_foreach(env->enf, list_one, &x) < 0 ? "out of memory" : NULL;
	else if (strcmp(w[0], "show") == 0) {
		struct rg_lpm_key k;

		if (nw != 2)
			fail = "usage: show ADDR";
		else if (addr_parse(w[1], &k, err, sizeof(err)) < 0)
			fail = err;
		else if (cmd_show(&x, &k) < 0)
			fail = "out of memory";
	} else if (strcmp(w[0], "ban") == 0)
		fail = cmd_ban(&x, w, nw, err, sizeof(err));
	else if (strcmp(w[0], "unban") == 0)
		fail = nw < 2 ? "usage: unban ADDR... or unban --all" :
		       cmd_unban(&x, w, nw, err, sizeof(err));
	else if (strcmp(w[0], "allow") == 0)
		fail = cmd_allow(&x, w, nw, err, sizeof(err));
	else if (strcmp(w[0], "stats") == 0)
		metrics_collect(env, metric, &x);
	else if (strcmp(w[0], "status") == 0)
		cmd_status(&x);
	else if (strcmp(w[0], "top") == 0)
		fail = cmd_top(&x, w, nw);
	else if (strcmp(w[0], "recipients") == 0)
		fail = cmd_recipients(&x, w, nw, err, sizeof(err));
	else if (strcmp(w[0], "reload") == 0)
		fail = cmd_reload(&x, err, sizeof(err));
	else
		fail = "unknown command";
	if (fail) {
		char enc[3 * sizeof(err) + 2];

		/* Drop what was written for this request: "ok" and any records. */
		conn_truncate(c, mark);
		pct_encode(fail, enc, sizeof(enc));
		return conn_printf(c, "error %s\n.\n", enc);
	}
	return conn_printf(c, ".\n");
}

static const struct server_ops ops = {
	.name = "control",
	.max_request = MAX_REQUEST,
	.frame = frame_line,
	.handle = handle,
	.log_peers = true,
};

/* Whoever may write the socket's directory may put their own socket in
 * its place and collect the admin's commands. */
static bool unsafe_dir(const char *path, char *err, size_t errlen)
{
	char dir[108];
	char *slash;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", path);
	if (!(slash = strrchr(dir, '/')))
		snprintf(dir, sizeof(dir), ".");
	else
		slash[slash == dir] = '\0';
	if (stat(dir, &st) < 0 || !(st.st_mode & S_IWOTH))
		return false;
	snprintf(err, errlen, "refusing the control socket %s: its directory %s is writable by "
		 "everyone, so anyone could replace the socket; use a directory only root "
		 "can write (chmod o-w %s, or control_socket = /run/rcptguard/control.sock)",
		 path, dir, dir);
	return true;
}

struct server *control_start(struct loop *l, struct control_env *env, char *err,
			     size_t errlen)
{
	const struct config *c = env->cfg;
	struct server *s = server_new(l, &ops, env, 64);

	if (!s) {
		snprintf(err, errlen, "cannot start the control server: out of memory");
		return NULL;
	}
	if (unsafe_dir(c->control_socket, err, errlen)) {
		server_free(s);
		return NULL;
	}
	if (server_listen_unix(s, c->control_socket, c->control_socket_gid == (gid_t)-1 ?
			       0600 : 0660, (uid_t)-1, c->control_socket_gid, err, errlen) < 0) {
		server_free(s);
		return NULL;
	}
	return s;
}
