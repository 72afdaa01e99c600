/* lapi_decision.c - the LAPI source's records: a dense array indexed by
 * keyindex.c (the LAPI is trusted like the admin, but its size is not
 * ours to choose), each with the decision id that holds the key, its end
 * and the generation of the stream that last listed it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "grow.h"
#include "keyindex.h"
#include "lapi_decision.h"
#include "log.h"

struct record {
	struct rg_lpm_key key;
	int64_t id;
	uint32_t until;
	uint32_t gen;
	bool mine;                      /* made of our own alert: the kernel entry is local */
};

struct lapi_set {
	struct judge *judge;
	uint8_t max_range[2];
	struct nat64_prefixes nat64;
	struct lapi_status *st;
	struct record *v;
	size_t n, cap;
	struct keyindex ix;
	uint32_t gen;
};

struct lapi_set *lapi_set_new(struct judge *j, const uint8_t max_range[2],
			      const struct nat64_prefixes *nat64, struct lapi_status *st)
{
	struct lapi_set *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->judge = j;
	memcpy(s->max_range, max_range, 2);
	s->nat64 = *nat64;
	s->st = st;
	keyindex_init(&s->ix, sizeof(struct record), offsetof(struct record, key), 0);
	return s;
}

void lapi_set_free(struct lapi_set *s)
{
	if (s) {
		keyindex_free(&s->ix);
		free(s->v);
		free(s);
	}
}

void lapi_set_begin(struct lapi_set *s)
{
	s->gen++;
}

static void drop(struct lapi_set *s, uint32_t i)
{
	uint32_t last = (uint32_t)s->n - 1;

	keyindex_remove(&s->ix, s->v, i, last);
	s->v[i] = s->v[last];
	s->n--;
	s->st->records = s->n;
}

/* The key a decision bans, or why it bans none (*counter says which). */
static const char *decision_key(const struct lapi_set *s, const struct lapi_decision *d,
				struct rg_lpm_key *k, uint64_t **counter)
{
	static char err[96];
	bool range = !strcasecmp(d->scope, "range"), v4;
	unsigned width;

	*counter = &s->st->refused_kind;
	if (strcasecmp(d->type, "ban"))
		return "not a ban";
	if (!range && strcasecmp(d->scope, "ip"))
		return "scope is neither Ip nor Range";
	*counter = &s->st->refused_sanity;
	if (addr_parse(d->value, k, err, sizeof(err)) < 0)
		return err;
	v4 = addr_is_v4(&k->addr) && k->prefixlen >= 96;
	width = v4 ? k->prefixlen - 96 : k->prefixlen;
	if (!range && width != (v4 ? 32 : 128))
		return "an Ip decision for a network";
	*counter = &s->st->refused_width;
	if (width < s->max_range[v4 ? 0 : 1])
		return v4 ? "wider than crowdsec_max_range for IPv4" :
			    "wider than crowdsec_max_range for IPv6";
	*counter = &s->st->refused_sanity;
	return addr_refused(k, &s->nat64);
}

/* The front's note, "ORIGIN: SCENARIO" (the reason says crowdsec), printable. */
static void make_note(const struct lapi_decision *d, char *note, size_t len)
{
	snprintf(note, len, "%.14s: %.45s", d->origin, d->scenario);
	for (char *p = note; *p; p++)
		if ((unsigned char)*p < ' ' || (unsigned char)*p > '~' || *p == '"' || *p == '\\')
			*p = '_';
}

static void lift(struct lapi_set *s, uint32_t i, const char *why, uint32_t now)
{
	struct rg_lpm_key k = s->v[i].key;
	bool mine = s->v[i].mine;

	drop(s, i);
	if (mine)
		return;         /* the kernel entry is the local ban's */
	s->st->lifted++;
	judge_remote_lift(s->judge, &k, why, now);
}

/* A new record for k, or KEYINDEX_NONE (logged). */
static uint32_t insert(struct lapi_set *s, const struct rg_lpm_key *k)
{
	uint32_t i;

	if (grow(&s->v, &s->cap, s->n + 1, sizeof(*s->v), 1024) < 0 ||
	    keyindex_reserve(&s->ix, s->v, s->n + 1) < 0) {
		log_err("event=crowdsec_decision result=failed error=\"out of memory\"");
		return KEYINDEX_NONE;
	}
	i = (uint32_t)s->n++;
	s->v[i].key = *k;
	keyindex_insert(&s->ix, s->v, i);
	s->st->records = s->n;
	return i;
}

