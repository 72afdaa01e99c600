/* test_escape.c - term_escape() on hostile bytes: nothing that acts on a
 * terminal comes out, nothing is lost, and a cut never splits an escape. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
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
	return tap_done();
}
