/* test_forms.c - addresses judged the way the asking MTA delivers them:
 * Postfix (Unicode case folding, recipient_delimiter, percent hack) and
 * qmail (ASCII case only). Generated variants against an oracle: ICU's
 * folding of whole strings, compared with what the compiled CDB says. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <ctype.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <unicode/uchar.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>
#include "casefold.h"
#include "recipients.h"
#include "recipients_compile.h"

static const struct compile_opts opts = { .mode = 0644 };
#include "tap.h"

static char dir[] = "/tmp/rg-forms-XXXXXX";

static const struct rcpt_form qmail = { .percent_hack = true };
static struct rcpt_form postfix = { .postfix = true, .percent_hack = true, .swap_bangpath = true,
				     .resolve_dequoted = true, .delimiters = "+" };

/* Mailboxes whose folding is not their ASCII lower-casing, and plain ones. */
static const char *const users[] = {
	"bob", "alice", "stra\xc3\x9f" "e",                     /* straße */
	"J\xc3\xb6rg",                                          /* Jörg */
	"\xce\xa3\xce\x9f\xce\xa6\xce\x9f\xce\xa3",             /* ΣΟΦΟΣ */
	"\xc4\xb0stanbul",                                      /* İstanbul */
	"\xc4\xb1rmak",                                         /* ırmak, dotless */
	"\xef\xac\x81nn",                                       /* ﬁnn, a ligature */
	"\xd0\x9e\xd0\xbb\xd1\x8f",                             /* Оля */
};
#define NUSERS (sizeof(users) / sizeof(users[0]))

/* The oracle: ICU's default folding of a whole string, as Postfix. */
static bool folds_alike(const char *a, const char *b)
{
	UChar ua[512], ub[512], fa[1024], fb[1024];
	UErrorCode e = U_ZERO_ERROR;
	int32_t na, nb;

	u_strFromUTF8(ua, 512, &na, a, -1, &e);
	u_strFromUTF8(ub, 512, &nb, b, -1, &e);
	na = u_strFoldCase(fa, 1024, ua, na, U_FOLD_CASE_DEFAULT, &e);
	nb = u_strFoldCase(fb, 1024, ub, nb, U_FOLD_CASE_DEFAULT, &e);
	return U_SUCCESS(e) && na == nb && memcmp(fa, fb, (size_t)na * sizeof(UChar)) == 0;
}

static bool ascii_alike(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if ((*a | (*a >= 'A' && *a <= 'Z' ? 32 : 0)) != (*b | (*b >= 'A' && *b <= 'Z' ? 32 : 0)))
			return false;
	return *a == *b;
}

/* s written with each character in a random case: upper, lower, title,
 * as is; ß also as ẞ, SS or ss. */
static void variant(const char *s, char *out, size_t size)
{
	int32_t i = 0, n = (int32_t)strlen(s), o = 0;

	while (i < n && (size_t)o + 8 < size) {
		UChar32 c;
		UBool err = false;

		U8_NEXT(s, i, n, c);
		if (c == 0xdf && rand() % 2) {
			static const char *const ss[] = { "\xe1\xba\x9e", "SS", "ss", "Ss" };
			const char *r = ss[rand() % 4];

			memcpy(out + o, r, strlen(r));
			o += (int32_t)strlen(r);
			continue;
		}
		switch (rand() % 4) {
		case 0: c = u_toupper(c); break;
		case 1: c = u_tolower(c); break;
		case 2: c = u_totitle(c); break;
		}
		U8_APPEND((uint8_t *)out, o, (int32_t)size - 1, c, err);
		if (err)
			break;
	}
	out[o] = '\0';
}

static int compile(const char *text, const char *name, struct recipients **r)
{
	char path[300], errs[2048] = "", err[512];
	FILE *in = fmemopen((void *)text, strlen(text), "r"), *ef = fmemopen(errs, sizeof(errs), "w");
	struct compile_src src = { name, in };
	struct compile_stats st;
	int rc;

	snprintf(path, sizeof(path), "%s/%s.cdb", dir, name);
	rc = recipients_compile(&src, 1, path, &opts, &st, ef);
	fclose(in);
	fclose(ef);
	if (rc == 0 && !(*r = recipients_open(path, err, sizeof(err))))
		rc = -1;
	if (rc)
		printf("# %s: %s %s\n", name, errs, err);
	return rc;
}

