/* query.c - listeners and connections of the query socket.
 *
 * A connection holds no input buffer while idle, so thousands of idle MTA
 * connections cost little. Replies go out directly; if the peer does not
 * read them, the connection stops being read until they are gone. Bad
 * requests are logged and the connection is closed without a reply, as
 * the policy protocol asks. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "duration.h"
#include "log.h"
#include "policy.h"
#include "query.h"

#define READ_CHUNK 4096
#define IDLE_SECS 600           /* Postfix drops idle policy connections after 300 s */
#define SWEEP_MS 10000
#define OUT_CAP (4 * POLICY_MAX_REPLY)

struct conn {
	struct watch w;         /* first: loop_defer_free() matches on it */
	struct query *q;
	struct conn *prev, *next;
	char *in;
	size_t inlen, incap, scan;
	char out[OUT_CAP];
	size_t outlen;
	uint64_t active_ns;
	bool reading;
};

struct listener {
	struct watch w;
	struct query *q;
	const char *what;
};

struct query {
	struct loop *loop;
	struct verdicts *v;
	struct listener unix_l, tcp_l;
	struct watch sweep;
	struct conn *conns;
	size_t nconns, max;
	char path[108];
	uint64_t refused_logged_ns;
};

static void conn_close(struct conn *c, const char *why)
{
	struct query *q = c->q;

	if (why)
		log_info("event=query_close fd=%d reason=\"%s\"", c->w.fd, why);
	loop_del(q->loop, &c->w);
	close(c->w.fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		q->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	q->nconns--;
	free(c->in);
	loop_defer_free(q->loop, c);
}

static void set_events(struct conn *c)
{
	uint32_t ev = (c->reading ? EPOLLIN : 0) | (c->outlen ? EPOLLOUT : 0);

	loop_mod(c->q->loop, &c->w, ev | EPOLLRDHUP);
}

/* Write what we can; -1 if the peer is gone. */
static int flush(struct conn *c)
{
	while (c->outlen) {
		ssize_t n = send(c->w.fd, c->out, c->outlen, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		memmove(c->out, c->out + n, c->outlen - (size_t)n);
		c->outlen -= (size_t)n;
	}
	return 0;
}

/* Answer every complete request in the buffer while replies fit. */
static int process(struct conn *c)
{
	size_t len;

	while (c->outlen + POLICY_MAX_REPLY <= sizeof(c->out) &&
	       (len = policy_frame(c->in, c->inlen, &c->scan)) > 0) {
		struct policy_req r;
		const char *why;
		char action[POLICY_MAX_REPLY - 16];

		if (policy_parse(c->in, len, &r, &why) < 0) {
			conn_close(c, why);
			return -1;
		}
		verdicts_answer(c->q->v, &r, action, sizeof(action));
		c->outlen += (size_t)snprintf(c->out + c->outlen, sizeof(c->out) - c->outlen,
					      "action=%s\n\n", action);
		memmove(c->in, c->in + len, c->inlen - len);
		c->inlen -= len;
	}
	if (c->inlen == 0) {
		free(c->in);
		c->in = NULL;
		c->incap = 0;
	}
	if (flush(c) < 0) {
		conn_close(c, "peer gone while replying");
		return -1;
	}
	/* Stop reading while replies pile up unread. */
	c->reading = c->outlen + POLICY_MAX_REPLY <= sizeof(c->out);
	set_events(c);
	return 0;
}

static void on_conn(struct watch *w, uint32_t events)
{
	struct conn *c = (struct conn *)w;

	c->active_ns = mono_ns();
	if (events & EPOLLOUT) {
		if (flush(c) < 0) {
			conn_close(c, "peer gone while replying");
			return;
		}
		if (process(c) < 0)
			return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP | EPOLLERR)) || !c->reading)
		return;
	if (c->incap - c->inlen < READ_CHUNK) {
		size_t cap = c->inlen + READ_CHUNK;
		char *n;

		if (cap > POLICY_MAX_REQUEST + READ_CHUNK) {
			conn_close(c, "request larger than 16 KB");
			return;
		}
		if (!(n = realloc(c->in, cap))) {
			conn_close(c, "out of memory");
			return;
		}
		c->in = n;
		c->incap = cap;
	}
	{
		ssize_t n = recv(c->w.fd, c->in + c->inlen, c->incap - c->inlen, MSG_DONTWAIT);

		if (n == 0) {
			/* A clean close between requests is normal. */
			conn_close(c, c->inlen ? "closed in the middle of a request" : NULL);
			return;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				conn_close(c, strerror(errno));
			return;
		}
		c->inlen += (size_t)n;
	}
	if (process(c) == 0 && c->inlen > POLICY_MAX_REQUEST)
		conn_close(c, "request larger than 16 KB");
}

