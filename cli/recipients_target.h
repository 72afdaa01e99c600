/* recipients_target.h - the recipients CDB written for one reader: rcptguard
 * (and jms1's validrcptto 7.08, which reads the same keys), sagredo's qmail
 * (morevalidrcptto.cdb), or the 2006 validrcptto.cdb patch. Each writer
 * takes the compiler's entries and writes its reader's keys, so that
 * reader's lookup gives rcptguard's verdicts; what it cannot express is a
 * warning (or, for the 2006 patch, an error). */
#ifndef RG_RECIPIENTS_TARGET_H
#define RG_RECIPIENTS_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* One key as rcptguard stores it (lower-cased "user@domain",
 * "prefix-default@domain" or "@domain"), negative or not. */
struct rcpt_entry {
	char *key;
	bool neg;
};

/* Sorted by key, each key once. */
struct rcpt_entries {
	struct rcpt_entry *v;
	size_t n, cap;
};

struct compile_stats {
	size_t addresses, catchalls, negatives, domains, duplicates;
	size_t keys;            /* records written */
	size_t implied;         /* negative entries no key needs to say (2006) */
	size_t dropped;         /* negative entries left out (--drop-negative) */
	size_t warnings;
};

enum compile_target { TARGET_RCPTGUARD, TARGET_SAGREDO, TARGET_VALIDRCPTTO_2006 };

/* The target called name ("rcptguard", "sagredo", "validrcptto-2006"):
 * 0, or -1. */
int target_by_name(const char *name, enum compile_target *t);
const char *target_name(enum compile_target t);

/* Write e for t as a CDB on fd (at offset 0; name, for messages). Counts
 * into st; warnings go to errf as "rcptguard: warning: ..." lines.
 * Returns 0; -1 after saying why on errf (a write error, or for the 2006
 * patch negative entries it cannot express, unless drop_negative). */
int target_write(enum compile_target t, int fd, const char *name, const struct rcpt_entries *e,
		 bool drop_negative, struct compile_stats *st, FILE *errf);

#endif
