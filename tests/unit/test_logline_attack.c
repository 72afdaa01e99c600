/* test_logline_attack.c - the client writes another format's line, naming
 * a victim, into every field of every format that it controls: the victim
 * is never blamed, and the client is blamed or the line is ambiguous. A
 * HELO with ':', with a format's text, or of many kilobytes (read through
 * the tail) does not hide the client's own rejection. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "logline.h"
#include "tail.h"
#include "tap.h"

enum field { HELO, MAILFROM, RCPT, AUTHUSER, REMOTEINFO, PTR, NFIELDS };
static const char *const field_names[] = { "helo", "mailfrom", "rcpt", "authuser",
					   "remoteinfo", "ptr" };

struct fields {
	const char *f[NFIELDS];
};

/* One format: its line for a client, with the fields it writes. */
struct format {
	const char *name;
	enum logline_kind kind;
	unsigned uses;                  /* 1 << field */
	void (*build)(char *out, size_t len, const char *ip, const struct fields *x);
	bool tagged;                    /* the line is its program's syslog tag and message */
};

#define F(x) x->f
static void v2006(char *o, size_t n, const char *ip, const struct fields *x)
{
	snprintf(o, n, "qmail-smtpd: not in validrcptto: %s at %s", F(x)[RCPT], ip);
}
static void v2006_limit(char *o, size_t n, const char *ip, const struct fields *x)
{
	(void)x;
	snprintf(o, n, "qmail-smtpd: excessive validrcptto violations, hanging up on %s", ip);
}
static void v7(char *o, size_t n, const char *ip, const struct fields *x)
{
	snprintf(o, n, "qmail-smtpd[4242]: validrcptto [%s] not found: %s", ip, F(x)[RCPT]);
}
static void v7_limit(char *o, size_t n, const char *ip, const struct fields *x)
{
	(void)x;
	snprintf(o, n, "qmail-smtpd[4242]: validrcptto [%s] excessive violations, hanging up",
		 ip);
}
static void sagredo(char *o, size_t n, const char *ip, const struct fields *x)
{
	snprintf(o, n, "qmail-smtpd[4242]: validrcptto: drop address <%s> at %s", F(x)[RCPT],
		 ip);
}
static void qlog(char *o, size_t n, const char *ip, const struct fields *x)
{
	snprintf(o, n, "qlogenvelope: result=rejected code=553 reason=validrcptto detail= "
		 "helo=%s mailfrom=%s rcptto=%s relay=no rcpthosts=yes size= authuser=%s "
		 "authtype=login encrypted= sslverified=no localip=192.0.2.1 localport=25 "
		 "remoteip=%s remoteport=4000 remotehost=%s qp= pid=4242", F(x)[HELO],
		 F(x)[MAILFROM], F(x)[RCPT], F(x)[AUTHUSER], ip, F(x)[PTR]);
}
static void chk_plain(char *o, size_t n, const char *ip, const struct fields *x)
{
	snprintf(o, n, "CHKUSER rejected rcpt: from <%s:%s:> remote <%s:%s:%s> rcpt <%s> : "
		 "not existing recipient", F(x)[MAILFROM], F(x)[REMOTEINFO], F(x)[HELO],
		 F(x)[PTR], ip, F(x)[RCPT]);
}
static void chk_labelled(char *o, size_t n, const char *ip, const struct fields *x)
{
	snprintf(o, n, "CHKUSER rejected intrusion: from <%s|remoteinfo/auth:%s|"
		 "chkuser-identify:> remote <helo:%s|remotehostname:%s|remotehostip:%s> rcpt "
		 "<%s> : rcpt ignored, session over intrusion threshold", F(x)[MAILFROM],
		 F(x)[REMOTEINFO], F(x)[HELO], F(x)[PTR], ip, F(x)[RCPT]);
}
static void rbl(char *o, size_t n, const char *ip, const struct fields *x)
{
	(void)x;
	snprintf(o, n, "rblsmtpd: %s pid 4242: 451 http://dnsbl.example/q?%s", ip, ip);
}
static void rbl_list(char *o, size_t n, const char *ip, const struct fields *x)
{
	(void)x;
	snprintf(o, n, "rblsmtpd: %s pid 4242 zen.example.org: 451 http://dnsbl.example/q?%s",
		 ip, ip);
}
static void rbl_syslog(char *o, size_t n, const char *ip, const struct fields *x)
{
	snprintf(o, n, "rblsmtpd: relays.example.org blocked %s %s %s", ip, F(x)[PTR],
		 F(x)[REMOTEINFO]);
}
static void badiprbl(char *o, size_t n, const char *ip, const struct fields *x)
{
	(void)x;
	snprintf(o, n, "qmail-smtpd: 421 badiprbl: ip %s rbl: bl.example.net", ip);
}