static enum rcpt_verdict look(struct recipients *r, const struct rcpt_form *f, const char *addr,
			      char *key)
{
	return recipients_lookup(r, addr, f, key, RCPT_MAX + 16);
}

/* Any case of any mailbox: Postfix's form accepts exactly what folds like
 * it, qmail's exactly what is ASCII-case-equal; qmail's valid is never
 * Postfix's refusal. */
static void case_property(struct recipients *r)
{
	char v[256], addr[300], key[RCPT_MAX + 16];
	int bad = 0, n = 0, unicode_hits = 0;

	srand(18);
	for (int i = 0; i < 20000; i++, n++) {
		const char *u = users[(size_t)rand() % NUSERS];
		bool fold_ok, ascii_ok;
		enum rcpt_verdict p, q;

		bool angle = rand() % 2;

		variant(u, v, sizeof(v));
		snprintf(addr, sizeof(addr), "%s%s@%s%s", angle ? "<" : "", v,
			 rand() % 2 ? "Example.COM" : "example.com", angle ? ">" : "");
		fold_ok = folds_alike(v, u);
		ascii_ok = ascii_alike(v, u);
		p = look(r, &postfix, addr, key);
		q = look(r, &qmail, addr, key);
		unicode_hits += fold_ok && !ascii_ok;
		if ((p != (fold_ok ? RCPT_VALID : RCPT_UNKNOWN) ||
		     q != (ascii_ok ? RCPT_VALID : RCPT_UNKNOWN)) && bad++ < 5)
			printf("# %s (of %s): postfix %s, qmail %s\n", addr, u, rcpt_verdict_name(p),
			       rcpt_verdict_name(q));
	}
	ok(bad == 0 && unicode_hits > 1000, "%d case variants: Postfix's form valid exactly when "
	   "ICU folds them alike (%d only so), qmail's when ASCII case does (%d differ)", n,
	   unicode_hits, bad);
}

/* user<delimiter>tag: valid under Postfix's delimiter set when user is,
 * unless the address has a key of its own; never under qmail's form. */
static void delimiter_property(struct recipients *r)
{
	static const char *const sets[] = { "+", "+-", "-+=", "=" };
	static const char tagc[] = "abcXYZ019._+-=";
	char v[256], tag[40], addr[400], key[RCPT_MAX + 16];
	int bad = 0, n = 0;

	srand(19);
	for (int i = 0; i < 20000; i++, n++) {
		const char *set = sets[(size_t)rand() % 4], *u = users[(size_t)rand() % NUSERS];
		size_t tl = (size_t)rand() % 12;
		bool known = rand() % 4 != 0;
		enum rcpt_verdict p, q, want;

		snprintf(postfix.delimiters, sizeof(postfix.delimiters), "%s", set);
		for (size_t j = 0; j < tl; j++)
			tag[j] = tagc[(size_t)rand() % (sizeof(tagc) - 1)];
		tag[tl] = '\0';
		variant(known ? u : "nobody", v, sizeof(v));
		snprintf(addr, sizeof(addr), "%s%c%s@example.com", v, set[(size_t)rand() % strlen(set)],
			 tag);
		want = known && folds_alike(v, u) ? RCPT_VALID : RCPT_UNKNOWN;
		p = look(r, &postfix, addr, key);
		q = look(r, &qmail, addr, key);
		if ((p != want || q != RCPT_UNKNOWN) && bad++ < 5)
			printf("# %s with '%s': postfix %s, qmail %s, want %s\n", addr, set,
			       rcpt_verdict_name(p), rcpt_verdict_name(q), rcpt_verdict_name(want));
	}
	snprintf(postfix.delimiters, sizeof(postfix.delimiters), "+");
	ok(bad == 0, "%d user+tag forms under four delimiter sets: valid when the user is (%d differ)",
	   n, bad);
}

