/* policy_load.c - drive the query socket: C concurrent connections, N
 * requests in all, each connection persistent (or one connection per
 * request with -1). Every reply is checked against the expected action of
 * its recipient; prints counts, the rate, latency percentiles and the maximum.
 *
 *   policy_load -s SOCKET [-c CONNS] [-n REQUESTS] [-a CLIENTS] [-1] [-i IDLE] [-t]
 *               RCPT=ACTION_PREFIX...
 *
 * Clients are 192.0.2.1-250 by default; -a N spreads requests over N
 * addresses in 10.0.0.0/8 instead. -r FROM reports the latency of the
 * requests numbered FROM and later only (with -a N -n 5N -r 4N: each
 * client's fifth unknown recipient, the one that bans it).
 *
 * -i IDLE first opens IDLE connections that never send a byte (those the
 * daemon cannot take are counted, not fatal), and -t adds one that
 * trickles a request a byte every 100 ms: the load must be served anyway.
 *
 * Exit 0 only if every request got the expected reply. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "load_util.h"

struct expect {
	const char *rcpt, *action;
};

struct conn {
	int fd;
	size_t sent, done;              /* requests on this connection */
	char in[1024];
	size_t inlen;
	unsigned cur;                   /* index into expects of the pending request */
	size_t seq;                     /* number of the pending request */
	double t0;
};

static const char *sock_path;
static struct expect *ex;
static unsigned nex;
static double *lat;
static size_t nlat, clients, report_from;

static int connect_sock(void)
{
	int fd = unix_connect(sock_path);

	if (fd < 0) {
		fprintf(stderr, "policy_load: connect %s: %s\n", sock_path, strerror(errno));
		exit(2);
	}
	return fd;
}

static void send_req(struct conn *c, size_t seq)
{
	char req[512];
	int n;

	char addr[32];
	size_t a = seq % (clients ? clients : 250);

	c->cur = (unsigned)(seq % nex);
	c->seq = seq;
	if (clients)
		snprintf(addr, sizeof(addr), "10.%zu.%zu.%zu", a >> 16 & 255, a >> 8 & 255, a & 255);
	else
		snprintf(addr, sizeof(addr), "192.0.2.%zu", a + 1);
	n = snprintf(req, sizeof(req), "request=smtpd_access_policy\nprotocol_state=RCPT\n"
		     "client_address=%s\nsender=s@example.net\nrecipient=%s\n"
		     "instance=%zu\n\n", addr, ex[c->cur].rcpt, seq);
	c->t0 = mono_now();
	if (write(c->fd, req, (size_t)n) != n) {
		fprintf(stderr, "policy_load: write: %s\n", strerror(errno));
		exit(2);
	}
	c->sent++;
}

/* Connections that hold a slot and say nothing; how many got through. */
static size_t hold_idle(size_t n)
{
	size_t held = 0;

	for (size_t i = 0; i < n; i++) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
		if (fd < 0)
			break;          /* our own descriptors ran out */
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			held++;
		else
			close(fd);      /* the backlog is full: the daemon sheds */
	}
	return held;
}

