/* enforce.c - the enforcement front: everything the backends share. The
 * judge (judge.c) decides; the front carries each decision out on one
 * backend's store and is the only code that calls the backend ops:
 *
 *   judge, the CLI's direct mode ─► front ─► put / del / walk / get / batch
 *                                    │        on the xdp, nft or none store
 *                                    └─ change hook ─► state journal
 *
 * What lives here, once for every backend:
 * - Allowlist precedence in the store: loopback, the config's entries, the
 *   allow files and manual entries are written as BACKEND_ALLOW entries; an
 *   entry that covers a ban's client or all of its prefix spares it (a
 *   manual ban is placed anyway: the kernel's allow map spares the entry).
 * - The one conversion of a duration into an expiry (duration_expiry_ns),
 *   handed to the store with the duration itself.
 * - The ban mirror (banmirror.c) of a SLOW_DUMP store, with adopt and proof
 *   for a fast restart; after a failed write it is read again.
 * - The expiry sweep (a KERNEL_EXPIRY store only needs it logged), the
 *   sessions a ban ends (sockkill.c), batching through the store's batch().
 * - Typed lists (ban_cb, allow_cb) over the store's walk, one key=value log
 *   line per ban, unban, expiry, allowlist hit and failure, and counters. */
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"
#include "enforce.h"
#include "log.h"
#include "names.h"
#include "duration.h"
#include "banmirror.h"
#include "sockkill.h"

#define SESSIONS_QUEUE 4096
#define SESSIONS_GRACE_NS (200 * 1000000ULL)

struct enforcer {
	const struct backend_ops *ops;
	void *ctx;
	struct allowlist allow;
	bool manual_loaded;
	struct enforce_stats st;
	uint16_t ports[CONFIG_MAX_PORTS];       /* whose sessions a ban ends */
	unsigned n_ports;
	struct {
		struct rg_lpm_key k;
		uint64_t due_ns;
	} pending[SESSIONS_QUEUE];              /* bans whose sessions are to close */
	unsigned n_pending;
	change_cb on_change;
	void *change_arg;
	/* The ban mirror of a SLOW_DUMP backend: its ban records (all but the
	 * drop counters), so "banned?", the state file's list and the expiry
	 * log cost no dump. Read when first needed; after a failed write it
	 * cannot tell what reached the kernel and is read again. */
	struct banmirror mirror;
	bool mirrored;                          /* mirror holds every ban of the store */
	/* A restart from the state file while the store is read back in the
	 * background (enforce_reconcile_begin): the keys changed since win
	 * over what the read saw; no proof until it is merged. */
	bool reconciling, unproven, reread;     /* reread: the mirror was read whole meanwhile */
	bool cleared;                           /* everything unbanned since begin */
	bool deleted;                           /* an element deleted since begin */
	uint64_t reconcile_since;
	struct banmirror touched;               /* keys only */
	size_t merged;                          /* of the read's bans, then of expect */
	struct reconcile_counts counts;
};

struct enforcer *enforce_new(const struct backend_ops *ops, void *ctx)
{
	struct enforcer *e = calloc(1, sizeof(*e));

	if (e) {
		e->ops = ops;
		e->ctx = ctx;
	}
	return e;
}

void enforce_use(struct enforcer *e, const struct backend_ops *ops, void *ctx)
{
	e->ops = ops;
	e->ctx = ctx;
}

void enforce_free(struct enforcer *e)
{
	if (!e)
		return;
	banmirror_free(&e->mirror);
	banmirror_free(&e->touched);
	allowlist_free(&e->allow);
	free(e);
}

void enforce_on_change(struct enforcer *e, change_cb cb, void *arg)
{
	e->on_change = cb;
	e->change_arg = arg;
}

const char *enforce_backend(const struct enforcer *e)
{
	return e->ops->name;
}

/* The front's lists take typed callbacks; a store walks records. */
struct typed {
	ban_cb ban;
	allow_cb allow;
	void *arg;
};

static int typed_visit(const struct rg_lpm_key *k, const struct backend_rec *r, void *arg)
{
	const struct typed *t = arg;

	return r->kind == BACKEND_ALLOW ? t->allow(k, &r->allow, t->arg) :
					  t->ban(k, &r->ban, r->note, t->arg);
}

