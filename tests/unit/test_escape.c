/* test_escape.c - term_escape() and term_escape_utf8() on hostile bytes:
 * nothing that acts on a terminal comes out, nothing is lost, and a cut
 * never splits an escape or a character; term_width() counts columns. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>
#include "escape.h"
#include "tap.h"

/* Undo term_escape(); -1 on anything it never writes. */
static int unescape(const char *s, char *out)
{
	size_t n = 0;

	for (; *s; s++) {
		if (*s != '\\') {
			out[n++] = *s;
			continue;
		}
		if (s[1] == '\\') {
			out[n++] = '\\';
			s++;
		} else if (s[1] == 'x' && s[2] && s[3]) {
			char hex[3] = { s[2], s[3], 0 };

			out[n++] = (char)strtoul(hex, NULL, 16);
			s += 3;
		} else {
			return -1;
		}
	}
	out[n] = '\0';
	return 0;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || (unsigned char)*s > '~')
			return false;
	return true;
}

/* Printable ASCII, or well-formed UTF-8 of characters that print (the
 * oracle: ICU's general category, C* and Zl/Zp excluded). */
static bool printable_utf8(const char *s)
{
	int32_t i = 0, n = (int32_t)strlen(s);

	while (i < n) {
		UChar32 c;
		int8_t t;

		U8_NEXT(s, i, n, c);
		if (c < 0 || (c < 0x80 && (c < ' ' || c > '~')))
			return false;
		t = u_charType(c);
		if (c >= 0x80 && (t == U_CONTROL_CHAR || t == U_FORMAT_CHAR || t == U_UNASSIGNED ||
				  t == U_PRIVATE_USE_CHAR || t == U_SURROGATE ||
				  t == U_LINE_SEPARATOR || t == U_PARAGRAPH_SEPARATOR))
			return false;
	}
	return true;
}

/* term_escape_utf8(): hostile examples stay escaped, text stays text,
 * random bytes (many valid UTF-8 sequences among them) come back whole. */
static void utf8_properties(void)
{
	static const struct { const char *in, *out; } ex[] = {
		{ "stra\xc3\x9f" "e@example.com", "stra\xc3\x9f" "e@example.com" },
		{ "\xe5\xb1\xb1\xe7\x94\xb0", "\xe5\xb1\xb1\xe7\x94\xb0" },
		{ "\xc2\x9b" "31m", "\\xc2\\x9b31m" },                /* C1 CSI */
		{ "\xe2\x80\xae" "gnp", "\\xe2\\x80\\xaegnp" },         /* bidi override */
		{ "a\xe2\x80\xa8" "b", "a\\xe2\\x80\\xa8b" },           /* line separator */
		{ "\xc0\xaf", "\\xc0\\xaf" },                          /* overlong '/' */
		{ "\xed\xa0\x80", "\\xed\\xa0\\x80" },                 /* surrogate */
		{ "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80" },        /* past U+10FFFF */
		{ "\xee\x80\x80", "\\xee\\x80\\x80" },                 /* private use */
		{ "\x1b[2J", "\\x1b[2J" },
	};
	char in[256], out[1100], back[256];
	bool all_printable = true, all_back = true, cuts_ok = true;
	unsigned seed = 18;

	for (size_t i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		term_escape_utf8(ex[i].in, out, sizeof(out));
		ok(strcmp(out, ex[i].out) == 0, "utf8 example %zu comes out as %s", i, out);
	}
	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t)rand_r(&seed) % 60, n, cut;

		/* Lead and continuation bytes often, so that real characters of
		 * every length appear between the junk. */
		for (size_t i = 0; i < len; i++) {
			int r = rand_r(&seed) % 4;

			in[i] = (char)(r == 0 ? 1 + rand_r(&seed) % 255 : r == 1 ? 0x80 + rand_r(&seed) % 64 :
				       r == 2 ? 0xc2 + rand_r(&seed) % 51 : 'a' + rand_r(&seed) % 26);
		}
		in[len] = '\0';
		n = term_escape_utf8(in, out, sizeof(out));
		all_printable &= n == strlen(out) && printable_utf8(out);
		all_back &= unescape(out, back) == 0 && strcmp(back, in) == 0;
		cut = (size_t)rand_r(&seed) % (n + 2);
		{
			char small[1100];
			size_t m = term_escape_utf8(in, small, cut);

			cuts_ok &= m == n && (!cut || (strncmp(small, out, strlen(small)) == 0 &&
				   strlen(small) < cut && unescape(small, back) == 0 &&
				   printable_utf8(small)));
		}
	}
	ok(all_printable, "20000 random strings: only printable ASCII and printable UTF-8 come out");
	ok(all_back, "20000 random strings: the escape gives back every byte");
	ok(cuts_ok, "a short buffer holds whole escapes and whole characters");
	ok(term_width("abc") == 3 && term_width("j\xc3\xb6rg") == 4 &&
	   term_width("\xe5\xb1\xb1\xe7\x94\xb0") == 4 && term_width("e\xcc\x81") == 1 &&
	   term_width("\xef\xbc\xa1") == 2 && term_width("\\xc3") == 4,
	   "columns: ASCII one, o-umlaut one, CJK two, a combining accent none, fullwidth two");
}

int main(void)
{
	/* What an attacker puts in a recipient or a DNSBL TXT to reach the
	 * admin's terminal, then random bytes. */
	static const char *const hostile[] = {
		"\x1b[2J\x1b[H", "\x1b]0;owned\x07", "\x1b]52;c;ZXZpbA==\x1b\\", "a\rb\bc\x7f",
		"\xc2\x9b" "31m", "\x9b" "31m", "\x9d" "0;x\x9c", "\xe2\x80\xae" "gnp.exe", "\xff\xfe",
		"back\\slash", "plain@example.com",
	};
	char in[256], out[1100], back[256];
	bool all_printable = true, all_back = true, cuts_ok = true;
	unsigned seed = 15;

	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		size_t n = term_escape(hostile[i], out, sizeof(out));

		ok(n == strlen(out) && printable(out) && unescape(out, back) == 0 &&
		   strcmp(back, hostile[i]) == 0, "hostile example %zu comes out as %s", i, out);
	}
	ok(strcmp((term_escape("a\\b", out, sizeof(out)), out), "a\\\\b") == 0,
	   "a backslash is doubled, so output reads one way");
	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t)rand_r(&seed) % 200, n, cut;

		for (size_t i = 0; i < len; i++)
			in[i] = (char)(1 + rand_r(&seed) % 255);
		in[len] = '\0';
		n = term_escape(in, out, sizeof(out));
		all_printable &= n == strlen(out) && printable(out);
		all_back &= unescape(out, back) == 0 && strcmp(back, in) == 0;
		/* Cut short: a prefix of the full escape, ending between escapes. */
		cut = (size_t)rand_r(&seed) % (n + 2);
		{
			char small[1100];
			size_t m = term_escape(in, small, cut);

			cuts_ok &= m == n && (!cut || (strncmp(small, out, strlen(small)) == 0 &&
				   strlen(small) < cut && unescape(small, back) == 0));
		}
	}
	ok(all_printable, "20000 random strings: only printable ASCII comes out");
	ok(all_back, "20000 random strings: the escape gives back every byte");
	ok(cuts_ok, "a short buffer holds a whole-escape prefix, NUL-terminated");
	ok(term_escape("x", NULL, 0) == 1, "the length alone, with no buffer");
	utf8_properties();
	return tap_done();
}
