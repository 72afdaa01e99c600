/* offenders.c - the offender table and the ban decision.
 *
 * Table: entries in one growing array, found through a keyed
 * open-addressing index (keyindex.h) so attackers cannot aim for
 * collisions.
 * When max_offenders are tracked, a new one evicts the least relevant of a
 * few sampled entries: not banned, not pardoned, fewest offenses, longest
 * quiet. */
#include <math.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include "keyindex.h"
#include "offenders.h"
#define SAMPLE 16

struct offenders {
	struct offender_cfg cfg;
	struct offender *e;             /* entries, n used */
	size_t n, cap;
	struct keyindex idx;
	uint64_t rng;
	size_t evicted;
};

static const char *const ev_names[EV_MAX] = {
	[EV_NONE] = "none", [EV_UNKNOWN_RCPT] = "unknown-recipient", [EV_SPAMTRAP] = "spamtrap",
	[EV_RELAY] = "relay-attempt", [EV_DNSBL] = "dnsbl", [EV_VALID] = "valid-recipient",
	[EV_BAN] = "ban", [EV_UNBAN] = "unban", [EV_ALLOWLISTED] = "allowlisted",
	[EV_PARDONED] = "pardoned", [EV_EXPIRED] = "expired",
};

const char *evidence_name(unsigned ev)
{
	return ev < EV_MAX ? ev_names[ev] : "?";
}

void offenders_defaults(struct offender_cfg *c)
{
	*c = (struct offender_cfg){
		.prefix_v4 = 32, .prefix_v6 = 64, .threshold = 5, .window = 600,
		.relay_weight = 1, .reputation_window = 30 * 86400, .reputation_credit = 0.1,
		.reputation_max = 10, .reputation_max_per_hour = 20, .ban_time = 3600, .ban_time_max = 7 * 86400,
		.ban_factor = 4, .ban_jitter = 0.1, .offense_memory = 30 * 86400,
		.pardon_time = 86400, .subnet_bans = 0, .subnet_window = 3600,
		.max_offenders = 1000000,
	};
}

static uint64_t rnd(struct offenders *o)
{
	/* xorshift64*: jitter and eviction samples, not security. */
	o->rng ^= o->rng >> 12;
	o->rng ^= o->rng << 25;
	o->rng ^= o->rng >> 27;
	return o->rng * 2685821657736338717ULL;
}

struct offenders *offenders_new(const struct offender_cfg *c, uint64_t seed)
{
	struct offenders *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->cfg = *c;
	keyindex_init(&o->idx, sizeof(*o->e), offsetof(struct offender, key), seed);
	o->rng = seed | 1;
	if (keyindex_reserve(&o->idx, o->e, 0) < 0) {
		free(o);
		return NULL;
	}
	return o;
}

void offenders_free(struct offenders *o)
{
	if (!o)
		return;
	free(o->e);
	keyindex_free(&o->idx);
	free(o);
}

void offenders_configure(struct offenders *o, const struct offender_cfg *c)
{
	size_t max = o->cfg.max_offenders;

	o->cfg = *c;
	o->cfg.max_offenders = max;
}

/* Remove entry i: the last entry moves into its place. */
static void remove_at(struct offenders *o, size_t i)
{
	keyindex_remove(&o->idx, o->e, (uint32_t)i, (uint32_t)--o->n);
	o->e[i] = o->e[o->n];
}

static bool less_relevant(const struct offender *a, const struct offender *b, uint32_t now)
{
	bool ha = a->ban_until > now || a->pardon_until > now;
	bool hb = b->ban_until > now || b->pardon_until > now;

	if (ha != hb)
		return hb;
	if (a->offenses != b->offenses)
		return a->offenses < b->offenses;
	return a->last_seen < b->last_seen;
}

static void evict_one(struct offenders *o, uint32_t now)
{
	size_t victim = rnd(o) % o->n;

	for (int i = 1; i < SAMPLE; i++) {
		size_t j = rnd(o) % o->n;

		if (less_relevant(&o->e[j], &o->e[victim], now))
			victim = j;
	}
	remove_at(o, victim);
	o->evicted++;
}