static void on_accept(struct watch *w, uint32_t events)
{
	struct listener *ls = (struct listener *)w;
	struct query *q = ls->q;

	(void)events;
	for (int i = 0; i < 64; i++) {
		int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_err("event=query_accept listener=%s error=\"%s\"", ls->what,
					strerror(errno));
			return;
		}
		if (q->nconns >= q->max || !(c = calloc(1, sizeof(*c)))) {
			uint64_t now = mono_ns();

			/* Once a minute at most: this can happen thousands of times. */
			if (now - q->refused_logged_ns > 60000000000ULL) {
				log_warn("event=query_refused connections=%zu max_connections=%zu "
					 "note=\"raise max_connections if this is legitimate load\"",
					 q->nconns, q->max);
				q->refused_logged_ns = now;
			}
			close(fd);
			continue;
		}
		c->w.fd = fd;
		c->w.cb = on_conn;
		c->q = q;
		c->reading = true;
		c->active_ns = mono_ns();
		if (loop_add(q->loop, &c->w, EPOLLIN | EPOLLRDHUP) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->next = q->conns;
		if (q->conns)
			q->conns->prev = c;
		q->conns = c;
		q->nconns++;
	}
}

static void on_sweep(struct watch *w, uint32_t events)
{
	struct query *q = (struct query *)((char *)w - offsetof(struct query, sweep));
	uint64_t ticks, cutoff = mono_ns() - IDLE_SECS * 1000000000ULL;

	(void)events;
	if (read(w->fd, &ticks, sizeof(ticks)) < 0)
		return;
	for (struct conn *c = q->conns, *next; c; c = next) {
		next = c->next;
		if (c->active_ns < cutoff)
			conn_close(c, "idle");
	}
}

/* Is somebody serving this socket already? */
static bool in_use(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool used;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	used = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	return used;
}

static int mkparent(const char *path)
{
	char dir[108], *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkparent(dir) < 0)
		return -1;
	return mkdir(dir, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

static int listen_unix(struct query *q, const struct config *c, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", c->query_socket);
	if (lstat(c->query_socket, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket; set query_socket to "
				 "another path", c->query_socket);
			return -1;
		}
		if (in_use(c->query_socket)) {
			snprintf(err, errlen, "another process serves %s; is rcptguardd already "
				 "running?", c->query_socket);
			return -1;
		}
		unlink(c->query_socket);
	}
	if (mkparent(c->query_socket) < 0) {
		snprintf(err, errlen, "cannot create the directory of %s: %s", c->query_socket,
			 strerror(errno));
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(c->query_socket, c->query_socket_mode) < 0 ||
	    ((c->query_socket_uid != (uid_t)-1 || c->query_socket_gid != (gid_t)-1) &&
	     chown(c->query_socket, c->query_socket_uid, c->query_socket_gid) < 0) ||
	    listen(fd, SOMAXCONN) < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", c->query_socket, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	snprintf(q->path, sizeof(q->path), "%s", c->query_socket);
	q->unix_l = (struct listener){ { fd, on_accept }, q, "unix" };
	return loop_add(q->loop, &q->unix_l.w, EPOLLIN);
}

static int listen_tcp(struct query *q, const struct config *c, char *err, size_t errlen)
{
	int fd, one = 1;

	q->tcp_l.w.fd = -1;
	if (!c->query_listen.ss_family)
		return 0;
	fd = socket(c->query_listen.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (const struct sockaddr *)&c->query_listen, c->query_listen_len) < 0 ||
	    listen(fd, SOMAXCONN) < 0) {
		snprintf(err, errlen, "cannot listen on query_listen: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	q->tcp_l = (struct listener){ { fd, on_accept }, q, "tcp" };
	return loop_add(q->loop, &q->tcp_l.w, EPOLLIN);
}

struct query *query_start(struct loop *l, const struct config *c, struct verdicts *v,
			  char *err, size_t errlen)
{
	struct query *q = calloc(1, sizeof(*q));

	if (!q) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	q->loop = l;
	q->v = v;
	q->max = c->max_connections;
	q->unix_l.w.fd = q->tcp_l.w.fd = q->sweep.fd = -1;
	if (listen_unix(q, c, err, errlen) < 0 || listen_tcp(q, c, err, errlen) < 0)
		goto fail;
	q->sweep.cb = on_sweep;
	if (loop_timer(l, &q->sweep, SWEEP_MS) < 0) {
		snprintf(err, errlen, "cannot create a timer: %s", strerror(errno));
		goto fail;
	}
	log_info("event=query_listen socket=%s mode=%04o tcp=%s", q->path, c->query_socket_mode,
		 q->tcp_l.w.fd >= 0 ? "yes" : "no");
	return q;
fail:
	query_stop(q);
	return NULL;
}

void query_stop(struct query *q)
{
	if (!q)
		return;
	while (q->conns)
		conn_close(q->conns, NULL);
	struct watch *ws[] = { &q->unix_l.w, &q->tcp_l.w, &q->sweep };
	for (size_t i = 0; i < 3; i++)
		if (ws[i]->fd >= 0) {
			loop_del(q->loop, ws[i]);
			close(ws[i]->fd);
		}
	if (q->path[0])
		unlink(q->path);
	free(q);
}

size_t query_connections(const struct query *q)
{
	return q->nconns;
}
