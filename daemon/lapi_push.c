/* lapi_push.c - the watcher's queue and its requests: login (a JWT for an
 * hour, or until the LAPI restarts with a new secret: a 401 logs in
 * again), alerts (a batch of the queue's oldest), for each alert id
 * returned the alert itself, whose decision ids mark ours, and the delete
 * of our own decision after an unban by hand. A batch refused REFUSALS
 * times in a row (1.4.6 answers validation errors, and a locked database,
 * with 500) is dropped and counted; any other failure keeps the queue and
 * retries with a backoff, said once per outage. Replies are read into one bounded buffer and parsed with
 * yajl's tree parser (they are small: a token, ids, one alert). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>
#include "lapi_http.h"
#include "lapi_machine.h"
#include "lapi_push.h"
#include "log.h"
#include "names.h"

#define TICK_MS 250
#define BATCH 50
#define REPLY_MAX 65536
#define POST_MAX (BATCH * 1536)
#define FETCH_MAX 256
#define TIMEOUT_S 30
#define BACKOFF_MAX_S 300
#define REFUSALS 4              /* 500s in a row before a batch is dropped */

struct item {
	struct rg_lpm_key key;
	uint64_t secs;
	uint32_t at, window;
	unsigned reason, events;
	double capacity;
};

enum stage { S_LOGIN, S_ALERTS, S_FETCH, S_DELETE };

struct lapi_push {
	struct watch tick;
	struct loop *loop;
	struct lapi_http *http;
	struct lapi_set *set;           /* NULL: no bouncer to tell */
	struct lapi_status *st;
	struct lapi_machine m;
	char token[2048];               /* "" : log in first */
	struct item q[LAPI_PUSH_QUEUE]; /* ring */
	size_t head, n, sent;           /* sent: the batch in flight */
	char fetch[FETCH_MAX][24];      /* alert ids to read back */
	size_t nfetch;
	int64_t forget[FETCH_MAX];      /* our decision ids to delete */
	size_t nforget;
	enum stage stage;
	unsigned fails, unauthorized;
	unsigned refusals;              /* of the batch at the head, in a row */
	long next_ms;
	char reply[REPLY_MAX + 1];
	size_t nreply;
	bool overflow;
	char *post;
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static const char *scenario(unsigned reason)
{
	switch (reason) {
	case RG_REASON_UNKNOWN_RCPT:
		return "rcptguard/smtp-dictionary";
	case RG_REASON_SPAMTRAP:
		return "rcptguard/smtp-spamtrap";
	case RG_REASON_RELAY:
		return "rcptguard/smtp-relay";
	case RG_REASON_DNSBL:
		return "rcptguard/dnsbl";
	default:
		return "rcptguard/manual";
	}
}

void lapi_push_ban(struct lapi_push *p, const struct rg_lpm_key *k, uint64_t secs,
		   unsigned reason, unsigned events, double capacity, uint32_t window)
{
	struct item *it;

	if (reason == RG_REASON_CROWDSEC)
		return;         /* never pushed back */
	if (p->n == LAPI_PUSH_QUEUE) {
		/* The oldest goes, unless it is in flight. */
		if (p->sent) {
			p->st->push_dropped++;
			return;
		}
		p->head = (p->head + 1) % LAPI_PUSH_QUEUE;
		p->n--;
		p->st->push_dropped++;
	}
	it = &p->q[(p->head + p->n++) % LAPI_PUSH_QUEUE];
	*it = (struct item){ .key = *k, .secs = secs, .at = (uint32_t)time(NULL), .window = window,
			     .reason = reason, .events = events ? events : 1,
			     .capacity = capacity };
	p->st->push_queued = p->n;
}

static void failed(struct lapi_push *p, const char *what)
{
	unsigned shift = p->fails < 6 ? p->fails : 6;
	long delay = 1000L << shift;

	p->fails++;
	p->st->push_failures++;
	p->next_ms = now_ms() + (delay < BACKOFF_MAX_S * 1000L ? delay : BACKOFF_MAX_S * 1000L);
	if (p->st->push_down)
		return;
	p->st->push_down = true;
	log_warn("event=crowdsec_push_down url=%s error=\"%s\" queued=%zu note=\"bans are kept "
		 "in a queue of %d (oldest dropped) and pushed when the LAPI is back\"", p->m.url,
		 what, p->n, LAPI_PUSH_QUEUE);
}

static void succeeded(struct lapi_push *p)
{
	if (p->st->push_down)
		log_info("event=crowdsec_push_up url=%s queued=%zu", p->m.url, p->n);
	p->st->push_down = false;
	p->fails = 0;
	p->next_ms = 0;
}

static int on_body(const char *buf, size_t n, long status, void *arg)
{
	struct lapi_push *p = arg;

	(void)status;
	if (p->nreply + n > REPLY_MAX) {
		p->overflow = true;
		return -1;
	}
	memcpy(p->reply + p->nreply, buf, n);
	p->nreply += n;
	return 0;
}

static yajl_val parse_reply(struct lapi_push *p)
{
	p->reply[p->nreply] = 0;
	return yajl_tree_parse(p->reply, NULL, 0);
}

/* Printable start of a reply, for a log line. */
static const char *reply_text(struct lapi_push *p)
{
	size_t n = p->nreply < 120 ? p->nreply : 120;

	p->reply[n] = 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p->reply[i] < ' ' || p->reply[i] == '"' || p->reply[i] == '\\' ||
		    (unsigned char)p->reply[i] > '~')
			p->reply[i] = '_';
	return p->reply;
}

