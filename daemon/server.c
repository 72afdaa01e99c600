/* server.c - listeners and connections on the event loop.
 *
 * A connection holds no input buffer while idle, so thousands of idle
 * connections cost little. Replies go out directly; if the peer does not
 * read them, the connection stops being read until they are gone. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "duration.h"
#include "grow.h"
#include "log.h"
#include "peer.h"
#include "server.h"

#define READ_CHUNK 4096
#define IDLE_SECS 600           /* Postfix drops idle policy connections after 300 s */
#define SWEEP_MS 10000
#define OUT_PAUSE 65536         /* stop reading while this much is unsent */
#define MAX_LISTENERS 2
/* Accepts per wake-up of a listener. The listener waits its turn behind
 * every busy connection, so a small burst lets a connection storm fill
 * the backlog for seconds, and a new client (rcptguard-spp, one
 * connection per RCPT, with a timeout) waits behind it. An accept costs
 * microseconds. */
#define ACCEPT_BURST 1024

struct conn {
	struct watch w;         /* first: loop_defer_free() matches on it */
	struct server *s;
	struct conn *prev, *next;
	char *in, *out;
	size_t inlen, incap, scan, outlen, outcap;
	uint64_t active_ns;
	uid_t uid;              /* Unix: SO_PEERCRED; TCP: sock_diag (peer.h) */
	pid_t pid;
	bool tcp;
	bool paused;            /* an answer is deferred */
	bool eof;               /* the peer has stopped sending, but still reads */
};

struct listener {
	struct watch w;
	struct server *s;
	char path[108];         /* Unix socket to remove at the end, or "" */
};

struct server {
	struct loop *loop;
	const struct server_ops *ops;
	void *ctx;
	struct listener ls[MAX_LISTENERS];
	unsigned nls;
	struct watch sweep;
	struct conn *conns;
	size_t nconns, max;
	uint64_t refused_logged_ns;
	int reserve_fd;                 /* given up to shed a connection when fds run out */
};

void *conn_ctx(const struct conn *c)
{
	return c->s->ctx;
}

size_t conn_pending(const struct conn *c)
{
	return c->outlen;
}

void conn_truncate(struct conn *c, size_t len)
{
	if (len < c->outlen)
		c->outlen = len;
}

void conn_peer(const struct conn *c, uid_t *uid, pid_t *pid)
{
	*uid = c->uid;
	*pid = c->pid;
}

bool conn_tcp(const struct conn *c)
{
	return c->tcp;
}

