/* judge.c - who is banned, and why. Every change to offender or ban state
 * passes through here; the rooms around it only report what happened:
 *
 *   verdicts, the log follower  ─ evidence ─┐
 *   control socket ─ ban, unban, allow ─────┤
 *   the daemon's start ─ saved state ───────┼─► judge ─► enforcement front ─► backend
 *   the front's sweep ─ expiries ───────────┤   (offenders.c: counts, escalation)
 *   rcptguard replay (over the none backend)┘
 *
 * The rules, in the order a piece of evidence meets them:
 * - Address sanity: evidence from an address that can never be an offender
 *   (addr_refused: unspecified, loopback, broadcast, ...) is refused and
 *   counted; a saved automatic ban of one is removed at start.
 * - Credit: a valid recipient of delivered mail (EV_VALID) raises the
 *   client's threshold; offenders.c caps it.
 * - Pardons: a client unbanned by hand is not banned again by evidence for
 *   pardon_time.
 * - Allowlist always wins: an entry that covers the client, or all of the
 *   network to ban, spares it (the count is forgotten), and an entry beats
 *   a ban that already exists, whichever came first.
 * - Escalation: each repeat offense bans longer (offenders.c).
 * - Subnet bans: a ban that completes subnet_bans bans in one /24 bans the
 *   /24 too, as a second decision carried out the same way.
 * Manual bans skip all of this but address sanity's --force (control.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "duration.h"
#include "grow.h"
#include "judge.h"
#include "log.h"

struct judge {
	struct offenders *off;
	struct enforcer *enf;
	struct judge_stats st;
	judge_event_cb on_event;
	void *event_arg;
	struct recent recent;
};

struct judge *judge_new(struct offenders *off, struct enforcer *enf)
{
	struct judge *j = calloc(1, sizeof(*j));

	if (j) {
		j->off = off;
		j->enf = enf;
	}
	return j;
}

void judge_free(struct judge *j)
{
	free(j);
}

void judge_on_event(struct judge *j, judge_event_cb cb, void *arg)
{
	j->on_event = cb;
	j->event_arg = arg;
}

size_t judge_recent(const struct judge *j, const struct rg_lpm_key *k,
		    const struct recent_rcpt **out, size_t max)
{
	return recent_get(&j->recent, k, out, max);
}

static void tell(struct judge *j, struct judge_event e)
{
	if (j->on_event)
		j->on_event(&e, j->event_arg);
}

const struct judge_stats *judge_stats(const struct judge *j)
{
	return &j->st;
}

/* An allow entry beats a ban, whichever came first. */
static bool allowed(const struct judge *j, const struct rg_addr *client)
{
	return allowlist_match(enforce_allowlist(j->enf), client) != NULL;
}

/* Does a ban of k from another source (the LAPI) outlast secs more? Then
 * a local ban is recorded (offenders.c) but leaves the kernel entry to it:
 * the kernel keeps the longest expiry, and the remote source's lift gives
 * the entry back to the local ban (judge_remote_lift). */
static bool remote_outlasts(struct judge *j, const struct rg_lpm_key *k, uint64_t secs)
{
	struct rg_ban b;

	if (enforce_get_ban(j->enf, k, &b) < 0 || b.reason != RG_REASON_CROWDSEC)
		return false;
	return !b.expires_ns || (secs && b.expires_ns >= duration_expiry_ns(secs));
}