static int walk_bans(struct enforcer *e, ban_cb cb, void *arg)
{
	struct typed t = { .ban = cb, .arg = arg };

	return e->ops->walk(e->ctx, BACKEND_BAN, typed_visit, &t);
}

int enforce_allow_foreach(struct enforcer *e, allow_cb cb, void *arg)
{
	struct typed t = { .allow = cb, .arg = arg };

	return e->ops->walk(e->ctx, BACKEND_ALLOW, typed_visit, &t);
}

static int keep_manual(const struct rg_lpm_key *k, const struct rg_allow *a, void *arg)
{
	struct allowlist *al = arg;

	return a->origin == RG_ALLOW_MANUAL ? allowlist_add(al, k, RG_ALLOW_MANUAL) : 0;
}

static int keep_any(const struct rg_lpm_key *k, const struct rg_allow *a, void *arg)
{
	return allowlist_add(arg, k, a->origin);
}

int enforce_allow_read(struct enforcer *e)
{
	int rc;

	allowlist_free(&e->allow);
	e->manual_loaded = true;
	rc = enforce_allow_foreach(e, keep_any, &e->allow);
	return rc < 0 ? rc : 0;
}

/* The host's own addresses: its own mail must never be dropped. */
static int add_own_addresses(struct allowlist *al)
{
	struct ifaddrs *ifa, *i;
	int rc = 0;

	if (getifaddrs(&ifa) < 0)
		return 0;
	for (i = ifa; i && rc == 0; i = i->ifa_next) {
		struct rg_lpm_key k = { .prefixlen = 128 };

		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			k.addr.a[10] = k.addr.a[11] = 0xff;
			memcpy(&k.addr.a[12], &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			memcpy(k.addr.a, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		rc = allowlist_add(al, &k, RG_ALLOW_CONFIG);
	}
	freeifaddrs(ifa);
	return rc;
}

int enforce_allow_prepare(struct enforcer *e, const struct config *c, struct allowlist *next,
			  char *err, size_t errlen)
{
	static const char *const always[] = { "127.0.0.0/8", "::1" };
	size_t skipped = 0;
	struct rg_lpm_key k;

	memset(next, 0, sizeof(*next));
	for (size_t i = 0; i < sizeof(always) / sizeof(always[0]); i++)
		if (addr_parse(always[i], &k, err, errlen) < 0 ||
		    allowlist_add(next, &k, RG_ALLOW_CONFIG) < 0)
			goto fail;
	for (unsigned i = 0; i < c->n_allow; i++)
		if (allowlist_add(next, &c->allow[i], RG_ALLOW_CONFIG) < 0)
			goto oom;
	if (c->allow_own_addresses && add_own_addresses(next) < 0)
		goto oom;
	for (unsigned i = 0; i < c->n_allow_files; i++)
		if (allowlist_read_file(next, c->allow_files[i], &skipped, err, errlen) < 0)
			goto fail;
	/* Manual entries: from the backend the first time (they may predate
	 * this daemon), from memory after that; none without an enforcer
	 * (rcptguardd -t). */
	if (e && !e->manual_loaded) {
		if (enforce_allow_foreach(e, keep_manual, next) < 0)
			goto oom;
		e->manual_loaded = true;
	} else if (e) {
		for (size_t i = 0; i < e->allow.n; i++)
			if (e->allow.v[i].origin == RG_ALLOW_MANUAL &&
			    allowlist_add(next, &e->allow.v[i].key, RG_ALLOW_MANUAL) < 0)
				goto oom;
	}
	if (skipped)
		log_info("event=allow_files skipped=%zu note=\"tcprules lines naming hosts, not "
			 "addresses, cannot be allowlisted\"", skipped);
	return 0;
oom:
	snprintf(err, errlen, "out of memory building the allowlist");
fail:
	allowlist_free(next);
	return -1;
}

void enforce_sessions(struct enforcer *e, const struct config *c)
{
	e->n_ports = c->close_sessions ? c->n_ports : 0;
	memcpy(e->ports, c->ports, e->n_ports * sizeof(e->ports[0]));
}

/* One ban's closed sessions: one log line when there were any. A backend
 * that drops nothing (none) closes nothing: it counts. */
static void log_sessions(const struct enforcer *e, const struct rg_lpm_key *k, bool dry,
			 const struct sockkill_result *r)
{
	char a[ADDR_STRLEN];

	if (!r->matched && !r->spared)
		return;
	addr_format(k, a, sizeof(a));
	if (r->failed)
		log_err("event=close_sessions address=%s backend=%s sessions_closed=%u "
			"sessions_failed=%u error=\"%s%s\"", a, e->ops->name, r->closed, r->failed,
			strerror(r->error), r->error == EPERM ? "; closing a session needs "
			"CAP_NET_ADMIN, which rcptguardd keeps only when it starts with "
			"close_sessions = yes" : "");
	else
		log_info("event=close_sessions address=%s backend=%s %s=%u spared=%u%s", a,
			 e->ops->name, dry ? "would_close" : "sessions_closed",
			 dry ? r->matched : r->closed, r->spared, r->truncated ? " truncated=yes" : "");
}

/* The sessions of the queued bans due by now_ns (all of them when now_ns
 * is UINT64_MAX), in one pass: a ban storm costs a dump per tick, not one
 * per ban. */
void enforce_sessions_due(struct enforcer *e, uint64_t now_ns)
{
	static struct rg_lpm_key keys[SESSIONS_QUEUE];
	static struct sockkill_result r[SESSIONS_QUEUE];
	bool dry = !(enforce_caps(e) & BACKEND_DROPS);
	unsigned due = 0, n = 0;
	char a[ADDR_STRLEN];
	int rc;

	while (due < e->n_pending && e->pending[due].due_ns <= now_ns) {
		/* Unbanned in the meantime: nothing to end. */
		if (enforce_has_ban(e, &e->pending[due].k))
			keys[n++] = e->pending[due].k;
		due++;
	}
	e->n_pending -= due;
	memmove(e->pending, e->pending + due, e->n_pending * sizeof(e->pending[0]));
	if (!n)
		return;
	if ((rc = sockkill_many(keys, n, e->ports, e->n_ports, &e->allow, dry, r)) < 0) {
		addr_format(&keys[0], a, sizeof(a));
		log_err("event=close_sessions address=%s bans=%u error=\"cannot list sockets: %s\"",
			a, n, strerror(-rc));
		return;
	}
	for (unsigned i = 0; i < n; i++)
		log_sessions(e, &keys[i], dry, &r[i]);
}

/* The closing waits SESSIONS_GRACE_NS: the request that made the ban is
 * answered first, and the MTA sends that session its 421 and hangs up. A
 * full queue is worked through now, in one pass. */
static void queue_sessions(struct enforcer *e, const struct rg_lpm_key *k)
{
	if (!e->n_ports)
		return;
	if (e->n_pending == SESSIONS_QUEUE)
		enforce_sessions_due(e, UINT64_MAX);
	e->pending[e->n_pending].k = *k;
	e->pending[e->n_pending++].due_ns = mono_ns() + SESSIONS_GRACE_NS;
}

static int put_allow(struct enforcer *e, const struct rg_lpm_key *k, unsigned origin)
{
	struct backend_rec r = { .kind = BACKEND_ALLOW, .allow.origin = origin };

	return e->ops->put(e->ctx, k, &r);
}

/* The backend goes from the config entries of from to all of to: 0, or
 * the first error (a removal the backend refuses, an entry it cannot
 * take), said in err. */
static int write_allow(struct enforcer *e, const struct allowlist *from,
		       const struct allowlist *to, char *err, size_t errlen)
{
	char a[ADDR_STRLEN];
	int rc = 0;

	for (size_t i = 0; i < from->n && !rc; i++)
		if (from->v[i].origin == RG_ALLOW_CONFIG) {
			bool kept = false;

			for (size_t j = 0; j < to->n && !kept; j++)
				kept = to->v[j].key.prefixlen == from->v[i].key.prefixlen &&
				       !memcmp(&to->v[j].key.addr, &from->v[i].key.addr, 16);
			if (!kept &&
			    (rc = e->ops->del(e->ctx, BACKEND_ALLOW, &from->v[i].key)) == -ENOENT)
				rc = 0;
			if (rc < 0) {
				addr_format(&from->v[i].key, a, sizeof(a));
				snprintf(err, errlen, "cannot remove allow entry %s: %s; the old "
					 "allowlist stays", a, strerror(-rc));
			}
		}
	for (size_t i = 0; i < to->n && !rc; i++)
		if ((rc = put_allow(e, &to->v[i].key, to->v[i].origin)) < 0)
			snprintf(err, errlen, "cannot write allow entries: %s; raise max_allow",
				 strerror(-rc));
	return rc;
}

int enforce_allow_commit(struct enforcer *e, struct allowlist *next, char *err, size_t errlen)
{
	char ignored[256];

	if (write_allow(e, &e->allow, next, err, errlen) < 0) {
		/* Back to the allowlist in force, whole. */
		write_allow(e, next, &e->allow, ignored, sizeof(ignored));
		allowlist_free(next);
		return -1;
	}
	allowlist_free(&e->allow);
	e->allow = *next;
	memset(next, 0, sizeof(*next));
	return 0;
}

int enforce_load_allow(struct enforcer *e, const struct config *c, char *err, size_t errlen)
{
	struct allowlist next;

	if (enforce_allow_prepare(e, c, &next, err, errlen) < 0)
		return -1;
	return enforce_allow_commit(e, &next, err, errlen);
}

unsigned enforce_caps(const struct enforcer *e)
{
	return e->ops->caps ? e->ops->caps(e->ctx) : 0;
}

static bool mirroring(const struct enforcer *e)
{
	return enforce_caps(e) & BACKEND_SLOW_DUMP;
}

static void mirror_drop(struct enforcer *e)
{
	e->mirrored = false;
	banmirror_free(&e->mirror);
	e->reread = e->reconciling;
}

/* A change of the front's own while the store is read back: it wins. A
 * key that cannot be noted makes the read's result unusable. */
static void touch(struct enforcer *e, const struct rg_lpm_key *k)
{
	if (e->reconciling && banmirror_put(&e->touched, k, 0, 0, 0, NULL) < 0)
		mirror_drop(e);
}

/* An element deleted (or replaced) during the read may make its dump skip
 * another (each reply re-walks the set and skips as many as it has
 * returned): the merged result is then not proven whole. */
static void deleting(struct enforcer *e)
{
	e->deleted |= e->reconciling;
}

static int mirror_one(const struct rg_lpm_key *k, const struct rg_ban *b, const char *note,
		      void *arg)
{
	return banmirror_put(arg, k, b->reason, b->expires_ns, b->created_unix, note);
}

static int mirror_load(struct enforcer *e)
{
	int rc;

	if (e->mirrored)
		return 0;
	if ((rc = walk_bans(e, mirror_one, &e->mirror)) == 0)
		e->mirrored = true;
	else
		mirror_drop(e);
	return rc;
}

int enforce_mirror(struct enforcer *e, bool adopt)
{
	if (!mirroring(e))
		return 0;
	if (adopt) {
		e->mirrored = true;     /* filled by enforce_adopt() from the state file */
		return 0;
	}
	return mirror_load(e);
}

/* The one place a duration becomes an expiry. */
static int put(struct enforcer *e, const struct rg_lpm_key *k, uint64_t secs, unsigned reason,
	       const char *note)
{
	const struct banmirror_entry *m;
	struct rg_ban old = { 0 };
	struct backend_rec r = { .kind = BACKEND_BAN, .secs = secs, .note = note,
				 .ban = { .expires_ns = duration_expiry_ns(secs), .reason = reason,
					  .created_unix = wall_secs(), .prefixlen = k->prefixlen } };
	int rc;

	touch(e, k);
	if ((m = e->mirrored ? banmirror_get(&e->mirror, k) : NULL)) {
		deleting(e);
		old = (struct rg_ban){ .expires_ns = m->expires_ns,
				       .created_unix = m->created_unix, .reason = m->reason };
		r.old = &old;
	}
	if ((rc = e->ops->put(e->ctx, k, &r)) < 0)
		mirror_drop(e);
	else if (e->mirrored && (rc = banmirror_put(&e->mirror, k, reason, r.ban.expires_ns,
						    r.ban.created_unix, note)) < 0)
		mirror_drop(e);
	return rc;
}

enum enf_result enforce_ban(struct enforcer *e, const struct rg_lpm_key *k,
			    const struct rg_addr *client, uint64_t secs, unsigned reason,
			    const char *note, bool manual, const char *why)
{
	const struct allow_entry *hit = client ? allowlist_match(&e->allow, client) : NULL;
	char a[ADDR_STRLEN], b[ADDR_STRLEN];
	int rc;

	/* An entry that covers the whole prefix spares it too; one inside
	 * it is spared by the kernel's allow map while the rest is banned. */
	if (!hit)
		hit = allowlist_match(&e->allow, &k->addr);
	if (hit && hit->key.prefixlen > k->prefixlen)
		hit = NULL;
	addr_format(k, a, sizeof(a));
	if (hit && !manual) {
		e->st.allowlist_hits++;
		addr_format(&hit->key, b, sizeof(b));
		log_info("event=allowlist_hit address=%s entry=%s reason=%s %s", a, b,
			 reason_name(reason), why);
		return ENF_ALLOWLISTED;
	}
	rc = put(e, k, secs, reason, note);
	if (rc < 0) {
		e->st.failures++;
		log_err("event=ban_failed address=%s backend=%s error=\"%s\"%s", a, e->ops->name,
			strerror(-rc), rc == -E2BIG || rc == -ENOMEM ?
			" note=\"the ban map is full; raise max_bans\"" : "");
		return ENF_FAILED;
	}
	if (reason < RG_REASON_MAX)
		e->st.bans[reason]++;
	log_info("event=ban address=%s reason=%s duration=%llu backend=%s %s", a,
		 reason_name(reason), (unsigned long long)secs, e->ops->name, why);
	queue_sessions(e, k);
	if (e->on_change)
		e->on_change(k, true, secs, reason, note, e->change_arg);
	return ENF_BANNED;
}

int enforce_restore(struct enforcer *e, const struct rg_lpm_key *k, uint64_t secs,
		    unsigned reason, const char *note)
{
	return put(e, k, secs, reason, note);
}

int enforce_adopt(struct enforcer *e, const struct rg_lpm_key *k, uint64_t secs,
		  unsigned reason, uint64_t created_unix, const char *note)
{
	return e->mirrored ? banmirror_put(&e->mirror, k, reason, duration_expiry_ns(secs),
					created_unix, note) : 0;
}

int enforce_adopt_room(struct enforcer *e, size_t n)
{
	return e->mirrored ? banmirror_reserve(&e->mirror, e->mirror.n + n) : 0;
}

void enforce_reconcile_begin(struct enforcer *e)
{
	banmirror_free(&e->touched);
	e->reconciling = e->unproven = true;
	e->reread = e->cleared = e->deleted = false;
	e->merged = 0;
	e->reconcile_since = mono_ns();
}

void enforce_cleared(struct enforcer *e)
{
	e->cleared = e->reconciling;
	/* What the read may not show goes too, if every ban the front knew did. */
	if (e->cleared && e->ops->clear && !(e->mirrored && e->mirror.n)) {
		deleting(e);
		if (e->ops->clear(e->ctx, BACKEND_BAN) < 0)
			log_err("event=unban_all_flush result=failed backend=%s note=\"bans only "
				"the kernel held stay until their timeout or the next read\"",
				e->ops->name);
	}
}

bool enforce_reconciling(const struct enforcer *e, uint64_t *since_ns)
{
	*since_ns = e->reconcile_since;
	return e->reconciling;
}

/* The kernel's element for k, rewritten to the front's ban when they
 * differ where the kernel cannot update an element in place (reason,
 * permanence): the front's put during the read could not know it. */
static int rewrite(struct enforcer *e, const struct banmirror_entry *kern,
		   const struct banmirror_entry *m, uint64_t now)
{
	struct rg_ban old = { .expires_ns = kern->expires_ns, .created_unix = kern->created_unix,
			      .reason = kern->reason };
	struct backend_rec r = { .kind = BACKEND_BAN, .note = m->note, .old = &old,
				 .ban = { .expires_ns = m->expires_ns, .reason = m->reason,
					  .created_unix = m->created_unix,
					  .prefixlen = m->key.prefixlen } };

	if (kern->reason == m->reason && !kern->expires_ns == !m->expires_ns)
		return 0;
	if (m->expires_ns && m->expires_ns <= now)
		return 0;               /* the sweep's */
	r.secs = m->expires_ns ? (m->expires_ns - now + 999999999) / 1000000000 : 0;
	deleting(e);
	return e->ops->put(e->ctx, &m->key, &r) < 0 ? -1 : 1;
}

/* The state file keeps expiries to the second, and each restart from it
 * may move one by a second: an expiry this close is the same ban's. */
#define SAME_EXPIRY_NS (10 * 1000000000ULL)

static bool same_ban(const struct banmirror_entry *a, const struct banmirror_entry *b)
{
	uint64_t d = a->expires_ns > b->expires_ns ? a->expires_ns - b->expires_ns :
						       b->expires_ns - a->expires_ns;

	return a->reason == b->reason && a->created_unix == b->created_unix &&
	       !a->expires_ns == !b->expires_ns && d <= SAME_EXPIRY_NS &&
	       !strcmp(a->note ? a->note : "", b->note ? b->note : "");
}

/* One ban the read found: the mirror takes it, unless the front changed
 * its key since begin. 0, 1 when it corrected the mirror, or -errno. */
static int merge_one(struct enforcer *e, const struct banmirror_entry *k, uint64_t now,
		     struct reconcile_counts *n)
{
	struct banmirror_entry *m = banmirror_get(&e->mirror, &k->key);
	int rc;

	if (banmirror_get(&e->touched, &k->key)) {
		if (m && (rc = rewrite(e, k, m, now)) != 0) {
			if (rc < 0)
				return -EIO;
			n->rewritten++;
		}
		return 0;
	}
	/* Not the front's since everything was unbanned: unbanned too. */
	if (e->cleared) {
		deleting(e);
		rc = e->ops->del(e->ctx, BACKEND_BAN, &k->key);
		return rc < 0 && rc != -ENOENT ? -EIO : 0;
	}
	/* Expired in the kernel since the read saw it (and maybe swept). */
	if (!m && k->expires_ns && k->expires_ns <= now)
		return 0;
	if (m && same_ban(m, k)) {
		m->expires_ns = k->expires_ns;  /* the kernel's, to the ms */
		return 0;
	}
	if ((rc = banmirror_put(&e->mirror, &k->key, k->reason, k->expires_ns, k->created_unix,
				k->note)) < 0)
		return rc;
	if (m)
		n->updated++;
	else
		n->added++;
	banmirror_get(&e->mirror, &k->key)->created_unix = k->created_unix;
	return 1;
}

/* A saved ban (a key of expect) the store lacks was removed while we were
 * down, unless the front changed it since, or it expired: the saved expiry
 * may be later than the kernel's by SAME_EXPIRY_NS. That one ends now, at
 * the sweep, like any expiry. */
static void drop_missing(struct enforcer *e, const struct banmirror *kernel,
			 const struct rg_lpm_key *k, uint64_t now, expired_cb gone, void *arg,
			 struct reconcile_counts *n)
{
	struct banmirror_entry *m;

	if (banmirror_get(kernel, k) || banmirror_get(&e->touched, k) ||
	    !(m = banmirror_get(&e->mirror, k)))
		return;
	if (m->expires_ns && m->expires_ns <= now + SAME_EXPIRY_NS) {
		m->expires_ns = now;
		return;
	}
	banmirror_del(&e->mirror, k);
	n->removed++;
	gone(k, arg);
}

/* Slices keep every turn of the event loop short at a million bans. */
#define MERGE_SLICE 50000

int enforce_reconcile_step(struct enforcer *e, const struct banmirror *kernel,
			   const struct rg_lpm_key *expect, size_t n_expect, expired_cb gone,
			   void *arg, struct reconcile_counts *n)
{
	uint64_t now = mono_ns();
	size_t left = MERGE_SLICE;
	int rc = 0;

	if (!e->reconciling)
		return -EINVAL;
	if (!e->merged)
		memset(&e->counts, 0, sizeof(e->counts));
	/* Read whole meanwhile (after a failed write), or nothing read. */
	if (!e->reread && kernel) {
		for (; left && e->merged < kernel->n && rc >= 0; left--, e->merged++)
			rc = merge_one(e, &kernel->e[e->merged], now, &e->counts);
		for (; left && rc >= 0 && e->merged - kernel->n < n_expect; left--, e->merged++)
			drop_missing(e, kernel, &expect[e->merged - kernel->n], now, gone, arg,
				     &e->counts);
		if (rc >= 0 && !e->reread && e->merged < kernel->n + n_expect)
			return 1;
	}
	e->counts.changed = e->touched.n;
	e->counts.bans = e->mirror.n;
	*n = e->counts;
	e->reconciling = false;
	e->merged = 0;
	banmirror_free(&e->touched);
	if (e->reread) {
		e->unproven = false;
		return 2;
	}
	if (!kernel)
		return 0;
	/* Partly merged: the next read of the mirror reads the store whole. */
	if (rc < 0) {
		mirror_drop(e);
		return rc;
	}
	e->unproven = e->deleted;
	return 0;
}

void enforce_proof(struct enforcer *e, char *buf, size_t len)
{
	buf[0] = 0;
	if (e->ops && e->mirrored && !e->unproven && e->ops->version)
		e->ops->version(e->ctx, buf, len);
}

int enforce_batch(struct enforcer *e, bool on)
{
	int rc = e->ops->batch ? e->ops->batch(e->ctx, on) : 0;

	if (rc < 0)
		mirror_drop(e);
	return rc;
}

int enforce_flush(struct enforcer *e)
{
	int rc;

	if (!e->ops || !e->ops->batch)
		return 0;
	rc = e->ops->batch(e->ctx, false);
	e->ops->batch(e->ctx, true);
	if (rc == 0)
		return 0;
	mirror_drop(e);
	e->st.failures++;
	log_err("event=ban_commit result=failed backend=%s error=\"%s\" note=\"the bans of this "
		"moment may be missing from the kernel; they are read back from it\"",
		e->ops->name, strerror(-rc));
	return rc;
}

int enforce_unban(struct enforcer *e, const struct rg_lpm_key *k, const char *why)
{
	char a[ADDR_STRLEN];
	int rc = e->ops->del(e->ctx, BACKEND_BAN, k);

	touch(e, k);
	deleting(e);
	if (e->mirrored)
		banmirror_del(&e->mirror, k);
	if (rc < 0 && rc != -ENOENT)
		mirror_drop(e);
	if (rc == 0) {
		e->st.unbans++;
		addr_format(k, a, sizeof(a));
		log_info("event=unban address=%s backend=%s %s", a, e->ops->name, why);
		if (e->on_change)
			e->on_change(k, false, 0, 0, NULL, e->change_arg);
	}
	return rc;
}

int enforce_allow_add(struct enforcer *e, const struct rg_lpm_key *k)
{
	char a[ADDR_STRLEN];
	int rc = put_allow(e, k, RG_ALLOW_MANUAL);

	if (rc < 0)
		mirror_drop(e);         /* bans queued before it may be lost */
	if (rc == 0 && allowlist_add(&e->allow, k, RG_ALLOW_MANUAL) < 0)
		rc = -ENOMEM;
	if (rc == 0) {
		addr_format(k, a, sizeof(a));
		log_info("event=allow_add address=%s", a);
	}
	return rc;
}

int enforce_allow_del(struct enforcer *e, const struct rg_lpm_key *k)
{
	char a[ADDR_STRLEN];
	int rc = e->ops->del(e->ctx, BACKEND_ALLOW, k);

	if (rc < 0 && rc != -ENOENT)
		mirror_drop(e);         /* bans queued before it may be lost */
	if (allowlist_del(&e->allow, k) == 0 && rc == -ENOENT)
		rc = 0;
	if (rc == 0) {
		addr_format(k, a, sizeof(a));
		log_info("event=allow_del address=%s", a);
	}
	return rc;
}

const struct allowlist *enforce_allowlist(const struct enforcer *e)
{
	return &e->allow;
}

int enforce_foreach(struct enforcer *e, ban_cb cb, void *arg)
{
	return walk_bans(e, cb, arg);
}

/* From the mirror where the store is slow to list: a dump of a large set
 * costs seconds of kernel time, and the state file is written every
 * second while bans change. */
int enforce_records(struct enforcer *e, ban_cb cb, void *arg)
{
	int rc;

	if (!mirroring(e))
		return walk_bans(e, cb, arg);
	rc = mirror_load(e);
	for (size_t i = 0; rc == 0 && i < e->mirror.n; i++) {
		const struct banmirror_entry *m = &e->mirror.e[i];
		struct rg_ban b = { .expires_ns = m->expires_ns, .created_unix = m->created_unix,
				    .reason = m->reason, .prefixlen = m->key.prefixlen };

		rc = cb(&m->key, &b, m->note ? m->note : "", arg);
	}
	return rc;
}

struct find {
	const struct rg_lpm_key *k;
	struct rg_ban *out;
};

static int find_one(const struct rg_lpm_key *k, const struct rg_ban *b, const char *note,
		    void *arg)
{
	struct find *f = arg;

	(void)note;
	if (k->prefixlen != f->k->prefixlen || memcmp(&k->addr, &f->k->addr, sizeof(k->addr)))
		return 0;
	*f->out = *b;
	return 1;
}

int enforce_get_ban(struct enforcer *e, const struct rg_lpm_key *k, struct rg_ban *out)
{
	struct backend_rec r;
	struct find f = { k, out };
	int rc;

	if (!e->ops->get)
		return (rc = walk_bans(e, find_one, &f)) == 1 ? 0 : rc < 0 ? rc : -ENOENT;
	if ((rc = e->ops->get(e->ctx, k, &r)) == 0)
		*out = r.ban;
	return rc;
}

bool enforce_has_ban(struct enforcer *e, const struct rg_lpm_key *k)
{
	struct rg_ban b;

	if (mirroring(e))
		return mirror_load(e) == 0 && banmirror_get(&e->mirror, k);
	return enforce_get_ban(e, k, &b) == 0;
}

static void expired(struct enforcer *e, const struct rg_lpm_key *k, expired_cb cb, void *arg)
{
	char a[ADDR_STRLEN];

	e->st.expired++;
	addr_format(k, a, sizeof(a));
	log_info("event=expire address=%s backend=%s", a, e->ops->name);
	if (cb)
		cb(k, arg);
}

/* Up to SWEEP_BATCH expired bans per walk of the store: the walk may not
 * remove what it walks (the none store moves its last entry into a hole). */
#define SWEEP_BATCH 512

struct due {
	struct rg_lpm_key k[SWEEP_BATCH];
	unsigned n;
	uint64_t now;
};

static int collect_due(const struct rg_lpm_key *k, const struct rg_ban *b, const char *note,
		       void *arg)
{
	struct due *d = arg;

	(void)note;
	if (b->expires_ns && b->expires_ns <= d->now)
		d->k[d->n++] = *k;
	return d->n == SWEEP_BATCH;
}

/* A store the kernel expires itself has dropped them already: only the
 * mirror and the log hear of it. */
static void sweep_mirror(struct enforcer *e, uint64_t now_ns, expired_cb cb, void *arg)
{
	bool remove = !(enforce_caps(e) & BACKEND_KERNEL_EXPIRY);
	int rc;

	if (mirror_load(e) < 0)
		return;
	for (size_t i = 0; i < e->mirror.n;) {
		struct banmirror_entry m = e->mirror.e[i];

		if (!m.expires_ns || m.expires_ns > now_ns ||
		    (remove && (rc = e->ops->del(e->ctx, BACKEND_BAN, &m.key)) < 0 &&
		     rc != -ENOENT)) {
			i++;
			continue;
		}
		banmirror_del(&e->mirror, &m.key);     /* moves the last entry into i */
		/* The kernel's own expiry is no decision of the front's: what
		 * the read saw (an element made permanent meanwhile) wins. */
		if (remove) {
			touch(e, &m.key);
			deleting(e);
		}
		expired(e, &m.key, cb, arg);
	}
}

void enforce_sweep(struct enforcer *e, uint64_t now_ns, expired_cb cb, void *arg)
{
	struct due *d;
	unsigned removed;

	if (mirroring(e)) {
		sweep_mirror(e, now_ns, cb, arg);
		return;
	}
	if (!(d = malloc(sizeof(*d))))
		return;
	d->now = now_ns;
	do {
		d->n = 0;
		removed = 0;
		walk_bans(e, collect_due, d);
		for (unsigned i = 0; i < d->n; i++)
			if (e->ops->del(e->ctx, BACKEND_BAN, &d->k[i]) == 0) {
				removed++;
				expired(e, &d->k[i], cb, arg);
			}
	} while (d->n == SWEEP_BATCH && removed);
	free(d);
}

int enforce_drops(struct enforcer *e, struct rg_stats *out)
{
	return e->ops->stats(e->ctx, out);
}

const struct enforce_stats *enforce_stats(const struct enforcer *e)
{
	return &e->st;
}
