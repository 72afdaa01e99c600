/* test_recipients.c - validrcptto lookup semantics, the compiler's checks,
 * files made by other tools, and damaged files. */
#include <cdb.h>
#include <ctype.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "recipients.h"
#include "recipients_compile.h"
#include "tap.h"

static char dir[] = "/tmp/rg-recipients-XXXXXX";
static char db[256];

/* Every CDB lookup of recipients.c, counted (linked with --wrap=cdb_find). */
static unsigned long cdb_finds;
int __real_cdb_find(struct cdb *c, const void *key, unsigned klen);
int __wrap_cdb_find(struct cdb *c, const void *key, unsigned klen);
int __wrap_cdb_find(struct cdb *c, const void *key, unsigned klen)
{
	cdb_finds++;
	return __real_cdb_find(c, key, klen);
}

static int compile_text(const char *text, const char *out, char *errs, size_t errlen)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	FILE *err = fmemopen(errs, errlen, "w");
	struct compile_src src = { "src.txt", in };
	struct compile_opts o = { 0644, TARGET_RCPTGUARD, false };
	struct compile_stats st;
	int rc = recipients_compile(&src, 1, out, &o, &st, err);

	fclose(in);
	fclose(err);
	/* One TAP line per check: fold the messages onto one line. */
	for (char *p = errs; (p = strchr(p, '\n')); )
		*p = ' ';
	return rc;
}

/* qmail's way: ASCII case, no delimiter (test_forms.c has Postfix's). */
static const struct rcpt_form qmail = { .percent_hack = true };

static void expect(struct recipients *r, const char *addr, enum rcpt_verdict want,
		   const char *want_key)
{
	char key[RCPT_MAX + 16];
	enum rcpt_verdict got = recipients_lookup(r, addr, &qmail, key, sizeof(key));

	ok(got == want && strcmp(key, want_key) == 0, "%.60s -> %s by '%s' (got %s by '%s')",
	   addr, rcpt_verdict_name(want), want_key, rcpt_verdict_name(got), key);
}

/* A random way of writing local@domain that qmail-smtpd, Postfix or a
 * hostile client could send for the same mailbox: any case, quotes around
 * any part, escapes, angle brackets, a source route, trailing dots. */
static void reshape(const char *local, const char *domain, char *out, size_t size)
{
	size_t n = 0;
	bool quoting = false;

	if (rand() % 2)
		out[n++] = '<';
	if (rand() % 3 == 0)
		n += (size_t)snprintf(out + n, size - n, "@relay%d.test,@x.test:", rand() % 10);
	for (const char *p = local; *p && n < size - 8; p++) {
		if (rand() % 5 == 0) {
			out[n++] = '"';
			quoting = !quoting;
		}
		if (rand() % 7 == 0)
			out[n++] = '\\';
		out[n++] = rand() % 2 ? (char)toupper((unsigned char)*p) : *p;
	}
	if (quoting)
		out[n++] = '"';
	out[n++] = '@';
	for (const char *p = domain; *p && n < size - 8; p++)
		out[n++] = rand() % 2 ? (char)toupper((unsigned char)*p) : *p;
	for (int dots = rand() % 3; dots > 0; dots--)
		out[n++] = '.';
	if (out[0] == '<')
		out[n++] = '>';
	out[n] = '\0';
}

/* The verdict of an address does not depend on how it is written. */
static void shapes_property(struct recipients *r)
{
	static const struct { const char *local, *domain; enum rcpt_verdict v; } base[] = {
		{ "bob", "example.com", RCPT_VALID }, { "nobody", "example.com", RCPT_UNKNOWN },
		{ "list-spam", "example.com", RCPT_NEGATIVE },
		{ "a-b-c", "example.com", RCPT_VALID }, { "who", "catchall.test", RCPT_VALID },
		{ "bob", "[192.0.2.1]", RCPT_VALID }, { "nobody", "[192.0.2.1]", RCPT_UNKNOWN },
		{ "carol", "[ipv6:2001:db8:0:0::1]", RCPT_VALID },
		{ "nobody", "[IPv6:2001:DB8::0:1]", RCPT_UNKNOWN },
	};
	char addr[256], key[RCPT_MAX + 16];
	int bad = 0, n = 0;

	srand(15);
	for (int i = 0; i < 20000; i++) {
		size_t b = (size_t)rand() % (sizeof(base) / sizeof(base[0]));
		enum rcpt_verdict got;

		reshape(base[b].local, base[b].domain, addr, sizeof(addr));
		got = recipients_lookup(r, addr, &qmail, key, sizeof(key));
		n++;
		if (got != base[b].v && bad++ < 5)
			printf("# %s: %s, not %s\n", addr, rcpt_verdict_name(got),
			       rcpt_verdict_name(base[b].v));
	}
	ok(bad == 0, "%d random ways of writing nine addresses keep their verdicts (%d differ)",
	   n, bad);
}

