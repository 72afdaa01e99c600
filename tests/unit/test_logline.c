/* test_logline.c - every log format of the fixtures, line by line. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "logline.h"
#include "tap.h"

#define FIX "tests/fixtures/logs/"

struct want {
	int line;                       /* 1-based line of the fixture */
	enum logline_kind kind;
	const char *ip, *rcpt, *format;
	long long when;                 /* -1: do not check */
};

static const char *ip_of(const struct rg_addr *a, char *buf)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (!memcmp(a->a, mapped, 12))
		return inet_ntop(AF_INET, &a->a[12], buf, 64);
	return inet_ntop(AF_INET6, a->a, buf, 64);
}

static void check_file(const char *file, const struct want *w, size_t nw, int year)
{
	char line[8192], path[256], ip[64];
	FILE *f;
	int n = 0;
	size_t next = 0;

	snprintf(path, sizeof(path), FIX "%s", file);
	f = fopen(path, "r");
	ok(f != NULL, "%s opens", path);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		struct logline l;
		size_t len = strcspn(line, "\n");
		enum logline_kind k = logline_parse(line, len, year, &l);

		n++;
		if (next < nw && w[next].line == n) {
			const struct want *x = &w[next++];

			ok(k == x->kind && l.kind == k, "%s:%d is %s (got %s)", file, n,
			   logline_kind_name(x->kind), logline_kind_name(k));
			if (x->kind == LOGLINE_MALFORMED || x->kind == LOGLINE_NONE ||
			    x->kind == LOGLINE_AMBIGUOUS)
				continue;
			ok(strcmp(ip_of(&l.client, ip), x->ip) == 0, "%s:%d client %s (got %s)",
			   file, n, x->ip, ip);
			ok(strcmp(l.rcpt, x->rcpt) == 0, "%s:%d recipient '%s' (got '%s')", file, n,
			   x->rcpt, l.rcpt);
			ok(l.format && strcmp(l.format, x->format) == 0, "%s:%d format %s (got %s)",
			   file, n, x->format, l.format ? l.format : "none");
			if (x->when >= 0)
				ok((long long)l.when == x->when, "%s:%d time %lld (got %llu)", file, n,
				   x->when, (unsigned long long)l.when);
		} else {
			ok(k == LOGLINE_NONE, "%s:%d is ignored (got %s)", file, n,
			   logline_kind_name(k));
		}
	}
	fclose(f);
	ok(next == nw, "%s: every expected line was seen", file);
}

