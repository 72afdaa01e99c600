/* state.c - save and load the daemon's memory across restarts. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "addr.h"
#include "journal.h"
#include "atomic.h"
#include "duration.h"
#include "escape.h"
#include "grow.h"
#include "log.h"
#include "state.h"

#define MAGIC "rcptguard-state 1"

struct writer {
	FILE *f;
	uint64_t now_ns, now;
	size_t nbans, noffs;
	const struct offender_cfg *cfg;
};

void state_ban_change(char *buf, size_t len, const struct rg_lpm_key *k, uint64_t expires_unix,
		      unsigned reason, const char *note, uint64_t created_unix)
{
	char a[ADDR_STRLEN], n[3 * RG_NOTE_LEN + 2];

	addr_format(k, a, sizeof(a));
	pct_encode(note ? note : "", n, sizeof(n));
	snprintf(buf, len, "ban %s %" PRIu64 " %u %s %" PRIu64, a, expires_unix, reason, n,
		 created_unix);
}

void state_unban_change(char *buf, size_t len, const struct rg_lpm_key *k)
{
	char a[ADDR_STRLEN];

	addr_format(k, a, sizeof(a));
	snprintf(buf, len, "unban %s", a);
}

void state_change(char *buf, size_t len, const struct rg_lpm_key *k, bool banned, uint64_t secs,
		  unsigned reason, const char *note)
{
	uint64_t now = wall_secs();

	if (banned)
		state_ban_change(buf, len, k, secs ? now + secs : 0, reason, note, now);
	else
		state_unban_change(buf, len, k);
}

static int write_ban(const struct rg_lpm_key *k, const struct rg_ban *b, const char *note,
		     void *arg)
{
	struct writer *w = arg;
	char line[JOURNAL_LINE_MAX];
	uint64_t exp = 0;

	if (b->expires_ns) {
		if (b->expires_ns <= w->now_ns)
			return 0;       /* expired: nothing to restore */
		exp = w->now + (b->expires_ns - w->now_ns + 999999999ULL) / 1000000000ULL;
	}
	state_ban_change(line, sizeof(line), k, exp, b->reason, note, b->created_unix);
	fprintf(w->f, "%s\n", line);
	w->nbans++;
	return 0;
}

/* Offenders worth a line: banned, pardoned, repeat offenders and clients
 * with reputation. Counts in progress are short-lived and not saved. */
void state_off_change(char *buf, size_t len, const struct offender *e)
{
	char a[ADDR_STRLEN], r[3 * OFFENDER_RCPT + 2];
	int n;

	addr_format(&e->key, a, sizeof(a));
	pct_encode(e->last_rcpt, r, sizeof(r));
	n = snprintf(buf, len, "off %s %u %u %u %u %u %u %u %u %u %u %u", a, e->first_seen,
		     e->last_seen, e->last_valid, e->valid_count, e->last_ban, e->ban_until,
		     e->pardon_until, e->offenses, e->ban_reason, e->bad_total, e->ev_head);
	for (int i = 0; i < OFFENDER_EVENTS && n > 0 && (size_t)n < len; i++)
		n += snprintf(buf + n, len - (size_t)n, " %u:%u", e->ev[i].t, e->ev[i].kind);
	if (n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " %s %.2f %.2f", r, e->ban_level,
			 e->ban_threshold);
}

static int write_off(const struct offender *e, void *arg)
{
	struct writer *w = arg;
	char line[JOURNAL_LINE_MAX];
	uint32_t now = (uint32_t)w->now;

	if (!(e->ban_until > now || e->pardon_until > now ||
	      (e->offenses && now - e->last_ban <= w->cfg->offense_memory) ||
	      (e->valid_count && now - e->last_valid <= w->cfg->reputation_window)))
		return 0;
	state_off_change(line, sizeof(line), e);
	fprintf(w->f, "%s\n", line);
	w->noffs++;
	return 0;
}

