/* logline.c - what an MTA's log line says about a client. The stamp and
 * the program's name are taken off first; the message must then begin
 * with one format's fixed text, and the client's address is read only
 * from the place the MTA writes it (see docs/qmail.md for each format:
 * which fields the client controls and how the address is found). */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "linebuf.h"
#include "logline.h"

const char *logline_kind_name(enum logline_kind k)
{
	static const char *const names[] = { "none", "malformed", "ambiguous",
					     "unknown-recipient", "limit", "dnsbl" };

	return k <= LOGLINE_DNSBL ? names[k] : "none";
}

/* A cursor over the line: the parsers below read it left to right. */
struct cur {
	const char *p, *end;
};

static bool eat(struct cur *c, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
		return false;
	c->p += n;
	return true;
}

/* Does the cursor's text end with lit? Then take it off the end. */
static bool eat_end(struct cur *c, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(c->end - c->p) < n || memcmp(c->end - n, lit, n) != 0)
		return false;
	c->end -= n;
	return true;
}

/* The first (or, with last, the final) place lit starts in [from, end). */
static const char *search(const char *from, const char *end, const char *lit, bool last)
{
	size_t n = strlen(lit);
	const char *hit = NULL;

	for (const char *q = from; q + n <= end; q++)
		if (*q == *lit && memcmp(q, lit, n) == 0) {
			hit = q;
			if (!last)
				break;
		}
	return hit;
}

/* At least one digit, then the cursor moves past them. */
static bool digits(struct cur *c)
{
	const char *s = c->p;

	while (c->p < c->end && isdigit((unsigned char)*c->p))
		c->p++;
	return c->p > s;
}

/* [s, e) is an address as the MTA writes one: dotted quad or IPv6
 * (qmail's IPv6 patches log ::ffff:a.b.c.d for IPv4 clients). */
static bool parse_ip(const char *s, const char *e, struct rg_addr *out)
{
	char buf[INET6_ADDRSTRLEN];
	struct in_addr v4;
	size_t n = (size_t)(e - s);

	memset(out, 0, sizeof(*out));
	if (n == 0 || n >= sizeof(buf) || memchr(s, 0, n))
		return false;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (inet_pton(AF_INET, buf, &v4) == 1) {
		out->a[10] = out->a[11] = 0xff;
		memcpy(&out->a[12], &v4, 4);
		return true;
	}
	return inet_pton(AF_INET6, buf, out->a) == 1;
}

/* The recipient as logged, for the record only (it never decides who is
 * blamed): cut to fit, optional <> taken off, and every byte the client
 * may have sent that would break a key=value log shown as '?'. */
static void set_rcpt(struct logline *o, const char *s, const char *e)
{
	size_t n = (size_t)(e - s);

	if (n >= 2 && s[0] == '<' && e[-1] == '>') {
		s++;
		n -= 2;
	}
	if (n >= sizeof(o->rcpt))
		n = sizeof(o->rcpt) - 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		o->rcpt[i] = ch <= ' ' || ch == 0x7f || ch == '"' ? '?' : (char)ch;
	}
	o->rcpt[n] = 0;
}

/* The verdict on one line; rcpt was set by the caller or is "". */
static enum logline_kind found(struct logline *o, enum logline_kind k, const char *format,
			       const char *ip, const char *ip_end)
{
	o->format = format;
	if (k == LOGLINE_AMBIGUOUS)
		return o->kind = k;
	if (!ip || !parse_ip(ip, ip_end, &o->client))
		return o->kind = LOGLINE_MALFORMED;
	return o->kind = k;
}

/* ---- stamps ---- */

