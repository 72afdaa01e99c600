/* test_lapi_decision.c - the rules for pulled decisions, over the judge
 * and the none backend: kind, scope and width checks, address sanity,
 * the allowlist, one record per source (a LAPI delete never lifts a local
 * ban; the kernel keeps the longest expiry), deletes of another decision,
 * pardons, and a startup stream's reconciliation and expiry refresh. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "addr.h"
#include "duration.h"
#include "enforce.h"
#include "judge.h"
#include "lapi_decision.h"
#include "logcap.h"
#include "tap.h"

struct bench {
	void *none;
	struct enforcer *enf;
	struct offenders *off;
	struct judge *j;
	struct lapi_set *set;
	struct lapi_status st;
};

static struct rg_lpm_key K(const char *s)
{
	struct rg_lpm_key k;
	char err[64];

	addr_parse(s, &k, err, sizeof(err));
	return k;
}

static void open_bench(struct bench *b)
{
	static const uint8_t max[2] = { 16, 32 };
	struct offender_cfg oc;
	struct nat64_prefixes n = { .n = 0 };

	memset(b, 0, sizeof(*b));
	offenders_defaults(&oc);
	b->none = backend_none_new();
	b->enf = enforce_new(&backend_none, b->none);
	b->off = offenders_new(&oc, 3);
	b->j = judge_new(b->off, b->enf);
	b->set = lapi_set_new(b->j, max, &n, &b->st);
}

static void close_bench(struct bench *b)
{
	lapi_set_free(b->set);
	judge_free(b->j);
	offenders_free(b->off);
	enforce_free(b->enf);
	backend_none_free(b->none);
}

static struct lapi_decision D(const char *scope, const char *value, int64_t id, int64_t secs)
{
	struct lapi_decision d = { .id = id, .duration_ms = secs * 1000, .has_duration = true };

	snprintf(d.type, sizeof(d.type), "ban");
	snprintf(d.scope, sizeof(d.scope), "%s", scope);
	snprintf(d.value, sizeof(d.value), "%s", value);
	snprintf(d.origin, sizeof(d.origin), "cscli");
	snprintf(d.scenario, sizeof(d.scenario), "test");
	return d;
}

static void apply(struct bench *b, struct lapi_decision d, uint32_t now)
{
	lapi_set_apply(b->set, &d, now);
}

static void del(struct bench *b, const char *scope, const char *value, int64_t id, uint32_t now)
{
	struct lapi_decision d = D(scope, value, id, 0);

	d.deleted = true;
	d.duration_ms = -8;
	lapi_set_apply(b->set, &d, now);
}

/* The reason of the ban on a (0: none) and its seconds left. */
static unsigned ban(struct bench *b, const char *a, int64_t *left)
{
	struct rg_lpm_key k = K(a);
	struct rg_ban r;

	if (enforce_get_ban(b->enf, &k, &r) < 0)
		return 0;
	if (left)
		*left = (int64_t)(r.expires_ns - duration_expiry_ns(0 + 1)) / 1000000000 + 1;
	return r.reason;
}