/* Near misses of the DNSBL shapes: each is what its kind says. */
static void dnsbl_shapes(void)
{
	static const struct {
		const char *line;
		enum logline_kind kind;
	} cases[] = {
		/* tjsi's line is rblsmtpd's own syslog message: under another tag,
		 * or without a syslog header, it is nobody's. */
		{ "Mar 12 07:20:03 mx qmail: relays.example.org blocked 198.51.100.13 h -",
		  LOGLINE_NONE },
		{ "Mar 12 07:20:03 mx qmail-smtpd[1]: relays.example.org blocked 198.51.100.13 h -",
		  LOGLINE_NONE },
		{ "relays.example.org blocked 198.51.100.13 h -", LOGLINE_NONE },
		{ "Mar 12 07:20:03 mx rblsmtpd: relays.example.org blocked 198.51.100.13",
		  LOGLINE_DNSBL },
		{ "Mar 12 07:20:03 mx rblsmtpd: relays.example.org blocked host.example h -",
		  LOGLINE_MALFORMED },
		{ "Mar 12 07:20:03 mx rblsmtpd: relays.example.org allowed 198.51.100.13 h -",
		  LOGLINE_NONE },
		{ "Mar 12 07:20:03 mx rblsmtpd: blocked 198.51.100.13 h -", LOGLINE_NONE },
		{ "@4000000069b2a5c4000000a1 qmail-smtpd: 421 badiprbl: ip 198.51.100.12 rbl: x",
		  LOGLINE_DNSBL },
		{ "qmail-smtpd: 451 badiprbl: ip 198.51.100.12 rbl: x", LOGLINE_DNSBL },
		{ "qmail-smtpd: 553 badiprbl: ip 198.51.100.12 rbl: x", LOGLINE_NONE },
		{ "qmail-smtpd: 4210 badiprbl: ip 198.51.100.12 rbl: x", LOGLINE_NONE },
		{ "qmail-smtpd: 421 badiprbl: ip 198.51.100.12", LOGLINE_MALFORMED },
		{ "qmail-smtpd: 421 badiprbl: ip unknown rbl: x", LOGLINE_MALFORMED },
		{ "rblsmtpd: 198.51.100.11 pid 1 zen.example.org: 451 x", LOGLINE_DNSBL },
		{ "rblsmtpd: 198.51.100.11 pid 1 zen.example.org 451 x", LOGLINE_MALFORMED },
		{ "rblsmtpd: 198.51.100.11 pid 1 : 451 x", LOGLINE_DNSBL },
		{ "rblsmtpd: 198.51.100.11 pid : 451 x", LOGLINE_MALFORMED },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct logline l;
		char ip[64] = "";
		enum logline_kind k = logline_parse(cases[i].line, strlen(cases[i].line), 2026, &l);

		if (k == LOGLINE_DNSBL)
			ip_of(&l.client, ip);
		ok(k == cases[i].kind && (k != LOGLINE_DNSBL || strncmp(ip, "198.51.100.1", 12) == 0),
		   "%s: %s (got %s %s)", cases[i].line, logline_kind_name(cases[i].kind),
		   logline_kind_name(k), ip);
	}
}

/* Outside an SMTPUTF8 session qsmtpdlog writes each byte outside
 * '!'..'~' as '_' (outqlog), the "drop address" line writes it raw: the
 * two lines of one rejection are still one. */
static void sagredo_pairs(void)
{
	static const char *const drop =
		"qmail-smtpd[9]: validrcptto: drop address <j\xc3\xb6rg x@example.com> at 192.0.2.9";
	static const char *const qlog[] = {
		"qlogenvelope: result=rejected code=553 reason=validrcptto detail= helo=h "
		"mailfrom=a@b rcptto=j__rg_x@example.com relay=no rcpthosts=yes size= authuser= "
		"authtype= encrypted= sslverified= localip=192.0.2.1 localport=25 "
		"remoteip=192.0.2.9 remoteport=1 remotehost= qp= pid=9",
		"qlogenvelope: result=rejected code=553 reason=validrcptto detail= helo=h "
		"mailfrom=a@b rcptto=jo_rg_x@example.com relay=no rcpthosts=yes size= authuser= "
		"authtype= encrypted= sslverified= localip=192.0.2.1 localport=25 "
		"remoteip=192.0.2.9 remoteport=1 remotehost= qp= pid=9",
	};

	for (size_t i = 0; i < 2; i++) {
		struct logline_dedupe d = { 0 };
		struct logline a, b;

		ok(logline_parse(drop, strlen(drop), 0, &a) == LOGLINE_UNKNOWN_RCPT &&
		   logline_parse(qlog[i], strlen(qlog[i]), 0, &b) == LOGLINE_UNKNOWN_RCPT,
		   "a drop address line and a qlogenvelope line (qp= empty)");
		ok(!logline_duplicate(&d, &a) && logline_duplicate(&d, &b) == (i == 0),
		   "%s recipient: %s", i == 0 ? "the same" : "another",
		   i == 0 ? "one rejection" : "two rejections");
	}
}

