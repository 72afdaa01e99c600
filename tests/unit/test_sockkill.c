/* test_sockkill.c - the sessions sockkill() finds are exactly those a
 * userspace check picks, for random prefixes (v4, v6, and v4 reaching
 * v4-mapped peers of a dual-stack listener), port sets and allowlists; then
 * the ones it closes are the ones found, and their other ends see it.
 * Runs in a network namespace of its own (needs root). */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "addr.h"
#include "sockkill.h"
#include "tap.h"

#define NCLI 24

struct conn {
	int cli, srv;
	uint16_t port;          /* the server's */
	struct rg_addr peer;    /* the client's, in the 128-bit form */
};

static void lo_up(void)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	strcpy(ifr.ifr_name, "lo");
	ioctl(s, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	ioctl(s, SIOCSIFFLAGS, &ifr);
	close(s);
}

/* A listener on port 0 of family (v6: dual-stack); its port. */
static int listener(int family, uint16_t *port)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY) };
	struct sockaddr_storage ss;
	socklen_t l = sizeof(ss);
	int s = socket(family, SOCK_STREAM, 0), off = 0;

	if (family == AF_INET6)
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	if (family == AF_INET6 ? bind(s, (struct sockaddr *)&a6, sizeof(a6)) :
	    bind(s, (struct sockaddr *)&a4, sizeof(a4)))
		return -1;
	listen(s, 64);
	getsockname(s, (struct sockaddr *)&ss, &l);
	*port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
		      ((struct sockaddr_in *)&ss)->sin_port);
	return s;
}

/* Client i: from 127.0.0.(2+i%8) or ::1, to the v4 or the dual-stack port. */
static int connect_one(struct conn *c, int i, int l4, uint16_t p4, int l6, uint16_t p6)
{
	bool v6 = i % 3 == 2, to6 = v6 || i % 3 == 1;
	struct rg_lpm_key k;
	char src[32], err[64];

	snprintf(src, sizeof(src), v6 ? "::1" : "127.0.0.%d", 2 + i % 8);
	addr_parse(src, &k, err, sizeof(err));
	c->peer = k.addr;
	c->port = to6 ? p6 : p4;
	c->cli = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	if (v6) {
		struct sockaddr_in6 d = { .sin6_family = AF_INET6, .sin6_port = htons(p6),
					  .sin6_addr = IN6ADDR_LOOPBACK_INIT };

		if (connect(c->cli, (struct sockaddr *)&d, sizeof(d)) < 0)
			return -1;
	} else {
		struct sockaddr_in s = { .sin_family = AF_INET }, d = s;

		inet_pton(AF_INET, src, &s.sin_addr);
		d.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		d.sin_port = htons(c->port);
		if (bind(c->cli, (struct sockaddr *)&s, sizeof(s)) < 0 ||
		    connect(c->cli, (struct sockaddr *)&d, sizeof(d)) < 0)
			return -1;
	}
	c->srv = accept(to6 ? l6 : l4, NULL, NULL);
	return c->srv < 0 ? -1 : 0;
}

/* A random prefix near the clients: v4 /0../32 or v6 around ::1. */
static struct rg_lpm_key random_key(void)
{
	struct rg_lpm_key k = { 0 };
	char s[64], err[64];

	if (rand() % 4 == 0)
		snprintf(s, sizeof(s), "::%x/%d", rand() % 3, 100 + rand() % 29);
	else
		snprintf(s, sizeof(s), "127.0.0.%d/%d", rand() % 12, rand() % 33);
	addr_parse(s, &k, err, sizeof(err));
	return k;
}