/* Any address up to RCPT_INPUT_MAX bytes, its literal in any shape (some
 * longer written canonically: "::f:f" is "::0.15.0.15"), normalises within
 * the RCPT_INPUT_MAX + 1 bytes recipients.h promises: a guard after them
 * stays untouched. */
static void normalise_bound_property(void)
{
	static const char *const lits[] = {
		"[ipv6:::f:f]", "[IPv6:::F:F]", "[ipv6:::ffff:1:2]", "[ipv6:0::a:b]",
		"[ipv6:::1:2:3:4:5:6]", "[192.0.2.1]", "[ipv6:2001:db8::1]", "[ipv6:::1]",
	};
	enum { GUARD = 64 };
	static char in[RCPT_INPUT_MAX + 8], out[RCPT_INPUT_MAX + 1 + GUARD];
	int bad = 0, n = 0;

	srand(2);
	for (int i = 0; i < 4000; i++) {
		const char *lit = lits[rand() % (int)(sizeof(lits) / sizeof(lits[0]))];
		size_t ll = strlen(lit), len = RCPT_INPUT_MAX - (size_t)(rand() % 40), got;
		bool angle = rand() % 2;

		/* local@literal, len bytes in all, optionally in <>. */
		memset(in, rand() % 2 ? 'a' : '-', len - ll - 1);
		in[len - ll - 1] = '@';
		memcpy(in + len - ll, lit, ll + 1);
		if (angle) {
			memmove(in + 1, in, len + 1);
			in[0] = '<';
			memcpy(in + len + 1, ">", 2);
		}
		memset(out, 'Z', sizeof(out));
		got = rcpt_normalise(in, out);
		n++;
		for (size_t g = RCPT_INPUT_MAX + 1; g < sizeof(out); g++)
			if (out[g] != 'Z') {
				if (bad++ < 3)
					printf("# ...@%s in %zu bytes: byte %zu past the end written\n",
					       lit, len, g - RCPT_INPUT_MAX - 1);
				break;
			}
		if (got != strlen(out) || got > RCPT_INPUT_MAX)
			bad++;
	}
	ok(bad == 0, "%d addresses of up to %d bytes with growing literals stay in their buffer "
	   "(%d wrote past it)", n, RCPT_INPUT_MAX, bad);
}

/* The -default walk: a key of exactly RCPT_MAX bytes still decides for a
 * local part of any length after it, one a byte longer cannot exist, and
 * no address costs more than about RCPT_MAX lookups, however many dashes
 * it has (it cost one per dash: 16 K for a 16 KB address). */