static void add(struct lapi_set *s, const struct rg_lpm_key *k, const struct lapi_decision *d,
		uint32_t now)
{
	uint64_t secs = (uint64_t)(d->duration_ms + 999) / 1000;
	uint32_t i = keyindex_find(&s->ix, s->v, k), until = now + (uint32_t)secs;
	char note[RG_NOTE_LEN], why[64];

	/* Our own decision coming back, or a delta repeating what we hold
	 * (no shorter): nothing to write. */
	if (i != KEYINDEX_NONE && s->v[i].id == d->id && (s->v[i].mine || s->v[i].until >= until - 1)) {
		s->v[i].gen = s->gen;
		return;
	}
	make_note(d, note, sizeof(note));
	snprintf(why, sizeof(why), "by=crowdsec id=%lld", (long long)d->id);
	switch (judge_remote_ban(s->judge, k, secs, note, why, now)) {
	case ENF_ALLOWLISTED:
		s->st->spared++;
		if (i != KEYINDEX_NONE)
			drop(s, i);
		return;
	case ENF_FAILED:
		return;
	case ENF_BANNED:
		break;
	}
	if (i != KEYINDEX_NONE)
		s->st->refreshed++;
	else if ((i = insert(s, k)) == KEYINDEX_NONE)
		return;
	else
		s->st->added++;
	s->v[i].id = d->id;
	s->v[i].until = until;
	s->v[i].gen = s->gen;
	s->v[i].mine = false;
}

int lapi_set_mine(struct lapi_set *s, const struct rg_lpm_key *k, int64_t id, uint32_t until)
{
	uint32_t i = keyindex_find(&s->ix, s->v, k);

	if (i == KEYINDEX_NONE && (i = insert(s, k)) == KEYINDEX_NONE)
		return -ENOMEM;
	s->v[i].id = id;
	s->v[i].until = until;
	s->v[i].gen = s->gen;
	s->v[i].mine = true;
	return 0;
}

void lapi_set_apply(struct lapi_set *s, const struct lapi_decision *d, uint32_t now)
{
	struct rg_lpm_key k;
	uint64_t *counter = &s->st->refused_bad;
	const char *why = d->bad ? "a field too long or of the wrong kind" :
			  !d->has_duration && !d->deleted ? "no duration" : NULL;
	uint32_t i;

	if (!why)
		why = decision_key(s, d, &k, &counter);
	if (why) {
		(*counter)++;
		log_warn("event=crowdsec_decision_refused id=%lld value=\"%.*s\" scope=\"%.15s\" "
			 "why=\"%s\"", (long long)d->id, (int)strcspn(d->value, "\"\\\r\n\t"), d->value,
			 d->scope, why);
		return;
	}
	i = keyindex_find(&s->ix, s->v, &k);
	if (d->deleted || d->duration_ms <= 0) {
		/* Only the decision that holds the key ends it. */
		if (i != KEYINDEX_NONE && s->v[i].mine && s->v[i].id == d->id)
			drop(s, i);     /* the local ban ends on its own */
		else if (i != KEYINDEX_NONE && (!d->id || s->v[i].id == d->id))
			lift(s, i, "by=crowdsec why=deleted", now);
		return;
	}
	add(s, &k, d, now);
}

/* Kernel entries of the LAPI source this set has no record of (kept
 * across a restart), gathered before any is lifted. */
struct orphans {
	const struct lapi_set *s;
	struct rg_lpm_key *v;
	size_t n, cap;
};

static int orphan(const struct rg_lpm_key *k, const struct rg_ban *b, const char *note, void *arg)
{
	struct orphans *o = arg;

	(void)b, (void)note;
	if (lapi_set_holds(o->s, k))
		return 0;
	if (grow(&o->v, &o->cap, o->n + 1, sizeof(*o->v), 256) < 0)
		return -ENOMEM;
	o->v[o->n++] = *k;
	return 0;
}