/* qmail's form: user%ours%ours...@ours is user@ours after each hop while
 * no key decides it as sent; a last hop to a domain we do not judge is not
 * ours; more hops than qmail's form follows are not judged. */
static void qmail_percent_property(struct recipients *r)
{
	char addr[600], key[RCPT_MAX + 16];
	int bad = 0, n = 0;

	srand(20);
	for (int i = 0; i < 5000; i++, n++) {
		int hops = 1 + rand() % 10, kind = rand() % 3;
		size_t o = (size_t)snprintf(addr, sizeof(addr), "%s", kind == 1 ? "nobody" : "bob");
		enum rcpt_verdict got, want = hops > RCPT_PERCENT_HOPS ? RCPT_UNJUDGED :
					 kind == 0 ? RCPT_VALID : kind == 1 ? RCPT_UNKNOWN :
					 RCPT_NOT_OURS;

		for (int h = 0; h < hops; h++)
			o += (size_t)snprintf(addr + o, sizeof(addr) - o, "%%%s",
					      kind == 2 && h == 0 ? "elsewhere.test" :
					      rand() % 2 ? "EXAMPLE.com" : "example.com");
		snprintf(addr + o, sizeof(addr) - o, "@example.com");
		if ((got = look(r, &qmail, addr, key)) != want && bad++ < 5)
			printf("# %s (qmail): %s, want %s\n", addr, rcpt_verdict_name(got),
			       rcpt_verdict_name(want));
	}
	ok(bad == 0, "%d percent-hack chains resolve hop by hop as qmail's percenthack, eight "
	   "hops at most (%d differ)", n, bad);
}

/* The domains of ours that bob has a mailbox in. */
static const char *const bob_doms[] = {
	"example.com", "fistflask-staff.kiosk.test", "[192.0.2.25]", "[ipv6:2001:db8::25]",
};
#define NBOB_DOMS (sizeof(bob_doms) / sizeof(bob_doms[0]))

/* d written as a client may and Postfix still finds ours: any ASCII case,
 * characters Postfix's folding makes ASCII letters (K KELVIN SIGN, long s,
 * the ligatures ff fi fl st), an address literal spelled otherwise, and
 * with dots, trailing dots. */
static size_t domain_variant(const char *d, char *out, bool dots)
{
	static const char *const v6[] = { "[IPv6:2001:DB8::25]", "[ipv6:2001:0db8:0:0:0:0:0:25]",
					  "[IPV6:2001:db8:0::0:25]", "[ipv6:2001:db8::25]" };
	static const struct { const char *ascii, *lig; } ligs[] = {
		{ "ff", "\xef\xac\x80" }, { "fi", "\xef\xac\x81" }, { "fl", "\xef\xac\x82" },
		{ "st", "\xef\xac\x85" }, { "st", "\xef\xac\x86" }, { "k", "\xe2\x84\xaa" },
		{ "s", "\xc5\xbf" },
	};
	size_t o = 0;

	if (strncmp(d, "[ipv6:", 6) == 0)
		o = (size_t)sprintf(out, "%s", v6[rand() % 4]);
	for (const char *p = o ? "" : d; *p;) {
		size_t l = 0;

		for (size_t j = 0; j < sizeof(ligs) / sizeof(ligs[0]) && !l; j++)
			if (rand() % 3 == 0 && strncmp(p, ligs[j].ascii, strlen(ligs[j].ascii)) == 0) {
				o += (size_t)sprintf(out + o, "%s", ligs[j].lig);
				l = strlen(ligs[j].ascii);
			}
		if (!l) {
			out[o++] = rand() % 2 ? (char)toupper((unsigned char)*p) : *p;
			l = 1;
		}
		p += l;
	}
	for (int t = dots ? rand() % 3 : 0; t > 0; t--)
		out[o++] = '.';
	out[o] = '\0';
	return o;
}

/* What a hop names: one of bob's domains (a literal only where asked), or
 * rarely one that is not ours (another domain, dots alone), or none at all,
 * which Postfix strips as if it were ours: a mailbox there is no mailbox. */