static void default_walk_property(void)
{
	static char src[RCPT_MAX + 64], addr[RCPT_INPUT_MAX + 1], want[RCPT_MAX + 1];
	const size_t tail = strlen("-default@example.com"), keep = RCPT_MAX - tail;
	char errs[512] = "", err[512], path[300], key[RCPT_MAX + 16];
	struct recipients *r;
	unsigned long most = 0;
	int bad = 0;

	memset(src, 'k', keep);
	snprintf(src + keep, sizeof(src) - keep, "-default@example.com\nlist-default@example.com\n"
		 "@catchall.test\n");
	snprintf(want, sizeof(want), "%.*s-default@example.com", (int)keep, src);
	snprintf(path, sizeof(path), "%s/walk.cdb", dir);
	if (compile_text(src, path, errs, sizeof(errs)) != 0 ||
	    !(r = recipients_open(path, err, sizeof(err)))) {
		ok(0, "the walk database compiles %s", errs);
		return;
	}
	srand(3);
	for (int i = 0; i < 300; i++) {
		/* A random tail of dashes and letters, up to the longest input;
		 * the prefix is the long key's, or the list's, or one byte more. */
		size_t len, pre = 0;
		int kind = rand() % 4;
		const char *dom = kind == 3 ? "@catchall.test" : rand() % 2 ? "@example.com" : "%example.com@example.com";
		enum rcpt_verdict v, w = kind == 3 ? RCPT_VALID : kind == 2 ? RCPT_UNKNOWN : RCPT_VALID;
		const char *wk = kind == 3 ? "@catchall.test" : kind == 1 ? "list-default@example.com" :
				 kind == 2 ? "" : want;

		if (kind == 0 || kind == 2) {
			pre = keep + (kind == 2);
			memset(addr, 'k', pre);
			addr[pre++] = '-';
		} else if (kind == 1) {
			memcpy(addr, "list-", 5);
			pre = 5;
		}
		len = (size_t)rand() % (RCPT_INPUT_MAX - pre - 30);
		for (size_t j = pre; j < pre + len; j++)
			addr[j] = rand() % 2 ? '-' : (char)('a' + rand() % 26);
		snprintf(addr + pre + len, sizeof(addr) - pre - len, "%s", dom);
		cdb_finds = 0;
		v = recipients_lookup(r, addr, &qmail, key, sizeof(key));
		most = cdb_finds > most ? cdb_finds : most;
		if ((v != w || strcmp(key, wk) != 0) && bad++ < 3)
			printf("# kind %d, %zu bytes: %s by %.40s..., want %s\n", kind, strlen(addr),
			       rcpt_verdict_name(v), key, rcpt_verdict_name(w));
	}
	ok(bad == 0, "300 long addresses keep the -default walk's verdicts (%d differ)", bad);
	/* The red team's address: a 16 KB local part of dashes, twice with the
	 * percent hack. */
	memset(addr, '-', RCPT_INPUT_MAX - 30);
	strcpy(addr + RCPT_INPUT_MAX - 30, "%example.com@example.com");
	cdb_finds = 0;
	ok(recipients_lookup(r, addr, &qmail, key, sizeof(key)) == RCPT_UNKNOWN &&
	   cdb_finds <= 2 * RCPT_MAX + 8 && most <= 2 * RCPT_MAX + 8,
	   "a 16 KB all-dash local part: unknown in %lu CDB lookups (random ones: at most %lu; "
	   "bound %d)", cdb_finds, most, 2 * RCPT_MAX + 8);
	recipients_close(r);
	unlink(path);
}

static void bad_source(const char *line, const char *want)
{
	char errs[1024] = "", out[300];

	snprintf(out, sizeof(out), "%s/bad.cdb", dir);
	ok(compile_text(line, out, errs, sizeof(errs)) < 0 && strstr(errs, want) &&
	   access(out, F_OK) < 0, "source line refused with '%s': %.100s", want, errs);
}

