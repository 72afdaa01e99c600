/* escape.c - percent-escaping of single fields. */
#include <stdio.h>
#include <string.h>
#include "escape.h"

void pct_encode(const char *in, char *out, size_t outlen)
{
	size_t n = 0;

	if (outlen < 2)
		return;
	if (!*in || strcmp(in, "-") == 0) {
		snprintf(out, outlen, *in ? "%%2D" : "-");
		return;
	}
	for (; *in && n + 4 <= outlen; in++) {
		unsigned char c = (unsigned char)*in;

		if (c <= ' ' || c >= 127 || c == '%' || c == '=')
			n += (size_t)snprintf(out + n, outlen - n, "%%%02X", c);
		else
			out[n++] = (char)c;
	}
	out[n] = '\0';
}

static int hex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 :
	       c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int pct_decode(char *s)
{
	char *w = s;

	if (strcmp(s, "-") == 0) {
		*s = '\0';
		return 0;
	}
	for (char *r = s; *r; r++) {
		if (*r != '%') {
			*w++ = *r;
			continue;
		}
		if (hex(r[1]) < 0 || hex(r[2]) < 0 || (hex(r[1]) == 0 && hex(r[2]) == 0))
			return -1;
		*w++ = (char)(hex(r[1]) * 16 + hex(r[2]));
		r += 2;
	}
	*w = '\0';
	return 0;
}

size_t term_escape(const char *in, char *out, size_t outlen)
{
	size_t n = 0;

	for (; *in; in++) {
		unsigned char c = (unsigned char)*in;
		char e[5];
		size_t len = c == '\\' ? 2 : c >= ' ' && c < 127 ? 1 : 4;

		if (len == 4)
			snprintf(e, sizeof(e), "\\x%02x", c);
		else
			e[0] = e[1] = (char)c;
		if (n + len < outlen)
			memcpy(out + n, e, len);
		else if (n < outlen)
			out[n] = '\0', outlen = n;     /* cut between escapes, never inside */
		n += len;
	}
	if (n < outlen)
		out[n] = '\0';
	return n;
}
