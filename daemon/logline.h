/* logline.h - what a line of an MTA's log says about a client: the
 * rejections of validrcptto (2006 and jms1 7.08), sagredo's qmail
 * (validrcptto and qlogenvelope), chkuser, and the DNSBL blocks of
 * rblsmtpd (djb's, or patched to name the list or to log through syslog)
 * and of the badiprbl patch, after a multilog tai64n stamp, a syslog
 * header or nothing. Pure: no I/O. */
#ifndef RG_LOGLINE_H
#define RG_LOGLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "rcptguard.h"

#define LOGLINE_MAX 65536       /* longer lines are read as head and end */

/* The shortest cut a syslog pipeline makes: qmail's splogger sends the
 * first 799 bytes of a longer message as a record of its own (rsyslog
 * cuts at 8 KB, journald at 48 KB). A line without a multilog stamp whose
 * message is this long may be such a head, ending in the client's text:
 * the formats that find the address from the line's end call it
 * ambiguous. */
#define LOGLINE_SYSLOG_CUT 799

enum logline_kind {
	LOGLINE_NONE,           /* not a line we know: ignored */
	LOGLINE_MALFORMED,      /* one of ours, but the address where the MTA writes it is bad */
	LOGLINE_AMBIGUOUS,      /* one of ours that reads two ways: nobody is blamed */
	LOGLINE_UNKNOWN_RCPT,   /* a recipient that does not exist */
	LOGLINE_LIMIT,          /* the MTA gave up on the client: too many of them */
	LOGLINE_DNSBL,          /* rblsmtpd turned the client away */
};

struct logline {
	enum logline_kind kind;
	const char *format;     /* "validrcptto", "validrcptto-7", "sagredo", "qlogenvelope",
				   "chkuser", "rblsmtpd", "rblsmtpd-syslog", "badiprbl" */
	struct rg_addr client;
	char rcpt[256];         /* "" when the line names none */
	uint64_t when;          /* unix seconds from the line's stamp; 0 when it has none */
};

/* Parse one line (without its newline; need not be NUL-terminated).
 * The client is blamed only for a line whose message starts with one
 * format's fixed text and whose address stands where that MTA writes it,
 * and, for a format read from the end, that no syslog cut can have made.
 * year: for syslog stamps, which have none (0: the current year). */
enum logline_kind logline_parse(const char *line, size_t len, int year, struct logline *out);

/* sagredo's qmail logs one rejection twice ("validrcptto: drop address"
 * and "qlogenvelope: ... reason=validrcptto"): the second of such a pair
 * is a duplicate. Zero-initialise; one per stream of lines. */
struct logline_dedupe {
	const char *format;
	struct rg_addr client;
	char rcpt[256];
};
bool logline_duplicate(struct logline_dedupe *d, const struct logline *l);
const char *logline_kind_name(enum logline_kind k);

#endif