int main(void)
{
	static const char src[] =
		"# our addresses\n"
		"bob@example.com\n"
		"  Alice@Example.COM  \n"
		"a-b-default@example.com\n"
		"list-default@example.com\n"
		"list-owner@example.com\n"
		"-list-spam@example.com\n"
		"@catchall.test\n"
		"-trap@catchall.test\n"
		"-old@example.com\n"
		"old@example.com\n"
		"\"odd\"@example.com\n"
		"caf\xc3\xa9@example.com\n"
		"john.doe@example.com\n"
		"postmaster@example.com\n"
		"bob@[192.0.2.1]\n"
		"-old@[192.0.2.1]\n"
		"carol@[IPv6:2001:DB8:0::1]\n";
	char errs[2048] = "", err[512], long_addr[2000];
	struct recipients *r;

	if (!mkdtemp(dir))
		return 1;
	snprintf(db, sizeof(db), "%s/r.cdb", dir);
	ok(compile_text(src, db, errs, sizeof(errs)) == 0, "the source compiles %s", errs);
	r = recipients_open(db, err, sizeof(err));
	ok(r != NULL && recipients_domains(r) == 4, "it opens with four domains, two of them "
	   "address literals %s", r ? "" : err);
	if (!r)
		return tap_done();

	expect(r, "bob@example.com", RCPT_VALID, "bob@example.com");
	expect(r, "BOB@Example.Com", RCPT_VALID, "bob@example.com");
	expect(r, "<bob@example.com>", RCPT_VALID, "bob@example.com");
	expect(r, "bob@example.com.", RCPT_VALID, "bob@example.com");
	expect(r, "alice@example.com", RCPT_VALID, "alice@example.com");
	expect(r, "nobody@example.com", RCPT_UNKNOWN, "");
	expect(r, "bob@other.test", RCPT_NOT_OURS, "");
	expect(r, "bob@sub.example.com", RCPT_NOT_OURS, "");
	/* -default walk, several dashes, from the right */
	expect(r, "a-b-c@example.com", RCPT_VALID, "a-b-default@example.com");
	expect(r, "a-b-c-d@example.com", RCPT_VALID, "a-b-default@example.com");
	expect(r, "a-b@example.com", RCPT_UNKNOWN, "");
	expect(r, "a-x@example.com", RCPT_UNKNOWN, "");
	expect(r, "list-anything@example.com", RCPT_VALID, "list-default@example.com");
	expect(r, "list-owner@example.com", RCPT_VALID, "list-owner@example.com");
	expect(r, "list@example.com", RCPT_UNKNOWN, "");
	expect(r, "-@example.com", RCPT_UNKNOWN, "");
	/* negatives decide even though a broader key would accept */
	expect(r, "list-spam@example.com", RCPT_NEGATIVE, "list-spam@example.com");
	expect(r, "trap@catchall.test", RCPT_NEGATIVE, "trap@catchall.test");
	expect(r, "old@example.com", RCPT_NEGATIVE, "old@example.com");
	/* catch-all */
	expect(r, "anyone@catchall.test", RCPT_VALID, "@catchall.test");
	expect(r, "@catchall.test", RCPT_VALID, "@catchall.test");
	expect(r, "@example.com", RCPT_UNKNOWN, "");
	/* odd shapes */
	expect(r, "\"bob\"@example.com", RCPT_VALID, "bob@example.com");
	expect(r, "\"john.doe\"@example.com", RCPT_VALID, "john.doe@example.com");
	expect(r, "\"a\\\"b\"@example.com", RCPT_UNKNOWN, "");
	expect(r, "\"unterminated@example.com", RCPT_UNKNOWN, "");
	expect(r, "\"odd\"@example.com", RCPT_UNKNOWN, "");
	expect(r, "caf\xc3\xa9@example.com", RCPT_VALID, "caf\xc3\xa9@example.com");
	expect(r, "CAF\xc3\xa9@EXAMPLE.COM", RCPT_VALID, "caf\xc3\xa9@example.com");
	/* Shapes that must not escape judging (issue 15). */
	expect(r, "postmaster", RCPT_VALID, "postmaster");
	expect(r, "Postmaster", RCPT_VALID, "postmaster");
	expect(r, "nobody", RCPT_UNQUALIFIED, "");
	expect(r, "bob@", RCPT_UNQUALIFIED, "");
	expect(r, "", RCPT_UNQUALIFIED, "");
	expect(r, "<>", RCPT_UNQUALIFIED, "");
	expect(r, "<@relay.test,@b.test:bob@example.com>", RCPT_VALID, "bob@example.com");
	expect(r, "@relay.test:nobody@example.com", RCPT_UNKNOWN, "");
	expect(r, "\"john smith\"@example.com", RCPT_UNKNOWN, "");
	expect(r, "john smith@example.com", RCPT_UNKNOWN, "");
	expect(r, "\"bob@example.com\"@example.com", RCPT_UNKNOWN, "");
	expect(r, "b\\ob@example.com", RCPT_VALID, "bob@example.com");
	expect(r, "bob@example.com...", RCPT_VALID, "bob@example.com");
	expect(r, "nobody@example.com..", RCPT_UNKNOWN, "");
	expect(r, "@example.com.", RCPT_UNKNOWN, "");
	/* The percent hack routes user%other@ours to user@other. */
	expect(r, "x%catchall.test@example.com", RCPT_VALID, "@catchall.test");
	expect(r, "bob%example.com@catchall.test", RCPT_VALID, "@catchall.test");
	expect(r, "nobody%example.com@example.com", RCPT_UNKNOWN, "");
	/* Routed to a domain we do not judge: Postfix relays it (or refuses
	 * relaying itself), so it is not ours to refuse. */
	expect(r, "bob%elsewhere.test@example.com", RCPT_NOT_OURS, "");
	/* Address literals, IPv6 compared in canonical form. */
	expect(r, "bob@[192.0.2.1]", RCPT_VALID, "bob@[192.0.2.1]");
	expect(r, "<BOB@[192.0.2.1]>", RCPT_VALID, "bob@[192.0.2.1]");
	expect(r, "nobody@[192.0.2.1]", RCPT_UNKNOWN, "");
	expect(r, "old@[192.0.2.1]", RCPT_NEGATIVE, "old@[192.0.2.1]");
	expect(r, "bob@[192.0.2.2]", RCPT_NOT_OURS, "");
	expect(r, "carol@[ipv6:2001:db8::1]", RCPT_VALID, "carol@[ipv6:2001:db8::1]");
	expect(r, "carol@[IPv6:2001:0DB8:0:0:0:0:0:1]", RCPT_VALID, "carol@[ipv6:2001:db8::1]");
	expect(r, "nobody@[IPV6:2001:db8:0::1]", RCPT_UNKNOWN, "");
	expect(r, "carol@[2001:db8::1]", RCPT_NOT_OURS, "");
	shapes_property(r);
	normalise_bound_property();
	default_walk_property();
	/* Longer than any key: judged all the same. */
	memset(long_addr, 'a', sizeof(long_addr));
	strcpy(long_addr + sizeof(long_addr) - 13, "@example.com");
	expect(r, long_addr, RCPT_UNKNOWN, "");
	strcpy(long_addr + sizeof(long_addr) - 15, "@catchall.test");
	expect(r, long_addr, RCPT_VALID, "@catchall.test");
	strcpy(long_addr + RCPT_MAX - 20, "@example.com");
	expect(r, long_addr, RCPT_UNKNOWN, "");
	recipients_close(r);

	/* The compiler reports bad lines with their numbers and writes nothing. */
	bad_source("ok@example.com\nno-at-sign\n", "src.txt:2: no '@'");
	bad_source("a b@example.com\n", "src.txt:1: space or control character");
	bad_source("a@b@example.com\n", "more than one '@'");
	bad_source("user@\n", "not a valid domain");
	bad_source("user@exa mple.com\n", "space or control");
	bad_source("user@-bad.com\n", "not a valid domain");
	bad_source("user@bad..\n", "not a valid domain");
	bad_source("user@[300.1.2.3]\n", "not a valid address literal");
	bad_source("user@[IPv6:2001:db8::zz]\n", "not a valid address literal");
	bad_source("user@[tag:content]\n", "not a valid address literal");
	bad_source("user@[192.0.2.1\n", "not a valid address literal");
	bad_source("# only comments\n\n", "no addresses");
	{
		char big[5000];

		memset(big, 'x', sizeof(big));
		memcpy(big + sizeof(big) - 14, "@example.com\n", 14);
		bad_source(big, "line too long");
	}
	{
		static const char nul[] = "ok@example.com\nbad\0line@example.com\n";
		FILE *in = fmemopen((void *)nul, sizeof(nul) - 1, "r");
		FILE *e = fmemopen(errs, sizeof(errs), "w");
		struct compile_src s = { "nul.txt", in };
		struct compile_opts o = { 0644, TARGET_RCPTGUARD, false };
		struct compile_stats st;
		char out[300];

		snprintf(out, sizeof(out), "%s/nul.cdb", dir);
		ok(recipients_compile(&s, 1, out, &o, &st, e) < 0, "a NUL byte in a source is refused");
		fclose(in);
		fclose(e);
		for (char *p = errs; (p = strchr(p, '\n')); )
			*p = ' ';
		ok(strstr(errs, "nul.txt:2: NUL byte") != NULL, "and reported on its line: %s", errs);
	}

	/* A file made by another tool (mkvalidrcptto): no domain records. */
	{
		char path[300];
		struct cdb_make cm;
		int fd;

		snprintf(path, sizeof(path), "%s/foreign.cdb", dir);
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
		cdb_make_start(&cm, fd);
		cdb_make_add(&cm, "joe@foreign.test", 16, "", 0);
		cdb_make_add(&cm, "@wild.test", 10, "", 0);
		cdb_make_finish(&cm);
		close(fd);
		r = recipients_open(path, err, sizeof(err));
		ok(r && recipients_domains(r) == 2, "a CDB without domain records opens, domains "
		   "found by scanning %s", r ? "" : err);
		if (r) {
			expect(r, "joe@foreign.test", RCPT_VALID, "joe@foreign.test");
			expect(r, "jim@foreign.test", RCPT_UNKNOWN, "");
			expect(r, "x@wild.test", RCPT_VALID, "@wild.test");
			expect(r, "x@example.com", RCPT_NOT_OURS, "");
			recipients_close(r);
		}
	}
	/* Damaged files are refused with a message that says how to fix them. */
	{
		char path[300];
		FILE *f;

		snprintf(path, sizeof(path), "%s/empty.cdb", dir);
		fclose(fopen(path, "w"));
		ok(!recipients_open(path, err, sizeof(err)) && strstr(err, "not a valid CDB"),
		   "an empty file is refused: %s", err);
		snprintf(path, sizeof(path), "%s/junk.cdb", dir);
		f = fopen(path, "w");
		for (int i = 0; i < 1000; i++)
			fputs("garbage!", f);
		fclose(f);
		r = recipients_open(path, err, sizeof(err));
		ok(!r, "a file of garbage is refused: %s", r ? "opened" : err);
		recipients_close(r);
		ok(!recipients_open("/nonexistent.cdb", err, sizeof(err)) &&
		   strstr(err, "rcptguard recipients compile"), "a missing file: %s", err);
	}
	{
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		ok(system(cmd) == 0, "cleaned up");
	}
	return tap_done();
}