struct judgement judge_evidence(struct judge *j, const struct rg_addr *client,
				enum evidence ev, double weight, const char *rcpt,
				const char *source, uint32_t now)
{
	struct decision d = offenders_evidence(j->off, client, ev, weight, rcpt, now);
	struct judgement out = { .banned = false };
	char why[192], a[ADDR_STRLEN];

	if (rcpt && *rcpt && ev != EV_VALID && d.what != D_REFUSED) {
		struct rg_lpm_key k = offenders_key(j->off, client);

		recent_add(&j->recent, &k, rcpt, now);
	}
	switch (d.what) {
	case D_NONE:
		return out;
	case D_REFUSED:
		/* Never an offender (docs/offenders.md); credit is dropped quietly. */
		if (ev != EV_VALID) {
			j->st.evidence_refused++;
			addr_format(&d.prefix, a, sizeof(a));
			log_info("event=evidence_refused address=%s why=%s evidence=%s%s", a, d.why,
				 evidence_name(ev), source);
		}
		return out;
	case D_ALREADY_BANNED:
		out.banned = !allowed(j, client);
		return out;
	case D_PARDONED:
		j->st.pardoned++;
		addr_format(&d.prefix, a, sizeof(a));
		log_info("event=pardoned address=%s evidence=%s note=\"unbanned by hand; not "
			 "banned again during pardon_time\"", a, evidence_name(ev));
		offenders_spared(j->off, &d.prefix, EV_PARDONED, now);
		return out;
	case D_BAN:
		break;
	}
	/* The client's network, then the /24 it may complete. */
	for (int round = 0; round < 2 && d.what == D_BAN; round++) {
		struct judge_event je = { .what = JUDGE_BAN, .key = &d.prefix, .time = now,
					  .secs = d.secs, .reason = d.reason, .offense = d.offense,
					  .note = "", .by = "judge", .score = d.level,
					  .threshold = d.threshold };
		bool remote = remote_outlasts(j, &d.prefix, d.secs);
		int n = snprintf(why, sizeof(why), "offense=%u evidence=%s%s", d.offense,
				 evidence_name(ev), source);

		if (d.threshold > 0 && n > 0 && (size_t)n < sizeof(why))
			snprintf(why + n, sizeof(why) - (size_t)n, " score=%.2f threshold=%.2f",
				 d.level, d.threshold);
		je.remote = remote;
		switch (remote ? ENF_BANNED :
			enforce_ban(j->enf, &d.prefix, round ? NULL : client, d.secs, d.reason,
				    NULL, false, why)) {
		case ENF_ALLOWLISTED:
			j->st.spared++;
			offenders_spared(j->off, &d.prefix, EV_ALLOWLISTED, now);
			out.banned = false;
			return out;
		case ENF_FAILED:
			out.banned = false;
			return out;
		case ENF_BANNED:
			tell(j, je);
			out.bans[out.nbans++] = d;
			d = offenders_banned(j->off, &d, now);
			break;
		}
	}
	out.banned = true;
	return out;
}

enum ban_state judge_ban_state(struct judge *j, const struct rg_addr *client, uint32_t now,
			       struct rg_lpm_key *net)
{
	const struct offender *e;

	*net = offenders_key(j->off, client);
	e = offenders_get(j->off, net);
	if (!e || e->ban_until <= now)
		return BAN_NONE;
	return allowed(j, client) ? BAN_BEATEN : BAN_IN_FORCE;
}

int judge_ban_reason(struct judge *j, const struct rg_addr *client, uint32_t now)
{
	const struct offender *e;
	struct rg_lpm_key net;

	if (judge_ban_state(j, client, now, &net) != BAN_IN_FORCE ||
	    !(e = offenders_get(j->off, &net)))
		return -1;
	return e->ban_reason;
}

enum enf_result judge_manual_ban(struct judge *j, const struct rg_lpm_key *k, uint64_t secs,
				 const char *note, const char *by, uint32_t now)
{
	enum enf_result r = enforce_ban(j->enf, k, NULL, secs, RG_REASON_MANUAL, note, true, by);

	if (r == ENF_BANNED) {
		offenders_manual_ban(j->off, k, secs ? (uint32_t)(now + secs) : UINT32_MAX, now);
		tell(j, (struct judge_event){ .what = JUDGE_BAN, .key = k, .time = now,
					      .secs = secs, .reason = RG_REASON_MANUAL,
					      .note = note ? note : "", .by = by });
	}
	return r;
}

int judge_unban(struct judge *j, const struct rg_lpm_key *k, const char *by, uint32_t now)
{
	int rc = enforce_unban(j->enf, k, by);

	if (rc == 0) {
		offenders_unbanned(j->off, k, now);
		tell(j, (struct judge_event){ .what = JUDGE_UNBAN, .key = k, .time = now,
					      .note = "", .by = by });
	}
	return rc;
}

/* The keys of the bans of some kind, gathered before any is removed. */
struct keys {
	bool refused;                           /* only automatic bans addr_refused */
	const struct nat64_prefixes *nat64;
	struct rg_lpm_key *v;
	size_t n, cap;
};

