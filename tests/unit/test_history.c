/* test_history.c - the history file and the ring of recent recipients:
 * hostile text comes back exactly, the files stay bounded across any
 * number of lines, a torn or foreign line is skipped, and the ring keeps
 * only the newest recipients of the network asked for. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "history.h"
#include "log.h"
#include "names.h"
#include "tap.h"

struct got {
	struct history_entry e[64];
	char store[64][HISTORY_RCPTS][RECENT_RCPT];
	char note[64][RG_NOTE_LEN], by[64][256];
	uint64_t first, last;
	size_t n, total;
};

static int keep(const struct history_entry *e, void *arg)
{
	struct got *g = arg;

	if (!g->total++)
		g->first = e->time;
	g->last = e->time;
	if (g->n < 64) {
		struct history_entry *c = &g->e[g->n];

		*c = *e;
		for (size_t i = 0; i < e->nrcpt; i++)
			c->rcpt[i] = strcpy(g->store[g->n][i], e->rcpt[i]);
		c->note = strcpy(g->note[g->n], e->note);
		c->by = strcpy(g->by[g->n], e->by);
		g->n++;
	}
	return 0;
}

/* Any byte but NUL. */
static void hostile(char *s, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++)
		s[i] = (char)(1 + rand() % 255);
	s[len - 1] = '\0';
}

static void round_trip(const char *dir)
{
	struct history h;
	char err[256], line[HISTORY_LINE];
	struct rg_lpm_key k;
	bool same = true;
	struct got *g = calloc(1, sizeof(*g));
	static struct recent_rcpt r[HISTORY_RCPTS];
	const struct recent_rcpt *rp[HISTORY_RCPTS];
	char note[RG_NOTE_LEN], by[200];
	size_t skipped;

	addr_parse("192.0.2.7", &k, err, sizeof(err));
	history_init(&h, dir);
	history_start(&h);
	for (int round = 0; round < 50; round++) {
		struct judge_event e = { .what = JUDGE_BAN, .key = &k, .time = 1000 + round,
					 .secs = 3600, .reason = RG_REASON_UNKNOWN_RCPT, .offense = 2,
					 .score = 5, .threshold = 5, .note = note, .by = by };

		hostile(note, sizeof(note));
		hostile(by, sizeof(by));
		for (size_t i = 0; i < HISTORY_RCPTS; i++) {
			hostile(r[i].rcpt, sizeof(r[i].rcpt));
			rp[i] = &r[i];
		}
		history_line(line, sizeof(line), &e, rp, HISTORY_RCPTS);
		ok(!strchr(line, '\n'), "round %d: one line", round);
		history_add(&h, line);
		history_flush(&h);
		memset(g, 0, sizeof(*g));
		history_read(dir, keep, g, &skipped, err, sizeof(err));
		const struct history_entry *b = &g->e[g->n - 1];

		same = g->n == (size_t)round + 1 && !skipped && b->time == e.time &&
		       strcmp(b->event, "ban") == 0 && strcmp(b->address, "192.0.2.7") == 0 &&
		       strcmp(b->reason, "unknown-recipient") == 0 && b->secs == 3600 &&
		       b->offense == 2 && strcmp(b->score, "5.00") == 0 &&
		       strcmp(b->note, note) == 0 && strcmp(b->by, by) == 0 &&
		       b->nrcpt == HISTORY_RCPTS;
		for (size_t i = 0; same && i < HISTORY_RCPTS; i++)
			same = strcmp(b->rcpt[i], r[i].rcpt) == 0;
		if (!same)
			break;
	}
	ok(same, "hostile notes, peers and recipients come back exactly");
	history_free(&h);
	free(g);
}