static void login_done(struct lapi_push *p, long status)
{
	const char *path[] = { "token", NULL };
	yajl_val v = status == 200 ? parse_reply(p) : NULL;
	const char *s = v ? YAJL_GET_STRING(yajl_tree_get(v, path, yajl_t_string)) : NULL;

	if (s && strlen(s) < sizeof(p->token) && !strpbrk(s, "\r\n")) {
		snprintf(p->token, sizeof(p->token), "%s", s);
		succeeded(p);
	} else {
		char why[200];

		snprintf(why, sizeof(why), "login refused (HTTP %ld): %s%s", status, reply_text(p),
			 status == 401 || status == 403 ? "; check crowdsec_machine_file against "
			 "cscli machines list" : "");
		failed(p, why);
	}
	yajl_tree_free(v);
}

static void alerts_done(struct lapi_push *p, long status)
{
	yajl_val v = status == 201 || status == 200 ? parse_reply(p) : NULL;

	if (YAJL_IS_ARRAY(v)) {
		for (size_t i = 0; i < v->u.array.len; i++) {
			yajl_val id = v->u.array.values[i];
			const char *str = YAJL_GET_STRING(id);
			char buf[24];

			snprintf(buf, sizeof(buf), "%lld", str ? strtoll(str, NULL, 10) :
				 YAJL_IS_INTEGER(id) ? YAJL_GET_INTEGER(id) : 0LL);
			if (p->set && p->nfetch < FETCH_MAX && strtoll(buf, NULL, 10) > 0)
				snprintf(p->fetch[p->nfetch++], sizeof(p->fetch[0]), "%s", buf);
		}
		p->st->pushed += p->sent;
	} else if ((status == 500 || status == 400 || status == 422) && ++p->refusals < REFUSALS) {
		/* 1.4.6 answers a busy database ("database is locked") with the
		 * same 500 as an invalid alert: try the batch again, a little later. */
		yajl_tree_free(v);
		p->sent = 0;
		p->next_ms = now_ms() + 1000L * p->refusals;
		return;
	} else if (status == 500 || status == 400 || status == 422) {
		log_err("event=crowdsec_push_rejected alerts=%zu status=%ld tries=%d reply=\"%s\"",
			p->sent, status, REFUSALS, reply_text(p));
		p->st->push_rejected += p->sent;
	} else {
		char why[200];

		snprintf(why, sizeof(why), "alerts: HTTP %ld: %s", status, reply_text(p));
		yajl_tree_free(v);
		failed(p, why);
		p->sent = 0;
		return;
	}
	yajl_tree_free(v);
	p->refusals = 0;
	p->head = (p->head + p->sent) % LAPI_PUSH_QUEUE;
	p->n -= p->sent;
	p->sent = 0;
	p->st->push_queued = p->n;
	succeeded(p);
}

/* The alert read back: its decisions are ours. */
static void fetch_done(struct lapi_push *p, long status)
{
	const char *path[] = { "decisions", NULL }, *idp[] = { "id", NULL },
		   *valp[] = { "value", NULL };
	yajl_val v = status == 200 ? parse_reply(p) : NULL;
	yajl_val ds = v ? yajl_tree_get(v, path, yajl_t_array) : NULL;
	uint32_t now = (uint32_t)time(NULL);

	for (size_t i = 0; ds && i < ds->u.array.len; i++) {
		yajl_val id = yajl_tree_get(ds->u.array.values[i], idp, yajl_t_number);
		const char *val = YAJL_GET_STRING(yajl_tree_get(ds->u.array.values[i], valp,
								yajl_t_string));
		struct rg_lpm_key k;
		char err[64];

		if (YAJL_IS_INTEGER(id) && val && addr_parse(val, &k, err, sizeof(err)) == 0)
			lapi_set_mine(p->set, &k, YAJL_GET_INTEGER(id), now);
	}
	yajl_tree_free(v);
	/* Read or not (deleted meanwhile: 404), it is done. */
	memmove(p->fetch[0], p->fetch[1], (p->nfetch - 1) * sizeof(p->fetch[0]));
	p->nfetch--;
	succeeded(p);
}

