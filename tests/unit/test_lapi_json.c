/* test_lapi_json.c - the LAPI stream parser and Go durations against
 * hostile input: every split of a stream into two feeds gives the same
 * decisions; random mutations, truncations, deep nesting, huge tokens and
 * wrong kinds never crash, never overrun a field and never hold more than
 * the token cap; 1.4.6's nulls and negative fractional durations parse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lapi_json.h"
#include "tap.h"

struct got {
	size_t n, deleted, bad;
	long long ids;
	char last_value[64], last_origin[32];
	int64_t last_ms;
	bool terminated;        /* every string field NUL-terminated within its array */
};

static bool terminated(const char *s, size_t size)
{
	return memchr(s, 0, size) != NULL;
}

static void on(const struct lapi_decision *d, void *arg)
{
	struct got *g = arg;

	g->n++;
	g->deleted += d->deleted;
	g->bad += d->bad;
	g->ids += d->id;
	g->last_ms = d->duration_ms;
	snprintf(g->last_value, sizeof(g->last_value), "%s", d->value);
	snprintf(g->last_origin, sizeof(g->last_origin), "%s", d->origin);
	g->terminated &= terminated(d->origin, sizeof(d->origin)) &&
			 terminated(d->type, sizeof(d->type)) &&
			 terminated(d->scope, sizeof(d->scope)) &&
			 terminated(d->value, sizeof(d->value)) &&
			 terminated(d->scenario, sizeof(d->scenario));
}

/* Parse buf in feeds cut at the given offsets; 0 if the whole was good. */
static int parse(const char *buf, size_t len, const size_t *cuts, size_t ncuts, struct got *g)
{
	struct lapi_stream *s = lapi_stream_new(on, g);
	char err[128];
	size_t at = 0;
	int rc = 0;

	memset(g, 0, sizeof(*g));
	g->terminated = true;
	for (size_t i = 0; i <= ncuts && rc == 0; i++) {
		size_t end = i < ncuts ? cuts[i] : len;

		rc = lapi_stream_feed(s, buf + at, end - at, err, sizeof(err));
		at = end;
	}
	if (rc == 0)
		rc = lapi_stream_end(s, err, sizeof(err));
	lapi_stream_free(s);
	return rc;
}

static const char sample[] =
	"{\"deleted\":[{\"duration\":\"-140.132264ms\",\"id\":1,\"origin\":\"cscli\","
	"\"scenario\":\"manual 'ban' from 'x'\",\"scope\":\"Ip\",\"type\":\"ban\","
	"\"value\":\"192.0.2.7\"}],\"new\":[{\"duration\":\"59m59.038473727s\",\"id\":2,"
	"\"origin\":\"crowdsec\",\"scenario\":\"crowdsecurity/ssh-bf\",\"scope\":\"Range\","
	"\"type\":\"ban\",\"value\":\"198.51.100.0/24\",\"uuid\":\"x\",\"extra\":{\"a\":[1,{}]}},"
	"{\"duration\":\"4h\",\"id\":3,\"origin\":\"lists\",\"scenario\":\"s\",\"scope\":\"Ip\","
	"\"type\":\"ban\",\"value\":\"2001:db8::1\"}]}";

static void durations(void)
{
	static const struct { const char *s; int64_t ms; } good[] = {
		{ "0", 0 }, { "4h", 14400000 }, { "59m59.038473727s", 3599038 },
		{ "-140.132264ms", -140 }, { "-8.2ms", -8 }, { "1h2m3.5s", 3723500 },
		{ "1.5h", 5400000 }, { "300ms", 300 }, { "2000000us", 2000 },
		{ "1000000000ns", 1000 }, { "3\xc2\xb5s", 0 }, { "+1s", 1000 }, { "1m0s", 60000 },
	};
	static const char *const bad[] = {
		"", "-", "h", "1", "1x", "1.s2", "s", "1h-2m", "1hh", "99999999999999999999h",
		"2562048h", ".s", "1 h", "1h ", "--1s", "1e3s",
	};
	int64_t ms;
	bool all = true;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		bool r = lapi_go_duration(good[i].s, &ms) == 0 && ms == good[i].ms;

		if (!r)
			printf("# %s -> %lld\n", good[i].s, (long long)ms);
		all &= r;
	}
	ok(all, "Go durations: fractions, negatives, every unit, sums of units");
	all = true;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool r = lapi_go_duration(bad[i], &ms) < 0;

		if (!r)
			printf("# accepted: '%s'\n", bad[i]);
		all &= r;
	}
	ok(all, "malformed and overflowing durations are refused");
	/* Random strings over the duration alphabet: never a crash, and an
	 * accepted one is never beyond the overflow guard. */
	srand(7);
	all = true;
	for (int i = 0; i < 200000; i++) {
		static const char alpha[] = "0123456789.-+hmsun\xc2\xb5 ";
		char s[24];
		size_t n = (size_t)rand() % (sizeof(s) - 1);

		for (size_t k = 0; k < n; k++)
			s[k] = alpha[rand() % (int)(sizeof(alpha) - 1)];
		s[n] = 0;
		if (lapi_go_duration(s, &ms) == 0)
			all &= ms < INT64_MAX / 2000000 && ms > -(INT64_MAX / 2000000);
	}
	ok(all, "200000 random duration strings: no crash, no overflow");
}