static void checks(void)
{
	struct bench b;
	uint32_t now = (uint32_t)time(NULL);
	static const char *const insane[] = {
		"127.0.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::", "::1", "ff02::1",
		"169.254.1.1", "fe80::1",
	};
	static const char *const wide[] = {
		"0.0.0.0/0", "10.0.0.0/8", "198.0.0.0/15", "::/0", "::ffff:0:0/96", "2001:db8::/31",
	};
	struct lapi_decision d;

	open_bench(&b);
	logcap_start();
	for (size_t i = 0; i < sizeof(insane) / sizeof(insane[0]); i++)
		apply(&b, D("Ip", insane[i], 10 + (int64_t)i, 3600), now);
	ok(b.st.refused_sanity == sizeof(insane) / sizeof(insane[0]) && b.st.records == 0,
	   "address sanity: %llu of %zu refused", (unsigned long long)b.st.refused_sanity,
	   sizeof(insane) / sizeof(insane[0]));
	ok(logcap_has("event=crowdsec_decision_refused id=10 value=\"127.0.0.1\"", "why="),
	   "a refused decision is logged with its id and why");
	for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++)
		apply(&b, D("Range", wide[i], 20 + (int64_t)i, 3600), now);
	ok(b.st.refused_width + b.st.refused_sanity - 9 == sizeof(wide) / sizeof(wide[0]) &&
	   b.st.records == 0, "0.0.0.0/0, the mapped space and ranges wider than /16 and /32 are refused");
	apply(&b, D("Range", "198.51.0.0/16", 30, 3600), now);
	apply(&b, D("Range", "2001:db8::/32", 31, 3600), now);
	ok(ban(&b, "198.51.0.0/16", NULL) == RG_REASON_CROWDSEC &&
	   ban(&b, "2001:db8::/32", NULL) == RG_REASON_CROWDSEC, "/16 and /32 ranges are enforced");
	d = D("Ip", "192.0.2.1", 40, 3600);
	snprintf(d.type, sizeof(d.type), "captcha");
	apply(&b, d, now);
	apply(&b, D("Country", "FR", 41, 3600), now);
	apply(&b, D("Ip", "192.0.2.0/24", 42, 3600), now);
	apply(&b, D("Ip", "not-an-address", 43, 3600), now);
	ok(b.st.refused_kind == 2 && !ban(&b, "192.0.2.1", NULL) && !ban(&b, "192.0.2.0/24", NULL),
	   "captcha, Country scope, an Ip decision for a network, garbage: refused");
	d = D("Ip", "192.0.2.9", 44, 3600);
	d.bad = true;
	apply(&b, d, now);
	ok(b.st.refused_bad == 1 && !ban(&b, "192.0.2.9", NULL), "a decision marked bad is refused");
	close_bench(&b);
}

static void sources(void)
{
	struct bench b;
	uint32_t now = (uint32_t)time(NULL);
	struct rg_lpm_key k = K("203.0.113.5"), al = K("192.0.2.0/24");
	int64_t left = 0;

	open_bench(&b);
	enforce_allow_add(b.enf, &al);
	apply(&b, D("Ip", "192.0.2.5", 1, 3600), now);
	apply(&b, D("Range", "192.0.2.0/24", 2, 3600), now);
	ok(!ban(&b, "192.0.2.5", NULL) && !ban(&b, "192.0.2.0/24", NULL) && b.st.spared == 2,
	   "the allowlist wins over pulled decisions");

	/* A local ban longer than the decision: the kernel keeps it, untouched. */
	judge_manual_ban(b.j, &k, 7200, "local", "by=test", now);
	apply(&b, D("Ip", "203.0.113.5", 3, 600), now);
	ok(ban(&b, "203.0.113.5", &left) == RG_REASON_MANUAL && left > 7000,
	   "a shorter decision never shortens a local ban (%lld s left)", (long long)left);
	del(&b, "Ip", "203.0.113.5", 3, now);
	ok(ban(&b, "203.0.113.5", NULL) == RG_REASON_MANUAL, "a LAPI delete never lifts a local ban");

	/* A decision longer than the local ban takes the kernel entry; its
	 * delete gives the entry back to the local ban with its own expiry. */
	k = K("203.0.113.6");
	judge_manual_ban(b.j, &k, 300, "local", "by=test", now);
	apply(&b, D("Ip", "203.0.113.6", 4, 86400), now);
	ok(ban(&b, "203.0.113.6", &left) == RG_REASON_CROWDSEC && left > 86000,
	   "the longest expiry wins in the kernel");
	del(&b, "Ip", "203.0.113.6", 4, now);
	ok(ban(&b, "203.0.113.6", &left) == RG_REASON_MANUAL && left <= 300 && left > 200,
	   "its delete leaves the local ban with its own expiry (%lld s)", (long long)left);

	/* Evidence bans a client the LAPI bans for longer: the offense is
	 * recorded, the kernel keeps the LAPI's expiry, and the LAPI's delete
	 * leaves the local ban in force. */
	k = K("203.0.113.9");
	apply(&b, D("Ip", "203.0.113.9", 8, 86400), now);
	struct judgement jg = judge_evidence(b.j, &k.addr, EV_SPAMTRAP, 0, "trap@example.com", "", now);
	ok(jg.banned && ban(&b, "203.0.113.9", &left) == RG_REASON_CROWDSEC && left > 86000 &&
	   offenders_get(b.off, &k) && offenders_get(b.off, &k)->ban_until > now,
	   "a local ban never shortens a longer LAPI ban in the kernel, and is recorded");
	del(&b, "Ip", "203.0.113.9", 8, now);
	ok(ban(&b, "203.0.113.9", &left) == RG_REASON_SPAMTRAP && left < 86000,
	   "the LAPI's delete gives the entry back to the local ban (%lld s)", (long long)left);

	/* Only the decision that holds a key lifts it. */
	apply(&b, D("Ip", "203.0.113.7", 5, 3600), now);
	del(&b, "Ip", "203.0.113.7", 99, now);
	ok(ban(&b, "203.0.113.7", NULL) == RG_REASON_CROWDSEC, "a delete of another decision id lifts nothing");
	del(&b, "Ip", "203.0.113.7", 5, now);
	ok(!ban(&b, "203.0.113.7", NULL), "its own delete lifts it");

	/* A pardon by hand holds against the next startup stream. */
	apply(&b, D("Ip", "203.0.113.8", 6, 3600), now);
	k = K("203.0.113.8");
	ok(lapi_set_holds(b.set, &k), "the set holds a pulled decision (unban's advice)");
	judge_unban(b.j, &k, "by=test", now);
	lapi_set_begin(b.set);
	apply(&b, D("Ip", "203.0.113.8", 6, 3500), now + 10);
	lapi_set_reconcile(b.set, now + 10);
	ok(!ban(&b, "203.0.113.8", NULL), "an unbanned decision stays pardoned");
	close_bench(&b);
}

