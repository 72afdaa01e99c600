/* recipients_compile.h - build the recipients CDB from text sources: one
 * address per line, "@domain" for a catch-all, "-address" (or "-@domain")
 * for a negative entry, "#" comment lines. A negative entry wins over a
 * positive one for the same key. */
#ifndef RG_RECIPIENTS_COMPILE_H
#define RG_RECIPIENTS_COMPILE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

struct compile_stats {
	size_t addresses, catchalls, negatives, domains, duplicates;
};

struct compile_src {
	const char *name;       /* for messages: a path or "-" */
	FILE *f;
};

/* Reads every source; any bad line is reported on errf as NAME:LINE and
 * nothing is written. Otherwise writes out atomically (temp file, fsync,
 * rename) with exactly mode, whatever the umask: the daemon runs as
 * another user and must read it. Returns 0, or -1. */
int recipients_compile(const struct compile_src *src, size_t nsrc, const char *out,
		       mode_t mode, struct compile_stats *st, FILE *errf);

#endif
