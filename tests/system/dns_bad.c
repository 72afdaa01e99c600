/* dns_bad.c - a DNS server that misbehaves, for the DNSBL fault tests.
 *
 *   dns_bad PORT garbage      each query gets the next of the broken
 *                             replies below, all with the query's ID so
 *                             the resolver has to parse them
 *   dns_bad PORT slow MS      every A query is answered 127.0.0.2 (and TXT
 *                             "slow list"), but only after MS milliseconds
 *
 * Listens on 127.0.0.1 (UDP) in whatever namespace it is started in; logs
 * one line per reply on stdout. */
#include <arpa/inet.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXQ 512
#define PENDING 256

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* Length of header + question of query q, 0 if it has no whole question. */
static size_t question_end(const uint8_t *q, size_t n)
{
	size_t i = 12;

	while (i < n && q[i] && q[i] < 64)
		i += 1 + q[i];
	return i + 5 <= n && q[i] == 0 ? i + 5 : 0;
}

static size_t put(uint8_t *r, size_t at, const void *d, size_t n)
{
	memcpy(r + at, d, n);
	return at + n;
}

/* A well-formed answer: A 127.0.0.2 or TXT "slow list", TTL 60. */
static size_t good(const uint8_t *q, size_t qe, uint8_t *r)
{
	bool txt = q[qe - 3] == 16;
	static const uint8_t a[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 2 };
	static const uint8_t t[] = { 0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, 10, 9,
				     's', 'l', 'o', 'w', ' ', 'l', 'i', 's', 't' };
	size_t n = put(r, 0, q, qe);

	r[2] = 0x81, r[3] = 0x80, r[7] = 1;
	return txt ? put(r, n, t, sizeof(t)) : put(r, n, a, sizeof(a));
}

/* The next broken reply to q (header + question in qe bytes). */
static size_t garbage(unsigned k, const uint8_t *q, size_t qe, uint8_t *r, const char **what)
{
	static const uint8_t short_a[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0 };
	static const uint8_t long_a[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 16, 127, 0, 0, 2,
					  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	static const uint8_t loop[] = { 0xc0, 0x00 };   /* offset patched to itself */
	static const uint8_t outside[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1 };
	size_t n = put(r, 0, q, qe);

	r[2] = 0x81, r[3] = 0x80;
	switch (k % 9) {
	case 0:
		*what = "header claims 3 answers, none follow";
		r[7] = 3;
		return n;
	case 1:
		*what = "A record cut short";
		r[7] = 1;
		return put(r, n, short_a, sizeof(short_a));
	case 2:
		*what = "A record of 16 bytes";
		r[7] = 1;
		return put(r, n, long_a, sizeof(long_a));
	case 3:
		*what = "answer name pointing at itself";
		r[7] = 1;
		put(r, n, loop, sizeof(loop));
		r[n] |= (uint8_t)(n >> 8), r[n + 1] = (uint8_t)n;
		return put(r, n + 2, outside + 2, sizeof(outside) - 2);
	case 4:
		*what = "random bytes after the ID";
		for (size_t i = 2; i < 300; i++)
			r[i] = (uint8_t)rand();
		return 300;
	case 5:
		*what = "4000 random bytes of answers";
		r[7] = 40;
		for (size_t i = n; i < n + 4000; i++)
			r[i] = (uint8_t)rand();
		return n + 4000;
	case 6:
		*what = "truncated, retry over TCP (nothing listens)";
		r[2] |= 0x02;
		return n;
	case 7:
		*what = "SERVFAIL";
		r[3] = 0x82;
		return n;
	default:
		*what = "the ID alone";
		return 2;
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct { struct sockaddr_in from; uint8_t q[MAXQ]; size_t qe; uint64_t due; } pend[PENDING];
	unsigned npend = 0, k = 0;
	bool slow = argc == 4 && strcmp(argv[2], "slow") == 0;
	int fd, delay = slow ? atoi(argv[3]) : 0;

	if (!slow && (argc != 3 || strcmp(argv[2], "garbage") != 0)) {
		fprintf(stderr, "usage: dns_bad PORT garbage | dns_bad PORT slow MS\n");
		return 2;
	}
	sa.sin_port = htons((uint16_t)atoi(argv[1]));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("dns_bad: bind");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("started port=%s\n", argv[1]);
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		uint8_t q[MAXQ], r[MAXQ + 4200];
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		uint64_t t = now_ms();
		int wait = npend ? (int)(pend[0].due > t ? pend[0].due - t : 0) : -1;

		/* Delayed answers leave in arrival order (same delay for all). */
		while (npend && pend[0].due <= now_ms()) {
			size_t n = good(pend[0].q, pend[0].qe, r);

			sendto(fd, r, n, 0, (struct sockaddr *)&pend[0].from, sizeof(pend[0].from));
			printf("reply=late-good\n");
			memmove(&pend[0], &pend[1], --npend * sizeof(pend[0]));
			wait = 0;
		}
		if (poll(&p, 1, wait) <= 0)
			continue;
		ssize_t len = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
		size_t qe = len > 0 ? question_end(q, (size_t)len) : 0;

		if (!qe)
			continue;
		if (slow) {
			if (npend == PENDING)
				continue;
			pend[npend].from = from;
			memcpy(pend[npend].q, q, qe);
			pend[npend].qe = qe;
			pend[npend++].due = now_ms() + (uint64_t)delay;
		} else {
			const char *what = "";
			size_t n = garbage(k++, q, qe, r, &what);

			sendto(fd, r, n, 0, (struct sockaddr *)&from, sizeof(from));
			printf("reply=\"%s\"\n", what);
		}
	}
}
