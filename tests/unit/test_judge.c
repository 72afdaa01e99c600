/* test_judge.c - the judge over the none backend: each rule (address
 * sanity, credit, allowlist always wins, pardons, escalation, subnet bans,
 * manual bans, a ban the store refuses, expiry, restore and adopt at
 * start) and each counter it moves. Time is simulated from the wall clock
 * on. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "addr.h"
#include "duration.h"
#include "enforce.h"
#include "judge.h"
#include "logcap.h"
#include "tap.h"

static struct offender_cfg cfg;

struct court {
	void *none;
	struct enforcer *enf;
	struct offenders *off;
	struct judge *j;
};

static struct rg_lpm_key K(const char *s)
{
	struct rg_lpm_key k;
	char err[64];

	addr_parse(s, &k, err, sizeof(err));
	return k;
}

static void open_court(struct court *c, const struct offender_cfg *oc)
{
	c->none = backend_none_new();
	c->enf = enforce_new(&backend_none, c->none);
	c->off = offenders_new(oc, 3);
	c->j = judge_new(c->off, c->enf);
}

static void close_court(struct court *c)
{
	judge_free(c->j);
	offenders_free(c->off);
	enforce_free(c->enf);
	backend_none_free(c->none);
}

/* n unknown recipients from addr, one second apart; the last judgement. */
static struct judgement unknowns(struct court *c, const char *addr, int n, uint32_t *t)
{
	struct rg_lpm_key k = K(addr);
	struct judgement j = { .banned = false };

	for (int i = 0; i < n; i++)
		j = judge_evidence(c->j, &k.addr, EV_UNKNOWN_RCPT, 0, "x@example.com", "", (*t)++);
	return j;
}

static bool banned_in_store(struct court *c, const char *a)
{
	struct rg_lpm_key k = K(a);

	return enforce_has_ban(c->enf, &k);
}

static const struct offender *record(struct court *c, const char *a)
{
	struct rg_lpm_key k = K(a);

	return offenders_get(c->off, &k);
}

static int count(const struct rg_lpm_key *k, const struct rg_ban *b, const char *note, void *arg)
{
	(void)k, (void)b, (void)note;
	++*(size_t *)arg;
	return 0;
}

static void sanity(uint32_t t)
{
	static const char *const refused[] = { "::", "0.0.0.0", "255.255.255.255", "ff02::1",
					       "127.0.0.2", "::ffff:0.0.0.0" };
	struct court c;
	size_t n = sizeof(refused) / sizeof(refused[0]);

	open_court(&c, &cfg);
	for (size_t i = 0; i < n; i++) {
		struct rg_lpm_key k = K(refused[i]);
		struct judgement j = judge_evidence(c.j, &k.addr, EV_SPAMTRAP, 0, NULL, "", t);

		ok(!j.banned && j.nbans == 0, "%s is never banned, even by a spamtrap", refused[i]);
		judge_evidence(c.j, &k.addr, EV_VALID, 0, NULL, "", t);
	}
	ok(judge_stats(c.j)->evidence_refused == n, "each refusal counted once, credit not "
	   "(%llu)", (unsigned long long)judge_stats(c.j)->evidence_refused);
	ok(offenders_count(c.off) == 0 && enforce_stats(c.enf)->bans[RG_REASON_SPAMTRAP] == 0,
	   "nothing recorded, nothing banned");
	close_court(&c);
}

