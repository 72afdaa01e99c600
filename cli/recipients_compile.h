/* recipients_compile.h - build the recipients CDB from text sources: one
 * address per line, "@domain" for a catch-all, "-address" (or "-@domain")
 * for a negative entry, "#" comment lines. A negative entry wins over a
 * positive one for the same key. */
#ifndef RG_RECIPIENTS_COMPILE_H
#define RG_RECIPIENTS_COMPILE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include "recipients_target.h"

struct compile_src {
	const char *name;       /* for messages: a path or "-" */
	FILE *f;
};

struct compile_opts {
	mode_t mode;
	enum compile_target target;     /* whose keys (recipients_target.h) */
	bool drop_negative;             /* validrcptto-2006: leave out what it cannot say */
};

/* Reads every source; any bad line is reported on errf as NAME:LINE and
 * nothing is written. Otherwise writes out for o->target atomically (temp
 * file, fsync, rename) with exactly o->mode, whatever the umask: the
 * daemon and qmail-smtpd run as other users and must read it. Returns 0,
 * or -1. */
int recipients_compile(const struct compile_src *src, size_t nsrc, const char *out,
		       const struct compile_opts *o, struct compile_stats *st, FILE *errf);

#endif
