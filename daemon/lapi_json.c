/* lapi_json.c - the decision stream through yajl's callbacks. The only
 * state is where the parser is (depth, which list, which field) and the
 * decision being filled; yajl buffers a token only while it spans two
 * feeds, and a feed slice with no event in LAPI_TOKEN_MAX bytes is refused,
 * so no token (or run of blanks) can grow that buffer without bound. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>
#include "lapi_json.h"

#define LAPI_DEPTH_MAX 32
#define LAPI_TOKEN_MAX 65536
#define LAPI_SLICE 4096

enum list { L_NONE, L_NEW, L_DELETED };
enum field { F_NONE, F_ID, F_ORIGIN, F_TYPE, F_SCOPE, F_VALUE, F_SCENARIO, F_DURATION };

struct lapi_stream {
	yajl_handle y;
	lapi_decision_cb cb;
	void *arg;
	int depth;                      /* open containers */
	enum list list;                 /* the top-level key last seen */
	bool list_open;                 /* inside that key's array */
	bool in_decision;               /* inside one of its objects (depth 3) */
	enum field field;
	bool events;                    /* an event in the current slice */
	const char *why;                /* why a callback stopped the parser */
	struct lapi_decision d;
	char duration[48];
};

static int stop(struct lapi_stream *s, const char *why)
{
	s->why = why;
	return 0;
}

/* A string field into its buffer; one too long marks the decision bad. */
static void put_str(struct lapi_stream *s, const unsigned char *v, size_t n)
{
	static const struct { size_t off, size; } at[] = {
		[F_ORIGIN] = { offsetof(struct lapi_decision, origin), sizeof(s->d.origin) },
		[F_TYPE] = { offsetof(struct lapi_decision, type), sizeof(s->d.type) },
		[F_SCOPE] = { offsetof(struct lapi_decision, scope), sizeof(s->d.scope) },
		[F_VALUE] = { offsetof(struct lapi_decision, value), sizeof(s->d.value) },
		[F_SCENARIO] = { offsetof(struct lapi_decision, scenario), sizeof(s->d.scenario) },
	};
	char *dst;
	size_t size;

	if (s->field == F_DURATION) {
		dst = s->duration;
		size = sizeof(s->duration);
	} else if (s->field >= F_ORIGIN && s->field <= F_SCENARIO) {
		dst = (char *)&s->d + at[s->field].off;
		size = at[s->field].size;
	} else {
		if (s->field == F_ID)
			s->d.bad = true;
		return;
	}
	if (n >= size || memchr(v, 0, n)) {
		s->d.bad = true;
		return;
	}
	memcpy(dst, v, n);
	dst[n] = 0;
	if (s->field == F_DURATION)
		s->d.has_duration = lapi_go_duration(s->duration, &s->d.duration_ms) == 0;
}

/* A scalar anywhere: only a decision's fields and a list's null matter. */
static int scalar(struct lapi_stream *s, bool is_null)
{
	s->events = true;
	if (s->depth == 0)
		return stop(s, "the body is not a JSON object");
	if (s->depth == 1 && s->list != L_NONE && !is_null)
		return stop(s, "\"new\" or \"deleted\" is neither a list nor null");
	if (s->in_decision && s->depth == 3 && s->field != F_NONE && !is_null)
		s->d.bad = true;        /* a field of the wrong kind */
	return 1;
}

static int on_null(void *ctx)
{
	return scalar(ctx, true);
}

static int on_bool(void *ctx, int v)
{
	(void)v;
	return scalar(ctx, false);
}

static int on_number(void *ctx, const char *v, size_t n)
{
	struct lapi_stream *s = ctx;
	char buf[24], *end;

	if (s->in_decision && s->depth == 3 && s->field == F_ID) {
		s->events = true;
		if (n < sizeof(buf)) {
			memcpy(buf, v, n);
			buf[n] = 0;
			s->d.id = strtoll(buf, &end, 10);
			if (*end == 0 && s->d.id > 0)
				return 1;
		}
		s->d.bad = true;
		return 1;
	}
	return scalar(s, false);
}

static int on_string(void *ctx, const unsigned char *v, size_t n)
{
	struct lapi_stream *s = ctx;

	if (s->in_decision && s->depth == 3) {
		s->events = true;
		put_str(s, v, n);
		return 1;
	}
	return scalar(s, false);
}

static int open_container(struct lapi_stream *s, bool map)
{
	s->events = true;
	if (++s->depth > LAPI_DEPTH_MAX)
		return stop(s, "nested too deep");
	if (s->depth == 1 && !map)
		return stop(s, "the body is not a JSON object");
	if (s->depth == 2 && s->list != L_NONE) {
		if (map)
			return stop(s, "\"new\" or \"deleted\" is neither a list nor null");
		s->list_open = true;
	}
	if (s->depth == 3 && s->list_open && map) {
		memset(&s->d, 0, sizeof(s->d));
		s->d.deleted = s->list == L_DELETED;
		s->in_decision = true;
		s->field = F_NONE;
	}
	if (s->depth == 3 && s->list_open && !map)
		s->d.bad = true;
	return 1;
}

static int on_start_map(void *ctx)
{
	return open_container(ctx, true);
}

static int on_start_array(void *ctx)
{
	return open_container(ctx, false);
}