static void threshold_and_escalation(uint32_t t)
{
	struct court c;
	struct judgement j;
	struct rg_lpm_key net, k = K("198.51.100.7");
	uint32_t first;

	open_court(&c, &cfg);
	j = unknowns(&c, "198.51.100.7", 4, &t);
	ok(!j.banned && j.nbans == 0 && !banned_in_store(&c, "198.51.100.7"),
	   "four unknown recipients ban nobody");
	j = unknowns(&c, "198.51.100.7", 1, &t);
	ok(j.banned && j.nbans == 1 && j.bans[0].offense == 1 && banned_in_store(&c, "198.51.100.7"),
	   "the fifth bans the client");
	first = j.bans[0].secs;
	ok(enforce_stats(c.enf)->bans[RG_REASON_UNKNOWN_RCPT] == 1, "the front counts the ban");
	ok(judge_ban_state(c.j, &k.addr, t, &net) == BAN_IN_FORCE && net.prefixlen == 128,
	   "the client is banned now, as its address");
	j = unknowns(&c, "198.51.100.7", 1, &t);
	ok(j.banned && j.nbans == 0, "more evidence: banned already, no second ban");
	/* The ban runs out: the next one is a repeat offense, longer. */
	t += first + 1;
	judge_expired(c.j, &net, t);
	ok(judge_ban_state(c.j, &k.addr, t, &net) == BAN_NONE, "expired: not banned");
	ok(record(&c, "198.51.100.7")->ban_until == 0, "the record says so");
	j = unknowns(&c, "198.51.100.7", 5, &t);
	ok(j.banned && j.nbans == 1 && j.bans[0].offense == 2 && j.bans[0].secs >= 4 * first - 4,
	   "a repeat is offense 2 and lasts longer (%u s after %u s)", j.bans[0].secs, first);
	close_court(&c);
}

struct expiry {
	struct judge *j;
	uint32_t now;
};

static void expired(const struct rg_lpm_key *k, void *arg)
{
	struct expiry *x = arg;

	judge_expired(x->j, k, x->now);
}

/* Was bans.bats "bans escalate over three offenses": ban_time 2 s,
 * ban_escalation 2, no jitter: 2, 4 and 8 s, each said in its ban line.
 * Each ban runs out through the front's sweep, as in the daemon. */
static void escalation_lines(uint32_t t)
{
	struct offender_cfg oc = cfg;
	struct court c;
	struct expiry x;
	uint64_t mono = mono_ns();

	oc.ban_time = 2, oc.ban_factor = 2, oc.ban_time_max = 3600;
	open_court(&c, &oc);
	x.j = c.j;
	for (unsigned offense = 1; offense <= 3; offense++) {
		unsigned dur = 1u << offense;
		char first[128], then[32];

		logcap_start();
		unknowns(&c, "192.0.2.9", 5, &t);
		snprintf(first, sizeof(first), "event=ban address=192.0.2.9 reason=unknown-recipient "
			 "duration=%u ", dur);
		snprintf(then, sizeof(then), " offense=%u ", offense);
		ok(logcap_has(first, then), "offense %u bans for %u s", offense, dur);
		t += dur + 1;
		mono += (dur + 1) * 1000000000ULL;
		x.now = t;
		enforce_sweep(c.enf, mono, expired, &x);
	}
	ok(enforce_stats(c.enf)->expired == 3 && !banned_in_store(&c, "192.0.2.9") &&
	   record(&c, "192.0.2.9")->ban_until == 0, "each ban expired through the sweep");
	ok(record(&c, "192.0.2.9")->offenses == 3, "its record counts 3 bans (rg show)");
	close_court(&c);
}

static int refuse_bans_put(void *ctx, const struct rg_lpm_key *k, const struct backend_rec *r)
{
	return r->kind == BACKEND_BAN ? -E2BIG : backend_none.put(ctx, k, r);
}

/* A ban the store refuses (a full map) is no ban: not in force, counted,
 * said with the fix, and the next evidence tries again. */