static void conn_close(struct conn *c, const char *why)
{
	struct server *s = c->s;

	if (why)
		log_info("event=%s_close fd=%d reason=\"%s\"", s->ops->name, c->w.fd, why);
	if (s->ops->closed)
		s->ops->closed(c);
	loop_del(s->loop, &c->w);
	close(c->w.fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	free(c->in);
	free(c->out);
	loop_defer_free(s->loop, c);
}

int conn_printf(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = c->outcap - c->outlen;

		va_start(ap, fmt);
		n = vsnprintf(c->out ? c->out + c->outlen : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -1;
		if ((size_t)n < room) {
			c->outlen += (size_t)n;
			return 0;
		}
		if (grow(&c->out, &c->outcap, c->outlen + (size_t)n + 1, 1, 1024) < 0)
			return -1;
	}
}

static void set_events(struct conn *c)
{
	uint32_t ev = (c->outlen ? EPOLLOUT : 0);

	if (!c->eof)
		ev |= (c->outlen < OUT_PAUSE ? EPOLLIN : 0) | EPOLLRDHUP;
	loop_mod(c->s->loop, &c->w, ev);
}

/* Write what we can; -1 if the peer is gone. */
static int flush(struct conn *c)
{
	size_t off = 0;

	while (off < c->outlen) {
		ssize_t n = send(c->w.fd, c->out + off, c->outlen - off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				return -1;
			break;
		}
		off += (size_t)n;
	}
	memmove(c->out, c->out + off, c->outlen - off);
	c->outlen -= off;
	if (!c->outlen && c->outcap > 4 * READ_CHUNK) {
		/* Give back the memory of a big reply. */
		free(c->out);
		c->out = NULL;
		c->outcap = 0;
	}
	return 0;
}

/* Answer every complete request in the buffer while replies fit. */
static int process(struct conn *c)
{
	size_t len;

	while (!c->paused && c->outlen < OUT_PAUSE &&
	       (len = c->s->ops->frame(c->in, c->inlen, &c->scan)) > 0) {
		const char *why = "out of memory";
		int rc = c->s->ops->handle(c, c->in, len, &why);

		if (rc < 0) {
			conn_close(c, why);
			return -1;
		}
		c->paused = rc > 0;
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
	/* A peer that sent its last request gets its answers, then a close. */
	if (c->eof && !c->paused && !c->outlen) {
		conn_close(c, NULL);
		return -1;
	}
	set_events(c);
	return 0;
}

void conn_resume(struct conn *c)
{
	c->paused = false;
	process(c);
}

static void on_conn(struct watch *w, uint32_t events)
{
	struct conn *c = (struct conn *)w;
	size_t max = c->s->ops->max_request;
	ssize_t n;

	c->active_ns = mono_ns();
	if (events & EPOLLOUT) {
		if (flush(c) < 0) {
			conn_close(c, "peer gone while replying");
			return;
		}
		if (process(c) < 0)
			return;
	}
	if (events & (EPOLLHUP | EPOLLERR)) {
		conn_close(c, c->inlen || c->paused ? "closed in the middle of a request" : NULL);
		return;
	}
	if (!(events & (EPOLLIN | EPOLLRDHUP)) || c->outlen >= OUT_PAUSE || c->eof)
		return;
	if (c->incap - c->inlen < READ_CHUNK) {
		size_t cap = c->inlen + READ_CHUNK;
		char *in;

		if (!(in = realloc(c->in, cap))) {
			conn_close(c, "out of memory");
			return;
		}
		c->in = in;
		c->incap = cap;
	}
	n = recv(c->w.fd, c->in + c->inlen, c->incap - c->inlen, MSG_DONTWAIT);
	if (n == 0) {
		if (c->paused || c->outlen) {
			c->eof = true;
			set_events(c);
			return;
		}
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
	if (process(c) == 0 && c->inlen > max) {
		char why[64];

		snprintf(why, sizeof(why), "request larger than %zu KB", max / 1024);
		conn_close(c, why);
	}
}

/* Once a minute at most: this can happen thousands of times. */
static void log_refused(struct server *s, const char *why)
{
	uint64_t now = mono_ns();

	if (!s->refused_logged_ns || now - s->refused_logged_ns > 60000000000ULL) {
		log_warn("event=%s_refused connections=%zu max=%zu why=%s note=\"%sraise %s if "
			 "this is legitimate load\"", s->ops->name, s->nconns, s->max, why,
			 strcmp(why, "out_of_memory") != 0 ? "the idlest connections are "
			 "closed to make room; " : "",
			 strcmp(why, "max_connections") == 0 ? "max_connections" :
			 "the open-files limit (LimitNOFILE, ulimit -n)");
		s->refused_logged_ns = now;
	}
}

/* The connection idle the longest (nothing half read, unsent or awaited),
 * or NULL: it makes room when descriptors or max_connections run out; its
 * client reconnects when it next asks. */
static struct conn *idlest(const struct server *s)
{
	struct conn *best = NULL;

	for (struct conn *c = s->conns; c; c = c->next)
		if (!c->inlen && !c->outlen && !c->paused &&
		    (!best || c->active_ns < best->active_ns))
			best = c;
	return best;
}

/* Out of descriptors: the idlest connection makes room. Without one, a
 * pending connection would keep the listener readable for ever: take it
 * with the reserve descriptor and close it, so the loop does not spin and
 * the client learns at once. */
static bool shed(struct server *s, int lfd)
{
	struct conn *c = idlest(s);
	int fd;

	log_refused(s, "no_file_descriptors");
	if (c) {
		conn_close(c, NULL);
		return true;
	}
	if (s->reserve_fd < 0)
		return false;
	close(s->reserve_fd);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0)
		close(fd);
	s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return fd >= 0;
}

static void on_accept(struct watch *w, uint32_t events)
{
	struct listener *ls = (struct listener *)w;
	struct server *s = ls->s;

	(void)events;
	for (int i = 0; i < ACCEPT_BURST; i++) {
		int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int waiting = 0;
		struct ucred cred = { .pid = 0, .uid = (uid_t)-1 };
		socklen_t clen = sizeof(cred);
		struct conn *c;

		if (fd < 0) {
			if ((errno == EMFILE || errno == ENFILE) && shed(s, w->fd))
				continue;
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED &&
			    errno != EMFILE && errno != ENFILE)
				log_err("event=%s_accept error=\"%s\"", s->ops->name, strerror(errno));
			return;
		}
		/* At max_connections a new client (one waiting for its verdict)
		 * beats the connection idle the longest. */
		if (s->nconns >= s->max) {
			struct conn *old = idlest(s);

			log_refused(s, "max_connections");
			if (old)
				conn_close(old, NULL);
		}
		if (s->nconns >= s->max || !(c = calloc(1, sizeof(*c)))) {
			if (s->nconns < s->max)
				log_refused(s, "out_of_memory");
			close(fd);
			continue;
		}
		if (ls->path[0])
			getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen);
		else if (peer_tcp_uid(fd, &cred.uid) < 0)
			cred.uid = (uid_t)-1;
		*c = (struct conn){ .w = { fd, on_conn }, .s = s, .active_ns = mono_ns(),
				    .uid = cred.uid, .pid = cred.pid, .tcp = !ls->path[0] };
		if (loop_add(s->loop, &c->w, EPOLLIN | EPOLLRDHUP) < 0) {
			close(fd);
			free(c);
			continue;
		}
		if (s->ops->log_peers)
			log_debug("event=%s_connect uid=%d pid=%d", s->ops->name, (int)cred.uid,
				 (int)cred.pid);
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		s->nconns++;
		/* A request sent with the connect is served now, not a round of
		 * every busy connection later. Only then: an idle connection
		 * holds no buffer. */
		if (ioctl(fd, FIONREAD, &waiting) == 0 && waiting > 0)
			on_conn(&c->w, EPOLLIN);
	}
}