static void hop(char *out, bool literal, bool *foreign, bool *empty)
{
	size_t d = (size_t)rand() % (literal ? NBOB_DOMS : 2);

	*empty = false;
	if (rand() % 40 == 0) {
		*empty = !domain_variant(rand() % 2 ? "elsewhere.test" : "", out, true);
		*foreign = *foreign || !*empty;
		return;
	}
	domain_variant(bob_doms[d], out, true);
}

/* Routed addresses as Postfix's resolver reads them, built so the mailbox
 * is known: a percent-hack chain (u%p1%...%pk: u@p1), a bang path
 * (pk!...!p1!u: u@p1) or u alone, inside a quoted local part with '@' hops
 * (inner@q1@...@qm: inner@q1), then @ours; every domain written as
 * domain_variant() may. Under random allow_percent_hack, swap_bangpath and
 * resolve_dequoted: bob is valid and nobody unknown where every hop is
 * ours, not ours where one is not; unrouted, the local part is no
 * mailbox. */
static void route_property(struct recipients *r)
{
	static char addr[8192], inner[4096];
	char key[RCPT_MAX + 16], dom[300], *p;
	int bad = 0, n = 0, deep = 0;

	srand(23);
	for (int i = 0; i < 20000; i++, n++) {
		struct rcpt_form f = postfix;
		int kind = rand() % 3, k = 1 + (rand() % 8 ? rand() % 6 : rand() % 40), m = rand() % 3;
		bool known = rand() % 2, foreign_in = false, foreign_q = false, routed, dotstr;
		bool empty, empty_in = false, empty_q = false;
		const char *u = known ? (rand() % 2 ? "bob" : "BoB") : "nobody";
		size_t o = 0;
		enum rcpt_verdict got, want;

		f.percent_hack = rand() % 4 != 0;
		f.swap_bangpath = rand() % 4 != 0;
		f.resolve_dequoted = rand() % 4 != 0;
		if (kind == 1) {
			o = (size_t)sprintf(inner, "%s", u);
			for (int h = 0; h < k; h++) {
				hop(dom, true, &foreign_in, &empty);
				empty_in = h == 0 ? empty : empty_in;   /* p1 */
				o += (size_t)sprintf(inner + o, "%%%s", dom);
			}
		} else if (kind == 2) {
			for (int h = 0; h < k; h++) {
				hop(dom, true, &foreign_in, &empty_in);         /* the last: p1 */
				o += (size_t)sprintf(inner + o, "%s!", dom);
			}
			sprintf(inner + o, "%s", u);
		} else {
			sprintf(inner, "%s", u);
		}
		o = (size_t)sprintf(addr, "%s", inner);
		for (int q = 0; q < m; q++) {
			hop(dom, true, &foreign_q, &empty);
			empty_q = q == 0 ? empty : empty_q;     /* q1 */
			o += (size_t)sprintf(addr + o, "@%s", dom);
		}
		domain_variant(bob_doms[(size_t)rand() % NBOB_DOMS], dom, true);
		snprintf(addr + o, sizeof(addr) - o, "@%s", dom);
		deep += k > 8 && kind;
		/* quote_822_local() leaves inner a dot-string (tokens) or quotes it. */
		dotstr = !strchr(inner, '[') && !strstr(inner, "..") && inner[0] != '.' &&
			 inner[strlen(inner) - 1] != '.';
		routed = kind == 0 || (kind == 1 ? f.percent_hack : f.swap_bangpath);
		routed = routed && (dotstr || f.resolve_dequoted);
		if (m && !f.resolve_dequoted)
			want = RCPT_UNKNOWN;
		else if (foreign_q || (routed && kind && (foreign_in || empty_in)) ||
			 ((kind == 0 || !routed) && empty_q))
			want = RCPT_NOT_OURS;
		else
			want = known && routed ? RCPT_VALID : RCPT_UNKNOWN;
		if ((got = look(r, &f, addr, key)) != want && bad++ < 5) {
			for (p = addr; *p; p++)
				if ((unsigned char)*p >= 0x80)
					*p = '?';
			printf("# %.300s (percent %d bang %d dequoted %d): %s, want %s\n", addr,
			       f.percent_hack, f.swap_bangpath, f.resolve_dequoted,
			       rcpt_verdict_name(got), rcpt_verdict_name(want));
		}
	}
	ok(bad == 0 && deep > 500, "%d routed addresses (%d past eight hops; domains in any case, "
	   "folded, with trailing dots, literals spelled otherwise, or empty) resolve as "
	   "Postfix's resolver does (%d differ)", n, deep, bad);
}

