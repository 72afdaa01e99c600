/* server.h - stream-socket servers on the event loop: listeners, bounded
 * connections, framing and replies. The query socket (policy protocol)
 * and the control socket are two small sets of callbacks on top of it. */
#ifndef RG_SERVER_H
#define RG_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include "loop.h"

struct server;
struct conn;

struct server_ops {
	const char *name;               /* "query", "control": in log lines */
	size_t max_request;             /* bigger requests close the connection */
	/* Length of the next complete request in buf, resuming at *scan (0
	 * for a new request); 0 while incomplete. */
	size_t (*frame)(const char *buf, size_t len, size_t *scan);
	/* Answer one request (buf is writable, len bytes) with conn_printf().
	 * Return -1 with *why set to close the connection without a reply, or
	 * 1 to answer later: the connection then waits for conn_resume(). */
	int (*handle)(struct conn *c, char *buf, size_t len, const char **why);
	/* A connection is closing (may be NULL). */
	void (*closed)(struct conn *c);
	bool log_peers;                 /* log each peer's uid and pid */
};

struct server *server_new(struct loop *l, const struct server_ops *ops, void *ctx,
			  size_t max_conns);
/* Listen on a Unix socket; refuses one another process serves. */
int server_listen_unix(struct server *s, const char *path, unsigned mode, uid_t uid, gid_t gid,
		       char *err, size_t errlen);
int server_listen_tcp(struct server *s, const struct sockaddr *sa, socklen_t len,
		      char *err, size_t errlen);
/* Close every connection and listener, remove the socket files. */
void server_free(struct server *s);
size_t server_connections(const struct server *s);

void *conn_ctx(const struct conn *c);
/* The deferred answer is written: go on with the next request. The
 * connection may be closed (and freed) before this returns. */
void conn_resume(struct conn *c);
/* Append to the reply; -1 if out of memory (the connection then closes). */
int conn_printf(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Bytes of reply not sent yet; cut them back to len (to replace a reply
 * being built with an error). */
size_t conn_pending(const struct conn *c);
void conn_truncate(struct conn *c, size_t len);
/* The peer's credentials: on a Unix socket its uid and pid; on TCP the
 * uid owning the peer's loopback socket (peer.h) and pid 0. uid -1 when
 * unknown. */
void conn_peer(const struct conn *c, uid_t *uid, pid_t *pid);
/* Did c come through a TCP listener? */
bool conn_tcp(const struct conn *c);

/* Does a process answer on the Unix socket path (another daemon)? */
bool server_in_use(const char *path);

#endif