#define B(f) (1u << (f))
static const struct format formats[] = {
	{ "validrcptto", LOGLINE_UNKNOWN_RCPT, B(RCPT), v2006, false },
	{ "validrcptto limit", LOGLINE_LIMIT, 0, v2006_limit, false },
	{ "validrcptto-7", LOGLINE_UNKNOWN_RCPT, B(RCPT), v7, false },
	{ "validrcptto-7 limit", LOGLINE_LIMIT, 0, v7_limit, false },
	{ "sagredo", LOGLINE_UNKNOWN_RCPT, B(RCPT), sagredo, false },
	{ "qlogenvelope", LOGLINE_UNKNOWN_RCPT, B(HELO) | B(MAILFROM) | B(RCPT) | B(AUTHUSER) |
	  B(PTR), qlog, false },
	{ "chkuser", LOGLINE_UNKNOWN_RCPT, B(HELO) | B(MAILFROM) | B(RCPT) | B(REMOTEINFO) |
	  B(PTR), chk_plain, false },
	{ "chkuser labelled", LOGLINE_LIMIT, B(HELO) | B(MAILFROM) | B(RCPT) | B(REMOTEINFO) |
	  B(PTR), chk_labelled, false },
	{ "rblsmtpd", LOGLINE_DNSBL, 0, rbl, false },
	{ "rblsmtpd list", LOGLINE_DNSBL, 0, rbl_list, false },
	{ "rblsmtpd-syslog", LOGLINE_DNSBL, B(PTR) | B(REMOTEINFO), rbl_syslog, true },
	{ "badiprbl", LOGLINE_DNSBL, 0, badiprbl, false },
};
#define NFORMATS (sizeof(formats) / sizeof(*formats))

#define NSTAMPS 4
static const char *const stamps[NSTAMPS] = { "", "@4000000069b2a5c4000000a1 ",
					     "Nov 29 10:00:01 mx qmail-smtpd[4242]: ",
					     "Nov 29 10:00:01 mx smtpd: 1764410401.5 " };
/* A tagged format's line follows a syslog header only. */
static const char *const header_stamps[NSTAMPS] = { "Nov 29 10:00:01 mx ",
						    "2026-11-29T10:00:01.5+01:00 mx ",
						    "Nov  9 10:00:01 mx.example ",
						    "2026-11-29T10:00:01Z mx " };

static const char *const *stamps_of(const struct format *f)
{
	return f->tagged ? header_stamps : stamps;
}

/* What tcpserver makes of a PTR name (djbdns): at most 253 bytes, lower
 * case, and every byte but letters, digits, '-', '_' and '.' as \ooo. */
static void ptr_escape(const char *s, char *out, size_t len)
{
	size_t n = 0;

	for (const char *e = s + 253; *s && s < e && n + 5 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 'A' && c <= 'Z')
			c += 32;
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.')
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, len - n, "\\%03o", c);
	}
	out[n] = 0;
}

static const struct fields plain = { { "mx.spam.example", "s@spam.example", "nobody@example.com",
				       "", "", "host.spam.example" } };

static bool same_ip(const struct rg_addr *a, const char *ip)
{
	struct logline l;
	char line[128];

	snprintf(line, sizeof(line), "rblsmtpd: %s pid 1: 451 x", ip);
	logline_parse(line, strlen(line), 0, &l);
	return l.kind == LOGLINE_DNSBL && memcmp(a, &l.client, sizeof(*a)) == 0;
}

static bool blamed(const struct logline *l)
{
	return l->kind == LOGLINE_UNKNOWN_RCPT || l->kind == LOGLINE_LIMIT ||
	       l->kind == LOGLINE_DNSBL;
}

