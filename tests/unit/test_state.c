/* test_state.c - the state file round trip, and every way it can be bad;
 * the journal on top of it, cut at every moment a crash could cut it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "addr.h"
#include "backend.h"
#include "duration.h"
#include "escape.h"
#include "state.h"
#include "tap.h"

static char dir[] = "/tmp/rg-state-XXXXXX";

static void write_file(const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/state", dir);
	f = fopen(p, "w");
	fputs(text, f);
	fclose(f);
}

static size_t file_size(const char *name)
{
	char p[256];
	FILE *f;
	long n;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (!(f = fopen(p, "r")))
		return 0;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fclose(f);
	return (size_t)n;
}

static char *slurp(const char *name)
{
	static char buf[8192];
	char p[256];
	FILE *f;
	size_t n = 0;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if ((f = fopen(p, "r"))) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = 0;
	return buf;
}

static const struct saved_ban *find(const struct state *st, const char *addr)
{
	struct rg_lpm_key k;
	char err[64];

	addr_parse(addr, &k, err, sizeof(err));
	for (size_t i = 0; i < st->nbans; i++)
		if (st->bans[i].key.prefixlen == k.prefixlen &&
		    !memcmp(&st->bans[i].key.addr, &k.addr, sizeof(k.addr)))
			return &st->bans[i];
	return NULL;
}

static bool unbanned(const struct state *st, const char *addr)
{
	struct rg_lpm_key k;
	char err[64];

	addr_parse(addr, &k, err, sizeof(err));
	for (size_t i = 0; i < st->nunbans; i++)
		if (!memcmp(&st->unbans[i], &k, sizeof(k)))
			return true;
	return false;
}

static void journal_ban(struct journal *j, const char *addr, uint64_t expires)
{
	struct rg_lpm_key k;
	char err[64], line[JOURNAL_LINE_MAX];

	addr_parse(addr, &k, err, sizeof(err));
	state_ban_change(line, sizeof(line), &k, expires, RG_REASON_MANUAL, "a note", 77);
	journal_add(j, line);
	journal_flush(j, err, sizeof(err));
}

static void journal_unban(struct journal *j, const char *addr)
{
	struct rg_lpm_key k;
	char err[64], line[JOURNAL_LINE_MAX];

	addr_parse(addr, &k, err, sizeof(err));
	state_unban_change(line, sizeof(line), &k);
	journal_add(j, line);
	journal_flush(j, err, sizeof(err));
}

static int failing_walk(void *ctx, enum backend_kind kind, backend_walk_cb cb, void *arg)
{
	(void)ctx, (void)kind, (void)cb, (void)arg;
	return -EIO;
}

/* A writer whose list of bans fails (the nft mirror unreadable) keeps the
 * good file and its journal: nothing that looks whole but lacks bans. */
static void failed_listing_keeps_the_file(struct enforcer *good, struct offenders *off,
					  const struct offender_cfg *cfg)
{
	struct backend_ops broken = backend_none;
	void *none = backend_none_new();
	struct enforcer *enf = enforce_new(&broken, none);
	struct journal j = { 0 };
	struct state st;
	char err[512], before[8192], jbefore[8192];
	uint64_t gen;

	broken.walk = failing_walk;
	journal_open(&j, dir, 0, err, sizeof(err));
	ok(state_write(dir, &j, good, off, cfg, err, sizeof(err)) == 0, "a good file %s", err);
	journal_ban(&j, "198.51.100.7", 0);
	snprintf(before, sizeof(before), "%s", slurp("state"));
	snprintf(jbefore, sizeof(jbefore), "%s", slurp("journal"));
	state_generation(dir, &gen, err, sizeof(err));
	ok(state_write(dir, &j, enf, off, cfg, err, sizeof(err)) < 0 && strstr(err, "cannot list"),
	   "a failed listing of the bans is an error: %s", err);
	ok(strcmp(slurp("state"), before) == 0 && strcmp(slurp("journal"), jbefore) == 0,
	   "and the good file and its journal stay as they were");
	ok(state_read(dir, &st, err, sizeof(err)) == 0 && st.nbans == 3 && st.gen == gen &&
	   find(&st, "198.51.100.7"), "which still load whole, journal included %s", err);
	state_free(&st);
	journal_close(&j);
	enforce_free(enf);
	backend_none_free(none);
}