/* Records are found by addr_record_key(): every ban key of one Teredo
 * client reaches the same record. */
static struct offender *get(const struct offenders *o, const struct rg_lpm_key *ban_key)
{
	struct rg_lpm_key k = addr_record_key(ban_key);
	uint32_t i = keyindex_find(&o->idx, o->e, &k);

	return i == KEYINDEX_NONE ? NULL : &o->e[i];
}

static struct offender *get_or_add(struct offenders *o, const struct rg_lpm_key *ban_key,
				   uint32_t now)
{
	struct offender *e = get(o, ban_key);
	struct rg_lpm_key rk = addr_record_key(ban_key), *k = &rk;

	if (e)
		return e;
	if (o->n >= o->cfg.max_offenders)
		evict_one(o, now);
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 1024;
		struct offender *ne;

		if (cap > o->cfg.max_offenders)
			cap = o->cfg.max_offenders;
		if (!(ne = realloc(o->e, cap * sizeof(*ne))))
			return NULL;
		o->e = ne;
		o->cap = cap;
	}
	if (keyindex_reserve(&o->idx, o->e, o->n) < 0)
		return NULL;
	e = &o->e[o->n];
	memset(e, 0, sizeof(*e));
	e->key = *k;
	e->first_seen = e->last_seen = e->win_start = now;
	keyindex_insert(&o->idx, o->e, (uint32_t)o->n++);
	return e;
}

struct rg_lpm_key offenders_key(const struct offenders *o, const struct rg_addr *client)
{
	struct rg_lpm_key k = { .addr = *client };

	k.prefixlen = addr_key_bits(client, o->cfg.prefix_v4, o->cfg.prefix_v6, &o->cfg.nat64);
	addr_mask(&k);
	return k;
}

static void note(struct offender *e, enum evidence ev, uint32_t now)
{
	e->ev[e->ev_head] = (struct offender_event){ .t = now, .kind = (uint8_t)ev };
	e->ev_head = (uint8_t)((e->ev_head + 1) % OFFENDER_EVENTS);
}

/* Two fixed windows make a sliding one: the estimate weighs the previous
 * window by how much of it the sliding window still covers (the way rate
 * limiters count). A burst inside one window counts in full. */
static void roll(struct offender *e, uint32_t window, uint32_t now)
{
	uint32_t k = now > e->win_start ? (now - e->win_start) / window : 0;

	if (k == 0)
		return;
	e->prev = k == 1 ? e->cur : 0;
	e->cur = 0;
	e->win_start += k * window;
}

static double estimate(const struct offender *e, uint32_t window, uint32_t now)
{
	uint32_t k = now > e->win_start ? (now - e->win_start) / window : 0;
	double into, prev = k == 0 ? e->prev : k == 1 ? e->cur : 0, cur = k == 0 ? e->cur : 0;

	into = (double)(now - e->win_start - k * window) / window;
	return prev * (1 - into) + cur;
}

static void forget(struct offender *e, uint32_t now)
{
	e->cur = e->prev = 0;
	e->win_start = now;
}

double offenders_level(const struct offenders *o, const struct offender *e, uint32_t now)
{
	return estimate(e, o->cfg.window, now);
}

static uint32_t recent_valid(const struct offenders *o, const struct offender *e, uint32_t now)
{
	return e->last_valid && now - e->last_valid <= o->cfg.reputation_window ?
	       e->valid_count : 0;
}

double offenders_threshold(const struct offenders *o, const struct offender *e, uint32_t now)
{
	double f = 1 + recent_valid(o, e, now) * o->cfg.reputation_credit;

	return o->cfg.threshold * (f < o->cfg.reputation_max ? f : o->cfg.reputation_max);
}

/* One valid recipient of delivered mail. A banned client earns nothing,
 * and no client more than reputation_max_per_hour in an hour: no sequence
 * of SMTP commands buys credit faster than real mail would. */