static char line[1 << 18], hostile[1 << 17], sig[1 << 16], esc[1 << 18];
static char shown[3][600];
static unsigned nshown;

/* One line of format f from attacker with text in field fld: the victim
 * is never blamed; the attacker is, or the line is ambiguous (or, with
 * must, the attacker is). */
static bool check(const struct format *f, const char *stamp, const char *attacker,
		  const char *victim, enum field fld, const char *text, bool must)
{
	struct fields x = plain;
	struct logline l;
	size_t n;
	bool good;

	if (fld == PTR) {
		ptr_escape(text, esc, sizeof(esc));
		text = esc;
	}
	x.f[fld] = text;
	n = (size_t)snprintf(line, sizeof(line), "%s", stamp);
	f->build(line + n, sizeof(line) - n, attacker, &x);
	logline_parse(line, strlen(line), 2026, &l);
	good = !(blamed(&l) && same_ip(&l.client, victim)) &&
	       ((l.kind == f->kind && same_ip(&l.client, attacker)) ||
		(!must && l.kind == LOGLINE_AMBIGUOUS));
	if (!good && nshown < 3)
		snprintf(shown[nshown++], sizeof(shown[0]), "%s (%s) -> %s: %.400s", f->name,
			 field_names[fld], logline_kind_name(l.kind), line);
	return good;
}

/* Every signature another format's line gives: its message, with each
 * stamp, and every tail of it that starts after a separator. */
static unsigned signatures(const char *victim, void (*each)(const char *s, void *), void *arg)
{
	unsigned count = 0;

	for (size_t g = 0; g < NFORMATS; g++)
		for (size_t s = 0; s < NSTAMPS; s++) {
			size_t n = (size_t)snprintf(sig, sizeof(sig), "%s", stamps_of(&formats[g])[s]);
			char *msg = sig + n;

			formats[g].build(msg, sizeof(sig) - n, victim, &plain);
			each(sig, arg);
			count++;
			if (s)
				continue;
			for (char *p = msg; *p; p++)
				if (strchr(" <[:|>", *p)) {
					each(p + 1, arg);
					count++;
				}
		}
	return count;
}

struct run {
	const struct format *f;
	const char *stamp, *attacker, *victim;
	enum field fld;
	unsigned bad;
};

static void try_sig(const char *s, void *arg)
{
	struct run *r = arg;

	/* Alone, and wrapped in the client's own text on both sides. */
	r->bad += !check(r->f, r->stamp, r->attacker, r->victim, r->fld, s, false);
	snprintf(hostile, sizeof(hostile), "x%s> rcpt <y", s);
	r->bad += !check(r->f, r->stamp, r->attacker, r->victim, r->fld, hostile, false);
}

static void show(void)
{
	for (unsigned i = 0; i < nshown; i++)
		printf("#   %s\n", shown[i]);
	nshown = 0;
}

/* The property: every format x every field it writes x every signature. */
static void property(void)
{
	static const char *const pairs[][2] = {
		{ "203.0.113.66", "198.51.100.7" },
		{ "203.0.113.66", "2001:db8:6::7" },
		{ "2001:db8:a::66", "198.51.100.7" },
	};

	for (size_t f = 0; f < NFORMATS; f++)
		for (int fld = 0; fld < NFIELDS; fld++) {
			struct run r = { .f = &formats[f], .fld = (enum field)fld };
			unsigned lines = 0;

			if (!(formats[f].uses & B(fld)))
				continue;
			for (size_t p = 0; p < sizeof(pairs) / sizeof(*pairs); p++)
				for (size_t s = 0; s < NSTAMPS; s++) {
					r.attacker = pairs[p][0];
					r.victim = pairs[p][1];
					r.stamp = stamps_of(&formats[f])[s];
					lines += 2 * signatures(r.victim, try_sig, &r);
				}
			ok(r.bad == 0, "%s: every format's line in the %s blames no victim "
			   "(%u lines, %u wrong)", formats[f].name, field_names[fld], lines, r.bad);
			show();
		}
}

/* The client's own rejection still counts whatever its HELO (or other
 * text) is. A chkuser field cannot show where an IPv6 address starts, so
 * there the IPv4 client is the one that must count. */
