/* state.c - save and load the daemon's memory across restarts. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "addr.h"
#include "atomic.h"
#include "duration.h"
#include "escape.h"
#include "log.h"
#include "state.h"

#define MAGIC "rcptguard-state 1"

struct writer {
	FILE *f;
	uint64_t now_ns, now;
	size_t nbans, noffs;
	const struct offender_cfg *cfg;
};

static int write_ban(const struct rg_lpm_key *k, const struct rg_ban *b, const char *note,
		     void *arg)
{
	struct writer *w = arg;
	char a[ADDR_STRLEN], n[3 * RG_NOTE_LEN + 2];
	uint64_t exp = 0;

	if (b->expires_ns) {
		if (b->expires_ns <= w->now_ns)
			return 0;       /* expired: nothing to restore */
		exp = w->now + (b->expires_ns - w->now_ns + 999999999ULL) / 1000000000ULL;
	}
	addr_format(k, a, sizeof(a));
	pct_encode(note, n, sizeof(n));
	fprintf(w->f, "ban %s %" PRIu64 " %u %s %" PRIu64 "\n", a, exp, b->reason, n,
		(uint64_t)b->created_unix);
	w->nbans++;
	return 0;
}

/* Offenders worth a line: banned, pardoned, repeat offenders and clients
 * with reputation. Counts in progress are short-lived and not saved. */
static int write_off(const struct offender *e, void *arg)
{
	struct writer *w = arg;
	char a[ADDR_STRLEN], r[3 * OFFENDER_RCPT + 2];
	uint32_t now = (uint32_t)w->now;

	if (!(e->ban_until > now || e->pardon_until > now ||
	      (e->offenses && now - e->last_ban <= w->cfg->offense_memory) ||
	      (e->valid_count && now - e->last_valid <= w->cfg->reputation_window)))
		return 0;
	addr_format(&e->key, a, sizeof(a));
	pct_encode(e->last_rcpt, r, sizeof(r));
	fprintf(w->f, "off %s %u %u %u %u %u %u %u %u %u %u %u", a, e->first_seen, e->last_seen,
		e->last_valid, e->valid_count, e->last_ban, e->ban_until, e->pardon_until,
		e->offenses, e->ban_reason, e->bad_total, e->ev_head);
	for (int i = 0; i < OFFENDER_EVENTS; i++)
		fprintf(w->f, " %u:%u", e->ev[i].t, e->ev[i].kind);
	fprintf(w->f, " %s\n", r);
	w->noffs++;
	return 0;
}

int state_write(const char *dir, struct enforcer *enf, const struct offenders *off,
		const struct offender_cfg *cfg, char *err, size_t errlen)
{
	char path[4096];
	struct writer w = { .now_ns = mono_ns(), .now = wall_secs(), .cfg = cfg };
	struct atomic_file a;
	char proof[RG_PROOF_LEN];

	snprintf(path, sizeof(path), "%s/state", dir);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	if (atomic_open(&a, path, 0600, err, errlen) < 0)
		return -1;
	w.f = a.f;
	/* Asked before the records: no commit can come between the two. */
	enforce_proof(enf, proof, sizeof(proof));
	fprintf(w.f, MAGIC "\nsaved %" PRIu64 "%s%s\n", w.now, *proof ? " " : "", proof);
	enforce_records(enf, write_ban, &w);
	offenders_foreach(off, write_off, &w);
	/* The end line proves the file is whole. */
	fprintf(w.f, "end %zu %zu\n", w.nbans, w.noffs);
	return atomic_commit(&a, err, errlen);
}

void state_free(struct state *st)
{
	free(st->bans);
	free(st->offs);
	*st = (struct state){ 0 };
}

static void *grow(void *p, size_t n, size_t size)
{
	/* Doubling at powers of two. */
	if (n && (n & (n - 1)))
		return p;
	return realloc(p, (n ? n * 2 : 64) * size);
}

static int parse_ban(char *args, struct state *st)
{
	char addr[64], note[3 * RG_NOTE_LEN + 2], err[64];
	struct saved_ban b = { 0 };
	void *v;

	if (sscanf(args, "%63s %" SCNu64 " %u %193s %" SCNu64, addr, &b.expires_unix, &b.reason,
		   note, &b.created_unix) < 4 ||
	    addr_parse(addr, &b.key, err, sizeof(err)) < 0 || pct_decode(note) < 0 ||
	    b.reason >= RG_REASON_MAX)
		return -1;
	memcpy(b.note, note, strnlen(note, sizeof(b.note) - 1));
	if (!(v = grow(st->bans, st->nbans, sizeof(*st->bans))))
		return -1;
	st->bans = v;
	st->bans[st->nbans++] = b;
	return 0;
}