static void reconcile(void)
{
	struct bench b;
	uint32_t now = (uint32_t)time(NULL);
	int64_t left = 0;

	open_bench(&b);
	lapi_set_begin(&*b.set);
	apply(&b, D("Ip", "198.51.100.1", 1, 60), now);
	apply(&b, D("Ip", "198.51.100.2", 2, 60), now);
	apply(&b, D("Range", "198.51.101.0/24", 3, 60), now);
	ok(lapi_set_reconcile(b.set, now) == 0 && b.st.records == 3, "a first startup stream adds all");
	/* The LAPI lost 198.51.100.2 while we were away, and still holds the
	 * others, now for longer than their kernel expiry. */
	lapi_set_begin(b.set);
	apply(&b, D("Ip", "198.51.100.1", 1, 3600), now + 30);
	apply(&b, D("Range", "198.51.101.0/24", 3, 3600), now + 30);
	apply(&b, D("Ip", "198.51.100.3", 4, 3600), now + 30);
	ok(lapi_set_reconcile(b.set, now + 30) == 1 && !ban(&b, "198.51.100.2", NULL),
	   "a decision the LAPI no longer holds is lifted");
	ok(ban(&b, "198.51.100.3", NULL) == RG_REASON_CROWDSEC, "a missing one is added");
	ok(ban(&b, "198.51.100.1", &left) == RG_REASON_CROWDSEC && left > 3000 &&
	   ban(&b, "198.51.101.0/24", NULL), "the expiry of one still held is refreshed (%lld s)",
	   (long long)left);
	ok(b.st.refreshed == 2 && b.st.added == 4 && b.st.lifted == 1, "counters: added, refreshed, lifted");
	/* A delta repeating a decision already held writes nothing. */
	apply(&b, D("Ip", "198.51.100.1", 1, 3599), now + 31);
	ok(b.st.refreshed == 2, "a repeat of a held decision writes nothing");
	close_bench(&b);

	/* After a restart the kernel (or the state file) kept entries of the
	 * LAPI source the new set has no record of: the first startup stream
	 * lifts those it does not list, and leaves local bans alone. */
	open_bench(&b);
	struct rg_lpm_key kept = K("198.51.100.4"), gone = K("198.51.100.5"), mine = K("198.51.100.6");
	enforce_restore(b.enf, &kept, 600, RG_REASON_CROWDSEC, "cscli: test");
	enforce_restore(b.enf, &gone, 600, RG_REASON_CROWDSEC, "cscli: test");
	enforce_restore(b.enf, &mine, 600, RG_REASON_UNKNOWN_RCPT, NULL);
	lapi_set_begin(b.set);
	apply(&b, D("Ip", "198.51.100.4", 7, 3600), now);
	ok(lapi_set_reconcile(b.set, now) == 1 && ban(&b, "198.51.100.4", NULL) &&
	   !ban(&b, "198.51.100.5", NULL) && ban(&b, "198.51.100.6", NULL) == RG_REASON_UNKNOWN_RCPT,
	   "after a restart, kept entries the LAPI no longer holds are lifted; local bans stay");
	close_bench(&b);
}