static int hexval(char c)
{
	return isdigit((unsigned char)c) ? c - '0' :
	       c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* multilog: "@" 24 hex digits (TAI64N: 2^62 + 10 + unix seconds, nanos). */
static bool tai64n(struct cur *c, uint64_t *when)
{
	uint64_t s = 0;

	if (c->end - c->p < 26 || c->p[0] != '@' || c->p[25] != ' ')
		return false;
	for (int i = 1; i <= 24; i++) {
		int v = hexval(c->p[i]);

		if (v < 0)
			return false;
		if (i <= 16)
			s = s << 4 | (uint64_t)v;
	}
	*when = s > (1ULL << 62) + 10 ? s - (1ULL << 62) - 10 : 0;
	c->p += 26;
	return true;
}

/* The next word up to a space (at most outlen - 1 bytes); past the space. */
static bool word(struct cur *c, char *out, size_t outlen)
{
	const char *sp = memchr(c->p, ' ', (size_t)(c->end - c->p));
	size_t n;

	if (!sp || (n = (size_t)(sp - c->p)) >= outlen)
		return false;
	memcpy(out, c->p, n);
	out[n] = 0;
	c->p = sp + 1;
	return true;
}

/* "Nov 29 19:00:00 host " or "2026-11-29T19:00:00.123+00:00 host ". */
static bool syslog_stamp(struct cur *c, int year, uint64_t *when)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm tm = { 0 };
	char buf[40], *rest;
	const char *m;
	struct cur t = *c;

	if (!word(&t, buf, sizeof(buf)))
		return false;
	if ((rest = strptime(buf, "%Y-%m-%dT%H:%M:%S", &tm))) {
		long off = 0;

		if (*rest == '.')
			for (rest++; isdigit((unsigned char)*rest); rest++)
				;
		if ((*rest == '+' || *rest == '-') && strlen(rest) == 6 && rest[3] == ':')
			off = (*rest == '-' ? -1 : 1) *
			      ((rest[1] - '0') * 36000L + (rest[2] - '0') * 3600L +
			       (rest[4] - '0') * 600L + (rest[5] - '0') * 60L);
		else if (*rest != 'Z' && *rest)
			return false;
		*when = (uint64_t)(timegm(&tm) - off);
	} else {
		if (strlen(buf) != 3 || !(m = strstr(months, buf)) || (m - months) % 3)
			return false;
		while (t.p < t.end && *t.p == ' ')
			t.p++;
		if (!word(&t, buf, sizeof(buf)) || sscanf(buf, "%d", &tm.tm_mday) != 1 ||
		    !word(&t, buf, sizeof(buf)) ||
		    sscanf(buf, "%d:%d:%d", &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 3)
			return false;
		tm.tm_mon = (int)(m - months) / 3;
		if (!year) {
			time_t now = time(NULL);
			struct tm nt;

			gmtime_r(&now, &nt);
			year = nt.tm_year + 1900;
		}
		tm.tm_year = year - 1900;
		*when = (uint64_t)timegm(&tm);
	}
	/* The host name. */
	if (!word(&t, buf, sizeof(buf)))
		return false;
	*c = t;
	return true;
}

/* "NAME: " or "NAME[PID]: ", NAME a program's name: a syslog tag, or the
 * "qmail-smtpd[PID]: " that qmail-smtpd puts before its own lines. */
static bool program(struct cur *c, const char *name)
{
	struct cur t = *c;

	if (name) {
		if (!eat(&t, name))
			return false;
	} else {
		while (t.p < t.end && (isalnum((unsigned char)*t.p) || strchr("._/-", *t.p)))
			t.p++;
		if (t.p == c->p)
			return false;
	}
	if (eat(&t, "[") && !(digits(&t) && eat(&t, "]")))
		return false;
	if (!eat(&t, ": "))
		return false;
	*c = t;
	return true;
}

/* Where the message starts. multilog: right after the stamp. syslog: after
 * the header, the program's tag and, when splogger wrote it, splogger's
 * "SECONDS.FRACTION " stamp. Then, in both, qmail-smtpd's own
 * "qmail-smtpd: " or "qmail-smtpd[PID]: " when it is there. Nothing the
 * client sends can come before that point on a line the MTA wrote.
 * Returns where the text the MTA handed to syslog starts (the text a
 * syslog pipeline may cut), or NULL after a multilog stamp: multilog
 * writes a line whole, however long. *tag: the syslog tag's NAME (empty
 * without a syslog header), which the program that logged chose. */
static const char *message_start(struct cur *c, int year, uint64_t *when, struct cur *tag)
{
	const char *logged = NULL;

	*tag = (struct cur){ c->p, c->p };
	if (!tai64n(c, when)) {
		if (syslog_stamp(c, year, when)) {
			struct cur t;

			*tag = (struct cur){ c->p, c->p };
			if (program(c, NULL))
				while (*tag->end != '[' && *tag->end != ':')
					tag->end++;
			t = *c;
			if (digits(&t) && eat(&t, ".") && digits(&t) && eat(&t, " "))
				*c = t;
		}
		logged = c->p;
	}
	program(c, "qmail-smtpd");
	return logged;
}

/* ---- formats: each begins with its fixed text at the message start ---- */

/* "ADDR at IP", IP the last word: the client's text comes before it. */
static enum logline_kind addr_at_ip(struct cur c, struct logline *o, const char *format)
{
	const char *at = search(c.p, c.end, " at ", true);

	if (!at)
		return found(o, LOGLINE_MALFORMED, format, NULL, NULL);
	set_rcpt(o, c.p, at);
	return found(o, LOGLINE_UNKNOWN_RCPT, format, at + 4, c.end);
}

/* 2006 patch: "not in validrcptto: ADDR at IP", "excessive validrcptto
 * violations, hanging up on IP". */
static enum logline_kind validrcptto_2006(struct cur c, struct logline *o)
{
	if (eat(&c, "not in validrcptto: "))
		return addr_at_ip(c, o, "validrcptto");
	if (eat(&c, "excessive validrcptto violations, hanging up on "))
		return found(o, LOGLINE_LIMIT, "validrcptto", c.p, c.end);
	return LOGLINE_NONE;
}

/* jms1 7.08: "validrcptto [IP] not found: ADDR", "validrcptto [IP]
 * excessive violations, hanging up". The IP comes before the client's text. */
static enum logline_kind validrcptto_7(struct cur c, struct logline *o)
{
	const char *ip, *close;

	if (!eat(&c, "validrcptto ["))
		return LOGLINE_NONE;
	ip = c.p;
	close = memchr(c.p, ']', (size_t)(c.end - c.p));
	if (!close)
		return found(o, LOGLINE_MALFORMED, "validrcptto-7", NULL, NULL);
	c.p = close;
	if (eat(&c, "] not found: ")) {
		set_rcpt(o, c.p, c.end);
		return found(o, LOGLINE_UNKNOWN_RCPT, "validrcptto-7", ip, close);
	}
	if (eat(&c, "] excessive violations, hanging up") && c.p == c.end)
		return found(o, LOGLINE_LIMIT, "validrcptto-7", ip, close);
	return LOGLINE_NONE;        /* its debug lines: RCPT TO, trying, found */
}

/* sagredo: "validrcptto: drop address <ADDR> at IP". */
static enum logline_kind sagredo(struct cur c, struct logline *o)
{
	if (!eat(&c, "validrcptto: drop address "))
		return LOGLINE_NONE;
	return addr_at_ip(c, o, "sagredo");
}

/* " KEY=DIGITS" (or, with empty_ok, " KEY=") taken off the end. */
static bool number_at_end(struct cur *c, const char *key, bool empty_ok)
{
	const char *e = c->end, *d = e;

	while (d > c->p && isdigit((unsigned char)d[-1]))
		d--;
	c->end = d;
	if ((d == e && !empty_ok) || !eat_end(c, key))
		return (c->end = e), false;
	return true;
}

/* The value of the cursor's last word when that word is "KEY=VALUE"
 * (the word after the last space), or NULL. */
static const char *last_word(const struct cur *c, const char *key)
{
	struct cur w = { c->end, c->end };

	while (w.p > c->p && w.p[-1] != ' ')
		w.p--;
	return w.p > c->p && eat(&w, key) ? w.p : NULL;
}

/* sagredo: "qlogenvelope: result=rejected code=553 reason=validrcptto
 * detail= helo=H mailfrom=M rcptto=R ... remoteip=IP remoteport=P
 * remotehost=N qp=Q pid=D" (qmail-smtpd.c qsmtpdlog, no "qmail-smtpd[PID]: "
 * before it). H, M, R and the AUTH user come before remoteip; outqlog
 * writes their bytes outside '!'..'~' as '_', but raw, spaces included,
 * in an SMTPUTF8 session. After remoteip come numbers and the PTR name,
 * which tcpserver writes without spaces. So the address is read from the
 * end, word by word. Q is empty until the session's first message
 * reached the queue: at RCPT it usually is. */
static enum logline_kind qlogenvelope(struct cur c, struct logline *o)
{
	const char *r, *rend, *v;

	if (!eat(&c, "qlogenvelope: result=rejected code=") || !digits(&c) ||
	    !eat(&c, " reason=validrcptto "))
		return LOGLINE_NONE;
	if ((r = search(c.p, c.end, " rcptto=", false)) &&
	    (rend = search(r, c.end, " relay=", false)))
		set_rcpt(o, r + 8, rend);
	if (number_at_end(&c, " pid=", false) && !number_at_end(&c, " qp=", true))
		return found(o, LOGLINE_AMBIGUOUS, "qlogenvelope", NULL, NULL);
	if (!(v = last_word(&c, "remotehost=")))
		return found(o, LOGLINE_AMBIGUOUS, "qlogenvelope", NULL, NULL);
	c.end = v - strlen("remotehost=") - 1;
	if (!number_at_end(&c, " remoteport=", false) || !(v = last_word(&c, "remoteip=")))
		return found(o, LOGLINE_AMBIGUOUS, "qlogenvelope", NULL, NULL);
	return found(o, LOGLINE_UNKNOWN_RCPT, "qlogenvelope", v, c.end);
}

#define PTR_MAX 1100     /* a DNS name, with tcpserver's \\ooo escapes */

/* One reading of a chkuser line: the addresses seen so far. */
struct readings {
	struct rg_addr first;
	unsigned n;             /* 0, 1 or 2 (two different addresses or more) */
};

static void reading(struct readings *rd, const char *ip, const char *e)
{
	struct rg_addr a;

	if (rd->n > 1 || !parse_ip(ip, e, &a))
		return;
	if (!rd->n)
		rd->first = a;
	else if (memcmp(&rd->first, &a, sizeof(a)) == 0)
		return;
	rd->n++;
}

/* The readings of the remote field that ends at r ("> rcpt <" follows).
 * sagredo labels it "<helo:H|remotehostname:N|remotehostip:IP"; the
 * original writes "<H:N:IP". The helo (H) is the client's and may hold
 * ':' and '|'; the PTR name (N) holds neither (tcpserver escapes them) but
 * is the client's choice too. Both readings count: a line cannot show
 * which kind of chkuser wrote it, and an IPv6 address can begin with a
 * PTR name that looks like a group of one, so an IPv6 field reads
 * several ways and is ambiguous. */
static void remote_field(struct readings *rd, const char *from, const char *r)
{
	const char *lim = r - from > INET6_ADDRSTRLEN + 14 ? r - INET6_ADDRSTRLEN - 14 : from;
	const char *lab = search(lim, r, "|remotehostip:", true);

	if (lab)
		reading(rd, lab + 14, r);
	/* Unlabelled: every split H:N:IP where IP is an address and N has no
	 * ':', '|', '<', '>' or space. IP is short: only its last bytes can. */
	lim = r - from > INET6_ADDRSTRLEN ? r - INET6_ADDRSTRLEN : from;
	for (const char *p = r - 1; p >= lim; p--) {
		const char *q = p;

		if (*p != ':')
			continue;
		while (q > from && (size_t)(p - q) < PTR_MAX && !strchr(":|<> \n", q[-1]))
			q--;
		if (q > from && q[-1] == ':')
			reading(rd, p + 1, r);
	}
}

/* chkuser: "CHKUSER rejected rcpt: from <S:I:Y> remote <H:N:IP> rcpt <R>
 * : not existing recipient" (sagredo labels the fields). S, I (ident or
 * an AUTH= name), H and R are the client's, on both sides of the
 * address; the line's end is the MTA's. Every place the field could end
 * is read; one address is blamed, several make the line ambiguous. */
static enum logline_kind chkuser(struct cur c, struct logline *o)
{
	static const struct {
		const char *title, *desc;
		enum logline_kind kind;
	} forms[] = {
		{ "rejected rcpt", "not existing recipient", LOGLINE_UNKNOWN_RCPT },
		{ "rejected intrusion", "rcpt ignored, session over intrusion threshold",
		  LOGLINE_LIMIT },
		{ "intrusion threshold", "max number of allowed invalid rcpt", LOGLINE_LIMIT },
		{ "intrusion threshold", "max number of allowed rcpt", LOGLINE_LIMIT },
	};
	struct readings rd = { .n = 0 };
	const char *r, *first = NULL;
	size_t i;

	if (!eat(&c, "CHKUSER "))
		return LOGLINE_NONE;
	for (i = 0; i < sizeof(forms) / sizeof(*forms); i++) {
		struct cur t = c;

		if (eat(&t, forms[i].title) && eat(&t, ": from <") && eat_end(&t, forms[i].desc) &&
		    eat_end(&t, "> : ")) {
			c = t;
			break;
		}
	}
	if (i == sizeof(forms) / sizeof(*forms))
		return LOGLINE_NONE;
	for (r = c.p; rd.n < 2 && (r = search(r, c.end, "> rcpt <", false)); r++) {
		remote_field(&rd, c.p, r);
		first = first ? first : r;
	}
	if (rd.n != 1)
		return found(o, rd.n ? LOGLINE_AMBIGUOUS : LOGLINE_MALFORMED, "chkuser", NULL,
			     NULL);
	set_rcpt(o, first + 8, c.end);
	o->format = "chkuser";
	o->client = rd.first;
	return o->kind = forms[i].kind;
}

/* The word at the cursor (up to a space or the end); the cursor moves past it. */
static const char *skip_word(struct cur *c)
{
	const char *w = c->p;

	while (c->p < c->end && *c->p != ' ')
		c->p++;
	return w;
}

/* rblsmtpd (ucspi-tcp 0.88 rblsmtpd.c, main): "rblsmtpd: IP pid N: 451
 * text"; builds patched to name the list write "rblsmtpd: IP pid N LIST:
 * 451 text". IP is TCPREMOTEIP, right after the name; LIST is the admin's
 * -r base and the text the DNSBL's: the client writes nothing here. */
static enum logline_kind rblsmtpd(struct cur c, struct logline *o)
{
	const char *ip, *ip_end;

	if (!eat(&c, "rblsmtpd: "))
		return LOGLINE_NONE;
	ip = skip_word(&c);
	ip_end = c.p;
	if (!(eat(&c, " pid ") && digits(&c)))
		return found(o, LOGLINE_MALFORMED, "rblsmtpd", NULL, NULL);
	if (eat(&c, " ")) {             /* the list's name */
		while (c.p < c.end && *c.p != ' ' && *c.p != ':')
			c.p++;
	}
	if (!eat(&c, ": "))
		return found(o, LOGLINE_MALFORMED, "rblsmtpd", NULL, NULL);
	return found(o, LOGLINE_DNSBL, "rblsmtpd", ip, ip_end);
}

/* The rblsmtpd before ucspi-tcp 0.88 logged nothing; tjsi.com's
 * modification logs each block through syslog(3) under the tag
 * "rblsmtpd": "LIST blocked IP HOST INFO" (blank fields as "-"). LIST is
 * the admin's, IP is TCPREMOTEIP; the client's PTR name and ident answer
 * (HOST, INFO) come after it. */
static enum logline_kind rblsmtpd_syslog(struct cur c, struct logline *o)
{
	const char *list = skip_word(&c), *ip;

	if (c.p == list || !eat(&c, " blocked "))
		return LOGLINE_NONE;
	ip = skip_word(&c);
	return found(o, LOGLINE_DNSBL, "rblsmtpd-syslog", ip, c.p);
}

/* The badiprbl patch's qmail-smtpd: "421 badiprbl: ip IP rbl: LIST" (the
 * code may be another 4xx). IP comes first; LIST is the admin's. */
static enum logline_kind badiprbl(struct cur c, struct logline *o)
{
	const char *code = c.p, *ip, *ip_end;

	if (!(digits(&c) && c.p - code == 3 && *code == '4' && eat(&c, " badiprbl: ip ")))
		return LOGLINE_NONE;
	ip = skip_word(&c);
	ip_end = c.p;
	if (!eat(&c, " rbl: "))
		return found(o, LOGLINE_MALFORMED, "badiprbl", NULL, NULL);
	return found(o, LOGLINE_DNSBL, "badiprbl", ip, ip_end);
}

enum logline_kind logline_parse(const char *line, size_t len, int year, struct logline *out)
{
	/* reads_end: the address is found from the line's end, so a line cut
	 * short can end in the client's text and name anyone. tag: the format
	 * is one program's syslog message, read only under its syslog tag. */
	static const struct {
		enum logline_kind (*parse)(struct cur, struct logline *);
		bool reads_end;
		const char *tag;
	} parsers[] = {
		{ rblsmtpd_syslog, false, "rblsmtpd" },
		{ validrcptto_7, false, NULL }, { sagredo, true, NULL }, { qlogenvelope, true, NULL },
		{ validrcptto_2006, true, NULL }, { chkuser, true, NULL }, { rblsmtpd, false, NULL },
		{ badiprbl, false, NULL },
	};
	struct linebuf joined;
	struct cur c = { line, line + len }, tag;
	const char *logged;

	/* A longer line is read as the tail delivers one: its head, a newline
	 * and its end. The MTA's text is at both ends, the client's unbounded
	 * HELO or AUTH name in the middle. */
	if (len > LOGLINE_MAX) {
		linebuf_clear(&joined);
		linebuf_add(&joined, line, len);
		c = (struct cur){ joined.buf, joined.buf + linebuf_end(&joined) };
	}
	memset(out, 0, sizeof(*out));
	logged = message_start(&c, year, &out->when, &tag);
	/* Each parser needs its own text at c.p, so at most one applies. */
	for (size_t i = 0; i < sizeof(parsers) / sizeof(parsers[0]); i++) {
		enum logline_kind k;

		if (parsers[i].tag && ((size_t)(tag.end - tag.p) != strlen(parsers[i].tag) ||
				       memcmp(tag.p, parsers[i].tag, strlen(parsers[i].tag))))
			continue;
		k = parsers[i].parse(c, out);

		if (k == LOGLINE_NONE)
			continue;
		/* Syslog pipelines cut long lines (splogger after 799 bytes,
		 * rsyslog and journald later), and the cut falls where the
		 * client's padding puts it: such a line is no evidence. */
		if (parsers[i].reads_end && logged && (size_t)(c.end - logged) >= LOGLINE_SYSLOG_CUT &&
		    k != LOGLINE_MALFORMED && k != LOGLINE_AMBIGUOUS) {
			memset(&out->client, 0, sizeof(out->client));
			return out->kind = LOGLINE_AMBIGUOUS;
		}
		return k;
	}
	return out->kind = LOGLINE_NONE;
}

/* A byte qlogenvelope may have written as '_' (outqlog, outside an
 * SMTPUTF8 session) where "drop address" wrote it raw and set_rcpt as '?'. */
static bool blurred(char ch)
{
	unsigned char u = (unsigned char)ch;

	return u < '!' || u > '~' || ch == '_' || ch == '?';
}

/* The recipient of both lines of a pair, byte for byte but for blurred ones. */
static bool same_rcpt(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (*a != *b && !(blurred(*a) && blurred(*b)))
			return false;
	return !*a && !*b;
}

bool logline_duplicate(struct logline_dedupe *d, const struct logline *l)
{
	bool pair = l->format && (strcmp(l->format, "sagredo") == 0 ||
				  strcmp(l->format, "qlogenvelope") == 0);
	bool dup = pair && d->format && strcmp(d->format, l->format) != 0 &&
		   !memcmp(&d->client, &l->client, sizeof(l->client)) &&
		   same_rcpt(d->rcpt, l->rcpt);

	d->format = pair && !dup ? l->format : NULL;
	d->client = l->client;
	snprintf(d->rcpt, sizeof(d->rcpt), "%s", l->rcpt);
	return dup;
}