int main(int argc, char **argv)
{
	size_t conns = 1, total = 1000, issued = 0, answered = 0, wrong = 0;
	int opt, per_request = 0, trickle = -1;
	size_t idle = 0, held = 0, trickled = 0;
	double next_trickle = 0;
	static const char slow[] = "request=smtpd_access_policy\nprotocol_state=RCPT\n"
				   "client_address=192.0.2.99\nrecipient=slow@example.com\n";
	struct conn *cs;
	struct pollfd *pf;
	double t_start;

	while ((opt = getopt(argc, argv, "s:c:n:a:r:1i:t")) != -1) {
		switch (opt) {
		case 's': sock_path = optarg; break;
		case 'c': conns = strtoul(optarg, NULL, 10); break;
		case 'n': total = strtoul(optarg, NULL, 10); break;
		case '1': per_request = 1; break;
		case 'a': clients = strtoul(optarg, NULL, 10); break;
		case 'r': report_from = strtoul(optarg, NULL, 10); break;
		case 'i': idle = strtoul(optarg, NULL, 10); break;
		case 't': trickle = 0; break;
		default: return 2;
		}
	}
	nex = (unsigned)(argc - optind);
	if (!sock_path || !nex || !conns || !total) {
		fprintf(stderr, "usage: policy_load -s SOCKET [-c N] [-n N] [-1] RCPT=ACTION...\n");
		return 2;
	}
	ex = calloc(nex, sizeof(*ex));
	for (unsigned i = 0; i < nex; i++) {
		char *eq = strchr(argv[optind + i], '=');

		if (!eq)
			return 2;
		*eq = '\0';
		ex[i] = (struct expect){ argv[optind + i], eq + 1 };
	}
	if (conns > total)
		conns = total;
	cs = calloc(conns, sizeof(*cs));
	pf = calloc(conns, sizeof(*pf));
	lat = calloc(total, sizeof(*lat));
	held = hold_idle(idle);
	if (trickle == 0)
		trickle = connect_sock();
	t_start = mono_now();
	for (size_t i = 0; i < conns; i++) {
		cs[i].fd = connect_sock();
		send_req(&cs[i], issued++);
	}
	while (answered < total) {
		for (size_t i = 0; i < conns; i++)
			pf[i] = (struct pollfd){ .fd = cs[i].fd, .events = POLLIN };
		if (trickle >= 0 && mono_now() >= next_trickle && trickled < sizeof(slow) - 1) {
			if (write(trickle, slow + trickled, 1) == 1)
				trickled++;
			next_trickle = mono_now() + 0.1;
		}
		if (poll(pf, conns, trickle >= 0 ? 100 : 10000) < 0 || mono_now() - t_start > 60) {
			fprintf(stderr, "policy_load: not every reply within 60 s (%zu of %zu answered)\n",
				answered, total);
			return 1;
		}
		for (size_t i = 0; i < conns; i++) {
			struct conn *c = &cs[i];
			ssize_t n;
			char *end;

			if (!(pf[i].revents & (POLLIN | POLLHUP)) || c->fd < 0)
				continue;
			n = read(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen);
			if (n <= 0) {
				fprintf(stderr, "policy_load: connection closed by the daemon\n");
				return 1;
			}
			c->inlen += (size_t)n;
			c->in[c->inlen] = '\0';
			if (!(end = strstr(c->in, "\n\n")))
				continue;
			if (c->seq >= report_from)
				lat[nlat++] = mono_now() - c->t0;
			answered++;
			if (strncmp(c->in, "action=", 7) != 0 ||
			    strncmp(c->in + 7, ex[c->cur].action, strlen(ex[c->cur].action)) != 0) {
				if (wrong++ < 5)
					fprintf(stderr, "policy_load: %s: expected '%s', got '%.*s'\n",
						ex[c->cur].rcpt, ex[c->cur].action,
						(int)(end - c->in), c->in);
			}
			c->inlen = 0;
			if (per_request) {
				close(c->fd);
				c->fd = -1;
			}
			if (issued < total) {
				if (per_request)
					c->fd = connect_sock();
				send_req(c, issued++);
			}
		}
	}
	{
		double secs = mono_now() - t_start;

		qsort(lat, nlat, sizeof(*lat), cmp_double);
		if (!nlat)
			lat[nlat++] = 0;
		printf("requests=%zu wrong=%zu connections=%zu%s seconds=%.3f rate=%.0f "
		       "p50_us=%.1f p99_us=%.1f max_us=%.1f", answered, wrong, conns,
		       per_request ? " (one per request)" : "", secs, (double)answered / secs,
		       lat[nlat / 2] * 1e6, lat[nlat * 99 / 100] * 1e6, lat[nlat - 1] * 1e6);
		if (idle || trickle >= 0)
			printf(" idle_held=%zu of %zu trickled=%zu", held, idle, trickled);
		printf("\n");
	}
	return wrong ? 1 : 0;
}