int state_write(const char *dir, struct journal *j, struct enforcer *enf,
		const struct offenders *off, const struct offender_cfg *cfg, char *err,
		size_t errlen)
{
	char path[4096];
	struct writer w = { .now_ns = mono_ns(), .now = wall_secs(), .cfg = cfg };
	struct atomic_file a;
	char proof[RG_PROOF_LEN];
	int rc;

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
	fprintf(w.f, MAGIC "\nsaved %" PRIu64 "%s%s\njournal %" PRIu64 "\n", w.now,
		*proof ? " " : "", proof, j->gen + 1);
	/* A file without every ban would look whole: keep the last good one. */
	if ((rc = enforce_records(enf, write_ban, &w)) != 0 ||
	    (rc = offenders_foreach(off, write_off, &w)) != 0) {
		snprintf(err, errlen, "cannot list the bans for %s: %s", path,
			 strerror(rc < 0 ? -rc : EIO));
		atomic_abort(&a);
		return -1;
	}
	/* The end line proves the file is whole. */
	fprintf(w.f, "end %zu %zu\n", w.nbans, w.noffs);
	if (atomic_commit(&a, err, errlen) < 0)
		return -1;
	/* From here the file holds every change: a crash before the new
	 * journal exists leaves an old one, which the new generation ignores. */
	return journal_reset(j, j->gen + 1, err, errlen);
}

int state_generation(const char *dir, uint64_t *gen, char *err, size_t errlen)
{
	char path[4096], line[1024];
	FILE *f;

	*gen = 0;
	if (!(f = state_dir_open(dir, "state", path, sizeof(path), err, errlen)))
		return *err ? -1 : 0;
	/* It comes before the first ban. */
	while (fgets(line, sizeof(line), f) && strncmp(line, "ban ", 4) != 0 &&
	       sscanf(line, "journal %" SCNu64, gen) != 1)
		;
	fclose(f);
	return 0;
}

void state_free(struct state *st)
{
	free(st->bans);
	free(st->offs);
	free(st->unbans);
	*st = (struct state){ 0 };
}

/* A ban line's fields, in the state file and in the journal alike. */
static int parse_ban(char *args, struct saved_ban *b)
{
	char addr[64], note[3 * RG_NOTE_LEN + 2], err[64];

	*b = (struct saved_ban){ 0 };
	if (sscanf(args, "%63s %" SCNu64 " %u %193s %" SCNu64, addr, &b->expires_unix, &b->reason,
		   note, &b->created_unix) < 4 ||
	    addr_parse(addr, &b->key, err, sizeof(err)) < 0 || pct_decode(note) < 0 ||
	    b->reason >= RG_REASON_MAX)
		return -1;
	memcpy(b->note, note, strnlen(note, sizeof(b->note) - 1));
	return 0;
}

static int add_ban(char *args, struct state *st)
{
	struct saved_ban b;

	if (parse_ban(args, &b) < 0 ||
	    grow(&st->bans, &st->bans_cap, st->nbans + 1, sizeof(*st->bans), 64) < 0)
		return -1;
	st->bans[st->nbans++] = b;
	return 0;
}

static int parse_off(char *args, struct state *st)
{
	struct offender e = { 0 };
	char addr[64], err[64], *p, *score;
	unsigned off, reason, head;
	int n;

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
	/* The score of the last ban came later: a file without it reads as 0. */
	if ((score = strchr(p, ' '))) {
		*score++ = 0;
		if (sscanf(score, "%f %f%n", &e.ban_level, &e.ban_threshold, &n) != 2 ||
		    score[n] || !(e.ban_level >= 0 && e.ban_level < 1e9f) ||
		    !(e.ban_threshold >= 0 && e.ban_threshold < 1e9f))
			return -1;
	}
	if (!*p || pct_decode(p) < 0)
		return -1;
	snprintf(e.last_rcpt, sizeof(e.last_rcpt), "%s", p);
	e.win_start = e.last_seen;
	if (grow(&st->offs, &st->offs_cap, st->noffs + 1, sizeof(*st->offs), 64) < 0)
		return -1;
	st->offs[st->noffs++] = e;
	return 0;
}