static void refused_by_store(uint32_t t)
{
	struct backend_ops full = backend_none;
	struct court c;
	struct rg_lpm_key net, k = K("198.51.100.9");

	full.put = refuse_bans_put;
	open_court(&c, &cfg);
	enforce_use(c.enf, &full, c.none);
	logcap_start();
	ok(!unknowns(&c, "198.51.100.9", 5, &t).banned, "a refused ban: not banned");
	ok(enforce_stats(c.enf)->failures == 1 &&
	   enforce_stats(c.enf)->bans[RG_REASON_UNKNOWN_RCPT] == 0, "a failure counted, no ban");
	ok(logcap_has("event=ban_failed address=198.51.100.9 backend=none ", "raise max_bans"),
	   "the log line names the fix");
	ok(judge_ban_state(c.j, &k.addr, t, &net) == BAN_NONE, "nothing in force");
	enforce_use(c.enf, &backend_none, c.none);
	ok(unknowns(&c, "198.51.100.9", 1, &t).banned && banned_in_store(&c, "198.51.100.9"),
	   "the next evidence bans once the store takes it");
	close_court(&c);
}

static void allowlist_wins(uint32_t t)
{
	struct court c;
	struct judgement j;
	struct rg_lpm_key net, e = K("203.0.113.0/24"), k = K("192.0.2.1");
	size_t lifted = 0;

	open_court(&c, &cfg);
	enforce_allow_add(c.enf, &e);
	j = unknowns(&c, "203.0.113.9", 5, &t);
	ok(!j.banned && j.nbans == 0 && !banned_in_store(&c, "203.0.113.9"),
	   "an allowlisted client is never banned by evidence");
	ok(judge_stats(c.j)->spared == 1 && enforce_stats(c.enf)->allowlist_hits == 1,
	   "spared once, counted by the judge and the front");
	ok(offenders_level(c.off, record(&c, "203.0.113.9"), t) == 0,
	   "its count is forgotten");
	/* A ban made before the entry: the entry beats it. */
	j = unknowns(&c, "192.0.2.1", 5, &t);
	ok(j.banned, "192.0.2.1 banned");
	ok(judge_allow_changed(c.j, &k, true) == 0, "an allow entry for it");
	ok(judge_lifted(c.j, &k, count, &lifted) == 0 && lifted == 1, "which lifts its ban");
	ok(judge_ban_state(c.j, &k.addr, t, &net) == BAN_BEATEN, "the ban is beaten");
	j = unknowns(&c, "192.0.2.1", 1, &t);
	ok(!j.banned, "more evidence does not make it banned");
	ok(judge_allow_changed(c.j, &k, false) == 0 &&
	   judge_ban_state(c.j, &k.addr, t, &net) == BAN_IN_FORCE, "the entry gone, the ban holds");
	/* A manual ban is placed anyway: the kernel's allow map spares the
	 * allowlisted addresses inside it. */
	ok(judge_manual_ban(c.j, &e, 60, "note", "test", t) == ENF_BANNED &&
	   banned_in_store(&c, "203.0.113.0/24") &&
	   record(&c, "203.0.113.0/24")->ban_reason == RG_REASON_MANUAL &&
	   record(&c, "203.0.113.0/24")->ban_until == t + 60, "a manual ban of it is placed");
	close_court(&c);
}

static void pardons(uint32_t t)
{
	struct court c;
	struct judgement j;
	struct rg_lpm_key k = K("198.51.100.20"), none = K("198.51.100.21");

	open_court(&c, &cfg);
	ok(judge_unban(c.j, &none, "test", t) == -ENOENT, "no such ban: -ENOENT");
	ok(record(&c, "198.51.100.21") == NULL, "and no record made");
	ok(unknowns(&c, "198.51.100.20", 5, &t).banned, "banned");
	ok(judge_unban(c.j, &k, "test", t) == 0 && !banned_in_store(&c, "198.51.100.20"),
	   "unbanned by hand");
	ok(enforce_stats(c.enf)->unbans == 1, "the front counts the unban");
	j = unknowns(&c, "198.51.100.20", 10, &t);
	ok(!j.banned && j.nbans == 0, "a pardoned client is not banned again");
	ok(judge_stats(c.j)->pardoned >= 1, "pardons counted (%llu)",
	   (unsigned long long)judge_stats(c.j)->pardoned);
	t += cfg.pardon_time + 1;
	ok(unknowns(&c, "198.51.100.20", 5, &t).banned, "after pardon_time it is");
	/* Every ban at once. */
	unknowns(&c, "198.51.100.30", 5, &t);
	ok(judge_unban_all(c.j, "test", t) == 2 && !banned_in_store(&c, "198.51.100.30"),
	   "unban --all lifts both bans");
	ok(record(&c, "198.51.100.30")->pardon_until > t, "and pardons each");
	close_court(&c);
}