/* The most hops 16 KB can hold, each kind: every one followed, one CDB
 * lookup each, in bounded CPU time. */
static void long_route(struct recipients *r)
{
	static const struct { const char *pre, *rep, *post; } kinds[] = {
		{ "bob", "%x", "@x" }, { "", "x!", "bob@x" }, { "bob", "@x", "@x" },
		{ "bob", "%\xe2\x84\xaa", "@k" }, { "bob", "%x.", "@x" },
	};
	static char addr[RCPT_INPUT_MAX + 1];
	char key[RCPT_MAX + 16];
	double worst = 0;
	int bad = 0;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t o = (size_t)sprintf(addr, "%s", kinds[i].pre), rl = strlen(kinds[i].rep);
		struct timespec t0, t1;
		enum rcpt_verdict v;
		double ms;

		while (o + rl + strlen(kinds[i].post) < RCPT_INPUT_MAX)
			o += (size_t)sprintf(addr + o, "%s", kinds[i].rep);
		sprintf(addr + o, "%s", kinds[i].post);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
		v = look(r, &postfix, addr, key);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
		ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		worst = ms > worst ? ms : worst;
		if ((v != RCPT_VALID || ms > 50) && bad++ < 5)
			printf("# %zu bytes of '%s': %s in %.2f ms\n", strlen(addr), kinds[i].rep,
			       rcpt_verdict_name(v), ms);
	}
	ok(bad == 0, "16 KB of %%, !, quoted-@, folded and dotted hops: every hop followed, valid, "
	   "at most %.2f ms of CPU each", worst);
}

/* Bytes that are not UTF-8 anywhere in a local part: Postfix with SMTPUTF8
 * refuses the command itself ("500 5.5.2 Error: bad UTF-8 syntax"), without
 * it folds ASCII only: Postfix's form judges them as qmail's does, and a
 * known user's delimited form stays valid. Nothing crashes. */
static void invalid_utf8_property(struct recipients *r)
{
	static const char *const bad_seq[] = {
		"\xc0\x80", "\xc1\xbf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf", "\xed\xa0\x80",
		"\xed\xbf\xbf", "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80", "\x80", "\xbf", "\xc3",
		"\xe2\x82", "\xfe", "\xff", "\xc3\x28",
	};
	char addr[400], key[RCPT_MAX + 16];
	int bad = 0, n = 0;

	srand(21);
	for (int i = 0; i < 20000; i++, n++) {
		const char *u = users[(size_t)rand() % NUSERS], *s = bad_seq[(size_t)rand() % 15];
		size_t at = (size_t)rand() % (strlen(u) + 1);
		enum rcpt_verdict p;

		bool tagged = rand() % 2;
		enum rcpt_verdict q;

		snprintf(addr, sizeof(addr), "%.*s%s%s%s@example.com", (int)at, u, s, u + at,
			 tagged ? "+x" : "");
		p = look(r, &postfix, addr, key);
		q = look(r, &qmail, addr, key);
		if (p != q && bad++ < 5)
			printf("# %s: postfix %s, qmail %s\n", addr, rcpt_verdict_name(p),
			       rcpt_verdict_name(q));
		snprintf(addr, sizeof(addr), "%s+%s@example.com", u, s);
		if ((p = look(r, &postfix, addr, key)) != RCPT_VALID && bad++ < 5)
			printf("# %s: %s\n", addr, rcpt_verdict_name(p));
	}
	ok(bad == 0, "%d local parts with overlong forms, surrogates, bytes past U+10FFFF or cut "
	   "sequences: judged for Postfix as ASCII case does, user+junk valid (%d differ)", n, bad);
}

/* Random keys from several scripts, compiled in one case and looked up in
 * another: compiler and lookup fold the same way. */
