/* lapi_pull.c - when to pull and what a pull's outcome means. A failed
 * pull (unreachable, timed out, refused, garbage) leaves every ban in
 * force (their kernel expiry is the decision's), is said once per outage,
 * and is retried with a backoff as a startup pull, whose full list then
 * reconciles what changed meanwhile. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "lapi_http.h"
#include "lapi_pull.h"
#include "log.h"

#define TICK_MS 250
#define BACKOFF_MAX_S 300
#define STARTUP_TIMEOUT_S 120   /* 100k decisions: ~15 MB in a few seconds */
#define DELTA_TIMEOUT_S 30
#define KEY_MAX 128

struct lapi_pull {
	struct watch tick;
	struct loop *loop;
	struct lapi_http *http;
	struct lapi_set *set;
	struct lapi_stream *stream;     /* of the pull in flight */
	struct lapi_status *st;
	char url[2][800];               /* delta, startup */
	char header[32 + KEY_MAX];
	uint32_t interval;
	bool startup;                   /* the next (or current) pull lists everything */
	unsigned fails;                 /* in a row */
	long next_ms;
	time_t down_since;
	char parse_err[128];
	char body_err[96];              /* the start of a refusal's body, printable */
	size_t nbody_err;
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void on_decision(const struct lapi_decision *d, void *arg)
{
	struct lapi_pull *p = arg;

	lapi_set_apply(p->set, d, (uint32_t)time(NULL));
}

static int on_body(const char *buf, size_t n, long status, void *arg)
{
	struct lapi_pull *p = arg;

	if (status != 200) {
		for (size_t i = 0; i < n && p->nbody_err + 1 < sizeof(p->body_err); i++)
			p->body_err[p->nbody_err++] = isprint((unsigned char)buf[i]) &&
						      buf[i] != '"' && buf[i] != '\\' ? buf[i] : '_';
		p->body_err[p->nbody_err] = 0;
		return 0;
	}
	return lapi_stream_feed(p->stream, buf, n, p->parse_err, sizeof(p->parse_err));
}

static void failed(struct lapi_pull *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void failed(struct lapi_pull *p, const char *fmt, ...)
{
	unsigned shift = p->fails < 5 ? p->fails : 5;
	long delay = (long)p->interval << shift;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->st->error, sizeof(p->st->error), fmt, ap);
	va_end(ap);
	p->st->failures++;
	p->fails++;
	p->startup = true;
	p->next_ms = now_ms() + 1000L * (delay < BACKOFF_MAX_S ? delay : BACKOFF_MAX_S);
	if (p->down_since)
		return;         /* the same outage */
	p->st->up = false;
	p->st->outages++;
	p->down_since = time(NULL);
	log_warn("event=crowdsec_down url=%s error=\"%s\" note=\"bans in force stay until "
		 "their expiry; pulls are retried with a backoff\"", p->url[0], p->st->error);
}

/* Why the pull that just ended failed, or NULL. */
static const char *outcome(struct lapi_pull *p, long status, const char *error, char *buf,
			   size_t len)
{
	if (*p->parse_err)
		snprintf(buf, len, "the LAPI answered garbage: %s", p->parse_err);
	else if (error)
		snprintf(buf, len, "%s", error);
	else if (status == 403)
		snprintf(buf, len, "HTTP 403: the LAPI refuses the key in crowdsec_bouncer_key_file; "
			 "compare it with cscli bouncers list, or add one with cscli bouncers add");
	else if (status != 200)
		snprintf(buf, len, "HTTP %ld: %s", status, p->body_err);
	else if (lapi_stream_end(p->stream, p->parse_err, sizeof(p->parse_err)) < 0)
		snprintf(buf, len, "the LAPI answered garbage: %s", p->parse_err);
	else
		return NULL;
	return buf;
}

static void on_done(long status, const char *error, void *arg)
{
	struct lapi_pull *p = arg;
	char buf[sizeof(p->st->error)];
	const char *why = outcome(p, status, error, buf, sizeof(buf));
	size_t lifted = 0;

	lapi_stream_free(p->stream);
	p->stream = NULL;
	if (why) {
		failed(p, "%s", why);
		return;
	}
	if (p->startup)
		lifted = lapi_set_reconcile(p->set, (uint32_t)time(NULL));
	if (!p->st->up)
		log_info("event=crowdsec_up url=%s down_secs=%lld decisions=%llu lifted=%zu",
			 p->url[0], p->down_since ? (long long)(time(NULL) - p->down_since) : 0LL,
			 (unsigned long long)p->st->records, lifted);
	else if (p->startup)
		log_info("event=crowdsec_sync decisions=%llu lifted=%zu",
			 (unsigned long long)p->st->records, lifted);
	p->st->up = true;
	p->down_since = 0;
	*p->st->error = 0;
	p->fails = 0;
	p->startup = false;
	p->next_ms = now_ms() + 1000L * p->interval;
}

static void pull(struct lapi_pull *p)
{
	*p->parse_err = 0;
	p->nbody_err = 0;
	*p->body_err = 0;
	if (!(p->stream = lapi_stream_new(on_decision, p))) {
		failed(p, "out of memory");
		return;
	}
	if (p->startup)
		lapi_set_begin(p->set);
	p->st->pulls++;
	const char *headers[] = { p->header, NULL };

	if (lapi_http_request(p->http, "GET", p->url[p->startup], headers, NULL,
			      p->startup ? STARTUP_TIMEOUT_S : DELTA_TIMEOUT_S, on_body, on_done,
			      p) < 0) {
		lapi_stream_free(p->stream);
		p->stream = NULL;
		failed(p, "libcurl refused the request");
	}
}

static void on_tick(struct watch *w, uint32_t events)
{
	struct lapi_pull *p = (struct lapi_pull *)w;
	uint64_t n;

	(void)events;
	if (read(w->fd, &n, sizeof(n)) != sizeof(n))
		return;
	if (!lapi_http_busy(p->http) && now_ms() >= p->next_ms)
		pull(p);
}

/* The key: the file's first line, printable, no blanks. */
static int read_key(const char *path, char *key, size_t len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char line[KEY_MAX + 2];
	size_t n;

	if (!f) {
		snprintf(err, errlen, "crowdsec_bouncer_key_file %s: %s", path, strerror(errno));
		return -1;
	}
	if (!fgets(line, sizeof(line), f))
		*line = 0;
	fclose(f);
	n = strcspn(line, "\r\n");
	line[n] = 0;
	for (size_t i = 0; i < n; i++)
		if (!isgraph((unsigned char)line[i]))
			n = 0;
	if (n == 0 || n > KEY_MAX) {
		snprintf(err, errlen, "crowdsec_bouncer_key_file %s: the first line must be the "
			 "key cscli bouncers add printed (1 to %d printable characters)", path,
			 KEY_MAX);
		return -1;
	}
	snprintf(key, len, "X-Api-Key: %s", line);
	return 0;
}

static void make_urls(struct lapi_pull *p, const struct config *c)
{
	char q[480];
	int n = snprintf(q, sizeof(q), "scopes=%s", c->crowdsec_scopes);

	if (*c->crowdsec_origins)
		n += snprintf(q + n, sizeof(q) - (size_t)n, "&origins=%s", c->crowdsec_origins);
	if (*c->crowdsec_scenarios_containing)
		snprintf(q + n, sizeof(q) - (size_t)n, "&scenarios_containing=%s",
			 c->crowdsec_scenarios_containing);
	snprintf(p->url[0], sizeof(p->url[0]), "%sv1/decisions/stream?%s", c->crowdsec_url, q);
	snprintf(p->url[1], sizeof(p->url[1]), "%sv1/decisions/stream?startup=true&%s",
		 c->crowdsec_url, q);
}

struct lapi_pull *lapi_pull_start(struct loop *l, const struct config *c, struct judge *j,
				  struct lapi_status *st, char *err, size_t errlen)
{
	struct lapi_pull *p = calloc(1, sizeof(*p));

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->loop = l;
	p->st = st;
	p->tick.fd = -1;
	p->interval = c->crowdsec_pull_interval;
	p->startup = true;
	st->enabled = true;
	make_urls(p, c);
	if (read_key(c->crowdsec_bouncer_key_file, p->header, sizeof(p->header), err, errlen) < 0 ||
	    !(p->http = lapi_http_new(l, c->crowdsec_ca_file, err, errlen))) {
		lapi_pull_free(p);
		return NULL;
	}
	if (!(p->set = lapi_set_new(j, c->crowdsec_max_range, &c->offenders.nat64, st))) {
		snprintf(err, errlen, "out of memory");
		lapi_pull_free(p);
		return NULL;
	}
	p->tick.cb = on_tick;
	if (loop_timer(l, &p->tick, TICK_MS) < 0) {
		snprintf(err, errlen, "cannot make the crowdsec pull timer: %s", strerror(errno));
		lapi_pull_free(p);
		return NULL;
	}
	log_info("event=crowdsec_start url=%s interval=%u scopes=%s", c->crowdsec_url, p->interval,
		 c->crowdsec_scopes);
	return p;
}

void lapi_pull_free(struct lapi_pull *p)
{
	if (!p)
		return;
	loop_close(p->loop, &p->tick);
	lapi_http_free(p->http);
	lapi_stream_free(p->stream);
	lapi_set_free(p->set);
	free(p);
}

struct lapi_set *lapi_pull_set(const struct lapi_pull *p)
{
	return p->set;
}