static uint64_t size_of(const char *dir, const char *name)
{
	char p[4200];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static void bounded(const char *dir)
{
	struct history h;
	char err[256], line[HISTORY_LINE], p[4200];
	struct rg_lpm_key k;
	struct got *g = calloc(1, sizeof(*g));
	size_t skipped, lines = 3 * HISTORY_MAX / 38;    /* three files of these lines */
	FILE *f;

	addr_parse("2001:db8::/48", &k, err, sizeof(err));
	history_init(&h, dir);
	history_start(&h);
	for (size_t i = 0; i < lines; i++) {
		struct judge_event e = { .what = i % 2 ? JUDGE_UNBAN : JUDGE_EXPIRE, .key = &k,
					 .time = (uint32_t)(100000 + i), .note = "", .by = "expiry" };

		history_line(line, sizeof(line), &e, NULL, 0);
		history_add(&h, line);
		/* A busy turn of the loop: 20000 lines written in one flush. */
		if (i % 20000 == 19999)
			history_flush(&h);
	}
	history_flush(&h);
	history_free(&h);
	ok(size_of(dir, "history") <= HISTORY_MAX && size_of(dir, "history.1") <= HISTORY_MAX &&
	   size_of(dir, "history.1") > HISTORY_MAX / 2, "rotated: both files within %d bytes",
	   HISTORY_MAX);
	history_read(dir, keep, g, &skipped, err, sizeof(err));
	ok(g->last == 100000 + lines - 1 && g->first > 100000 && !skipped,
	   "read oldest first across the rotation, ending with the newest line");
	/* A torn last line (a crash mid-write) and lines we never write. */
	snprintf(p, sizeof(p), "%s/history", dir);
	f = fopen(p, "a");
	fputs("1 ban nonsense by=x\n1 frob 192.0.2.1 by=x\n12x ban 192.0.2.1\n1 ban 192.0.2.1 by=%zz\n", f);
	for (int i = 0; i < HISTORY_LINE * 3; i++)
		fputc('a', f);
	fputs("\n1 ban 192.0.2.1 by=torn", f);
	fclose(f);
	memset(g, 0, sizeof(*g));
	history_read(dir, keep, g, &skipped, err, sizeof(err));
	ok(skipped == 6 && g->last == 100000 + lines - 1, "bad, overlong and torn lines skipped: %zu",
	   skipped);
	free(g);
}

/* Before history_start() nothing touches the disk; then the held lines
 * come first, in order, and what passed HISTORY_HELD is counted, not kept. */
static void held(const char *dir)
{
	struct history h;
	struct rg_lpm_key k;
	char err[128], line[HISTORY_LINE];
	struct got *g = calloc(1, sizeof(*g));
	size_t skipped, lines = HISTORY_HELD / 16;     /* about twice what is held */

	addr_parse("192.0.2.9", &k, err, sizeof(err));
	history_init(&h, dir);
	for (size_t i = 0; i < lines; i++) {
		struct judge_event e = { .what = JUDGE_UNBAN, .key = &k, .time = (uint32_t)(7 + i),
					 .note = "", .by = "x" };

		history_line(line, sizeof(line), &e, NULL, 0);
		history_add(&h, line);
	}
	ok(size_of(dir, "history") == 0, "held: nothing written yet");
	ok(h.dropped > 0 && h.dropped < lines, "held lines past %d bytes are counted: %zu",
	   HISTORY_HELD, h.dropped);
	size_t lost = h.dropped;

	history_start(&h);
	history_read(dir, keep, g, &skipped, err, sizeof(err));
	ok(g->first == 7 && g->total == lines - lost && !skipped,
	   "the held lines written at start, in order");
	free(g);
}

static void ring(void)
{
	static struct recent r;
	const struct recent_rcpt *out[RECENT_MAX];
	struct rg_lpm_key a, b, net;
	char err[128], rc[32];
	size_t n;
	bool order = true;

	addr_parse("198.51.100.7", &a, err, sizeof(err));
	addr_parse("198.51.100.8", &b, err, sizeof(err));
	addr_parse("198.51.100.0/24", &net, err, sizeof(err));
	ok(recent_get(&r, &a, out, 8) == 0, "an empty ring has nothing");
	for (unsigned i = 0; i < 3 * RECENT_MAX; i++) {
		snprintf(rc, sizeof(rc), "r%u", i);
		recent_add(&r, i % 2 ? &a : &b, rc, i + 1);
	}
	n = recent_get(&r, &a, out, RECENT_MAX);
	ok(n == RECENT_MAX / 2, "a client keeps its share of the ring: %zu", n);
	for (size_t i = 0; i < n; i++) {
		snprintf(rc, sizeof(rc), "r%zu", 3 * RECENT_MAX - 1 - 2 * i);
		order &= strcmp(out[i]->rcpt, rc) == 0;
	}
	ok(order, "newest first, the oldest gone");
	ok(recent_get(&r, &net, out, RECENT_MAX) == RECENT_MAX, "a network finds its clients");
	ok(recent_get(&r, &a, out, 3) == 3, "max is kept");
	{
		char big[4 * RECENT_RCPT];

		memset(big, 'y', sizeof(big));
		big[sizeof(big) - 1] = '\0';
		recent_add(&r, &a, big, 5);
		recent_get(&r, &a, out, 1);
		ok(strlen(out[0]->rcpt) == RECENT_RCPT - 1, "a long recipient is cut to %d bytes",
		   RECENT_RCPT - 1);
	}
}

int main(void)
{
	char dir[] = "/tmp/rg-history-XXXXXX";

	log_quiet();
	srand(19);
	if (!mkdtemp(dir))
		return 1;
	round_trip(dir);
	bounded(dir);
	{
		char sub[64];

		snprintf(sub, sizeof(sub), "%s/held", dir);
		if (mkdir(sub, 0700) < 0)
			return 1;
		held(sub);
	}
	ring();
	{
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return tap_done();
}