static void agreement_property(void)
{
	static const struct { unsigned lo, hi; } ranges[] = {
		{ 'a', 'z' }, { 'A', 'Z' }, { 0xc0, 0xff }, { 0x100, 0x17f }, { 0x391, 0x3c9 },
		{ 0x410, 0x44f }, { 0x531, 0x587 }, { 0x1e00, 0x1eff }, { 0xfb00, 0xfb06 },
	};
	enum { KEYS = 300 };
	static char keys[KEYS][80], src[KEYS * 90];
	char v[256], addr[300], key[RCPT_MAX + 16];
	struct recipients *r;
	size_t o = 0;
	int bad = 0;

	srand(22);
	for (int k = 0; k < KEYS; k++) {
		int32_t len = 0;
		UBool err = false;

		for (int c = 1 + rand() % 8; c > 0; c--) {
			unsigned g = (unsigned)rand() % (sizeof(ranges) / sizeof(ranges[0]));
			UChar32 ch = (UChar32)(ranges[g].lo + (unsigned)rand() %
					       (ranges[g].hi - ranges[g].lo + 1));

			if (u_isalpha(ch) && ch != 0xd7 && ch != 0xf7)
				U8_APPEND((uint8_t *)keys[k], len, 70, ch, err);
			if (err)
				break;
		}
		if (!len)
			keys[k][len++] = 'x';
		keys[k][len] = '\0';
		o += (size_t)snprintf(src + o, sizeof(src) - o, "%s@example.com\n", keys[k]);
	}
	if (compile(src, "random", &r) < 0) {
		ok(0, "random keys compile");
		return;
	}
	for (int i = 0; i < 20000; i++) {
		const char *k = keys[rand() % KEYS];
		bool any = false;
		enum rcpt_verdict p;

		variant(k, v, sizeof(v));
		for (int j = 0; j < KEYS && !any; j++)
			any = folds_alike(v, keys[j]);
		snprintf(addr, sizeof(addr), "%s@example.com", v);
		p = look(r, &postfix, addr, key);
		if (p != (any ? RCPT_VALID : RCPT_UNKNOWN) && bad++ < 5)
			printf("# %s (key %s): %s\n", addr, k, rcpt_verdict_name(p));
	}
	ok(bad == 0, "20000 lookups of %d random keys from nine scripts in other cases agree with "
	   "ICU's folding (%d differ)", KEYS, bad);
	recipients_close(r);
}

static void expect(struct recipients *r, const struct rcpt_form *f, const char *addr,
		   enum rcpt_verdict want, const char *want_key)
{
	char key[RCPT_MAX + 16];
	enum rcpt_verdict got = look(r, f, addr, key);

	ok(got == want && strcmp(key, want_key) == 0, "%s: %s -> %s by '%s' (got %s by '%s')",
	   f->postfix ? "postfix" : "qmail", addr, rcpt_verdict_name(want), want_key,
	   rcpt_verdict_name(got), key);
}

