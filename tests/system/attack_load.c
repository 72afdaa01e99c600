/* attack_load.c - a dictionary attack on the query socket, with real mail
 * flowing beside it.
 *
 *   attack_load -s SOCKET [-n SESSIONS] [-r RCPTS] [-V IP[,IP...]] [-o BANNED_FILE]
 *
 * SESSIONS attackers (10.128.0.0 upwards, one address each) hold one
 * connection each, all open at once, and ask for RCPTS unknown recipients
 * one after another, as an SMTP session would. Every answer must be the
 * unknown-recipient rejection (550) or the ban (421). Beside them, each -V
 * client asks for the valid recipient bob@example.com over and over until
 * the attack ends; every answer must be DUNNO.
 *
 * Prints one key=value line; exit 0 only if every request was answered
 * as expected within 300 s. -o writes the addresses that got a 421. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include "load_util.h"

#define MAX_VALID 8

struct sess {
	int fd;
	char ip[48];
	bool valid, banned;
	unsigned asked, answered;
	char in[512];
	size_t inlen;
};

static const char *sock_path;
static unsigned rcpts = 100;
static unsigned long wrong, rejected, deferred, valid_ok, valid_bad;

static void ask(struct sess *s)
{
	char rcpt[32], req[512];
	int n;

	if (s->valid)
		snprintf(rcpt, sizeof(rcpt), "bob");
	else
		snprintf(rcpt, sizeof(rcpt), "nobody%u", s->asked);
	n = snprintf(req, sizeof(req), "request=smtpd_access_policy\nprotocol_state=RCPT\n"
		     "client_address=%s\nsender=s@example.net\nrecipient=%s@example.com\n\n",
		     s->ip, rcpt);
	if (write(s->fd, req, (size_t)n) != n) {
		fprintf(stderr, "attack_load: write for %s: %s\n", s->ip, strerror(errno));
		exit(1);
	}
	s->asked++;
}

/* Judge one answer; false if it is not what this client may get. */
static bool judge(struct sess *s, const char *a)
{
	if (s->valid) {
		if (strncmp(a, "action=DUNNO\n", 13) == 0)
			return valid_ok++, true;
		valid_bad++;
		return false;
	}
	if (strncmp(a, "action=550 ", 11) == 0)
		return rejected++, true;
	if (strncmp(a, "action=421 ", 11) == 0)
		return deferred++, s->banned = true;
	return false;
}

int main(int argc, char **argv)
{
	unsigned long nsess = 10000, attackers_done = 0, answered = 0;
	char *valid = NULL, *banned_file = NULL;
	struct epoll_event ev[256];
	struct sess *ss;
	unsigned nvalid = 0;
	double t0;
	int opt, ep;

	while ((opt = getopt(argc, argv, "s:n:r:V:o:")) != -1) {
		switch (opt) {
		case 's': sock_path = optarg; break;
		case 'n': nsess = strtoul(optarg, NULL, 10); break;
		case 'r': rcpts = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'V': valid = optarg; break;
		case 'o': banned_file = optarg; break;
		default: return 2;
		}
	}
	if (!sock_path || !nsess || !rcpts || nsess > 1 << 22) {
		fprintf(stderr, "usage: attack_load -s SOCKET [-n SESSIONS] [-r RCPTS] [-V IP,...] "
			"[-o FILE]\n");
		return 2;
	}
	ss = calloc(nsess + MAX_VALID, sizeof(*ss));
	ep = epoll_create1(0);
	if (!ss || ep < 0)
		return 1;
	for (unsigned long i = 0; i < nsess; i++)
		snprintf(ss[i].ip, sizeof(ss[i].ip), "10.%lu.%lu.%lu", 128 + (i >> 16), i >> 8 & 255,
			 i & 255);
	for (char *ip = valid ? strtok(valid, ",") : NULL; ip && nvalid < MAX_VALID;
	     ip = strtok(NULL, ",")) {
		ss[nsess + nvalid].valid = true;
		snprintf(ss[nsess + nvalid++].ip, sizeof(ss[0].ip), "%s", ip);
	}
	t0 = mono_now();
	/* Every session connected before any asks: all of them at once. */
	for (unsigned long i = 0; i < nsess + nvalid; i++) {
		struct epoll_event e = { .events = EPOLLIN, .data.u64 = i };

		ss[i].fd = unix_connect(sock_path);
		if (ss[i].fd < 0) {
			fprintf(stderr, "attack_load: session %lu: connect %s: %s\n", i, sock_path,
				strerror(errno));
			return 1;
		}
		epoll_ctl(ep, EPOLL_CTL_ADD, ss[i].fd, &e);
	}
	double t_open = mono_now() - t0;

	for (unsigned long i = 0; i < nsess + nvalid; i++)
		ask(&ss[i]);
	while (attackers_done < nsess) {
		int n = epoll_wait(ep, ev, 256, 10000);

		if (n <= 0 || mono_now() - t0 > 300) {
			fprintf(stderr, "attack_load: no answers for 10 s or 300 s in all (%lu of %lu "
				"sessions done)\n", attackers_done, nsess);
			return 1;
		}
		for (int k = 0; k < n; k++) {
			struct sess *s = &ss[ev[k].data.u64];
			ssize_t r = read(s->fd, s->in + s->inlen, sizeof(s->in) - 1 - s->inlen);
			char *end;

			if (r <= 0) {
				fprintf(stderr, "attack_load: %s: connection closed by the daemon\n", s->ip);
				return 1;
			}
			s->inlen += (size_t)r;
			s->in[s->inlen] = '\0';
			if (!(end = strstr(s->in, "\n\n")))
				continue;
			answered++;
			if (!judge(s, s->in) && wrong++ < 5)
				fprintf(stderr, "attack_load: %s (%s): unexpected '%.*s'\n", s->ip,
					s->valid ? "valid" : "attacker", (int)(end - s->in), s->in);
			s->inlen = 0;
			if (s->valid || ++s->answered < rcpts) {
				ask(s);
				continue;
			}
			close(s->fd);
			attackers_done++;
		}
	}
	double secs = mono_now() - t0;
	unsigned long nbanned = 0;
	FILE *bf = banned_file ? fopen(banned_file, "w") : NULL;

	for (unsigned long i = 0; i < nsess; i++)
		if (ss[i].banned) {
			nbanned++;
			if (bf)
				fprintf(bf, "%s\n", ss[i].ip);
		}
	if (bf)
		fclose(bf);
	printf("sessions=%lu rcpts=%u answered=%lu rejected_550=%lu deferred_421=%lu "
	       "attackers_banned=%lu wrong=%lu valid_ok=%lu valid_rejected=%lu open_seconds=%.2f "
	       "seconds=%.2f rate=%.0f\n", nsess, rcpts, answered, rejected, deferred, nbanned,
	       wrong, valid_ok, valid_bad, t_open, secs, (double)answered / secs);
	return wrong || valid_bad ? 1 : 0;
}