static int close_container(struct lapi_stream *s)
{
	s->events = true;
	if (s->depth == 3 && s->in_decision) {
		s->in_decision = false;
		s->cb(&s->d, s->arg);
	}
	if (s->depth == 2)
		s->list_open = false;
	s->depth--;
	return 1;
}

static int on_end(void *ctx)
{
	return close_container(ctx);
}

static int on_key(void *ctx, const unsigned char *k, size_t n)
{
	static const struct { const char *name; enum field f; } fields[] = {
		{ "id", F_ID }, { "origin", F_ORIGIN }, { "type", F_TYPE }, { "scope", F_SCOPE },
		{ "value", F_VALUE }, { "scenario", F_SCENARIO }, { "duration", F_DURATION },
	};
	struct lapi_stream *s = ctx;

	s->events = true;
	if (s->depth == 1) {
		s->list = n == 3 && !memcmp(k, "new", 3) ? L_NEW :
			  n == 7 && !memcmp(k, "deleted", 7) ? L_DELETED : L_NONE;
	} else if (s->depth == 3 && s->in_decision) {
		s->field = F_NONE;
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (strlen(fields[i].name) == n && !memcmp(k, fields[i].name, n))
				s->field = fields[i].f;
	}
	return 1;
}

static const yajl_callbacks callbacks = {
	.yajl_null = on_null,
	.yajl_boolean = on_bool,
	.yajl_number = on_number,
	.yajl_string = on_string,
	.yajl_start_map = on_start_map,
	.yajl_map_key = on_key,
	.yajl_end_map = on_end,
	.yajl_start_array = on_start_array,
	.yajl_end_array = on_end,
};

struct lapi_stream *lapi_stream_new(lapi_decision_cb cb, void *arg)
{
	struct lapi_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->cb = cb;
	s->arg = arg;
	s->y = yajl_alloc(&callbacks, NULL, s);
	if (!s->y) {
		free(s);
		return NULL;
	}
	return s;
}

void lapi_stream_free(struct lapi_stream *s)
{
	if (s) {
		yajl_free(s->y);
		free(s);
	}
}

static int failed(struct lapi_stream *s, yajl_status st, char *err, size_t errlen)
{
	unsigned char *m;

	if (st == yajl_status_client_canceled || s->why) {
		snprintf(err, errlen, "%s", s->why ? s->why : "stopped");
		return -1;
	}
	m = yajl_get_error(s->y, 0, NULL, 0);
	snprintf(err, errlen, "not JSON: %s", m ? (char *)m : "syntax error");
	if (m)
		yajl_free_error(s->y, m);
	return -1;
}

int lapi_stream_feed(struct lapi_stream *s, const char *buf, size_t len, char *err,
		     size_t errlen)
{
	size_t quiet = 0;

	while (len) {
		size_t n = len < LAPI_SLICE ? len : LAPI_SLICE;
		yajl_status st;

		s->events = false;
		st = yajl_parse(s->y, (const unsigned char *)buf, n);
		if (st != yajl_status_ok)
			return failed(s, st, err, errlen);
		quiet = s->events ? 0 : quiet + n;
		if (quiet > LAPI_TOKEN_MAX) {
			snprintf(err, errlen, "a token or blank run over %d bytes", LAPI_TOKEN_MAX);
			s->why = err;
			return -1;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

int lapi_stream_end(struct lapi_stream *s, char *err, size_t errlen)
{
	yajl_status st = yajl_complete_parse(s->y);

	if (st != yajl_status_ok)
		return failed(s, st, err, errlen);
	if (s->depth != 0) {
		snprintf(err, errlen, "the body ends inside an object");
		return -1;
	}
	return 0;
}

int lapi_go_duration(const char *s, int64_t *ms)
{
	static const struct { const char *unit; int64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "\xc2\xb5s", 1000 }, { "\xce\xbcs", 1000 },
		{ "ms", 1000000 }, { "s", 1000000000 }, { "m", 60000000000LL },
		{ "h", 3600000000000LL },
	};
	const int64_t max = INT64_MAX / 2;
	bool neg = false;
	int64_t total = 0;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (!strcmp(s, "0")) {
		*ms = 0;
		return 0;
	}
	if (!*s)
		return -1;
	while (*s) {
		int64_t whole = 0, frac = 0, scale = 1, unit = 0;
		bool digits = false;
		size_t ulen = 0;

		for (; *s >= '0' && *s <= '9'; s++, digits = true) {
			if (whole > max / 10)
				return -1;
			whole = whole * 10 + (*s - '0');
		}
		if (*s == '.')
			for (s++; *s >= '0' && *s <= '9'; s++, digits = true)
				if (scale < 1000000000000000000LL / 10) {
					frac = frac * 10 + (*s - '0');
					scale *= 10;
				}
		if (!digits)
			return -1;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t n = strlen(units[i].unit);

			/* The longest unit that fits: "ms" before "m". */
			if (n > ulen && !strncmp(s, units[i].unit, n)) {
				unit = units[i].ns;
				ulen = n;
			}
		}
		if (!unit || whole > (max - total) / unit)
			return -1;
		total += whole * unit + (int64_t)((double)frac * (double)unit / (double)scale);
		if (total > max)
			return -1;
		s += ulen;
	}
	*ms = (neg ? -total : total) / 1000000;
	return 0;
}