static void credit(const struct offenders *o, struct offender *e, uint32_t now, bool banned)
{
	if (banned)
		return;
	if (now - e->credit_hour >= 3600) {
		e->credit_hour = now;
		e->credit_n = 0;
	}
	if (e->credit_n >= o->cfg.reputation_max_per_hour)
		return;
	e->credit_n++;
	e->valid_count = recent_valid(o, e, now) + 1;
	e->last_valid = now;
}

static unsigned recent_offenses(const struct offenders *o, const struct offender *e,
				uint32_t now)
{
	return e->last_ban && now - e->last_ban <= o->cfg.offense_memory ? e->offenses : 0;
}

/* 1 h, 4 h, 16 h, ... capped, plus up to ban_jitter more. */
static uint32_t duration(struct offenders *o, unsigned repeats)
{
	double secs = o->cfg.ban_time * pow(o->cfg.ban_factor, repeats);

	if (secs > o->cfg.ban_time_max)
		secs = o->cfg.ban_time_max;
	secs *= 1 + o->cfg.ban_jitter * (double)(rnd(o) >> 11) / 9007199254740992.0;
	return secs > UINT32_MAX - 1 ? UINT32_MAX - 1 : (uint32_t)secs;
}

static unsigned reason_of(enum evidence ev)
{
	switch (ev) {
	case EV_SPAMTRAP: return RG_REASON_SPAMTRAP;
	case EV_RELAY: return RG_REASON_RELAY;
	case EV_DNSBL: return RG_REASON_DNSBL;
	default: return RG_REASON_UNKNOWN_RCPT;
	}
}

struct decision offenders_evidence(struct offenders *o, const struct rg_addr *client,
				   enum evidence ev, double weight, const char *rcpt,
				   uint32_t now)
{
	struct decision d = { .what = D_NONE };
	struct rg_lpm_key k = { .prefixlen = 128, .addr = *client };
	struct offender *e;
	double level;

	if ((d.why = addr_refused(&k, &o->cfg.nat64))) {
		d.what = D_REFUSED;
		d.prefix = k;
		return d;
	}
	k = offenders_key(o, client);
	if (!(e = get_or_add(o, &k, now)))
		return d;
	d.prefix = k;
	e->last_seen = now;
	note(e, ev, now);
	/* A session opened before the ban goes on: end it, whatever it asks. */
	if (e->ban_until > now)
		d.what = D_ALREADY_BANNED;
	if (ev == EV_VALID) {
		credit(o, e, now, d.what == D_ALREADY_BANNED);
		return d;
	}
	e->bad_total++;
	if (rcpt) {
		strncpy(e->last_rcpt, rcpt, sizeof(e->last_rcpt) - 1);
		e->last_rcpt[sizeof(e->last_rcpt) - 1] = '\0';
	}
	roll(e, o->cfg.window, now);
	e->cur += (float)(ev == EV_UNKNOWN_RCPT ? 1 : ev == EV_RELAY ? o->cfg.relay_weight :
			  ev == EV_DNSBL ? weight : 0);
	level = estimate(e, o->cfg.window, now);
	if (d.what == D_ALREADY_BANNED)
		return d;
	d.level = level;
	d.threshold = offenders_threshold(o, e, now);
	if (ev != EV_SPAMTRAP && level < d.threshold)
		return d;
	if (e->pardon_until > now) {
		d.what = D_PARDONED;
		return d;
	}
	d.what = D_BAN;
	d.reason = reason_of(ev);
	d.offense = recent_offenses(o, e, now) + 1;
	d.secs = duration(o, d.offense - 1);
	return d;
}

struct decision offenders_banned(struct offenders *o, const struct decision *d, uint32_t now)
{
	struct decision sub = { .what = D_NONE };
	struct offender *e = get_or_add(o, &d->prefix, now), *s;
	struct rg_lpm_key k24;

