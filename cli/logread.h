/* logread.h - read a log file line by line, plain, gzip or bzip2 (found
 * by its first bytes), for replay. */
#ifndef RG_LOGREAD_H
#define RG_LOGREAD_H

#include <stddef.h>
#include <stdint.h>

struct logread;

/* NULL with err on failure. */
struct logread *logread_open(const char *path, char *err, size_t errlen);
/* The next line without its newline and not NUL-terminated (*len its
 * length), or NULL at the end; an overlong line is kept as the daemon's
 * tail keeps it (linebuf.h). *err is set when the end came from an error. */
const char *logread_line(struct logread *r, size_t *len, char *err, size_t errlen);
/* Compressed bytes consumed so far, for progress. */
uint64_t logread_offset(struct logread *r);
void logread_close(struct logread *r);

#endif