/* The journal on top of a file: every kind of change, then damage. */
static void journal_changes(struct enforcer *enf, struct offenders *off,
			    const struct offender_cfg *cfg)
{
	struct journal j = { 0 };
	struct state st;
	char err[512], p[256];
	uint64_t gen;
	FILE *f;

	ok(journal_open(&j, dir, 0, err, sizeof(err)) == 0, "a journal opens %s", err);
	ok(state_write(dir, &j, enf, off, cfg, err, sizeof(err)) == 0 &&
	   state_generation(dir, &gen, err, sizeof(err)) == 0 && gen == j.gen && gen > 0,
	   "a full save starts a new generation: %llu", (unsigned long long)gen);
	ok(file_size("journal") == strlen("rcptguard-journal 1 \n") + (gen > 9 ? 2 : 1),
	   "and an empty journal for it");
	journal_ban(&j, "203.0.113.1", 4000000000ULL);
	journal_unban(&j, "192.0.2.9");
	journal_ban(&j, "203.0.113.2", 0);
	journal_unban(&j, "203.0.113.2");
	journal_ban(&j, "2001:db8::/48", 4000000001ULL);
	{
		/* An offender record after a ban: it replaces the file's. */
		struct rg_lpm_key k;
		struct offender e;
		char line[JOURNAL_LINE_MAX];

		addr_parse("192.0.2.9", &k, err, sizeof(err));
		e = *offenders_get(off, &k);
		e.offenses = 7;
		state_off_change(line, sizeof(line), &e);
		journal_add(&j, line);
		journal_flush(&j, err, sizeof(err));
	}
	ok(state_read(dir, &st, err, sizeof(err)) == 0 && st.journaled == 6 &&
	   st.journal_skipped == 0, "five changes and an offender record applied %s", err);
	ok(st.noffs == 2 && st.offs[1].offenses == 7 && st.offs[0].offenses == 1 &&
	   !memcmp(&st.offs[0].key, &st.offs[1].key, sizeof(st.offs[0].key)),
	   "the journaled record comes after the file's (restored in order, it wins)");
	ok(find(&st, "203.0.113.1") && find(&st, "203.0.113.1")->expires_unix == 4000000000ULL &&
	   !strcmp(find(&st, "203.0.113.1")->note, "a note"), "a new ban, with its note");
	ok(!find(&st, "192.0.2.9") && unbanned(&st, "192.0.2.9"), "a saved ban lifted, pardoned");
	ok(!find(&st, "203.0.113.2") && unbanned(&st, "203.0.113.2"), "a ban made and lifted");
	ok(find(&st, "2001:db8::/48") && find(&st, "2001:db8::/48")->expires_unix == 4000000001ULL &&
	   find(&st, "2001:db8::/48")->created_unix != 77, "a saved ban extended keeps its age");
	ok(st.nbans == 2, "and nothing else: %zu bans", st.nbans);
	state_free(&st);

	/* A crash in the middle of a write: the torn line is no change. */
	snprintf(p, sizeof(p), "%s/journal", dir);
	f = fopen(p, "a");
	fputs("unban 203.0.113", f);
	fclose(f);
	ok(state_read(dir, &st, err, sizeof(err)) == 0 && st.journaled == 6 &&
	   st.journal_skipped == 1 && find(&st, "203.0.113.1"), "a torn last line is skipped");
	state_free(&st);
	journal_close(&j);
	ok(journal_open(&j, dir, gen, err, sizeof(err)) == 0, "the journal reopens %s", err);
	journal_unban(&j, "203.0.113.1");
	ok(state_read(dir, &st, err, sizeof(err)) == 0 && st.journaled == 7 &&
	   st.journal_skipped == 0 && !find(&st, "203.0.113.1"),
	   "without the torn tail: the next change is whole %s", err);
	state_free(&st);

	/* A damaged line: its checksum no longer holds. */
	{
		char *text = slurp("journal"), *hit = strstr(text, "203.0.113.1 4000");

		hit[10] = '7';
		f = fopen(p, "w");
		fputs(text, f);
		fclose(f);
	}
	ok(state_read(dir, &st, err, sizeof(err)) == 0 && st.journaled == 6 &&
	   st.journal_skipped == 1 && !find(&st, "203.0.113.7"),
	   "a damaged line is skipped, never misread");
	state_free(&st);
	journal_close(&j);

	/* Stale: the state holds it already (a crash between the two renames). */
	f = fopen(p, "w");
	fprintf(f, "rcptguard-journal 1 %llu\n", (unsigned long long)gen - 1);
	fclose(f);
	journal_open(&j, dir, gen - 1, err, sizeof(err));
	journal_ban(&j, "203.0.113.9", 0);
	ok(state_read(dir, &st, err, sizeof(err)) == 0 && st.journaled == 0 &&
	   !find(&st, "203.0.113.9"), "a journal of an older generation is ignored");
	state_free(&st);
	journal_close(&j);
}

