/* recipients.h - "is this recipient real?" from a CDB with qmail-validrcptto
 * keys: lower-cased "user@domain", "@domain" for a catch-all domain; data
 * starting with '-' marks a negative entry. rcptguard also records the set
 * of domains it may judge (keys "\0domain", marker key "\0"), so that a
 * domain it does not know gets no verdict with one lookup, and, for a key
 * whose Unicode case folding differs, "\0" and the folded key with the same
 * data (rcpt_alias): qmail's readers never look those up. */
#ifndef RG_RECIPIENTS_H
#define RG_RECIPIENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

/* Longest key the compiler writes. */
#define RCPT_MAX 512
/* Longest address judged: more than any policy request can carry, so every
 * address that reaches the daemon is judged whatever its length. */
#define RCPT_INPUT_MAX 16384

enum rcpt_verdict {
	RCPT_VALID,             /* a key accepted it */
	RCPT_UNKNOWN,           /* our domain, no key: no such mailbox */
	RCPT_NEGATIVE,          /* the deciding key is a negative entry */
	RCPT_NOT_OURS,          /* a domain we do not judge: no verdict */
	RCPT_UNQUALIFIED,       /* no domain: the MTA adds its own; counted, not refused */
	RCPT_UNJUDGED,          /* a read error, more percent-hack hops than qmail's
				   form follows, or a route Postfix takes that is not
				   followed (route.h): no verdict */
};

/* Longest recipient_delimiter set. */
#define RCPT_DELIMS_MAX 15
/* Percent-hack hops qmail's form follows ("a%b%c@ours" is two); more: no
 * verdict. Postfix's form follows every hop, as Postfix does. */
#define RCPT_PERCENT_HOPS 8

/* How the MTA that asked turns an address into a mailbox (docs/postfix.md):
 * the daemon keeps one for Postfix's requests and one for qmail's. */
struct rcpt_form {
	bool postfix;           /* Postfix: full Unicode case folding (casefold.h;
				   ASCII only for what is not UTF-8), the percent
				   hack routed before any lookup. qmail: ASCII
				   lower-casing, the address as sent first */
	bool percent_hack;      /* "user%other@ours" is "user@other" */
	bool swap_bangpath;     /* Postfix: "other!user@ours" is "user@other" */
	bool resolve_dequoted;  /* Postfix: '@' '%' '!' in a quoted local part
				   ("\"user@other\"@ours") route too */
	char delimiters[RCPT_DELIMS_MAX + 1];   /* Postfix's recipient_delimiter set:
						   "user+ext@" is "user@" unless it
						   has a key of its own; "" none */
};

/* Read a private copy of a CDB (cdb_load.h: a file changed under the
 * daemon cannot crash it) and check it whole. On error returns NULL with a
 * reason in err. */
struct recipients *recipients_open(const char *path, char *err, size_t errlen);
void recipients_close(struct recipients *r);

/* Judge addr (as sent, as qmail parsed it, or in Postfix's internal form)
 * the way form delivers it. The deciding key, if any, is copied into key
 * (RCPT_MAX + 16 bytes). A bare "postmaster" is valid (RFC 5321 4.5.1).
 * Postfix's form folds the whole address (domains too) and routes it as
 * Postfix's resolver does (route.h) before any lookup; qmail's routes the
 * percent hack "user%other@ours" to "user@other" only when no key decides
 * the address as sent. Either way, hop by hop while the domain is ours:
 * routed to a domain we do not judge (or none) it is not ours. A valid
 * verdict under either folding wins: Postfix's form never refuses what
 * qmail's accepts. */
enum rcpt_verdict recipients_lookup(struct recipients *r, const char *addr,
				    const struct rcpt_form *form, char *key, size_t keylen);

/* The key under which Unicode-folding lookups find the compiled key k
 * (normalised, ASCII lower-cased, at most RCPT_MAX bytes): "\0" and k
 * folded, written into out (RCPT_MAX + 2 bytes). Returns its length, 0
 * when k is its own folding or not UTF-8 (lookups find k itself), -1 when
 * the folding is longer than RCPT_MAX. The compiler writes these next to
 * the keys. */
ssize_t rcpt_alias(const char *k, char *out);

const char *rcpt_verdict_name(enum rcpt_verdict v);

/* The lookup form of an address, as qmail-smtpd parses it: <> and a
 * source route (@a,@b:) removed, quotes and backslash escapes removed,
 * lower-cased, trailing dots of the domain dropped, an address literal
 * written canonically ("[192.0.2.1]", "[ipv6:2001:db8::1]") when that fits
 * in RCPT_INPUT_MAX bytes. out holds RCPT_INPUT_MAX + 1 bytes. Returns the
 * length, 0 (out empty) if empty or too long. */
size_t rcpt_normalise(const char *in, char *out);

/* The domain d (n bytes, lower-case) as lookups compare it, into out
 * (RCPT_MAX + 1 bytes): trailing dots dropped, an address literal written
 * canonically. Returns its length; 0 when it is empty or longer than any
 * domain of ours. */
size_t rcpt_domain(const char *d, size_t n, char *out);

/* The canonical form of an address literal "[...]" (lower-case input) of
 * n bytes into out (at least 64 bytes): its length, or 0 if it is not an
 * IPv4 or "ipv6:" literal. */
size_t rcpt_literal(const char *in, size_t n, char *out);

/* A file's identity, to notice when it has been replaced. */
struct file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

int file_id_of(const char *path, struct file_id *id);
bool file_id_eq(const struct file_id *a, const struct file_id *b);
/* The identity of the file r was opened from. */
const struct file_id *recipients_id(const struct recipients *r);

/* Counts recorded at open (for logs, the shrink check and the CLI): the
 * domains judged, and the keys (rcptguard's own domain records aside). */
size_t recipients_domains(const struct recipients *r);
size_t recipients_keys(const struct recipients *r);

#endif
