/* logline.c - one parser per format, tried in turn on the message that is
 * left once the stamp and the program's name are taken off. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "logline.h"

#define LINE_MAX_LEN 4096       /* longer lines are cut: nothing we parse is near it */

const char *logline_kind_name(enum logline_kind k)
{
	static const char *const names[] = { "none", "malformed", "unknown-recipient", "limit",
					     "dnsbl" };

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

/* The text up to (not including) stop, or to the end when stop is NULL. */
static bool upto(struct cur *c, const char *stop, char *out, size_t outlen)
{
	const char *e = c->end;
	size_t n;

	if (stop) {
		size_t sl = strlen(stop);
		const char *q;

		for (q = c->p; q + sl <= c->end && memcmp(q, stop, sl) != 0; q++)
			;
		if (q + sl > c->end)
			return false;
		e = q;
	}
	n = (size_t)(e - c->p);
	if (n >= outlen)
		return false;
	memcpy(out, c->p, n);
	out[n] = 0;
	c->p = e + (stop ? strlen(stop) : 0);
	return true;
}

static bool find(struct cur *c, const char *lit)
{
	size_t n = strlen(lit);

	for (const char *q = c->p; q + n <= c->end; q++)
		if (memcmp(q, lit, n) == 0) {
			c->p = q + n;
			return true;
		}
	return false;
}

static bool parse_ip(const char *s, struct rg_addr *out)
{
	struct in_addr v4;

	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, &v4) == 1) {
		out->a[10] = out->a[11] = 0xff;
		memcpy(&out->a[12], &v4, 4);
		return true;
	}
	/* qmail's IPv6 patches log ::ffff:a.b.c.d for IPv4 clients. */
	return inet_pton(AF_INET6, s, out->a) == 1;
}