static void splits(void)
{
	size_t len = strlen(sample);
	struct got g;
	bool all = true;

	ok(parse(sample, len, NULL, 0, &g) == 0 && g.n == 3 && g.deleted == 1 && g.ids == 6 &&
	   !strcmp(g.last_value, "2001:db8::1") && g.last_ms == 14400000 && g.bad == 0,
	   "a 1.4.6 stream: deleted and new, unknown keys and nested extras skipped");
	for (size_t a = 0; a <= len; a++) {
		size_t cuts[2] = { a, a + (len - a) / 2 };

		all &= parse(sample, len, cuts, 2, &g) == 0 && g.n == 3 && g.ids == 6 &&
		       !strcmp(g.last_origin, "lists");
	}
	ok(all, "every split into three feeds gives the same decisions");
}

static void shapes(void)
{
	static const struct { const char *json; int rc; size_t n; const char *what; } cases[] = {
		{ "{\"deleted\":null,\"new\":null}", 0, 0, "1.4.6's null lists" },
		{ "{\"new\":[],\"deleted\":[]}", 0, 0, "empty lists" },
		{ "{}", 0, 0, "an empty object" },
		{ "[]", -1, 0, "a list at the top" },
		{ "\"x\"", -1, 0, "a string at the top" },
		{ "{\"new\":{}}", -1, 0, "new as an object" },
		{ "{\"new\":\"x\"}", -1, 0, "new as a string" },
		{ "{\"new\":[]}{}", -1, 0, "trailing garbage" },
		{ "{\"new\":[", -1, 0, "cut short" },
		{ "", -1, 0, "an empty body" },
		{ "<html>502 Bad Gateway</html>", -1, 0, "a proxy's error page" },
		{ "{\"new\":[1,\"x\",null,[{}]]}", 0, 0, "non-objects in a list are skipped" },
		{ "{\"new\":[{\"id\":\"7\",\"value\":1}]}", 0, 1, "fields of the wrong kind" },
		{ "{\"new\":[{\"id\":-3}]}", 0, 1, "a negative id" },
	};
	struct got g;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = parse(cases[i].json, strlen(cases[i].json), NULL, 0, &g);

		ok((rc < 0) == (cases[i].rc < 0) && g.n == cases[i].n &&
		   (cases[i].n == 0 || g.bad == cases[i].n), "%s", cases[i].what);
	}
}

static void hostile(void)
{
	size_t big = 8 << 20;
	char *buf = malloc(big + 64), err[128];
	struct lapi_stream *s;
	struct got g;
	int n;

	/* A value too long for its field: the decision is marked bad, nothing overruns. */
	n = snprintf(buf, big, "{\"new\":[{\"value\":\"");
	memset(buf + n, 'a', 1000);
	n += 1000;
	n += snprintf(buf + n, 64, "\",\"id\":1}]}");
	ok(parse(buf, (size_t)n, NULL, 0, &g) == 0 && g.n == 1 && g.bad == 1 && g.terminated,
	   "an overlong value marks its decision bad");
	/* One 8 MB string: refused once 64 KB pass without an event. */
	n = snprintf(buf, big, "{\"new\":[{\"value\":\"");
	memset(buf + n, 'b', big - (size_t)n);
	s = lapi_stream_new(on, &g);
	ok(lapi_stream_feed(s, buf, big, err, sizeof(err)) < 0 && strstr(err, "token"),
	   "an 8 MB token is refused at the cap: %s", err);
	lapi_stream_free(s);
	/* 100000 levels of nesting. */
	n = snprintf(buf, big, "{\"x\":");
	memset(buf + n, '[', 100000);
	ok(parse(buf, (size_t)n + 100000, NULL, 0, &g) < 0, "deep nesting is refused");
	/* Mutations of the sample: flipped bytes, cuts, inserted brackets. */
	srand(11);
	bool all = true;
	for (int i = 0; i < 100000; i++) {
		size_t len = strlen(sample), cut = (size_t)rand() % (len + 1);

		memcpy(buf, sample, len);
		for (int k = rand() % 4; k >= 0; k--)
			buf[rand() % (int)len] = (char)(rand() % 256);
		if (rand() % 3 == 0)
			len = cut;
		parse(buf, len, &cut, cut <= len, &g);
		all &= g.n <= 3 && g.terminated;
	}
	ok(all, "100000 mutated streams: no crash, no unterminated field, no invented decision");
	free(buf);
}

int main(void)
{
	durations();
	splits();
	shapes();
	hostile();
	return tap_done();
}