#define KEYS 6
#define OPS 40

/* kill -9 at any byte: a random run of changes, the journal cut at a random
 * offset; what loads is the file plus exactly the lines written whole. */
static void cut_anywhere(struct enforcer *enf, struct offenders *off,
			 const struct offender_cfg *cfg)
{
	unsigned seed = 12345;
	int rounds_ok = 0, rounds = 300;

	for (int round = 0; round < rounds; round++) {
		struct journal j = { 0 };
		long model[KEYS];               /* -1 absent, else expiry */
		int last[KEYS] = { 0 };         /* 1 ban, 2 unban */
		size_t end[OPS], cut;
		int op_key[OPS], op_kind[OPS];
		long op_exp[OPS];
		char err[512], p[256], a[32];
		struct state st;
		bool good = true;

		journal_open(&j, dir, 0, err, sizeof(err));
		state_write(dir, &j, enf, off, cfg, err, sizeof(err));
		for (int i = 0; i < OPS; i++) {
			op_key[i] = rand_r(&seed) % KEYS;
			op_kind[i] = rand_r(&seed) % 3 ? 1 : 2;
			op_exp[i] = 4000000000L + rand_r(&seed) % 1000;
			snprintf(a, sizeof(a), "198.51.100.%d", op_key[i]);
			if (op_kind[i] == 1)
				journal_ban(&j, a, (uint64_t)op_exp[i]);
			else
				journal_unban(&j, a);
			end[i] = (size_t)j.size;
		}
		cut = (size_t)rand_r(&seed) % (end[OPS - 1] + 1);
		snprintf(p, sizeof(p), "%s/journal", dir);
		if (truncate(p, (off_t)cut) < 0)
			return;
		for (int k = 0; k < KEYS; k++)
			model[k] = -1;
		for (int i = 0; i < OPS && end[i] <= cut; i++) {
			model[op_key[i]] = op_kind[i] == 1 ? op_exp[i] : -1;
			last[op_key[i]] = op_kind[i];
		}
		if (state_read(dir, &st, err, sizeof(err)) < 0) {
			ok(0, "round %d: the state does not load: %s", round, err);
			break;
		}
		for (int k = 0; k < KEYS; k++) {
			const struct saved_ban *b;

			snprintf(a, sizeof(a), "198.51.100.%d", k);
			b = find(&st, a);
			good &= model[k] < 0 ? !b : b && (long)b->expires_unix == model[k];
			good &= unbanned(&st, a) == (last[k] == 2);
		}
		good &= find(&st, "192.0.2.9") && find(&st, "2001:db8::/48");
		rounds_ok += good;
		state_free(&st);
		journal_close(&j);
	}
	ok(rounds_ok == rounds, "a journal cut at any byte loads as the changes written whole "
	   "(%d of %d)", rounds_ok, rounds);
}

