/* test_prometheus.c - the text format's pieces: labels stay well formed
 * whatever their value and room, each family gets one HELP and TYPE (a
 * histogram's three sample names too), values print as Prometheus reads
 * them, histogram buckets are cumulative. */
#include <stdlib.h>
#include <string.h>
#include "prometheus.h"
#include "tap.h"

/* buf is key="..." with every quote, backslash and newline of the value
 * escaped, and what it decodes to is a prefix of value. */
static int label_ok(const char *buf, const char *key, const char *value)
{
	size_t k = strlen(key), n = strlen(buf), j = 0;

	if (n < k + 3 || strncmp(buf, key, k) != 0 || buf[k] != '=' || buf[k + 1] != '"' ||
	    buf[n - 1] != '"')
		return 0;
	for (size_t i = k + 2; i < n - 1; i++) {
		char c = buf[i];

		if (c == '"' || c == '\n')
			return 0;
		if (c == '\\') {
			if (++i >= n - 1)
				return 0;       /* the closing quote would be escaped */
			c = buf[i] == 'n' ? '\n' : buf[i];
			if (c != '\\' && c != '"' && c != '\n')
				return 0;
		}
		if (value[j++] != c)
			return 0;
	}
	return 1;
}

/* Is s valid UTF-8 (as far as sequence lengths go)? */
static int utf8_whole(const char *s)
{
	while (*s) {
		unsigned char c = (unsigned char)*s++;
		int more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;

		for (; more; more--)
			if (((unsigned char)*s++ & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

static void hostile_labels(void)
{
	static const char *const tokens[] = {
		"a", "b", "\"", "\\", "\n", "{", "}", "=", ",", " ", "\xc3\xa9", "\xe2\x82\xac",
		"\xf0\x9f\x98\x80",
	};
	char value[256], buf[48];
	int bad = 0, cut = 0;

	srand(19);
	for (int round = 0; round < 20000; round++) {
		size_t room = 9 + (size_t)(rand() % 40), ntok = (size_t)(rand() % 60);

		value[0] = '\0';
		for (size_t i = 0; i < ntok; i++)
			strcat(value, tokens[rand() % (sizeof(tokens) / sizeof(tokens[0]))]);
		prom_label(buf, room, "file", value);
		if (!label_ok(buf, "file", value) || strlen(buf) >= room || !utf8_whole(buf))
			bad++;
		cut += strlen(buf) < strlen(value);
	}
	ok(bad == 0, "20000 hostile label values: each label is whole, escaped, valid UTF-8 and "
	   "fits (%d bad)", bad);
	ok(cut > 0, "some were cut, inside their quotes");
	prom_label(buf, 4, "file", "x");
	ok(buf[0] == '\0', "no room for the key: an empty string, not half a label");
}

/* Is s well-formed UTF-8 by RFC 3629's table (no overlong form, no
 * surrogate, nothing past U+10FFFF, no stray continuation byte)? */
static int utf8_strict(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s) {
		unsigned char c = *s;
		int more = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 :
			   c >= 0xf0 && c <= 0xf4 ? 3 : -1;
		unsigned lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
		unsigned hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;

		if (more < 0)
			return 0;
		s++;
		for (int i = 0; i < more; i++, s++)
			if (*s < (i ? 0x80 : lo) || *s > (i ? 0xbf : hi))
				return 0;
	}
	return 1;
}

/* Bytes that start no character, or a broken one, next to the bytes that
 * would end the label or the line: the output is still one label of valid
 * UTF-8 with nothing unescaped in it. */
static void broken_utf8_labels(void)
{
	static const char *const tokens[] = {
		"a", "\"", "\\", "\n", "\xc3", "\xe2\x82", "\xf0\x9f\x98", "\x80", "\xbf", "\xf8",
		"\xff", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc3\xa9",
	};
	char value[512], buf[96];
	int bad = 0;

	srand(23);
	for (int round = 0; round < 20000; round++) {
		size_t room = 9 + (size_t)(rand() % 80), ntok = (size_t)(rand() % 40);

		value[0] = '\0';
		for (size_t i = 0; i < ntok; i++)
			strcat(value, tokens[rand() % (sizeof(tokens) / sizeof(tokens[0]))]);
		prom_label(buf, room, "file", value);
		size_t n = strlen(buf);
		int shape = n >= 7 && strncmp(buf, "file=\"", 6) == 0 && buf[n - 1] == '"';

		for (size_t i = 6; shape && i + 1 < n; i++) {
			if (buf[i] == '\n' || buf[i] == '"')
				shape = 0;
			else if (buf[i] == '\\')
				shape = ++i + 1 < n && (buf[i] == '\\' || buf[i] == '"' || buf[i] == 'n');
		}
		bad += !shape || !utf8_strict(buf) || n >= room;
	}
	ok(bad == 0, "20000 label values with broken UTF-8 beside quotes and newlines: each label "
	   "is whole, escaped and valid UTF-8 (%d bad)", bad);
}

/* The samples a histogram gives, printed below as the CLI prints them. */
static struct {
	char name[64], labels[32];
	double v;
} s[PROM_BUCKETS + 3];
static size_t n;

static void keep(void *arg, const char *name, const char *help, const char *labels, double v)
{
	(void)arg, (void)help;
	snprintf(s[n].name, sizeof(s[n].name), "%s", name);
	snprintf(s[n].labels, sizeof(s[n].labels), "%s", labels);
	s[n++].v = v;
}

static void families(void)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct prom_histogram h = { 0 };
	const char *prev = NULL;

	prom_observe(&h, 0.0003, 2);
	prom_observe(&h, 2, 1);
	ok(h.bucket[0] == 0 && h.bucket[2] == 2 && h.bucket[PROM_BUCKETS - 1] == 2 && h.count == 3,
	   "buckets are cumulative; 2 s is only in +Inf");
	prom_histogram(&h, "rg_reaction_seconds", "help", keep, NULL);
	prom_sample(f, NULL, "rg_a_total", "a\\b\nc", "", 5);
	prev = "rg_a_total";
	for (size_t i = 0; i < n; i++, prev = s[i - 1].name)
		prom_sample(f, prev, s[i].name, "help", s[i].labels, s[i].v);
	prom_sample(f, prev, "rg_reaction_seconds_max", "m", "", 1);
	fclose(f);
	ok(strstr(out, "# HELP rg_a_total a\\\\b\\nc\n# TYPE rg_a_total counter\nrg_a_total 5\n") != NULL,
	   "HELP text escapes backslash and newline; _total is a counter");
	ok(strstr(out, "# HELP rg_reaction_seconds help\n# TYPE rg_reaction_seconds histogram\n"
		       "rg_reaction_seconds_bucket{le=\"0.0001\"} 0\n") != NULL &&
	   strstr(out, "rg_reaction_seconds_bucket{le=\"+Inf\"} 3\nrg_reaction_seconds_sum 2.0006\n"
		       "rg_reaction_seconds_count 3\n# HELP rg_reaction_seconds_max m\n"
		       "# TYPE rg_reaction_seconds_max gauge\n") != NULL,
	   "one HELP and TYPE for the histogram's samples:\n%s", out);
	free(out);
}

static void values(void)
{
	char v[PROM_VALUE_LEN];

	ok(strcmp(prom_value(v, sizeof(v), 0), "0") == 0, "0");
	ok(strcmp(prom_value(v, sizeof(v), 9007199254740992.0), "9007199254740992") == 0,
	   "2^53 whole: %s", v);
	ok(strcmp(prom_value(v, sizeof(v), 1e20), "1e+20") == 0, "beyond 2^64: %s", v);
	ok(strcmp(prom_value(v, sizeof(v), 0.000125), "0.000125") == 0, "a fraction: %s", v);
	ok(strcmp(prom_value(v, sizeof(v), -1), "-1") == 0, "negative: %s", v);
}

int main(void)
{
	hostile_labels();
	broken_utf8_labels();
	families();
	values();
	return tap_done();
}