static int collect(const struct rg_lpm_key *k, const struct rg_ban *b, const char *note,
		   void *arg)
{
	struct keys *x = arg;

	(void)note;
	if (x->refused && (b->reason == RG_REASON_MANUAL || !addr_refused(k, x->nat64)))
		return 0;
	if (grow(&x->v, &x->cap, x->n + 1, sizeof(*x->v), 64) < 0)
		return -ENOMEM;
	x->v[x->n++] = *k;
	return 0;
}

long judge_unban_all(struct judge *j, const char *by, uint32_t now)
{
	struct keys x = { .refused = false };
	long done = 0;

	if (enforce_records(j->enf, collect, &x) < 0) {
		free(x.v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < x.n; i++)
		done += judge_unban(j, &x.v[i], by, now) == 0;
	enforce_cleared(j->enf);
	free(x.v);
	return done;
}

int judge_allow_changed(struct judge *j, const struct rg_lpm_key *k, bool add)
{
	return add ? enforce_allow_add(j->enf, k) : enforce_allow_del(j->enf, k);
}

struct lifted {
	const struct rg_lpm_key *entry;
	ban_cb cb;
	void *arg;
};

static int lifted_one(const struct rg_lpm_key *k, const struct rg_ban *b, const char *note,
		      void *arg)
{
	struct lifted *l = arg;

	return prefix_overlap(k, l->entry) ? l->cb(k, b, note, l->arg) : 0;
}

int judge_lifted(struct judge *j, const struct rg_lpm_key *entry, ban_cb cb, void *arg)
{
	struct lifted l = { .entry = entry, .cb = cb, .arg = arg };

	return enforce_records(j->enf, lifted_one, &l);
}

/* A local ban of k in force at now: its end (UINT32_MAX permanent), or 0. */
static uint32_t local_until(const struct judge *j, const struct rg_lpm_key *k, uint32_t now)
{
	const struct offender *o = offenders_get(j->off, k);

	return o && o->ban_until > now ? o->ban_until : 0;
}

enum enf_result judge_remote_ban(struct judge *j, const struct rg_lpm_key *k, uint64_t secs,
				 const char *note, const char *why, uint32_t now)
{
	const struct offender *o = offenders_get(j->off, k);
	uint32_t local = local_until(j, k, now);

	if (o && o->pardon_until > now) {
		j->st.pardoned++;
		return ENF_ALLOWLISTED;
	}
	struct rg_ban old;
	bool held = enforce_get_ban(j->enf, k, &old) == 0 && old.reason == RG_REASON_CROWDSEC;
	enum enf_result r;

	if (local && (local == UINT32_MAX || (secs && local - now >= secs)))
		return ENF_BANNED;
	r = enforce_ban(j->enf, k, NULL, secs, RG_REASON_CROWDSEC, note, false, why);
	/* The history hears a new one, not each refresh of a startup pull;
	 * remote: never pushed back to where it came from. */
	if (r == ENF_BANNED && !held)
		tell(j, (struct judge_event){ .what = JUDGE_BAN, .key = k, .time = now,
					      .secs = secs, .reason = RG_REASON_CROWDSEC,
					      .note = note ? note : "", .by = "crowdsec",
					      .remote = true });
	return r;
}

void judge_remote_lift(struct judge *j, const struct rg_lpm_key *k, const char *why,
		       uint32_t now)
{
	const struct offender *o = offenders_get(j->off, k);
	uint32_t local = local_until(j, k, now);
	struct rg_ban b;

	if (enforce_get_ban(j->enf, k, &b) < 0 || b.reason != RG_REASON_CROWDSEC)
		return;         /* not the remote source's entry */
	if (local)
		enforce_ban(j->enf, k, NULL, local == UINT32_MAX ? 0 : local - now, o->ban_reason,
			    NULL, o->ban_reason == RG_REASON_MANUAL, why);
	else if (enforce_unban(j->enf, k, why) == 0)
		tell(j, (struct judge_event){ .what = JUDGE_UNBAN, .key = k, .time = now, .note = "",
					      .by = "crowdsec" });
}

struct remote_walk {
	ban_cb cb;
	void *arg;
};

static int remote_one(const struct rg_lpm_key *k, const struct rg_ban *b, const char *note,
		      void *arg)
{
	struct remote_walk *w = arg;

	return b->reason == RG_REASON_CROWDSEC ? w->cb(k, b, note, w->arg) : 0;
}

int judge_remote_foreach(struct judge *j, ban_cb cb, void *arg)
{
	struct remote_walk w = { .cb = cb, .arg = arg };

	return enforce_records(j->enf, remote_one, &w);
}

void judge_expired(struct judge *j, const struct rg_lpm_key *k, uint32_t now)
{
	offenders_expired(j->off, k, now);
	tell(j, (struct judge_event){ .what = JUDGE_EXPIRE, .key = k, .time = now, .note = "",
				      .by = "expiry" });
}

/* Removed by hand while the daemon was down: a pardon like any manual unban. */
static void pardon(struct judge *j, const struct rg_lpm_key *k, uint32_t now, size_t *n)
{
	char a[ADDR_STRLEN];

	addr_format(k, a, sizeof(a));
	log_info("event=pardon address=%s why=unbanned_while_daemon_was_down", a);
	offenders_unbanned(j->off, k, now);
	tell(j, (struct judge_event){ .what = JUDGE_UNBAN, .key = k, .time = now, .note = "",
				      .by = "by=cli while the daemon was down" });
	(*n)++;
}

int judge_restore(struct judge *j, const struct state *st, bool fresh, bool adopt,
		  uint32_t now, size_t *restored, size_t *pardoned)
{
	int rc = 0;

	*restored = *pardoned = 0;
	for (size_t i = 0; i < st->noffs; i++)
		offenders_restore(j->off, &st->offs[i]);
	/* Lifted after the file was written (by the CLI while we were down,
	 * or by us before a crash): an unban pardons, whenever it happened. */
	for (size_t i = 0; i < st->nunbans; i++)
		pardon(j, &st->unbans[i], now, pardoned);
	enforce_batch(j->enf, true);
	if (adopt && !fresh)
		rc = enforce_adopt_room(j->enf, st->nbans);
	for (size_t i = 0; i < st->nbans && rc >= 0; i++) {
		const struct saved_ban *b = &st->bans[i];
		uint64_t secs = b->expires_unix ? b->expires_unix - now : 0;

		if (b->expires_unix && b->expires_unix <= now)
			continue;
		if (fresh) {
			if (enforce_restore(j->enf, &b->key, secs, b->reason, b->note) == 0)
				(*restored)++;
		} else if (adopt) {
			rc = enforce_adopt(j->enf, &b->key, secs, b->reason, b->created_unix, b->note);
		} else if (!enforce_has_ban(j->enf, &b->key)) {
			pardon(j, &b->key, now, pardoned);
		}
	}
	if (rc >= 0)
		rc = enforce_batch(j->enf, false);
	return rc < 0 ? rc : 0;
}

struct gone {
	struct judge *j;
	uint32_t now;
	size_t pardoned;
};

static void gone_one(const struct rg_lpm_key *k, void *arg)
{
	struct gone *g = arg;

	pardon(g->j, k, g->now, &g->pardoned);
}

int judge_reconcile_step(struct judge *j, const struct banmirror *kernel,
			 const struct rg_lpm_key *expect, size_t n_expect, uint32_t now,
			 struct reconcile_counts *n, size_t *pardoned)
{
	struct gone g = { j, now, 0 };
	int rc = enforce_reconcile_step(j->enf, kernel, expect, n_expect, gone_one, &g, n);

	*pardoned += g.pardoned;
	return rc;
}

size_t judge_refuse_bans(struct judge *j, const struct nat64_prefixes *nat64)
{
	struct keys x = { .refused = true, .nat64 = nat64 };
	char a[ADDR_STRLEN];
	size_t done = 0;

	if (enforce_records(j->enf, collect, &x) < 0)
		log_err("event=state_ban_refused result=failed error=\"out of memory\" "
			"note=\"some bans no evidence could make may remain; rcptguard unban them\"");
	for (size_t i = 0; i < x.n; i++) {
		addr_format(&x.v[i], a, sizeof(a));
		log_warn("event=state_ban_refused address=%s why=%s note=\"no evidence may ban "
			 "this; removed\"", a, addr_refused(&x.v[i], nat64));
		done += enforce_unban(j->enf, &x.v[i], "by=state_load") == 0;
	}
	free(x.v);
	return done;
}