static int read_file(const char *dir, struct state *st, char *err, size_t errlen)
{
	char path[4096], line[1024];
	unsigned lineno = 0;
	size_t nb, no;
	bool ended = false;
	FILE *f;

	*st = (struct state){ 0 };
	if (!(f = state_dir_open(dir, "state", path, sizeof(path), err, errlen)))
		return *err ? -1 : 0;
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
		else if (strncmp(line, "journal ", 8) == 0)
			bad = sscanf(line + 8, "%" SCNu64, &st->gen) != 1;
		else if (strncmp(line, "ban ", 4) == 0)
			bad = add_ban(line + 4, st);
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

/* -------- the journal on top of the file -------- */

struct change {
	struct saved_ban b;             /* an unban: only the key */
	bool ban;
	size_t seq;
};

struct changes {
	struct change *v;
	size_t n, cap;
	struct state *st;               /* offender records go straight in */
};

static int read_change(char *line, void *arg)
{
	struct changes *c = arg;
	struct change ch = { .seq = c->n };
	char addr[64], extra, err[64];

	if (strncmp(line, "off ", 4) == 0)
		return parse_off(line + 4, c->st);
	if (strncmp(line, "ban ", 4) == 0) {
		if (parse_ban(line + 4, &ch.b) < 0)
			return -1;
		ch.ban = true;
	} else if (sscanf(line, "unban %63s %c", addr, &extra) != 1 ||
		   addr_parse(addr, &ch.b.key, err, sizeof(err)) < 0) {
		return -1;
	}
	if (grow(&c->v, &c->cap, c->n + 1, sizeof(*c->v), 64) < 0)
		return -1;
	c->v[c->n++] = ch;
	return 0;
}

static int key_cmp(const struct rg_lpm_key *a, const struct rg_lpm_key *b)
{
	int c = memcmp(&a->addr, &b->addr, sizeof(a->addr));

	return c ? c : (a->prefixlen > b->prefixlen) - (a->prefixlen < b->prefixlen);
}

static int change_cmp(const void *a, const void *b)
{
	const struct change *x = a, *y = b;
	int c = key_cmp(&x->b.key, &y->b.key);

	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static int change_key_cmp(const void *key, const void *elem)
{
	return key_cmp(key, &((const struct change *)elem)->b.key);
}

static int add_unban(struct state *st, const struct rg_lpm_key *k)
{
	if (grow(&st->unbans, &st->unbans_cap, st->nunbans + 1, sizeof(*st->unbans), 64) < 0)
		return -1;
	st->unbans[st->nunbans++] = *k;
	return 0;
}

/* The last change of each key decides, whatever came before it: sorted by
 * key and order, only the last of each run is kept, and each saved ban is
 * looked up among them (n log n for a million bans, not n times m). */
static int merge(struct state *st, struct changes *c)
{
	size_t last = 0, kept = 0;

	if (!c->n)
		return 0;
	qsort(c->v, c->n, sizeof(*c->v), change_cmp);
	for (size_t i = 0; i < c->n; i++) {
		if (i + 1 < c->n && key_cmp(&c->v[i].b.key, &c->v[i + 1].b.key) == 0)
			continue;
		c->v[last] = c->v[i];
		c->v[last++].seq = 0;   /* from here: 1 once matched to a saved ban */
	}
	c->n = last;
	for (size_t i = 0; i < st->nbans; i++) {
		struct change *ch = bsearch(&st->bans[i].key, c->v, c->n, sizeof(*c->v),
					    change_key_cmp);

		if (ch) {
			uint64_t created = st->bans[i].created_unix;

			ch->seq = 1;
			if (!ch->ban) {
				if (add_unban(st, &ch->b.key) < 0)
					return -1;
				continue;
			}
			st->bans[i] = ch->b;
			if (created)            /* a ban extended, not a new one */
				st->bans[i].created_unix = created;
		}
		st->bans[kept++] = st->bans[i];
	}
	st->nbans = kept;
	for (size_t i = 0; i < c->n; i++) {
		if (c->v[i].seq)
			continue;
		if (!c->v[i].ban) {
			if (add_unban(st, &c->v[i].b.key) < 0)
				return -1;
			continue;
		}
		if (grow(&st->bans, &st->bans_cap, st->nbans + 1, sizeof(*st->bans), 64) < 0)
			return -1;
		st->bans[st->nbans++] = c->v[i].b;
	}
	return 0;
}

int state_read(const char *dir, struct state *st, char *err, size_t errlen)
{
	struct changes c = { .st = st };
	int rc;

	if (read_file(dir, st, err, errlen) < 0)
		return -1;
	rc = journal_read(dir, st->gen, read_change, &c, &st->journaled, &st->journal_skipped,
			  err, errlen);
	if (rc == 0 && (rc = merge(st, &c)) < 0)
		snprintf(err, errlen, "out of memory applying %s/journal", dir);
	free(c.v);
	if (rc < 0)
		state_free(st);
	return rc;
}