size_t lapi_set_reconcile(struct lapi_set *s, uint32_t now)
{
	struct orphans o = { .s = s };
	size_t done = 0;

	if (judge_remote_foreach(s->judge, orphan, &o) < 0)
		log_err("event=crowdsec_sync error=\"out of memory\" note=\"some bans the LAPI no "
			"longer holds may stay until their expiry\"");
	for (size_t i = 0; i < o.n; i++) {
		judge_remote_lift(s->judge, &o.v[i], "by=crowdsec why=no_longer_held", now);
		s->st->lifted++;
		done++;
	}
	free(o.v);

	/* Downwards: drop() moves the last record, already seen, into i. */
	for (size_t i = s->n; i-- > 0;)
		if (s->v[i].gen != s->gen) {
			lift(s, (uint32_t)i, "by=crowdsec why=no_longer_held", now);
			done++;
		}
	return done;
}

int64_t lapi_set_forget_mine(struct lapi_set *s, const struct rg_lpm_key *k)
{
	uint32_t i = keyindex_find(&s->ix, s->v, k);
	int64_t id;

	if (i == KEYINDEX_NONE || !s->v[i].mine)
		return 0;
	id = s->v[i].id;
	drop(s, i);
	return id;
}

bool lapi_set_holds(const struct lapi_set *s, const struct rg_lpm_key *k)
{
	uint32_t i = keyindex_find(&s->ix, s->v, k);

	return i != KEYINDEX_NONE && !s->v[i].mine;
}

void lapi_metrics(const struct lapi_status *st, metric_cb cb, void *x)
{
	const char *help = "";
	const struct { const char *name, *help, *labels; uint64_t v; } m[] = {
		{ "rcptguard_crowdsec_up", "1 while the last pull from the CrowdSec LAPI worked", "",
		  st->up },
		{ "rcptguard_crowdsec_pulls_total", "Pulls from the CrowdSec LAPI", "", st->pulls },
		{ "rcptguard_crowdsec_pull_failures_total", "Pulls from the CrowdSec LAPI that failed",
		  "", st->failures },
		{ "rcptguard_crowdsec_outages_total", "Times the CrowdSec LAPI went away", "",
		  st->outages },
		{ "rcptguard_crowdsec_decisions", "CrowdSec decisions held", "", st->records },
		{ "rcptguard_crowdsec_decisions_total", "CrowdSec decisions by what was done with them",
		  "result=\"added\"", st->added },
		{ "rcptguard_crowdsec_decisions_total", "", "result=\"refreshed\"", st->refreshed },
		{ "rcptguard_crowdsec_decisions_total", "", "result=\"lifted\"", st->lifted },
		{ "rcptguard_crowdsec_decisions_total", "", "result=\"spared\"", st->spared },
		{ "rcptguard_crowdsec_refused_total", "CrowdSec decisions refused, by why",
		  "why=\"kind\"", st->refused_kind },
		{ "rcptguard_crowdsec_refused_total", "", "why=\"width\"", st->refused_width },
		{ "rcptguard_crowdsec_refused_total", "", "why=\"sanity\"", st->refused_sanity },
		{ "rcptguard_crowdsec_refused_total", "", "why=\"bad\"", st->refused_bad },
		{ "rcptguard_crowdsec_pushed_total", "Bans pushed to the CrowdSec LAPI", "", st->pushed },
		{ "rcptguard_crowdsec_push_dropped_total",
		  "Bans not pushed: the queue was full (the oldest dropped)", "", st->push_dropped },
		{ "rcptguard_crowdsec_push_rejected_total", "Pushes the CrowdSec LAPI refused", "",
		  st->push_rejected },
		{ "rcptguard_crowdsec_push_failures_total", "Pushes that failed and were retried", "",
		  st->push_failures },
		{ "rcptguard_crowdsec_push_queued", "Bans waiting to be pushed", "", st->push_queued },
	};

	/* A family's samples share the HELP written with its first. */
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		if (*m[i].help)
			help = m[i].help;
		cb(x, m[i].name, help, m[i].labels, (double)m[i].v);
	}
}