void lapi_push_forget(struct lapi_push *p, int64_t id)
{
	if (p->nforget < FETCH_MAX)
		p->forget[p->nforget++] = id;
	else
		log_warn("event=crowdsec_decision_delete id=%lld result=dropped note=\"too many "
			 "waiting; cscli decisions delete --id %lld\"", (long long)id, (long long)id);
}

/* A decision of ours deleted, or refused (a watcher may not delete
 * decisions on every LAPI): said either way, and not tried again. */
static void delete_done(struct lapi_push *p, long status)
{
	int64_t id = p->forget[0];

	if (status >= 500) {
		failed(p, "decision delete: HTTP 5xx");
		return;
	}
	if (status == 200)
		log_info("event=crowdsec_decision_delete id=%lld result=ok", (long long)id);
	else
		log_warn("event=crowdsec_decision_delete id=%lld result=refused status=%ld reply=\"%s\" "
			 "note=\"cscli decisions delete --id %lld\"", (long long)id, status,
			 reply_text(p), (long long)id);
	memmove(p->forget, p->forget + 1, (p->nforget - 1) * sizeof(p->forget[0]));
	p->nforget--;
	succeeded(p);
}

static void on_done(long status, const char *error, void *arg)
{
	struct lapi_push *p = arg;

	if (error || p->overflow) {
		p->sent = 0;
		failed(p, p->overflow ? "a reply over 64 KB" : error);
		return;
	}
	if (status == 401 && p->stage != S_LOGIN) {
		/* A new JWT secret (the LAPI restarted) or an expired token. */
		*p->token = 0;
		p->sent = 0;
		if (++p->unauthorized > 2)
			failed(p, "the LAPI keeps refusing fresh tokens (401)");
		return;
	}
	if (p->stage != S_LOGIN)
		p->unauthorized = 0;
	if (p->stage == S_LOGIN)
		login_done(p, status);
	else if (p->stage == S_ALERTS)
		alerts_done(p, status);
	else if (p->stage == S_DELETE)
		delete_done(p, status);
	else
		fetch_done(p, status);
}

static void json_time(uint32_t t, char *buf, size_t len)
{
	time_t tt = t;
	struct tm tm;

	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&tt, &tm));
}

/* One alert with its decision; the remaining duration is the ban's. */
static int alert_json(const struct item *it, uint32_t now, char *buf, size_t len)
{
	char a[ADDR_STRLEN], at[32], nowt[32], dur[24];
	bool range = it->key.prefixlen != 128;
	uint64_t left = it->secs ? (it->at + it->secs > now ? it->at + it->secs - now : 1) : 0;

	addr_format(&it->key, a, sizeof(a));
	json_time(it->at, at, sizeof(at));
	json_time(now, nowt, sizeof(nowt));
	/* Permanent: the longest a Go duration holds comfortably. */
	snprintf(dur, sizeof(dur), "%llus", (unsigned long long)(left ? left : 87600ULL * 3600));
	return snprintf(buf, len,
		"{\"scenario\":\"%s\",\"scenario_hash\":\"rcptguard\",\"scenario_version\":\"1\","
		"\"message\":\"rcptguard banned %s (%s, %u events in %us)\",\"events_count\":%u,"
		"\"start_at\":\"%s\",\"stop_at\":\"%s\",\"capacity\":%d,\"leakspeed\":\"%us\","
		"\"simulated\":false,\"events\":[],\"source\":{\"scope\":\"%s\",\"value\":\"%s\","
		"\"%s\":\"%s\"},\"decisions\":[{\"origin\":\"rcptguard\",\"type\":\"ban\","
		"\"scope\":\"%s\",\"value\":\"%s\",\"duration\":\"%s\",\"scenario\":\"%s\"}]}",
		scenario(it->reason), a, reason_name(it->reason), it->events, it->window,
		it->events, at, nowt, (int)(it->capacity + 0.5), it->window ? it->window : 1,
		range ? "Range" : "Ip", a, range ? "range" : "ip", a, range ? "Range" : "Ip", a, dur,
		scenario(it->reason));
}