/* An address as logged: optional <>, no spaces or control bytes. */
static bool clean_rcpt(char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		memmove(s, s + 1, n - 2);
		s[n - 2] = 0;
	}
	for (char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

static enum logline_kind found(struct logline *o, enum logline_kind k, const char *format,
			       const char *ip, bool ip_ok)
{
	o->format = format;
	if (!ip_ok || !parse_ip(ip, &o->client) || !clean_rcpt(o->rcpt))
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

/* "Nov 29 19:00:00 host " or "2026-11-29T19:00:00.123+00:00 host ". */
static bool syslog_stamp(struct cur *c, int year, uint64_t *when)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm tm = { 0 };
	char buf[40], *rest;
	const char *m;
	struct cur t = *c;

	if (!upto(&t, " ", buf, sizeof(buf)))
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
		if (!upto(&t, " ", buf, sizeof(buf)) || sscanf(buf, "%d", &tm.tm_mday) != 1 ||
		    !upto(&t, " ", buf, sizeof(buf)) ||
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
	if (!upto(&t, " ", buf, sizeof(buf)))
		return false;
	*c = t;
	return true;
}

/* "qmail-smtpd[123]: ", "qmail-smtpd: ", "smtpd: 1700000000.123 " ... are
 * skipped up to the first known keyword by the parsers themselves. */

/* ---- formats ---- */

/* 2006: "not in validrcptto: ADDR at IP", "excessive validrcptto violations,
 * hanging up on IP". */
static enum logline_kind validrcptto_2006(struct cur c, struct logline *o)
{
	char ip[64];
	struct cur d = c;

	if (find(&c, "not in validrcptto: ")) {
		bool ok = upto(&c, " at ", o->rcpt, sizeof(o->rcpt)) && upto(&c, NULL, ip, sizeof(ip));

		return found(o, LOGLINE_UNKNOWN_RCPT, "validrcptto", ip, ok);
	}
	if (find(&d, "excessive validrcptto violations, hanging up on "))
		return found(o, LOGLINE_LIMIT, "validrcptto", ip, upto(&d, NULL, ip, sizeof(ip)));
	return LOGLINE_NONE;
}

/* 7.08: "validrcptto [IP] not found: ADDR", "validrcptto [IP] excessive
 * violations, hanging up". */
static enum logline_kind validrcptto_7(struct cur c, struct logline *o)
{
	char ip[64];
	bool ok;

	if (!find(&c, "validrcptto ["))
		return LOGLINE_NONE;
	ok = upto(&c, "] ", ip, sizeof(ip));
	if (eat(&c, "not found: "))
		return found(o, LOGLINE_UNKNOWN_RCPT, "validrcptto-7", ip,
			     ok && upto(&c, NULL, o->rcpt, sizeof(o->rcpt)));
	if (eat(&c, "excessive violations"))
		return found(o, LOGLINE_LIMIT, "validrcptto-7", ip, ok);
	return ok ? LOGLINE_NONE : found(o, LOGLINE_MALFORMED, "validrcptto-7", ip, false);
}

/* sagredo: "validrcptto: drop address <ADDR> at IP". */
static enum logline_kind sagredo(struct cur c, struct logline *o)
{
	char ip[64];

	if (!find(&c, "validrcptto: drop address "))
		return LOGLINE_NONE;
	return found(o, LOGLINE_UNKNOWN_RCPT, "sagredo", ip,
		     upto(&c, " at ", o->rcpt, sizeof(o->rcpt)) && upto(&c, NULL, ip, sizeof(ip)));
}

/* The value of " key=" in a key=value line, up to the next space. */
static bool kv(struct cur c, const char *key, char *out, size_t outlen)
{
	char pat[32];

	snprintf(pat, sizeof(pat), " %s=", key);
	return find(&c, pat) && (upto(&c, " ", out, outlen) || upto(&c, NULL, out, outlen));
}

/* sagredo: "qlogenvelope: result=rejected code=553 reason=validrcptto ...
 * rcptto=ADDR ... remoteip=IP". */
static enum logline_kind qlogenvelope(struct cur c, struct logline *o)
{
	char v[64], ip[64];
	bool ok;

	if (!find(&c, "qlogenvelope:"))
		return LOGLINE_NONE;
	c.p--;                  /* kv() wants the space before each key */
	if (!kv(c, "result", v, sizeof(v)) || strcmp(v, "rejected") != 0 ||
	    !kv(c, "reason", v, sizeof(v)) || strcmp(v, "validrcptto") != 0)
		return LOGLINE_NONE;
	ok = kv(c, "rcptto", o->rcpt, sizeof(o->rcpt)) && kv(c, "remoteip", ip, sizeof(ip));
	return found(o, LOGLINE_UNKNOWN_RCPT, "qlogenvelope", ip, ok);
}

/* chkuser: "CHKUSER rejected rcpt: from <...> remote <helo:host:IP> rcpt
 * <ADDR> : not existing recipient"; sagredo labels the fields
 * "remote <helo:H|remotehostname:N|remotehostip:IP>". The helo comes from
 * the client, so the address is found from the right. */
static enum logline_kind chkuser(struct cur c, struct logline *o)
{
	char remote[512], ip[64], *p;
	enum logline_kind k;
	bool ok;

	if (!find(&c, "CHKUSER "))
		return LOGLINE_NONE;
	if (eat(&c, "rejected rcpt: "))
		k = LOGLINE_UNKNOWN_RCPT;
	else if (eat(&c, "rejected intrusion: ") || eat(&c, "intrusion threshold: "))
		k = LOGLINE_LIMIT;
	else
		return LOGLINE_NONE;
	if (k == LOGLINE_UNKNOWN_RCPT) {
		struct cur d = c;

		if (!find(&d, " : not existing recipient"))
			return LOGLINE_NONE;
	}
	ok = find(&c, " remote <") && upto(&c, "> rcpt ", remote, sizeof(remote));
	if (ok && (p = strstr(remote, "remotehostip:")))
		p += strlen("remotehostip:");
	else if (ok && (p = strchr(remote, ':')) && (p = strchr(p + 1, ':')))
		p++;            /* helo:host:IP, where IP may hold colons itself */
	else
		ok = false;
	if (ok) {
		snprintf(ip, sizeof(ip), "%s", p);
		ok = upto(&c, " : ", o->rcpt, sizeof(o->rcpt)) || upto(&c, NULL, o->rcpt,
									 sizeof(o->rcpt));
	}
	return found(o, k, "chkuser", ok ? ip : "", ok);
}

/* "rblsmtpd: IP pid N: 451 text" */
static enum logline_kind rblsmtpd(struct cur c, struct logline *o)
{
	char ip[64];

	if (!find(&c, "rblsmtpd: "))
		return LOGLINE_NONE;
	return found(o, LOGLINE_DNSBL, "rblsmtpd", ip,
		     upto(&c, " pid ", ip, sizeof(ip)) && find(&c, ": "));
}

enum logline_kind logline_parse(const char *line, size_t len, int year, struct logline *out)
{
	static enum logline_kind (*const parsers[])(struct cur, struct logline *) = {
		validrcptto_7, sagredo, qlogenvelope, validrcptto_2006, chkuser, rblsmtpd,
	};
	struct cur c = { line, line + (len > LINE_MAX_LEN ? LINE_MAX_LEN : len) };

	memset(out, 0, sizeof(*out));
	if (!tai64n(&c, &out->when))
		syslog_stamp(&c, year, &out->when);
	for (size_t i = 0; i < sizeof(parsers) / sizeof(parsers[0]); i++) {
		enum logline_kind k = parsers[i](c, out);

		if (k != LOGLINE_NONE)
			return k;
		out->rcpt[0] = 0;
	}
	return out->kind = LOGLINE_NONE;
}

bool logline_duplicate(struct logline_dedupe *d, const struct logline *l)
{
	bool pair = l->format && (strcmp(l->format, "sagredo") == 0 ||
				  strcmp(l->format, "qlogenvelope") == 0);
	bool dup = pair && d->format && strcmp(d->format, l->format) != 0 &&
		   !memcmp(&d->client, &l->client, sizeof(l->client)) &&
		   strcmp(d->rcpt, l->rcpt) == 0;

	d->format = pair && !dup ? l->format : NULL;
	d->client = l->client;
	snprintf(d->rcpt, sizeof(d->rcpt), "%s", l->rcpt);
	return dup;
}