static void credit(uint32_t t)
{
	struct court c;
	struct rg_lpm_key k = K("192.0.2.50");
	double before;

	open_court(&c, &cfg);
	unknowns(&c, "192.0.2.50", 1, &t);
	before = offenders_threshold(c.off, record(&c, "192.0.2.50"), t);
	for (int i = 0; i < 10; i++)
		ok(!judge_evidence(c.j, &k.addr, EV_VALID, 0, NULL, "", t).banned,
		   "credit %d bans nothing", i);
	ok(offenders_threshold(c.off, record(&c, "192.0.2.50"), t) > before,
	   "a valid recipient raises the threshold (%.2f from %.2f)",
	   offenders_threshold(c.off, record(&c, "192.0.2.50"), t), before);
	ok(!unknowns(&c, "192.0.2.50", 4, &t).banned, "five unknowns no longer ban");
	close_court(&c);
}

static void subnets(uint32_t t)
{
	struct offender_cfg oc = cfg;
	struct court c;
	struct judgement j;
	char a[ADDR_STRLEN];

	oc.subnet_bans = 2;
	open_court(&c, &oc);
	ok(unknowns(&c, "198.51.100.1", 5, &t).nbans == 1, "one address of a /24 banned");
	j = unknowns(&c, "198.51.100.2", 5, &t);
	addr_format(&j.bans[1].prefix, a, sizeof(a));
	ok(j.banned && j.nbans == 2 && strcmp(a, "198.51.100.0/24") == 0 &&
	   banned_in_store(&c, "198.51.100.0/24"), "the second bans its /24 too (%s)", a);
	close_court(&c);
	/* The /24 of an allowlisted address is not banned, nor the address. */
	open_court(&c, &oc);
	{
		struct rg_lpm_key e = K("198.51.100.3");

		enforce_allow_add(c.enf, &e);
	}
	unknowns(&c, "198.51.100.1", 5, &t);
	j = unknowns(&c, "198.51.100.2", 5, &t);
	ok(j.nbans == 2 && banned_in_store(&c, "198.51.100.0/24"),
	   "an entry inside the /24 leaves it to the kernel's allow map");
	close_court(&c);
}

static unsigned slow_dump(void *ctx)
{
	(void)ctx;
	return BACKEND_SLOW_DUMP | BACKEND_KERNEL_EXPIRY;
}