static void on_sweep(struct watch *w, uint32_t events)
{
	struct server *s = (struct server *)((char *)w - offsetof(struct server, sweep));
	uint64_t ticks, now = mono_ns();

	(void)events;
	if (read(w->fd, &ticks, sizeof(ticks)) < 0)
		return;
	/* now - active, never now - IDLE: the clock starts at boot, and the
	 * subtraction would wrap in a daemon's first ten minutes. */
	for (struct conn *c = s->conns, *next; c; c = next) {
		next = c->next;
		if (now - c->active_ns > IDLE_SECS * 1000000000ULL)
			conn_close(c, "idle");
	}
}

struct server *server_new(struct loop *l, const struct server_ops *ops, void *ctx,
			  size_t max_conns)
{
	struct server *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	*s = (struct server){ .loop = l, .ops = ops, .ctx = ctx, .max = max_conns,
			      .sweep = { -1, on_sweep },
			      .reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC) };
	if (loop_timer(l, &s->sweep, SWEEP_MS) < 0) {
		if (s->reserve_fd >= 0)
			close(s->reserve_fd);
		free(s);
		return NULL;
	}
	return s;
}

static int add_listener(struct server *s, int fd, const char *path, char *err, size_t errlen)
{
	struct listener *ls = &s->ls[s->nls];

	*ls = (struct listener){ .w = { fd, on_accept }, .s = s };
	snprintf(ls->path, sizeof(ls->path), "%s", path ? path : "");
	if (loop_add(s->loop, &ls->w, EPOLLIN) < 0) {
		snprintf(err, errlen, "cannot watch a listener: %s", strerror(errno));
		close(fd);
		return -1;
	}
	s->nls++;
	return 0;
}

bool server_in_use(const char *path)
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

int server_listen_unix(struct server *s, const char *path, unsigned mode, uid_t uid, gid_t gid,
		       char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (s->nls == MAX_LISTENERS || strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "cannot listen on %s", path);
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket; choose another path",
				 path);
			return -1;
		}
		if (server_in_use(path)) {
			snprintf(err, errlen, "another process serves %s; is rcptguardd already "
				 "running?", path);
			return -1;
		}
		unlink(path);
	}
	if (mkparent(path) < 0) {
		snprintf(err, errlen, "cannot create the directory of %s: %s", path,
			 strerror(errno));
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, mode) < 0 ||
	    ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(path, uid, gid) < 0) ||
	    listen(fd, SOMAXCONN) < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return add_listener(s, fd, path, err, errlen);
}

int server_listen_tcp(struct server *s, const struct sockaddr *sa, socklen_t len,
		      char *err, size_t errlen)
{
	int fd, one = 1;

	if (s->nls == MAX_LISTENERS) {
		snprintf(err, errlen, "too many listeners");
		return -1;
	}
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, sa, len) < 0 || listen(fd, SOMAXCONN) < 0) {
		snprintf(err, errlen, "cannot listen on TCP: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return add_listener(s, fd, NULL, err, errlen);
}

void server_free(struct server *s)
{
	if (!s)
		return;
	while (s->conns)
		conn_close(s->conns, NULL);
	for (unsigned i = 0; i < s->nls; i++) {
		loop_del(s->loop, &s->ls[i].w);
		close(s->ls[i].w.fd);
		if (s->ls[i].path[0])
			unlink(s->ls[i].path);
	}
	loop_close(s->loop, &s->sweep);
	if (s->reserve_fd >= 0)
		close(s->reserve_fd);
	free(s);
}

size_t server_connections(const struct server *s)
{
	return s->nconns;
}