int main(void)
{
	struct offender_cfg cfg;
	struct offenders *off;
	void *none = backend_none_new();
	struct enforcer *enf = enforce_new(&backend_none, none);
	struct state st;
	struct rg_lpm_key k;
	char err[512], enc[64];
	uint32_t now = (uint32_t)wall_secs();

	if (!mkdtemp(dir))
		return 1;
	offenders_defaults(&cfg);
	off = offenders_new(&cfg, 7);
	addr_parse("192.0.2.9", &k, err, sizeof(err));
	enforce_ban(enf, &k, NULL, 3600, RG_REASON_UNKNOWN_RCPT, NULL, true, "test");
	addr_parse("2001:db8::/48", &k, err, sizeof(err));
	enforce_ban(enf, &k, NULL, 0, RG_REASON_MANUAL, "by hand, with spaces", true, "test");
	for (int i = 0; i < 5; i++) {
		struct rg_lpm_key c;

		addr_parse("192.0.2.9", &c, err, sizeof(err));
		struct decision d = offenders_evidence(off, &c.addr, EV_UNKNOWN_RCPT, 0,
						       "tab\there@example.com", now);
		if (d.what == D_BAN)
			offenders_banned(off, &d, now);
	}
	{
		struct journal j = { 0 };

		journal_open(&j, dir, 0, err, sizeof(err));
		ok(state_write(dir, &j, enf, off, &cfg, err, sizeof(err)) == 0, "write %s", err);
		journal_close(&j);
	}
	ok(state_read(dir, &st, err, sizeof(err)) == 0 && st.nbans == 2 && st.noffs == 1,
	   "read back 2 bans and 1 offender %s", err);
	if (st.nbans == 2) {
		const struct saved_ban *perm = st.bans[0].expires_unix ? &st.bans[1] : &st.bans[0];
		const struct saved_ban *tmp = st.bans[0].expires_unix ? &st.bans[0] : &st.bans[1];

		ok(perm->expires_unix == 0 && strcmp(perm->note, "by hand, with spaces") == 0 &&
		   perm->key.prefixlen == 48, "a permanent prefix ban with its note");
		ok(tmp->expires_unix >= now + 3599 && tmp->expires_unix <= now + 3601 &&
		   tmp->reason == RG_REASON_UNKNOWN_RCPT, "a timed ban with its expiry as unix time");
		ok(tmp->created_unix >= now && tmp->created_unix <= now + 2,
		   "its creation time: %llu", (unsigned long long)tmp->created_unix);
	}
	ok(!*st.proof, "no proof from a backend that has none");
	if (st.noffs == 1)
		ok(st.offs[0].offenses == 1 && st.offs[0].bad_total == 5 &&
		   strcmp(st.offs[0].last_rcpt, "tab\there@example.com") == 0,
		   "the offender record, odd bytes included");
	if (st.noffs == 1)
		ok(st.offs[0].ban_level == 5.0f && st.offs[0].ban_threshold == 5.0f &&
		   st.offs[0].last_ban == now, "the score that banned it, and when: %.2f of %.2f",
		   st.offs[0].ban_level, st.offs[0].ban_threshold);
	state_free(&st);

	cut_anywhere(enf, off, &cfg);
	journal_changes(enf, off, &cfg);
	failed_listing_keeps_the_file(enf, off, &cfg);
	unlink(strcat(strcpy(enc, dir), "/journal"));

	write_file("rcptguard-state 1\nsaved 5 nft/rg/b00t/2a/77\nban 192.0.2.1 0 1 - 1234\nend 1 0\n");
	ok(state_read(dir, &st, err, sizeof(err)) == 0 && st.saved_unix == 5 &&
	   strcmp(st.proof, "nft/rg/b00t/2a/77") == 0 && st.nbans == 1 &&
	   st.bans[0].created_unix == 1234, "the store's proof and creation time are read %s", err);
	state_free(&st);
	write_file("rcptguard-state 1\nsaved 5\nban 192.0.2.1 0 1 -\nend 1 0\n");
	ok(state_read(dir, &st, err, sizeof(err)) == 0 && !*st.proof && st.nbans == 1 &&
	   st.bans[0].created_unix == 0, "a file of an older version, without them, is read %s",
	   err);
	state_free(&st);
	write_file("");
	ok(state_read(dir, &st, err, sizeof(err)) < 0, "an empty file is refused: %s", err);
	write_file("rcptguard-state 1\nsaved 1\nban 192.0.2.1 0 1 -\n");
	ok(state_read(dir, &st, err, sizeof(err)) < 0 && strstr(err, ":4:"),
	   "a file cut before its end line is refused: %s", err);
	write_file("rcptguard-state 1\nsaved 1\nban 192.0.2.1 0 1 -\nend 2 0\n");
	ok(state_read(dir, &st, err, sizeof(err)) < 0, "an end line with the wrong count");
	write_file("rcptguard-state 1\nban 999.0.0.1 0 1 -\nend 1 0\n");
	ok(state_read(dir, &st, err, sizeof(err)) < 0, "a bad address");
	write_file("rcptguard-state 9\nend 0 0\n");
	ok(state_read(dir, &st, err, sizeof(err)) < 0, "another format version");
	write_file("rcptguard-state 1\noff 192.0.2.1 1 2 3\nend 0 1\n");
	ok(state_read(dir, &st, err, sizeof(err)) < 0, "a short offender line");
	{
		static const char *const ends[] = { " a@b", " a@b 6.00 5.00", " a@b 6.00",
						    " a@b 6.00 5.00 7", " a@b nan 5.00",
						    " a@b -1 5.00", " a@b 6.00 5.00 " };
		static const int good[] = { 1, 1, 0, 0, 0, 0, 0 };

		for (size_t i = 0; i < sizeof(ends) / sizeof(*ends); i++) {
			char text[512];

			snprintf(text, sizeof(text), "rcptguard-state 1\noff 192.0.2.1 1 2 0 0 2 9 0 "
				 "1 1 5 0 1:1 1:1 1:1 1:1 1:1 2:6 0:0 0:0%s\nend 0 1\n", ends[i]);
			write_file(text);
			ok((state_read(dir, &st, err, sizeof(err)) == 0) == good[i] &&
			   (!good[i] || (st.noffs == 1 && strcmp(st.offs[0].last_rcpt, "a@b") == 0 &&
					 st.offs[0].ban_level == (i ? 6.0f : 0) &&
					 st.offs[0].ban_threshold == (i ? 5.0f : 0))),
			   "an offender line ending in '%s' is %s", ends[i],
			   good[i] ? "read" : "refused");
			if (good[i])
				state_free(&st);
		}
	}
	write_file("rcptguard-state 1\nend 0 0\ngarbage\n");
	ok(state_read(dir, &st, err, sizeof(err)) < 0, "anything after the end line");
	{
		char p[256];

		snprintf(p, sizeof(p), "%s/state", dir);
		unlink(p);
		ok(state_read(dir, &st, err, sizeof(err)) == 0 && st.nbans == 0,
		   "no file is an empty state");
	}
	pct_encode("a b%c=d\n", enc, sizeof(enc));
	ok(strcmp(enc, "a%20b%25c%3Dd%0A") == 0, "escape: %s", enc);
	ok(pct_decode(enc) == 0 && strcmp(enc, "a b%c=d\n") == 0, "and back");
	pct_encode("", enc, sizeof(enc));
	ok(strcmp(enc, "-") == 0 && pct_decode(enc) == 0 && !*enc, "the empty string is '-'");
	strcpy(enc, "%zz");
	ok(pct_decode(enc) < 0, "a bad escape is refused");
	strcpy(enc, "a%00b");
	ok(pct_decode(enc) < 0, "an escaped NUL is refused");
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		ok(system(cmd) == 0, "cleaned up");
	}
	offenders_free(off);
	enforce_free(enf);
	backend_none_free(none);
	return tap_done();
}