static void restore(uint32_t now)
{
	struct court c;
	struct offender rec = { .key = K("192.0.2.77"), .offenses = 3 };
	struct rg_lpm_key unban = K("192.0.2.78"), kept = K("192.0.2.80");
	struct saved_ban bans[] = {
		{ .key = K("192.0.2.79"), .expires_unix = now + 600, .reason = RG_REASON_SPAMTRAP },
		{ .key = K("192.0.2.80"), .expires_unix = 0, .reason = RG_REASON_MANUAL },
		{ .key = K("192.0.2.81"), .expires_unix = now - 1, .reason = RG_REASON_DNSBL },
	};
	struct state st = { .bans = bans, .nbans = 3, .offs = &rec, .noffs = 1,
			    .unbans = &unban, .nunbans = 1 };
	size_t restored, pardoned;

	open_court(&c, &cfg);
	ok(judge_restore(c.j, &st, true, false, now, &restored, &pardoned) == 0,
	   "a fresh store takes the saved bans");
	ok(restored == 2 && pardoned == 1, "two live bans restored, the journaled unban pardons "
	   "(%zu, %zu)", restored, pardoned);
	ok(banned_in_store(&c, "192.0.2.79") && banned_in_store(&c, "192.0.2.80") &&
	   !banned_in_store(&c, "192.0.2.81"), "the expired one is not");
	ok(record(&c, "192.0.2.77") && record(&c, "192.0.2.77")->offenses == 3,
	   "offender records come back");
	ok(record(&c, "192.0.2.78") && record(&c, "192.0.2.78")->pardon_until > now,
	   "the unbanned client is pardoned");
	close_court(&c);
	/* A store that survived but lost a ban: removed while we were down. */
	open_court(&c, &cfg);
	enforce_restore(c.enf, &kept, 0, RG_REASON_MANUAL, NULL);
	st.nunbans = 0;
	ok(judge_restore(c.j, &st, false, false, now, &restored, &pardoned) == 0 &&
	   restored == 0 && pardoned == 1, "a kept store: the missing ban pardons (%zu)", pardoned);
	ok(record(&c, "192.0.2.79") && record(&c, "192.0.2.79")->pardon_until > now &&
	   !record(&c, "192.0.2.80"), "the missing one, not the kept one");
	close_court(&c);
	/* A store as saved (its proof matched): the saved bans are adopted
	 * into the mirror of a store slow to list, not written again. */
	{
		struct backend_ops slow = backend_none;

		slow.caps = slow_dump;
		open_court(&c, &cfg);
		enforce_use(c.enf, &slow, c.none);
		enforce_mirror(c.enf, true);
		ok(judge_restore(c.j, &st, false, true, now, &restored, &pardoned) == 0 &&
		   restored == 0 && pardoned == 0, "an adopted store: nothing written, no pardon");
		ok(enforce_has_ban(c.enf, &bans[0].key) && enforce_has_ban(c.enf, &kept) &&
		   !enforce_has_ban(c.enf, &bans[2].key) &&
		   backend_none.get(c.none, &kept, &(struct backend_rec){ 0 }) == -ENOENT,
		   "the live saved bans are known from the mirror alone");
		close_court(&c);
	}
}

/* Automatic bans no evidence may make are removed on load; manual ones
 * passed --force and stay. */
static void refuse_bans(void)
{
	static const struct {
		const char *a;
		unsigned reason;
		bool stays;
	} t[] = {
		{ "::/64", RG_REASON_UNKNOWN_RCPT, false }, { "0.0.0.0", RG_REASON_DNSBL, false },
		{ "::ffff:0:0/96", RG_REASON_SPAMTRAP, false }, { "ff02::1", RG_REASON_SPAMTRAP, false },
		{ "64:ff9b::/64", RG_REASON_RELAY, false }, { "::2", RG_REASON_DNSBL, false },
		{ "192.0.2.9", RG_REASON_UNKNOWN_RCPT, true }, { "::/0", RG_REASON_MANUAL, true },
		{ "2001:db8::/64", RG_REASON_RELAY, true },
	};
	size_t n = sizeof(t) / sizeof(t[0]), kept = 0;
	struct rg_lpm_key k;
	struct court c;

	open_court(&c, &cfg);
	for (size_t i = 0; i < n; i++) {
		k = K(t[i].a);
		enforce_restore(c.enf, &k, 0, t[i].reason, NULL);
	}
	ok(judge_refuse_bans(c.j, NULL) == 6, "six bans no evidence may make are removed");
	for (size_t i = 0; i < n; i++) {
		k = K(t[i].a);
		kept += enforce_has_ban(c.enf, &k) == t[i].stays;
	}
	ok(kept == n, "the rest stay (%zu of %zu as expected)", kept, n);
	close_court(&c);
}

int main(void)
{
	uint32_t now = (uint32_t)wall_secs();

	offenders_defaults(&cfg);
	cfg.ban_jitter = 0;
	sanity(now);
	threshold_and_escalation(now);
	escalation_lines(now);
	refused_by_store(now);
	allowlist_wins(now);
	pardons(now);
	credit(now);
	subnets(now);
	restore(now);
	refuse_bans();
	logcap_end();
	return tap_done();
}
