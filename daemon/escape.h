/* escape.h - percent-escaping for one-line fields (state file, control
 * protocol): '%', spaces, tabs, control bytes and non-ASCII become %XX, so
 * a value never splits a line or a field; "" is written as "-". */
#ifndef RG_ESCAPE_H
#define RG_ESCAPE_H

#include <stddef.h>

/* Escape in into out (3 * strlen(in) + 2 bytes is always enough). */
void pct_encode(const char *in, char *out, size_t outlen);
/* Decode in place; -1 on a malformed escape. */
int pct_decode(char *s);

#endif
