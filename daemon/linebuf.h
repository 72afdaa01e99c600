/* linebuf.h - one log line as it arrives in pieces, kept in at most
 * LOGLINE_MAX bytes: a longer line is kept as its first half, a newline
 * and its last bytes. qmail-smtpd writes the client's address near one end
 * and an unbounded HELO in the middle, so what is cut is the client's.
 * The follower (tail.c), replay (cli/logread.c) and logline_parse all
 * read an overlong line this one way, so they judge it alike. */
#ifndef RG_LINEBUF_H
#define RG_LINEBUF_H

#include <stdbool.h>
#include <stddef.h>
#include "logline.h"

struct linebuf {
	bool skipping;                  /* past LOGLINE_MAX: buf keeps the head, then a ring */
	size_t have;                    /* bytes in buf while not skipping */
	size_t ring_pos, ring_fill;     /* the ring of an overlong line's last bytes */
	char buf[LOGLINE_MAX];
};

void linebuf_clear(struct linebuf *b);
/* Append n bytes of the line (no newline among them). */
void linebuf_add(struct linebuf *b, const char *p, size_t n);
/* Put the line in order in b->buf and return its length; an overlong
 * one reads as head, '\n', end. Then linebuf_clear for the next line. */
size_t linebuf_end(struct linebuf *b);
/* Was the line longer than LOGLINE_MAX? */
bool linebuf_long(const struct linebuf *b);

#endif