static void no_escape(void)
{
	static char big[100000];
	const char *texts[] = { "[IPv6:2001:db8::1]", "validrcptto [", "validrcptto [198.51.100.7]",
				"a:b:c", "x> rcpt <y", "|remotehostip:", " at ", big };

	memset(big, 'a', sizeof(big) - 1);
	for (size_t f = 0; f < NFORMATS; f++) {
		unsigned bad = 0, n = 0;

		for (int fld = 0; fld < NFIELDS; fld++)
			for (size_t t = 0; t < sizeof(texts) / sizeof(*texts); t++) {
				const char *att = formats[f].build == chk_plain ||
						  formats[f].build == chk_labelled ?
						  "203.0.113.66" : "2001:db8:a::66";

				if (!(formats[f].uses & B(fld)))
					continue;
				/* Text of the "rcpt <" kind is ambiguous by design. */
				if (t == 4 && (formats[f].build == chk_plain ||
					       formats[f].build == chk_labelled))
					continue;
				n++;
				bad += !check(&formats[f], stamps_of(&formats[f])[1], att,
					      "198.51.100.7", (enum field)fld, texts[t], true);
			}
		ok(bad == 0, "%s: the client is blamed whatever it writes (%u lines)",
		   formats[f].name, n);
		show();
	}
}

/* A syslog pipeline cuts a long line (splogger after 799 bytes of
 * message, rsyslog at 8 KB, journald at 48 KB) and keeps the head as a
 * record. The client pads a field before the address so that a victim's
 * whole line ends right at the cut: the head must not blame the victim.
 * Every format read from its end x every field before the address x
 * every syslog or stamp-less form x cuts from splogger's up. */
static void syslog_cuts(void)
{
	static const char *const heads[] = {
		"", "Nov 29 10:00:01 mx qmail-smtpd[4242]: ", "Nov 29 10:00:01 mx smtpd: 1764410401.5 ",
		"2026-11-29T10:00:01.5+01:00 mx smtpd: 1764410401.5 ",
	};
	static const size_t cuts[] = { 799, 800, 1024, 4096, 8096, 49152, 65536 };
	static char msg[1 << 18], pad[1 << 17];

	for (size_t f = 0; f < NFORMATS; f++)
		for (int fld = 0; fld < NFIELDS; fld++) {
			unsigned bad = 0, lines = 0;

			if (!(formats[f].uses & B(fld)) || fld == PTR)      /* a PTR cannot pad */
				continue;
			for (size_t g = 0; g < NFORMATS; g++)
				for (size_t h = 0; h < sizeof(heads) / sizeof(*heads); h++)
					for (size_t c = 0; c < sizeof(cuts) / sizeof(*cuts); c++) {
						struct fields x = plain;
						struct logline l;
						size_t at, n, vlen;
						char *mark;

						/* Where the field starts in f's message. */
						x.f[fld] = "\001";
						formats[f].build(msg, sizeof(msg), "203.0.113.66", &x);
						mark = strstr(msg, "\001");
						at = (size_t)(mark - msg);
						formats[g].build(sig, sizeof(sig), "198.51.100.7", &plain);
						vlen = strlen(sig);
						if (at + vlen > cuts[c])
							continue;
						memset(pad, 'a', cuts[c] - at - vlen);
						strcpy(pad + cuts[c] - at - vlen, sig);
						x.f[fld] = pad;
						n = (size_t)snprintf(line, sizeof(line), "%s", heads[h]);
						formats[f].build(line + n, sizeof(line) - n, "203.0.113.66", &x);
						/* The head the pipeline keeps. */
						logline_parse(line, n + cuts[c], 2026, &l);
						lines++;
						if (blamed(&l) && same_ip(&l.client, "198.51.100.7")) {
							bad++;
							if (nshown < 3)
								snprintf(shown[nshown++], sizeof(shown[0]),
									 "%s (%s) cut at %zu -> %s: "
									 "...%.300s", formats[f].name,
									 field_names[fld], cuts[c],
									 logline_kind_name(l.kind),
									 line + n + cuts[c] - 300);
						}
					}
			ok(bad == 0, "%s: a %s padded to a syslog cut blames no victim (%u lines)",
			   formats[f].name, field_names[fld], lines);
			show();
		}
}