static int parse_off(char *args, struct state *st)
{
	struct offender e = { 0 };
	char addr[64], err[64], *p;
	unsigned off, reason, head;
	int n;
	void *v;

	if (sscanf(args, "%63s %u %u %u %u %u %u %u %u %u %u %u%n", addr, &e.first_seen,
		   &e.last_seen, &e.last_valid, &e.valid_count, &e.last_ban, &e.ban_until,
		   &e.pardon_until, &off, &reason, &e.bad_total, &head, &n) != 12 ||
	    addr_parse(addr, &e.key, err, sizeof(err)) < 0 || off > 65535 || reason >= RG_REASON_MAX ||
	    head >= OFFENDER_EVENTS)
		return -1;
	e.offenses = (uint16_t)off;
	e.ban_reason = (uint8_t)reason;
	e.ev_head = (uint8_t)head;
	p = args + n;
	for (int i = 0; i < OFFENDER_EVENTS; i++) {
		unsigned t, k;

		if (sscanf(p, " %u:%u%n", &t, &k, &n) != 2 || k >= EV_MAX)
			return -1;
		e.ev[i] = (struct offender_event){ .t = t, .kind = (uint8_t)k };
		p += n;
	}
	while (*p == ' ')
		p++;
	if (!*p || strchr(p, ' ') || pct_decode(p) < 0)
		return -1;
	snprintf(e.last_rcpt, sizeof(e.last_rcpt), "%s", p);
	e.win_start = e.last_seen;
	if (!(v = grow(st->offs, st->noffs, sizeof(*st->offs))))
		return -1;
	st->offs = v;
	st->offs[st->noffs++] = e;
	return 0;
}

int state_read(const char *dir, struct state *st, char *err, size_t errlen)
{
	char path[4096], line[1024];
	unsigned lineno = 0;
	size_t nb, no;
	bool ended = false;
	FILE *f;

	*st = (struct state){ 0 };
	snprintf(path, sizeof(path), "%s/state", dir);
	if (!(f = fopen(path, "r"))) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		int bad;

		lineno++;
		if (!strchr(line, '\n') || ended)
			goto bad;
		line[strcspn(line, "\n")] = '\0';
		if (lineno == 1)
			bad = strcmp(line, MAGIC) != 0;
		else if (strncmp(line, "saved ", 6) == 0)
			bad = sscanf(line + 6, "%" SCNu64 " %191s", &st->saved_unix, st->proof) < 1;
		else if (strncmp(line, "ban ", 4) == 0)
			bad = parse_ban(line + 4, st);
		else if (strncmp(line, "off ", 4) == 0)
			bad = parse_off(line + 4, st);
		else if (strncmp(line, "end ", 4) == 0)
			bad = !(ended = sscanf(line + 4, "%zu %zu", &nb, &no) == 2 &&
				nb == st->nbans && no == st->noffs);
		else
			bad = 1;
		if (bad)
			goto bad;
	}
	if (!ended) {
		lineno++;
		goto bad;
	}
	fclose(f);
	return 0;
bad:
	fclose(f);
	snprintf(err, errlen, "%s:%u: not a valid state line; the file is ignored", path, lineno);
	state_free(st);
	return -1;
}

struct refused {
	const struct nat64_prefixes *nat64;
	struct rg_lpm_key *keys;
	size_t n, cap;
};

static int find_refused(const struct rg_lpm_key *k, const struct rg_ban *b, const char *note,
			void *arg)
{
	struct refused *r = arg;

	(void)note;
	if (b->reason == RG_REASON_MANUAL || !addr_refused(k, r->nat64))
		return 0;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct rg_lpm_key *v = realloc(r->keys, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->keys = v;
		r->cap = cap;
	}
	r->keys[r->n++] = *k;
	return 0;
}

size_t state_refuse_bans(struct enforcer *enf, const struct nat64_prefixes *nat64)
{
	struct refused r = { .nat64 = nat64 };
	char a[ADDR_STRLEN];
	size_t done = 0;

	if (enforce_records(enf, find_refused, &r) < 0)
		log_err("event=state_ban_refused result=failed error=\"out of memory\" "
			"note=\"some bans no evidence could make may remain; rcptguard unban them\"");
	for (size_t i = 0; i < r.n; i++) {
		addr_format(&r.keys[i], a, sizeof(a));
		log_warn("event=state_ban_refused address=%s why=%s note=\"no evidence may ban "
			 "this; removed\"", a, addr_refused(&r.keys[i], nat64));
		done += enforce_unban(enf, &r.keys[i], "by=state_load") == 0;
	}
	free(r.keys);
	return done;
}