	if (!e)
		return sub;
	e->offenses = (uint16_t)d->offense;
	e->last_ban = now;
	e->ban_until = d->secs ? now + d->secs : UINT32_MAX;
	e->ban_reason = (uint8_t)d->reason;
	e->ban_level = (float)d->level;
	e->ban_threshold = (float)d->threshold;
	forget(e, now);
	note(e, EV_BAN, now);
	/* A ban of one IPv4 client (mapped or through NAT64) counts toward its /24. */
	if (!o->cfg.subnet_bans || o->cfg.prefix_v4 <= 24 ||
	    !addr_carries_v4(&d->prefix.addr, &o->cfg.nat64) ||
	    d->prefix.prefixlen != addr_key_bits(&d->prefix.addr, 32, 128, &o->cfg.nat64))
		return sub;
	k24 = d->prefix;
	k24.prefixlen = addr_key_bits(&d->prefix.addr, 24, 128, &o->cfg.nat64);
	addr_mask(&k24);
	if (!(s = get_or_add(o, &k24, now)))
		return sub;
	/* A /24 entry counts the bans of its addresses, in its own window. */
	roll(s, o->cfg.subnet_window, now);
	s->cur += 1;
	s->last_seen = now;
	if (estimate(s, o->cfg.subnet_window, now) < o->cfg.subnet_bans || s->ban_until > now ||
	    s->pardon_until > now)
		return sub;
	sub.what = D_BAN;
	sub.prefix = k24;
	sub.reason = d->reason;
	sub.offense = recent_offenses(o, s, now) + 1;
	sub.secs = duration(o, sub.offense - 1);
	return sub;
}

void offenders_spared(struct offenders *o, const struct rg_lpm_key *k, enum evidence why,
		      uint32_t now)
{
	struct offender *e = get(o, k);

	if (!e)
		return;
	forget(e, now);
	note(e, why, now);
}

void offenders_manual_ban(struct offenders *o, const struct rg_lpm_key *k, uint32_t until,
			  uint32_t now)
{
	struct offender *e = get_or_add(o, k, now);

	if (!e)
		return;
	e->ban_until = until;
	e->ban_reason = RG_REASON_MANUAL;
	e->ban_level = e->ban_threshold = 0;
	e->pardon_until = 0;
	note(e, EV_BAN, now);
}

void offenders_unbanned(struct offenders *o, const struct rg_lpm_key *k, uint32_t now)
{
	struct offender *e = get_or_add(o, k, now);

	if (!e)
		return;
	e->ban_until = 0;
	e->pardon_until = now + o->cfg.pardon_time;
	forget(e, now);
	note(e, EV_UNBAN, now);
}

void offenders_expired(struct offenders *o, const struct rg_lpm_key *k, uint32_t now)
{
	struct offender *e = get(o, k);

	if (e && e->ban_until && e->ban_until != UINT32_MAX) {
		e->ban_until = 0;
		note(e, EV_EXPIRED, now);
	}
}

const struct offender *offenders_get(const struct offenders *o, const struct rg_lpm_key *k)
{
	return get(o, k);
}

int offenders_restore(struct offenders *o, const struct offender *rec)
{
	struct offender *e = get_or_add(o, &rec->key, rec->last_seen);

	if (!e)
		return -1;
	*e = *rec;
	e->key = addr_record_key(&rec->key);
	e->last_rcpt[sizeof(e->last_rcpt) - 1] = '\0';
	e->ev_head %= OFFENDER_EVENTS;
	return 0;
}

int offenders_foreach(const struct offenders *o, offender_cb cb, void *arg)
{
	for (size_t i = 0; i < o->n; i++) {
		int rc = cb(&o->e[i], arg);

		if (rc)
			return rc;
	}
	return 0;
}

size_t offenders_count(const struct offenders *o)
{
	return o->n;
}

size_t offenders_evicted(const struct offenders *o)
{
	return o->evicted;
}

size_t offenders_memory(const struct offenders *o)
{
	return o->cap * sizeof(*o->e) + o->idx.slots * sizeof(*o->idx.slot) + sizeof(*o);
}
