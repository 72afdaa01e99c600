/* escape.h - percent-escaping for one-line fields (state file, control
 * protocol): '%', spaces, tabs, control bytes and non-ASCII become %XX, so
 * a value never splits a line or a field; "" is written as "-". And text
 * for a terminal, where bytes from the network must not act. */
#ifndef RG_ESCAPE_H
#define RG_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

/* Escape in into out (3 * strlen(in) + 2 bytes is always enough). */
void pct_encode(const char *in, char *out, size_t outlen);
/* Decode in place; -1 on a malformed escape. */
int pct_decode(char *s);

/* Printable ASCII stays, a backslash is doubled, any other byte is \xHH: no
 * escape sequence, control byte or invalid UTF-8 reaches the screen.
 * Returns the length of the whole escape (as snprintf does); out (may be
 * NULL when outlen is 0) gets as much as fits, NUL-terminated, never cut
 * inside an escape or a character. */
size_t term_escape(const char *in, char *out, size_t outlen);

/* The same, but a well-formed UTF-8 character that prints stays as it is
 * (not a C1 control, a format character such as a bidi override, a line
 * or paragraph separator, unassigned, private use): for text the admin
 * wrote, on a terminal that shows UTF-8. */
size_t term_escape_utf8(const char *in, char *out, size_t outlen);

/* The columns term_escape()'s (or term_escape_utf8()'s) output takes on a terminal: combining marks
 * none, East Asian wide and fullwidth characters two. */
size_t term_width(const char *s);

#endif