/* Our own pushed decisions coming back in the stream: not a remote ban,
 * not counted, the local ban's expiry untouched; their delete lifts nothing. */
static void mine(void)
{
	struct bench b;
	uint32_t now = (uint32_t)time(NULL);
	struct rg_lpm_key k = K("192.0.2.77");
	int64_t left = 0;

	open_bench(&b);
	judge_manual_ban(b.j, &k, 600, NULL, "by=test", now);
	ok(lapi_set_mine(b.set, &k, 42, now) == 0 && !lapi_set_holds(b.set, &k),
	   "a decision made of our alert is no remote decision for unban's advice");
	apply(&b, D("Ip", "192.0.2.77", 42, 605), now);
	ok(ban(&b, "192.0.2.77", &left) == RG_REASON_MANUAL && b.st.added == 0 &&
	   b.st.refreshed == 0, "it comes back: not written, not counted");
	del(&b, "Ip", "192.0.2.77", 42, now);
	ok(ban(&b, "192.0.2.77", NULL) == RG_REASON_MANUAL && b.st.lifted == 0,
	   "its delete leaves the local ban");
	close_bench(&b);
}

struct pushed {
	unsigned n, reason;
	double evidence;
	uint64_t secs;
	unsigned remote_bans, remote_unbans;    /* what the history hears besides */
};

/* What the daemon's judge-event hook hands the watcher (rcptguardd.c):
 * the bans placed here, not one a remote source outlasts. */
static void on_event(const struct judge_event *e, void *arg)
{
	struct pushed *p = arg;

	if (e->remote && e->what == JUDGE_BAN && e->reason == RG_REASON_CROWDSEC)
		p->remote_bans++;
	if (e->what == JUDGE_UNBAN && strcmp(e->by, "crowdsec") == 0)
		p->remote_unbans++;
	if (e->what != JUDGE_BAN || e->remote)
		return;
	p->n++;
	p->reason = e->reason;
	p->evidence = e->score;
	p->secs = e->secs;
}

/* What the watcher hears: bans the judge decides, with their evidence;
 * never a pulled decision, nor a local ban given back its entry. */
static void decided(void)
{
	struct bench b;
	struct pushed p = { 0 };
	uint32_t now = (uint32_t)time(NULL);
	struct rg_lpm_key k = K("198.51.100.50");
	struct judgement jg = { .banned = false };

	open_bench(&b);
	judge_on_event(b.j, on_event, &p);
	for (int i = 0; i < 10 && !jg.banned; i++)
		jg = judge_evidence(b.j, &k.addr, EV_UNKNOWN_RCPT, 0, "x@example.com", "", now + (uint32_t)i);
	ok(jg.banned && p.n == 1 && p.reason == RG_REASON_UNKNOWN_RCPT && p.evidence >= 4.5 &&
	   p.secs > 0, "a dictionary ban is heard with its evidence (%.1f)", p.evidence);
	apply(&b, D("Ip", "198.51.100.51", 1, 3600), now);
	judge_manual_ban(b.j, &k, 60, NULL, "by=test", now);
	apply(&b, D("Ip", "198.51.100.50", 2, 86400), now);
	del(&b, "Ip", "198.51.100.50", 2, now);
	ok(p.n == 2 && p.reason == RG_REASON_MANUAL,
	   "a manual ban is heard; pulled decisions and a local ban given back are not");
	ok(p.remote_bans == 2 && p.remote_unbans == 0,
	   "the history hears each pulled decision placed, as remote (%u), and no lift of one a "
	   "local ban took back (%u)", p.remote_bans, p.remote_unbans);
	apply(&b, D("Ip", "198.51.100.51", 1, 3600), now);
	ok(p.remote_bans == 2, "a refresh of a decision held is not heard again (%u)", p.remote_bans);
	del(&b, "Ip", "198.51.100.51", 1, now);
	ok(p.remote_unbans == 1, "its delete is heard as an unban by crowdsec (%u)",
	   p.remote_unbans);
	close_bench(&b);
}

int main(void)
{
	decided();
	mine();
	checks();
	sources();
	reconcile();
	return tap_done();
}