/* The bound itself: a syslog line's message of 798 bytes is still read,
 * one of 799 (what splogger's head of a longer line looks like) is not;
 * with multilog's stamp, length does not matter. */
static void syslog_bound(void)
{
	static const char *const stamp = "Nov 29 10:00:01 mx smtpd: 1764410401.5 ";
	static char rcpt[2000];

	for (size_t len = 797; len <= 800; len++) {
		struct fields x = plain;
		struct logline l;
		size_t n, base;

		x.f[RCPT] = "";
		base = (size_t)snprintf(line, sizeof(line), "%s", stamp);
		v2006(line + base, sizeof(line) - base, "203.0.113.66", &x);
		memset(rcpt, 'r', len - (strlen(line) - base));
		rcpt[len - (strlen(line) - base)] = 0;
		x.f[RCPT] = rcpt;
		n = (size_t)snprintf(line, sizeof(line), "%s", stamp);
		v2006(line + n, sizeof(line) - n, "203.0.113.66", &x);
		logline_parse(line, strlen(line), 2026, &l);
		ok(strlen(line) - n == len && (len < LOGLINE_SYSLOG_CUT ?
		   l.kind == LOGLINE_UNKNOWN_RCPT && same_ip(&l.client, "203.0.113.66") :
		   l.kind == LOGLINE_AMBIGUOUS), "syslog, a %zu-byte message: %s", len,
		   logline_kind_name(l.kind));
		n = (size_t)snprintf(line, sizeof(line), "%s", stamps[1]);
		v2006(line + n, sizeof(line) - n, "203.0.113.66", &x);
		logline_parse(line, strlen(line), 2026, &l);
		ok(l.kind == LOGLINE_UNKNOWN_RCPT && same_ip(&l.client, "203.0.113.66"),
		   "multilog, a %zu-byte message: %s", len, logline_kind_name(l.kind));
	}
}

struct got {
	struct logline l;
	unsigned n;
	size_t len;
};

static void got_line(const char *s, size_t len, void *arg)
{
	struct got *g = arg;

	logline_parse(s, len, 0, &g->l);
	g->len = len;
	g->n++;
}

/* Through the tail: a chkuser line with a HELO of up to a megabyte is read
 * as its head and end, and the client still counts. */
static void long_lines(void)
{
	static const size_t sizes[] = { 100, 40000, 65536, 70000, 200000, 1000000 };
	char path[] = "/tmp/rg-logline-XXXXXX";
	int fd = mkstemp(path);
	static struct tail t;
	static char helo[1000001];

	ok(fd >= 0, "a temporary log file");
	tail_open(&t, path, 0, 0, 0);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
		struct fields x = plain;
		struct got g = { .n = 0 };
		size_t n;
		char *big = malloc(sizes[i] + 4096);

		memset(helo, ':', sizes[i]);
		helo[sizes[i]] = 0;
		x.f[HELO] = helo;
		n = (size_t)sprintf(big, "%s", stamps[1]);
		chk_plain(big + n, sizes[i] + 4096 - n, "203.0.113.66", &x);
		n = strlen(big);
		big[n++] = '\n';
		ok(write(fd, big, n) == (ssize_t)n, "write a line with a %zu-byte HELO", sizes[i]);
		tail_poll(&t, got_line, &g);
		ok(g.n == 1 && g.l.kind == LOGLINE_UNKNOWN_RCPT &&
		   same_ip(&g.l.client, "203.0.113.66") && g.len <= TAIL_LINE_MAX,
		   "a %zu-byte HELO: the client is blamed (%s, %zu bytes read)", sizes[i],
		   logline_kind_name(g.l.kind), g.len);
		free(big);
	}
	ok(t.long_lines == 4, "four lines were longer than %d bytes (%llu)", TAIL_LINE_MAX,
	   (unsigned long long)t.long_lines);
	tail_close(&t);
	close(fd);
	unlink(path);
}

int main(void)
{
	property();
	no_escape();
	syslog_cuts();
	syslog_bound();
	long_lines();
	return tap_done();
}
