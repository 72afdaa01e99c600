/* lapi_http.c - libcurl's multi socket interface on loop.c. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>
#include "lapi_http.h"

#define TICK_MS 100

struct sock {
	struct watch w;                 /* first: loop_defer_free() */
	struct lapi_http *h;
};

struct lapi_http {
	struct loop *loop;
	CURLM *multi;
	CURL *easy;
	struct curl_slist *headers;
	struct watch tick;
	long deadline_ms;               /* CLOCK_MONOTONIC; -1: curl wants no wake-up */
	bool busy;
	bool global;                    /* curl_global_init() done: undone by free */
	http_body_cb body;
	http_done_cb done;
	void *arg;
	char error[CURL_ERROR_SIZE];
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void finished(struct lapi_http *h)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(h->multi, &left))) {
		long status = 0;
		CURLcode rc = m->data.result;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &status);
		curl_multi_remove_handle(h->multi, h->easy);
		curl_slist_free_all(h->headers);
		h->headers = NULL;
		h->busy = false;
		h->done(status, rc == CURLE_OK ? NULL : *h->error ? h->error :
			curl_easy_strerror(rc), h->arg);
	}
}

static void act(struct lapi_http *h, curl_socket_t fd, int flags)
{
	int running;

	curl_multi_socket_action(h->multi, fd, flags, &running);
	finished(h);
}

static void on_sock(struct watch *w, uint32_t events)
{
	struct sock *s = (struct sock *)w;
	int flags = (events & EPOLLIN ? CURL_CSELECT_IN : 0) |
		    (events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
		    (events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);

	act(s->h, w->fd, flags);
}

static void on_tick(struct watch *w, uint32_t events)
{
	struct lapi_http *h = (struct lapi_http *)((char *)w - offsetof(struct lapi_http, tick));
	uint64_t n;

	(void)events;
	if (read(w->fd, &n, sizeof(n)) != sizeof(n))
		return;
	if (h->deadline_ms >= 0 && now_ms() >= h->deadline_ms) {
		h->deadline_ms = -1;
		act(h, CURL_SOCKET_TIMEOUT, 0);
	}
}

static int sock_cb(CURL *e, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct lapi_http *h = userp;
	struct sock *s = socketp;
	uint32_t ev = (what == CURL_POLL_IN || what == CURL_POLL_INOUT ? EPOLLIN : 0) |
		      (what == CURL_POLL_OUT || what == CURL_POLL_INOUT ? EPOLLOUT : 0);

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (s) {
			loop_del(h->loop, &s->w);
			loop_defer_free(h->loop, s);
			curl_multi_assign(h->multi, fd, NULL);
		}
		return 0;
	}
	if (s)
		return loop_mod(h->loop, &s->w, ev) < 0 ? -1 : 0;
	if (!(s = calloc(1, sizeof(*s))))
		return -1;
	s->w.fd = fd;
	s->w.cb = on_sock;
	s->h = h;
	if (loop_add(h->loop, &s->w, ev) < 0) {
		free(s);
		return -1;
	}
	curl_multi_assign(h->multi, fd, s);
	return 0;
}

static int timer_cb(CURLM *m, long timeout_ms, void *userp)
{
	struct lapi_http *h = userp;

	(void)m;
	h->deadline_ms = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	return 0;
}

static size_t write_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct lapi_http *h = arg;
	long status = 0;

	curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &status);
	return h->body(buf, size * n, status, h->arg) == 0 ? size * n : 0;
}

struct lapi_http *lapi_http_new(struct loop *l, const char *ca_file, char *err, size_t errlen)
{
	struct lapi_http *h = calloc(1, sizeof(*h));

	if (h) {
		h->tick.fd = -1;
		h->global = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
	}
	if (!h || !h->global || !(h->multi = curl_multi_init()) || !(h->easy = curl_easy_init())) {
		snprintf(err, errlen, "cannot set up libcurl (out of memory?)");
		lapi_http_free(h);
		return NULL;
	}
	h->loop = l;
	h->deadline_ms = -1;
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	curl_easy_setopt(h->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h->easy, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(h->easy, CURLOPT_ERRORBUFFER, h->error);
	curl_easy_setopt(h->easy, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(h->easy, CURLOPT_WRITEDATA, h);
	/* The LAPI wants NAME/VERSION: a bare name is logged as a "bad user
	 * agent" and its watcher login refused as a wrong password. */
	curl_easy_setopt(h->easy, CURLOPT_USERAGENT, "rcptguard/v1");
	if (*ca_file)
		curl_easy_setopt(h->easy, CURLOPT_CAINFO, ca_file);
	h->tick.cb = on_tick;
	if (loop_timer(l, &h->tick, TICK_MS) < 0) {
		snprintf(err, errlen, "cannot make the HTTP timer");
		lapi_http_free(h);
		return NULL;
	}
	return h;
}

void lapi_http_free(struct lapi_http *h)
{
	if (!h)
		return;
	loop_close(h->loop, &h->tick);
	if (h->busy)
		curl_multi_remove_handle(h->multi, h->easy);
	curl_slist_free_all(h->headers);
	if (h->easy)
		curl_easy_cleanup(h->easy);
	if (h->multi)
		curl_multi_cleanup(h->multi);
	if (h->global)
		curl_global_cleanup();
	free(h);
}

int lapi_http_request(struct lapi_http *h, const char *method, const char *url,
		      const char *const *headers, const char *post, long timeout_s,
		      http_body_cb body, http_done_cb done, void *arg)
{
	if (h->busy)
		return -1;
	for (const char *const *l = headers; *l; l++) {
		struct curl_slist *n = curl_slist_append(h->headers, *l);

		if (!n) {
			curl_slist_free_all(h->headers);
			h->headers = NULL;
			return -1;
		}
		h->headers = n;
	}
	h->body = body;
	h->done = done;
	h->arg = arg;
	*h->error = 0;
	curl_easy_setopt(h->easy, CURLOPT_URL, url);
	curl_easy_setopt(h->easy, CURLOPT_HTTPHEADER, h->headers);
	curl_easy_setopt(h->easy, CURLOPT_TIMEOUT, timeout_s);
	if (post)
		curl_easy_setopt(h->easy, CURLOPT_COPYPOSTFIELDS, post);
	else
		curl_easy_setopt(h->easy, CURLOPT_HTTPGET, 1L);
	/* After the two above, which reset it. */
	curl_easy_setopt(h->easy, CURLOPT_CUSTOMREQUEST, strcmp(method, "DELETE") ? NULL : method);
	if (curl_multi_add_handle(h->multi, h->easy) != CURLM_OK) {
		curl_slist_free_all(h->headers);
		h->headers = NULL;
		return -1;
	}
	h->busy = true;
	return 0;
}

bool lapi_http_busy(const struct lapi_http *h)
{
	return h->busy;
}
