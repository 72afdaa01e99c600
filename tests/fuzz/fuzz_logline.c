/* fuzz_logline.c - MTA log lines (every format, every stamp), and the
 * input as the client's text inside each field of a real line: it never
 * changes who is blamed (the client, or nobody when ambiguous). */
#include "fuzz.h"
#include "logline.h"

#define CLIENT "203.0.113.66"

/* A real line per format, "%s" where the client's text goes (one field at
 * a time: the others keep plain values). */
static const struct {
	const char *fmt;
	enum logline_kind kind;
} lines[] = {
	{ "@4000000069b2a5c4000000a1 qmail-smtpd: not in validrcptto: %s at " CLIENT,
	  LOGLINE_UNKNOWN_RCPT },
	{ "Nov 29 10:00:01 mx qmail-smtpd[1]: validrcptto [" CLIENT "] not found: %s",
	  LOGLINE_UNKNOWN_RCPT },
	{ "qmail-smtpd[1]: validrcptto: drop address <%s> at " CLIENT, LOGLINE_UNKNOWN_RCPT },
	{ "qlogenvelope: result=rejected code=553 reason=validrcptto detail= helo=%s "
	  "mailfrom=a@b rcptto=c@d relay=no rcpthosts=yes size= authuser= authtype= encrypted= "
	  "sslverified=no localip=192.0.2.1 localport=25 remoteip=" CLIENT " remoteport=4000 "
	  "remotehost=h.example qp=1 pid=1", LOGLINE_UNKNOWN_RCPT },
	{ "qlogenvelope: result=rejected code=553 reason=validrcptto detail= helo=h mailfrom=a@b "
	  "rcptto=%s relay=no rcpthosts=yes size= authuser= authtype= encrypted= "
	  "sslverified=no localip=192.0.2.1 localport=25 remoteip=" CLIENT " remoteport=4000 "
	  "remotehost=h.example qp= pid=1", LOGLINE_UNKNOWN_RCPT },
	{ "CHKUSER rejected rcpt: from <a@b::> remote <%s:h.example:" CLIENT "> rcpt <r@x> : "
	  "not existing recipient", LOGLINE_UNKNOWN_RCPT },
	{ "CHKUSER rejected rcpt: from <%s::> remote <e:h.example:" CLIENT "> rcpt <r@x> : "
	  "not existing recipient", LOGLINE_UNKNOWN_RCPT },
	{ "CHKUSER rejected rcpt: from <a@b::> remote <e:h.example:" CLIENT "> rcpt <%s> : "
	  "not existing recipient", LOGLINE_UNKNOWN_RCPT },
	{ "CHKUSER rejected rcpt: from <a@b|remoteinfo/auth:%s|chkuser-identify:> remote "
	  "<helo:e|remotehostname:h|remotehostip:" CLIENT "> rcpt <r@x> : not existing "
	  "recipient", LOGLINE_UNKNOWN_RCPT },
	{ "Mar 12 07:20:03 mx rblsmtpd: relays.example.org blocked " CLIENT " %s -", LOGLINE_DNSBL },
	{ "Mar 12 07:20:03 mx rblsmtpd[2]: relays.example.org blocked " CLIENT " h.example %s",
	  LOGLINE_DNSBL },
};

static void attack(const uint8_t *d, size_t n)
{
	static char text[8192], line[16384];
	struct logline l, client;
	const char *c = "rblsmtpd: " CLIENT " pid 1: 451 x";

	/* What qmail-smtpd can write: no newline, no NUL. */
	n = n < sizeof(text) - 1 ? n : sizeof(text) - 1;
	for (size_t i = 0; i < n; i++)
		text[i] = d[i] == '\n' || d[i] == 0 ? 'x' : (char)d[i];
	text[n] = 0;
	logline_parse(c, strlen(c), 0, &client);
	for (size_t i = 0; i < sizeof(lines) / sizeof(*lines); i++) {
		int len = snprintf(line, sizeof(line), lines[i].fmt, text);

		logline_parse(line, (size_t)len, 2026, &l);
		if (l.kind != LOGLINE_AMBIGUOUS &&
		    (l.kind != lines[i].kind || memcmp(&l.client, &client.client, sizeof(l.client))))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static struct logline_dedupe dd;
	struct logline l;

	/* Not NUL-terminated on purpose: the parser must stop at n. */
	if (logline_parse((const char *)d, n, 2026, &l) != l.kind)
		abort();
	if (l.kind != LOGLINE_NONE && l.kind != LOGLINE_MALFORMED &&
	    memchr(l.rcpt, 0, sizeof(l.rcpt)) == NULL)
		abort();
	logline_duplicate(&dd, &l);
	attack(d, n);
	return 0;
}