static void send_alerts(struct lapi_push *p, const char *const *headers, const char *url)
{
	uint32_t now = (uint32_t)time(NULL);
	size_t off = 0, n = p->n < BATCH ? p->n : BATCH;

	p->post[off++] = '[';
	for (size_t i = 0; i < n; i++) {
		int w = alert_json(&p->q[(p->head + i) % LAPI_PUSH_QUEUE], now, p->post + off,
				   POST_MAX - off - 2);

		if (w < 0 || (size_t)w >= POST_MAX - off - 2) {
			n = i;
			break;
		}
		off += (size_t)w;
		if (i + 1 < n)
			p->post[off++] = ',';
	}
	p->post[off++] = ']';
	p->post[off] = 0;
	p->sent = n;
	if (lapi_http_request(p->http, "POST", url, headers, p->post, TIMEOUT_S, on_body, on_done, p) < 0) {
		p->sent = 0;
		failed(p, "libcurl refused the request");
	}
}

static void on_tick(struct watch *w, uint32_t events)
{
	struct lapi_push *p = (struct lapi_push *)w;
	char url[512], auth[2100], body[512];
	const char *headers[] = { "Content-Type: application/json", auth, NULL };
	uint64_t ticks;

	(void)events;
	if (read(w->fd, &ticks, sizeof(ticks)) != sizeof(ticks) || lapi_http_busy(p->http) ||
	    now_ms() < p->next_ms || (!p->n && !p->nfetch && !p->nforget))
		return;
	p->nreply = 0;
	p->overflow = false;
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", p->token);
	if (!*p->token) {
		p->stage = S_LOGIN;
		headers[1] = NULL;
		snprintf(url, sizeof(url), "%sv1/watchers/login", p->m.url);
		/* login and password were checked printable; escape JSON's two. */
		size_t o = (size_t)snprintf(body, sizeof(body), "{\"machine_id\":\"");
		for (const char *s = p->m.login; *s; s++)
			o += (size_t)snprintf(body + o, sizeof(body) - o, "%s%c",
					      *s == '"' || *s == '\\' ? "\\" : "", *s);
		o += (size_t)snprintf(body + o, sizeof(body) - o, "\",\"password\":\"");
		for (const char *s = p->m.password; *s; s++)
			o += (size_t)snprintf(body + o, sizeof(body) - o, "%s%c",
					      *s == '"' || *s == '\\' ? "\\" : "", *s);
		snprintf(body + o, sizeof(body) - o, "\"}");
		if (lapi_http_request(p->http, "POST", url, headers, body, TIMEOUT_S, on_body, on_done, p) < 0)
			failed(p, "libcurl refused the request");
	} else if (p->nforget) {
		p->stage = S_DELETE;
		snprintf(url, sizeof(url), "%sv1/decisions/%lld", p->m.url, (long long)p->forget[0]);
		if (lapi_http_request(p->http, "DELETE", url, headers, NULL, TIMEOUT_S, on_body,
				      on_done, p) < 0)
			failed(p, "libcurl refused the request");
	} else if (p->nfetch) {
		p->stage = S_FETCH;
		snprintf(url, sizeof(url), "%sv1/alerts/%s", p->m.url, p->fetch[0]);
		if (lapi_http_request(p->http, "GET", url, headers, NULL, TIMEOUT_S, on_body, on_done, p) < 0)
			failed(p, "libcurl refused the request");
	} else {
		p->stage = S_ALERTS;
		snprintf(url, sizeof(url), "%sv1/alerts", p->m.url);
		send_alerts(p, headers, url);
	}
}

struct lapi_push *lapi_push_start(struct loop *l, const struct config *c, struct lapi_set *set,
				  struct lapi_status *st, char *err, size_t errlen)
{
	struct lapi_push *p = calloc(1, sizeof(*p));
	size_t n;

	if (!p || !(p->post = malloc(POST_MAX))) {
		free(p);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->loop = l;
	p->set = set;
	p->st = st;
	p->tick.fd = -1;
	st->push_enabled = true;
	if (lapi_machine_read(c->crowdsec_machine_file, &p->m, err, errlen) < 0 ||
	    !(p->http = lapi_http_new(l, c->crowdsec_ca_file, err, errlen))) {
		lapi_push_free(p);
		return NULL;
	}
	n = strlen(p->m.url);
	if (n + 1 < sizeof(p->m.url) && p->m.url[n - 1] != '/')
		strcat(p->m.url, "/");
	p->tick.cb = on_tick;
	if (loop_timer(l, &p->tick, TICK_MS) < 0) {
		snprintf(err, errlen, "cannot make the crowdsec push timer: %s", strerror(errno));
		lapi_push_free(p);
		return NULL;
	}
	log_info("event=crowdsec_push_start url=%s login=%s", p->m.url, p->m.login);
	return p;
}

void lapi_push_free(struct lapi_push *p)
{
	if (!p)
		return;
	loop_close(p->loop, &p->tick);
	lapi_http_free(p->http);
	free(p->post);
	free(p);
}