int main(void)
{
	static const struct want multilog[] = {
		{ 4, LOGLINE_UNKNOWN_RCPT, "198.51.100.7", "admin@example.com", "validrcptto",
		  0x69b2a5c4LL - 10 },
		{ 5, LOGLINE_UNKNOWN_RCPT, "198.51.100.7", "info@example.com", "validrcptto", -1 },
		{ 6, LOGLINE_UNKNOWN_RCPT, "198.51.100.7", "sales@example.com", "validrcptto", -1 },
		{ 7, LOGLINE_UNKNOWN_RCPT, "198.51.100.7", "webmaster@example.com", "validrcptto",
		  -1 },
		{ 8, LOGLINE_UNKNOWN_RCPT, "198.51.100.7", "Office@Example.com", "validrcptto", -1 },
		{ 9, LOGLINE_LIMIT, "198.51.100.7", "", "validrcptto", -1 },
		{ 11, LOGLINE_UNKNOWN_RCPT, "203.0.113.20", "bob@example.com", "validrcptto", -1 },
	};
	static const struct want syslog708[] = {
		/* Nov 29 10:00:01 in 2026 */
		{ 2, LOGLINE_UNKNOWN_RCPT, "203.0.113.9", "a1@example.com", "validrcptto-7",
		  1795946401LL },
		{ 3, LOGLINE_UNKNOWN_RCPT, "203.0.113.9", "a2@example.com", "validrcptto-7", -1 },
		{ 4, LOGLINE_UNKNOWN_RCPT, "2001:db8:9::5", "a3@example.com", "validrcptto-7", -1 },
		{ 5, LOGLINE_LIMIT, "203.0.113.9", "", "validrcptto-7", -1 },
		{ 6, LOGLINE_MALFORMED, NULL, NULL, NULL, -1 },
		{ 7, LOGLINE_UNKNOWN_RCPT, "203.0.113.10", "a4@example.com", "validrcptto-7",
		  1795946406LL },
	};
	/* As sagredo-dev/qmail's qmail-smtpd.c writes them: smtp_rcpt's
	 * strerr_warn5(title.s, "validrcptto: drop address <", ...) after
	 * "qmail-smtpd[PID]: ", then err_vrt's qlogenvelope through qsmtpdlog,
	 * with no such title, "qp=" empty until a message was queued, and in an
	 * SMTPUTF8 session (lines 3-4) every field raw (outqlog). */
	static const struct want sagredo[] = {
		{ 1, LOGLINE_UNKNOWN_RCPT, "192.0.2.77", "x1@example.com", "sagredo", -1 },
		{ 2, LOGLINE_UNKNOWN_RCPT, "192.0.2.77", "x1@example.com", "qlogenvelope", -1 },
		{ 3, LOGLINE_UNKNOWN_RCPT, "192.0.2.77", "j\xc3\xb6rg@example.com", "sagredo", -1 },
		{ 4, LOGLINE_UNKNOWN_RCPT, "192.0.2.77", "j\xc3\xb6rg@example.com", "qlogenvelope",
		  -1 },
	};
	/* The shapes of fail2ban's qmail test log (fail2ban/tests/files/logs/
	 * qmail), each with the host its failJSON says it must yield: rblsmtpd
	 * naming its list, the badiprbl patch, and tjsi.com's syslog rblsmtpd
	 * (with and without a pid in its tag). */
	static const struct want fail2ban[] = {
		{ 1, LOGLINE_DNSBL, "198.51.100.11", "", "rblsmtpd", 1773300001LL },
		{ 2, LOGLINE_DNSBL, "198.51.100.12", "", "badiprbl", -1 },
		{ 3, LOGLINE_DNSBL, "198.51.100.13", "", "rblsmtpd-syslog", 1773300003LL },
		{ 4, LOGLINE_DNSBL, "198.51.100.14", "", "rblsmtpd-syslog", -1 },
	};
	/* As chkuser.c's chkuser_commonlog writes them: the original 2.0.8
	 * (denislemire/netqmail) "from <S:I:Y> remote <H:N:IP>", sagredo-dev/
	 * qmail's labelled "from <S|remoteinfo/auth:I|chkuser-identify:Y>
	 * remote <helo:H|remotehostname:N|remotehostip:IP>"; the titles and
	 * descriptions of chkuser_realrcpt ("mbx overquota" is no evidence). */
	static const struct want chkuser[] = {
		{ 1, LOGLINE_UNKNOWN_RCPT, "192.0.2.55", "nobody@example.com", "chkuser", -1 },
		{ 3, LOGLINE_AMBIGUOUS, NULL, NULL, NULL, -1 },  /* IPv6: see remote_field */
		{ 5, LOGLINE_LIMIT, "192.0.2.55", "z@example.com", "chkuser", -1 },
	};
	static const struct want rbl[] = {
		{ 1, LOGLINE_DNSBL, "192.0.2.66", "", "rblsmtpd", -1 },
		{ 2, LOGLINE_MALFORMED, NULL, NULL, NULL, -1 },
	};
	static const struct want garbage[] = {
		{ 4, LOGLINE_MALFORMED, NULL, NULL, NULL, -1 },
	};
	struct logline l;

	check_file("multilog-validrcptto.log", multilog, sizeof(multilog) / sizeof(*multilog), 0);
	check_file("syslog-validrcptto-708.log", syslog708, sizeof(syslog708) / sizeof(*syslog708),
		   2026);
	check_file("sagredo.log", sagredo, sizeof(sagredo) / sizeof(*sagredo), 0);
	check_file("chkuser.log", chkuser, sizeof(chkuser) / sizeof(*chkuser), 0);
	check_file("rblsmtpd.log", rbl, sizeof(rbl) / sizeof(*rbl), 0);
	check_file("fail2ban-qmail.log", fail2ban, sizeof(fail2ban) / sizeof(*fail2ban), 2026);
	check_file("garbage.log", garbage, sizeof(garbage) / sizeof(*garbage), 0);
	/* Not NUL-terminated: the parser stops at len. */
	ok(logline_parse("rblsmtpd: 192.0.2.1 pid 1: 451 x" "GARBAGE", 32, 0, &l) ==
	   LOGLINE_DNSBL, "the length bounds the line");
	ok(logline_parse("", 0, 0, &l) == LOGLINE_NONE, "an empty line is ignored");
	/* The example: a 2006 line whose recipient carries a 7.08 limit. */
	{
		const char *s = "@4000000069b2a5c4000000a1 qmail-smtpd: not in validrcptto: "
				"\"validrcptto [198.51.100.7] excessive violations\"@example.com at "
				"203.0.113.66";
		char ip[64];

		ok(logline_parse(s, strlen(s), 0, &l) == LOGLINE_UNKNOWN_RCPT &&
		   strcmp(ip_of(&l.client, ip), "203.0.113.66") == 0 &&
		   strcmp(l.format, "validrcptto") == 0,
		   "a 7.08 limit inside a 2006 recipient blames the sender (%s)", ip);
		ok(strcmp(l.rcpt, "?validrcptto?[198.51.100.7]?excessive?violations?@example.com") ==
		   0, "the recipient is kept, its spaces and quotes shown as '?' (%s)", l.rcpt);
	}
	{
		const char *s = "CHKUSER rejected rcpt: from <a::> remote <h:n.example:203.0.113.66> "
				"rcpt <x|remotehostip:198.51.100.7> rcpt <y> : not existing recipient";

		ok(logline_parse(s, strlen(s), 0, &l) == LOGLINE_AMBIGUOUS &&
		   strcmp(logline_kind_name(l.kind), "ambiguous") == 0,
		   "a chkuser line with an address on both sides of the field is ambiguous");
		/* A labelled field forged in the HELO of an unlabelled line, with a
		 * PTR name that reads as an IPv6 group, must not blame 1::cafe:... */
		s = "CHKUSER rejected rcpt: from <a::> remote <x|remotehostname:y|remotehostip:1:"
		    ":cafe:203.0.113.66> rcpt <r@x> : not existing recipient";
		ok(logline_parse(s, strlen(s), 0, &l) == LOGLINE_AMBIGUOUS,
		   "a labelled field forged in front of a hex PTR name is ambiguous (%s)",
		   logline_kind_name(l.kind));
	}
	dnsbl_shapes();
	sagredo_pairs();
	return tap_done();
}
