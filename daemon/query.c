/* query.c - the query socket: the policy protocol on the generic server.
 * Bad requests are logged and the connection is closed without a reply,
 * as the protocol asks. A request waiting for DNSBL answers is kept here
 * (its own copy) until they arrive or dnsbl_wait passes; its connection
 * waits meanwhile, so answers keep their order. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "duration.h"
#include "log.h"
#include "policy.h"
#include "query.h"
#include "server.h"

#define WAIT_TICK_MS 50

struct waiting {
	struct waiting *next;
	struct conn *c;
	uint64_t deadline;
	struct policy_req r;
	char buf[];                     /* the request, parsed in place */
};

struct query {
	struct server *srv;
	struct loop *loop;
	struct verdicts *v;
	struct waiting *wait;
	uint64_t wait_ns;
	bool may_wait;                  /* DNSBL lookups on: answers can wait */
	struct watch tick;
	uid_t users[CONFIG_MAX_USERS];  /* query_listen_users */
	unsigned nusers;
};

/* The Unix socket is the MTA's group's; on loopback TCP any local user
 * may connect, so only the named users' requests are evidence. */
static bool verdict_only(const struct query *q, const struct conn *c)
{
	uid_t uid;
	pid_t pid;

	if (!conn_tcp(c))
		return false;
	conn_peer(c, &uid, &pid);
	for (unsigned i = 0; uid != (uid_t)-1 && i < q->nusers; i++)
		if (q->users[i] == uid)
			return false;
	return true;
}

static int reply(struct conn *c, struct verdicts *v, const struct policy_req *r, bool final)
{
	char action[POLICY_MAX_REPLY - 16];

	if (verdicts_answer(v, r, action, sizeof(action), final) == VERDICT_WAIT)
		return 1;
	return conn_printf(c, "action=%s\n\n", action) < 0 ? -1 : 0;
}

static int handle(struct conn *c, char *buf, size_t len, const char **why)
{
	struct query *q = conn_ctx(c);
	struct policy_req r;
	struct waiting *w = NULL;
	int rc;

	/* Parsing writes into buf, and buf is reused for the next request:
	 * a request that may wait needs its own copy, taken first. */
	if (q->may_wait && !(w = malloc(sizeof(*w) + len + 1)))
		return -1;
	if (w)
		memcpy(w->buf, buf, len);
	if (policy_parse(buf, len, &r, why) < 0) {
		free(w);
		return -1;
	}
	r.verdict_only = verdict_only(q, c);
	rc = reply(c, q->v, &r, false);
	if (rc <= 0 || !w) {
		free(w);
		return rc;
	}
	policy_parse(w->buf, len, &w->r, why);
	w->r.verdict_only = r.verdict_only;
	w->c = c;
	w->deadline = mono_ns() + q->wait_ns;
	w->next = q->wait;
	q->wait = w;
	return 1;
}

/* Answer what can be answered: complete lookups, or deadlines passed. */
static void retry(struct query *q)
{
	uint64_t now = mono_ns();
	struct waiting **pp = &q->wait;

	while (*pp) {
		struct waiting *w = *pp;
		int rc = reply(w->c, q->v, &w->r, now >= w->deadline);

		if (rc == 1) {
			pp = &w->next;
			continue;
		}
		*pp = w->next;
		/* Resuming may answer (and queue) the connection's next request. */
		if (rc == 0)
			conn_resume(w->c);
		free(w);
		pp = &q->wait;
	}
}

static void on_progress(void *arg)
{
	retry(arg);
}

static void on_tick(struct watch *wt, uint32_t events)
{
	struct query *q = (struct query *)((char *)wt - offsetof(struct query, tick));
	uint64_t ticks;

	(void)events;
	if (read(wt->fd, &ticks, sizeof(ticks)) == sizeof(ticks) && q->wait)
		retry(q);
}

/* A closing connection takes its waiting request with it. */
static void closed(struct conn *c)
{
	struct waiting **pp = &((struct query *)conn_ctx(c))->wait;

	while (*pp) {
		if ((*pp)->c == c) {
			struct waiting *w = *pp;

			*pp = w->next;
			free(w);
		} else {
			pp = &(*pp)->next;
		}
	}
}

static const struct server_ops ops = {
	.name = "query",
	.max_request = POLICY_MAX_REQUEST,
	.frame = policy_frame,
	.handle = handle,
	.closed = closed,
};

/* The first port any local user may bind in this network namespace (the
 * kernel's default, 1024, when /proc cannot say). */
static unsigned unprivileged_port_start(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "r");
	unsigned port = 1024;

	if (f) {
		if (fscanf(f, "%u", &port) != 1)
			port = 1024;
		fclose(f);
	}
	return port;
}

/* While the daemon is down or restarting, any local user may take an
 * unprivileged port and answer the MTA's policy requests in its place. */
static void check_port(const struct config *c)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&c->query_listen;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&c->query_listen;
	unsigned port = ntohs(c->query_listen.ss_family == AF_INET ? s4->sin_port : s6->sin6_port);
	unsigned start = unprivileged_port_start();

	if (port >= start)
		log_warn("event=query_listen_unprivileged_port port=%u unprivileged_port_start=%u "
			 "note=\"while rcptguardd is down any local user can listen there and answer "
			 "the MTA (reject mail, accept it, read envelopes): use the Unix socket or "
			 "a port below %u\"", port, start, start);
}

struct query *query_start(struct loop *l, const struct config *c, struct verdicts *v,
			  struct dnsbl *dnsbl, char *err, size_t errlen)
{
	struct query *q = calloc(1, sizeof(*q));

	if (!q || !(q->srv = server_new(l, &ops, q, c->max_connections))) {
		snprintf(err, errlen, "cannot start the query server: out of memory");
		free(q);
		return NULL;
	}
	q->loop = l;
	q->v = v;
	q->wait_ns = (uint64_t)(c->dnsbl_wait * 1e9);
	q->tick = (struct watch){ -1, on_tick };
	if (server_listen_unix(q->srv, c->query_socket, c->query_socket_mode, c->query_socket_uid,
			       c->query_socket_gid, err, errlen) < 0 ||
	    (c->query_listen.ss_family &&
	     server_listen_tcp(q->srv, (const struct sockaddr *)&c->query_listen,
			       c->query_listen_len, err, errlen) < 0) ||
	    loop_timer(l, &q->tick, WAIT_TICK_MS) < 0) {
		if (!err[0])
			snprintf(err, errlen, "cannot create a timer");
		query_stop(q);
		return NULL;
	}
	memcpy(q->users, c->query_listen_users, sizeof(q->users));
	q->nusers = c->n_query_listen_users;
	if (c->query_listen.ss_family)
		check_port(c);
	if (c->query_listen.ss_family && !q->nusers)
		log_warn("event=query_listen_untrusted note=\"requests over TCP get verdicts but "
			 "are no evidence, so they ban nobody: any local user can connect; name "
			 "the MTA's users with query_listen_users, or use the Unix socket\"");
	q->may_wait = dnsbl_enabled(dnsbl);
	if (q->may_wait)
		dnsbl_on_progress(dnsbl, on_progress, q);
	log_info("event=query_listen socket=%s mode=%04o tcp=%s", c->query_socket,
		 c->query_socket_mode, c->query_listen.ss_family ? "yes" : "no");
	return q;
}

void query_stop(struct query *q)
{
	if (!q)
		return;
	server_free(q->srv);            /* frees every waiting request via closed() */
	loop_close(q->loop, &q->tick);
	free(q);
}

struct server *query_server(const struct query *q)
{
	return q->srv;
}
