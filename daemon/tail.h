/* tail.h - follow one log file as it is written: partial lines wait for
 * their end, a truncated file is read again from the start, and a
 * rotated one (multilog renames current to @....s and makes a new
 * current) is read to its end, then every file multilog rotated after it
 * in order, then the new file. The position is the byte after the last
 * whole line delivered, so it can be saved and resumed without reading a
 * line twice. */
#ifndef RG_TAIL_H
#define RG_TAIL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "linebuf.h"

/* A longer line is counted and delivered as linebuf keeps it: its first
 * half, a newline and its last half. */
#define TAIL_LINE_MAX LOGLINE_MAX

/* tail.err for a path that is there but is no regular file. */
#define TAIL_NOT_REGULAR (-1)

struct tail {
	char path[PATH_MAX];
	int fd;                         /* -1: not open */
	int err;                        /* why not open: an errno; 0 when the file is just
					   not there yet */
	dev_t dev;                      /* with fd -1 and ino set: the position to resume */
	ino_t ino;
	off_t off;                      /* after the last whole line delivered */
	off_t pend;                     /* bytes read of the line after off */
	uint64_t lines, long_lines, rotations, truncations;
	struct linebuf line;            /* the unfinished line after off */
};

typedef void (*tail_line_cb)(const char *line, size_t len, void *arg);

/* Start following path: from the saved position (dev, ino, off) when that
 * file is still there (as path, or rotated into the same directory), else
 * from the end of what exists now. ino 0: no saved position. A file that
 * cannot be read keeps the position for the next tail_poll. */
void tail_open(struct tail *t, const char *path, dev_t dev, ino_t ino, off_t off);
/* Deliver every whole line written since the last call; a file not open
 * is tried again (a file that appears or becomes readable is read from
 * its start, or from the kept position). */
void tail_poll(struct tail *t, tail_line_cb cb, void *arg);
void tail_close(struct tail *t);
/* Why the file cannot be read, or NULL. */
const char *tail_error(const struct tail *t);
/* The directory path is in. */
void tail_dir(const char *path, char *out, size_t len);

#endif