int main(void)
{
	struct conn c[NCLI];
	uint16_t p4, p6, other = 1;
	int l4, l6, bad = 0, mism = 0, found = 0, spared = 0;

	if (unshare(CLONE_NEWNET) < 0) {
		ok(0, "a network namespace of our own: %s (needs root)", strerror(errno));
		return tap_done();
	}
	lo_up();
	l4 = listener(AF_INET, &p4);
	l6 = listener(AF_INET6, &p6);
	for (int i = 0; i < NCLI; i++)
		bad += connect_one(&c[i], i, l4, p4, l6, p6) < 0;
	ok(l4 >= 0 && l6 >= 0 && bad == 0, "%d sessions to a v4 and a dual-stack listener", NCLI);

	srand(16);
	for (int round = 0; round < 400; round++) {
		struct rg_lpm_key k = random_key(), a = random_key();
		uint16_t ports[3] = { p4, p6, other };
		unsigned n = 1 + (unsigned)(rand() % 3), want = 0, spare = 0;
		struct allowlist al = { 0 };
		struct sockkill_result r;
		bool use_allow = rand() % 2;

		if (rand() % 2) {
			ports[0] = p6;
			ports[1] = p4;
		}
		if (use_allow)
			allowlist_add(&al, &a, RG_ALLOW_MANUAL);
		for (int i = 0; i < NCLI; i++) {
			bool on_port = false;

			for (unsigned j = 0; j < n; j++)
				on_port |= c[i].port == ports[j];
			if (!on_port || !addr_in_prefix(&k, &c[i].peer))
				continue;
			if (use_allow && addr_in_prefix(&a, &c[i].peer))
				spare++;
			else
				want++;
		}
		found += want > 0;
		spared += spare > 0;
		if (sockkill(&k, ports, n, &al, true, &r) < 0 || r.matched != want ||
		    r.spared != spare || r.closed) {
			char ks[ADDR_STRLEN];

			addr_format(&k, ks, sizeof(ks));
			printf("# %s ports=%u: found %u spared %u, expected %u and %u\n", ks, n,
			       r.matched, r.spared, want, spare);
			mism++;
		}
		allowlist_free(&al);
	}
	ok(mism == 0 && found > 100 && spared > 20, "400 random prefixes, port sets and allow "
	   "entries: found = expected (%d rounds found some, %d spared some)", found, spared);

	/* Many bans in one pass: each socket counts for the first prefix that
	 * holds it, exactly as a userspace check over the same list says. */
	mism = 0;
	for (int round = 0; round < 200; round++) {
		struct rg_lpm_key keys[8];
		struct sockkill_result r[8];
		uint16_t ports[2] = { p4, p6 };
		unsigned nk = 1 + (unsigned)(rand() % 8), want[8] = { 0 };

		for (unsigned j = 0; j < nk; j++)
			keys[j] = random_key();
		for (int i = 0; i < NCLI; i++)
			for (unsigned j = 0; j < nk; j++)
				if (addr_in_prefix(&keys[j], &c[i].peer)) {
					want[j]++;
					break;
				}
		if (sockkill_many(keys, nk, ports, 2, NULL, true, r) < 0) {
			mism++;
			continue;
		}
		for (unsigned j = 0; j < nk; j++)
			mism += r[j].matched != want[j] || r[j].spared || r[j].closed;
	}
	ok(mism == 0, "200 random lists of up to 8 bans, one pass: every ban finds its own "
	   "sessions (%d mismatches)", mism);

	/* Closing: 127.0.0.0/29 on both ports, 127.0.0.3 allowlisted. */
	{
		struct rg_lpm_key k, a;
		struct allowlist al = { 0 };
		struct sockkill_result r;
		uint16_t ports[2] = { p4, p6 };
		unsigned want = 0, ended = 0, wrong = 0;
		char err[64];

		addr_parse("127.0.0.0/29", &k, err, sizeof(err));
		addr_parse("127.0.0.3", &a, err, sizeof(err));
		allowlist_add(&al, &a, RG_ALLOW_MANUAL);
		for (int i = 0; i < NCLI; i++)
			want += addr_in_prefix(&k, &c[i].peer) && !addr_in_prefix(&a, &c[i].peer);
		ok(sockkill(&k, ports, 2, &al, false, &r) == 0 && r.closed == want && !r.failed,
		   "closed %u of %u, failed %u", r.closed, want, r.failed);
		for (int i = 0; i < NCLI; i++) {
			bool gone = addr_in_prefix(&k, &c[i].peer) &&
				    !addr_in_prefix(&a, &c[i].peer);
			char b;
			ssize_t got = recv(c[i].srv, &b, 1, MSG_DONTWAIT);

			/* The closed socket's owner reads an error; the rest wait. */
			if (gone)
				ended += got < 0 && errno == ECONNABORTED;
			else
				wrong += !(got < 0 && errno == EAGAIN);
		}
		ok(ended == want && wrong == 0, "the MTA's end of each closed session fails "
		   "(%u of %u), the others still wait (%u wrong)", ended, want, wrong);
		ok(sockkill(&k, ports, 2, &al, false, &r) == 0 && r.closed == 0 && r.spared > 0,
		   "a second pass finds nothing left but the spared");
		allowlist_free(&al);
	}
	return tap_done();
}
