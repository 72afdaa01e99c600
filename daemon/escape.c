/* escape.c - percent-escaping of single fields, and text for a terminal. */
#include <stdio.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>
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

/* The length of the printable UTF-8 character at s (of at most n bytes),
 * 0 if there is none. */
static size_t printable_char(const char *s, size_t n)
{
	int32_t i = 0;
	UChar32 c;
	int8_t t;

	U8_NEXT(s, i, (int32_t)(n < 4 ? n : 4), c);
	if (c < 0x80)
		return 0;               /* not UTF-8, or ASCII (the caller's) */
	t = u_charType(c);
	return t == U_CONTROL_CHAR || t == U_FORMAT_CHAR || t == U_LINE_SEPARATOR ||
	       t == U_PARAGRAPH_SEPARATOR || t == U_UNASSIGNED || t == U_PRIVATE_USE_CHAR ||
	       t == U_SURROGATE ? 0 : (size_t)i;
}

static size_t escape(const char *in, char *out, size_t outlen, bool utf8)
{
	size_t n = 0, rest = strlen(in);

	while (rest) {
		unsigned char c = (unsigned char)*in;
		size_t take = c >= 0x80 && utf8 ? printable_char(in, rest) : 0, len = take;
		char e[5];
		const char *from = in;

		if (!take) {
			take = 1;
			len = c == '\\' ? 2 : c >= ' ' && c < 127 ? 1 : 4;
			if (len == 4)
				snprintf(e, sizeof(e), "\\x%02x", c);
			else
				e[0] = e[1] = (char)c;
			from = e;
		}
		if (n + len < outlen)
			memcpy(out + n, from, len);
		else if (n < outlen)
			out[n] = '\0', outlen = n;     /* cut between escapes, never inside */
		n += len;
		in += take;
		rest -= take;
	}
	if (n < outlen)
		out[n] = '\0';
	return n;
}

size_t term_escape(const char *in, char *out, size_t outlen)
{
	return escape(in, out, outlen, false);
}

size_t term_escape_utf8(const char *in, char *out, size_t outlen)
{
	return escape(in, out, outlen, true);
}

size_t term_width(const char *s)
{
	int32_t i = 0, n = (int32_t)strlen(s);
	size_t w = 0;

	while (i < n) {
		UChar32 c;
		int8_t t;
		int ea;

		U8_NEXT(s, i, n, c);
		if (c < 0x80) {
			w++;
			continue;
		}
		t = u_charType(c);
		ea = u_getIntPropertyValue(c, UCHAR_EAST_ASIAN_WIDTH);
		w += t == U_NON_SPACING_MARK || t == U_ENCLOSING_MARK || t == U_FORMAT_CHAR ? 0 :
		     ea == U_EA_WIDE || ea == U_EA_FULLWIDTH ? 2 : 1;
	}
	return w;
}
