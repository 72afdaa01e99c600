/* query.c - the query socket: the policy protocol on the generic server.
 * Bad requests are logged and the connection is closed without a reply,
 * as the protocol asks. */
#include <stdio.h>
#include <stdlib.h>
#include "log.h"
#include "policy.h"
#include "query.h"
#include "server.h"

static int handle(struct conn *c, char *buf, size_t len, const char **why)
{
	struct policy_req r;
	char action[POLICY_MAX_REPLY - 16];

	if (policy_parse(buf, len, &r, why) < 0)
		return -1;
	verdicts_answer(conn_ctx(c), &r, action, sizeof(action));
	return conn_printf(c, "action=%s\n\n", action);
}

static const struct server_ops ops = {
	.name = "query",
	.max_request = POLICY_MAX_REQUEST,
	.frame = policy_frame,
	.handle = handle,
};

struct server *query_start(struct loop *l, const struct config *c, struct verdicts *v,
			   char *err, size_t errlen)
{
	struct server *s = server_new(l, &ops, v, c->max_connections);

	if (!s) {
		snprintf(err, errlen, "cannot start the query server: out of memory");
		return NULL;
	}
	if (server_listen_unix(s, c->query_socket, c->query_socket_mode, c->query_socket_uid,
			       c->query_socket_gid, err, errlen) < 0 ||
	    (c->query_listen.ss_family &&
	     server_listen_tcp(s, (const struct sockaddr *)&c->query_listen, c->query_listen_len,
			       err, errlen) < 0)) {
		server_free(s);
		return NULL;
	}
	log_info("event=query_listen socket=%s mode=%04o tcp=%s", c->query_socket,
		 c->query_socket_mode, c->query_listen.ss_family ? "yes" : "no");
	return s;
}
