/* test_state.c - the state file round trip, and every way it can be bad. */
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
	ok(state_write(dir, enf, off, &cfg, err, sizeof(err)) == 0, "write %s", err);
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
	state_free(&st);

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
	write_file("rcptguard-state 1\nend 0 0\ngarbage\n");
	ok(state_read(dir, &st, err, sizeof(err)) < 0, "anything after the end line");
	{
		char p[256];

		snprintf(p, sizeof(p), "%s/state", dir);
		unlink(p);
		ok(state_read(dir, &st, err, sizeof(err)) == 0 && st.nbans == 0,
		   "no file is an empty state");
	}
	/* Automatic bans no evidence may make are removed on load; manual ones
	 * passed --force and stay. */
	{
		static const struct {
			const char *a;
			unsigned reason;
			bool stays;
		} t[] = {
			{ "::/64", RG_REASON_UNKNOWN_RCPT, false }, { "0.0.0.0", RG_REASON_DNSBL, false },
			{ "::ffff:0:0/96", RG_REASON_LOG, false }, { "ff02::1", RG_REASON_SPAMTRAP, false },
			{ "64:ff9b::/64", RG_REASON_RELAY, false }, { "::2", RG_REASON_LOG, false },
			{ "192.0.2.9", RG_REASON_UNKNOWN_RCPT, true }, { "::/0", RG_REASON_MANUAL, true },
			{ "2001:db8::/64", RG_REASON_LOG, true },
		};
		size_t n = sizeof(t) / sizeof(t[0]), kept = 0;

		for (size_t i = 0; i < n; i++) {
			addr_parse(t[i].a, &k, err, sizeof(err));
			enforce_restore(enf, &k, 0, t[i].reason, NULL);
		}
		ok(state_refuse_bans(enf, NULL) == 6, "six bans no evidence may make are removed");
		for (size_t i = 0; i < n; i++) {
			addr_parse(t[i].a, &k, err, sizeof(err));
			kept += enforce_has_ban(enf, &k) == t[i].stays;
		}
		ok(kept == n, "the rest stay (%zu of %zu as expected)", kept, n);
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