int main(void)
{
	char src[2048], key[RCPT_MAX + 16], errs[512] = "";
	struct recipients *r;
	size_t o = 0;

	if (!mkdtemp(dir))
		return 1;
	for (size_t i = 0; i < NUSERS; i++)
		o += (size_t)snprintf(src + o, sizeof(src) - o, "%s@example.com\n", users[i]);
	snprintf(src + o, sizeof(src) - o, "-bob+spam@example.com\nowner-list@example.com\n"
		 "@catchall.test\nbob@fistflask-staff.kiosk.test\nbob@[192.0.2.25]\n"
		 "bob@[ipv6:2001:db8::25]\nbob@x\nbob@k\n");
	if (compile(src, "forms", &r) < 0) {
		ok(0, "the source compiles");
		return tap_done();
	}

	/* The cases. */
	expect(r, &postfix, "STRASSE@example.com", RCPT_VALID, "strasse@example.com");
	expect(r, &postfix, "Stra\xe1\xba\x9e" "e@example.com", RCPT_VALID, "strasse@example.com");
	expect(r, &qmail, "stra\xc3\x9f" "e@example.com", RCPT_VALID, "stra\xc3\x9f" "e@example.com");
	expect(r, &qmail, "STRASSE@example.com", RCPT_UNKNOWN, "");
	expect(r, &postfix, "J\xc3\x96RG@example.com", RCPT_VALID, "j\xc3\xb6rg@example.com");
	expect(r, &qmail, "J\xc3\xb6rg@example.com", RCPT_VALID, "j\xc3\xb6rg@example.com");
	expect(r, &qmail, "J\xc3\x96RG@example.com", RCPT_UNKNOWN, "");
	expect(r, &postfix, "bob+tag@example.com", RCPT_VALID, "bob@example.com");
	expect(r, &qmail, "bob+tag@example.com", RCPT_UNKNOWN, "");
	expect(r, &postfix, "BOB+Spam@example.com", RCPT_NEGATIVE, "bob+spam@example.com");
	expect(r, &postfix, "bob%example.com@example.com", RCPT_VALID, "bob@example.com");
	expect(r, &postfix, "bob+x%example.com@example.com", RCPT_VALID, "bob@example.com");
	expect(r, &postfix, "bob%elsewhere.test@example.com", RCPT_NOT_OURS, "");
	/* The red team's routes: each hop as Postfix's resolver reads it. */
	expect(r, &postfix, "bob%example.com.@example.com", RCPT_VALID, "bob@example.com");
	expect(r, &postfix, "nobody%[192.0.2.25]@example.com", RCPT_UNKNOWN, "");
	expect(r, &postfix, "bob%[IPv6:2001:DB8:0::25]@example.com", RCPT_VALID,
	       "bob@[ipv6:2001:db8::25]");
	expect(r, &postfix, "example.com!bob@example.com", RCPT_VALID, "bob@example.com");
	expect(r, &postfix, "\"bob@example.com\"@example.com", RCPT_VALID, "bob@example.com");
	expect(r, &postfix, "bob@example.com@example.com", RCPT_VALID, "bob@example.com");
	expect(r, &postfix, "bob@fistflas\xe2\x84\xaa-staff.kiosk.test", RCPT_VALID,
	       "bob@fistflask-staff.kiosk.test");
	expect(r, &postfix, "nobody@\xef\xac\x81stflask-\xc5\xbftaff.\xe2\x84\xaaiosk.test", RCPT_UNKNOWN,
	       "");
	expect(r, &postfix, "bob%@example.com", RCPT_NOT_OURS, "");
	expect(r, &postfix, "bob%.@example.com", RCPT_NOT_OURS, "");
	expect(r, &postfix, "!bob@example.com", RCPT_NOT_OURS, "");
	expect(r, &postfix, "example.com!!bob%example.com@example.com", RCPT_VALID,
	       "bob@example.com");
	expect(r, &postfix, "nobody%example.com@@example.com", RCPT_UNKNOWN, "");
	expect(r, &postfix, "%example.com@example.com", RCPT_UNJUDGED, "");
	expect(r, &postfix, "\"[192.0.2.25]!bob\"@example.com", RCPT_VALID, "bob@[192.0.2.25]");
	expect(r, &postfix, "\"example.com!bob smith\"@example.com", RCPT_UNJUDGED, "");
	expect(r, &qmail, "bob%@example.com", RCPT_UNKNOWN, "");
	expect(r, &qmail, "bob@fistflas\xe2\x84\xaa-staff.kiosk.test", RCPT_NOT_OURS, "");
	/* Turkish i: İ folds to i with a dot above, ı to itself; Greek final
	 * sigma folds to sigma. */
	expect(r, &postfix, "\xc4\xb0STANBUL@example.com", RCPT_VALID,
	       "\xc4\xb0stanbul@example.com");
	expect(r, &postfix, "i\xcc\x87STANBUL@example.com", RCPT_VALID,
	       "i\xcc\x87stanbul@example.com");
	expect(r, &postfix, "ISTANBUL@example.com", RCPT_UNKNOWN, "");
	expect(r, &postfix, "IRMAK@example.com", RCPT_UNKNOWN, "");
	expect(r, &postfix, "\xc4\xb1RMAK@example.com", RCPT_VALID, "\xc4\xb1rmak@example.com");
	expect(r, &postfix, "\xcf\x83\xce\xbf\xcf\x86\xce\xbf\xcf\x82@example.com", RCPT_VALID,
	       "\xcf\x83\xce\xbf\xcf\x86\xce\xbf\xcf\x83@example.com");
	expect(r, &postfix, "FINN@example.com", RCPT_VALID, "finn@example.com");
	/* Postfix never splits these. */
	snprintf(postfix.delimiters, sizeof(postfix.delimiters), "+-");
	expect(r, &postfix, "owner-list@example.com", RCPT_VALID, "owner-list@example.com");
	expect(r, &postfix, "owner-other@example.com", RCPT_UNKNOWN, "");
	expect(r, &postfix, "bob-request@example.com", RCPT_UNKNOWN, "");
	expect(r, &postfix, "bob-x@example.com", RCPT_VALID, "bob@example.com");
	expect(r, &postfix, "+bob@example.com", RCPT_UNKNOWN, "");
	snprintf(postfix.delimiters, sizeof(postfix.delimiters), "+");
	/* Not UTF-8, overlong: bytes, ASCII case. */
	expect(r, &postfix, "b\xc1\xafob@example.com", RCPT_UNKNOWN, "");
	expect(r, &postfix, "nobody\xff@example.com", RCPT_UNKNOWN, "");
	expect(r, &postfix, "bob+\xff@example.com", RCPT_VALID, "bob@example.com");

	case_property(r);
	delimiter_property(r);
	qmail_percent_property(r);
	route_property(r);
	long_route(r);
	invalid_utf8_property(r);
	recipients_close(r);
	agreement_property();

	/* A key folding past RCPT_MAX is refused at compile, not left
	 * unreachable. */
	{
		char big[RCPT_MAX + 64];
		FILE *in, *ef;
		struct compile_src s;
		struct compile_stats st;

		/* U+0390 is two bytes and folds to six. */
		o = 0;
		while (o + 2 < 200)
			o += (size_t)snprintf(big + o, sizeof(big) - o, "\xce\x90");
		snprintf(big + o, sizeof(big) - o, "@example.com\n");
		in = fmemopen(big, strlen(big), "r");
		ef = fmemopen(errs, sizeof(errs), "w");
		s = (struct compile_src){ "big", in };
		snprintf(src, sizeof(src), "%s/big.cdb", dir);
		ok(recipients_compile(&s, 1, src, &opts, &st, ef) < 0, "a key whose folding is "
		   "longer than any key is refused");
		fclose(in);
		fclose(ef);
		for (char *p = errs; (p = strchr(p, '\n')); )
			*p = ' ';
		ok(strstr(errs, "too long once case-folded") != NULL, "and says why: %s", errs);
	}
	/* The folding function itself: bounds and refusals. */
	ok(casefold_utf8("ABC", 3, key, 3) < 0 && casefold_utf8("ABC", 3, key, 4) == 3 &&
	   strcmp(key, "abc") == 0, "ASCII folds into exactly its length plus the NUL");
	ok(casefold_utf8("\xce\x90", 2, key, 6) < 0 && casefold_utf8("\xce\x90", 2, key, 7) == 6,
	   "U+0390 folds to six bytes, refused without room for them");
	ok(casefold_utf8("\xed\xa0\x80", 3, key, sizeof(key)) < 0 &&
	   casefold_utf8("\xe0\x80\xaf", 3, key, sizeof(key)) < 0,
	   "an encoded surrogate and an overlong '/' are not UTF-8");
	{
		static char huge[RCPT_INPUT_MAX + 8];

		memset(huge, 'A', sizeof(huge) - 1);
		memcpy(huge, "\xc3\x9f", 2);
		ok(casefold_utf8(huge, sizeof(huge) - 1, key, sizeof(key)) < 0,
		   "input longer than any address judged is refused");
	}
	for (size_t i = 0; i < 2; i++) {
		snprintf(src, sizeof(src), "%s/%s.cdb", dir, i ? "random" : "forms");
		unlink(src);
	}
	rmdir(dir);
	return tap_done();
}
