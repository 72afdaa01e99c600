/* test_credit.c - valid recipients wait for a complete message: once per
 * distinct recipient per transaction, nothing for DATA alone, bounded
 * memory with the oldest transaction making room. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"
#include "credit.h"
#include "tap.h"

static struct rg_lpm_key K(const char *s)
{
	struct rg_lpm_key k;
	char err[64];

	addr_parse(s, &k, err, sizeof(err));
	return k;
}

static void note(struct credit *c, const char *ip, const char *inst, const char *rcpt,
		 uint32_t t)
{
	struct rg_lpm_key k = K(ip);

	credit_note(c, &k.addr, &k, inst, rcpt, t);
}

static unsigned take(struct credit *c, const char *ip, const char *inst, uint32_t t)
{
	struct rg_lpm_key k = K(ip);

	return credit_complete(c, &k.addr, inst, t);
}

static void data(struct credit *c, const char *ip, const char *inst, uint32_t t)
{
	struct rg_lpm_key k = K(ip);

	credit_data(c, &k.addr, inst, t);
}

static unsigned next(struct credit *c, const char *ip, const char *inst, uint32_t t)
{
	struct rg_lpm_key k = K(ip);

	return credit_next(c, &k.addr, inst, t);
}

/* Random requests of a few qmail and Postfix transactions against a model:
 * a count comes out only at END-OF-MESSAGE, or at the instance's next
 * transaction after DATA; recipients noted after DATA start a new one. */
static void model_property(struct credit *c, uint32_t t)
{
	struct { unsigned set; int open, data; } m[4] = { { 0 } };
	char inst[16], rcpt[32];
	int bad = 0, paid = 0;

	srandom(7);
	for (int i = 0; i < 20000 && !bad; i++) {
		int x = (int)(random() % 4), op = (int)(random() % 8), r = (int)(random() % 6);
		unsigned want = 0, got = 0;

		snprintf(inst, sizeof(inst), "m.%d", x);
		if (op < 4) {
			snprintf(rcpt, sizeof(rcpt), "u%d@example.com", r);
			note(c, "192.0.2.50", inst, rcpt, t);
			if (!m[x].open || m[x].data)
				m[x].set = 0, m[x].data = 0;
			m[x].open = 1;
			m[x].set |= 1u << r;
			continue;
		}
		if (op == 4) {
			data(c, "192.0.2.50", inst, t);
			m[x].data = m[x].open;
			continue;
		}
		if (op == 5) {
			got = take(c, "192.0.2.50", inst, t);
			want = m[x].open ? (unsigned)__builtin_popcount(m[x].set) : 0;
		} else {
			got = next(c, "192.0.2.50", inst, t);
			want = m[x].open && m[x].data ? (unsigned)__builtin_popcount(m[x].set) : 0;
		}
		m[x].open = 0;
		paid += got > 0;
		if (got != want) {
			printf("# step %d: instance %d op %d: got %u, want %u\n", i, x, op, got, want);
			bad = 1;
		}
	}
	ok(!bad && paid > 100, "20000 random requests match the model (%d paid out)", paid);
}

int main(void)
{
	struct credit *c = credit_new(42);
	uint32_t t = 1800000000;
	char inst[32], rcpt[32];
	unsigned n;

	/* Postfix with smtpd_delay_reject asks three times per RCPT. */
	for (int i = 0; i < 100; i++)
		note(c, "192.0.2.1", "a.1", i % 2 ? "bob@example.com" : "alice@example.com", t);
	ok(take(c, "192.0.2.1", "a.2", t) == 0, "another transaction has nothing");
	ok(take(c, "192.0.2.9", "a.1", t) == 0, "another client with the same instance has nothing");
	data(c, "192.0.2.1", "a.1", t);
	ok((n = take(c, "192.0.2.1", "a.1", t)) == 2,
	   "100 RCPTs of two valid recipients: 2 at END-OF-MESSAGE (got %u)", n);
	ok(take(c, "192.0.2.1", "a.1", t) == 0, "a second END-OF-MESSAGE earns nothing more");

	/* DATA is asked before the 354: a client that hangs up there, or
	 * starts over, delivered nothing. */
	for (int i = 0; i < CREDIT_RCPTS; i++) {
		snprintf(rcpt, sizeof(rcpt), "u%d@example.com", i);
		note(c, "192.0.2.2", "q", rcpt, t);
	}
	data(c, "192.0.2.2", "q", t);
	note(c, "192.0.2.2", "q", "bob@example.com", t);
	ok((n = next(c, "192.0.2.2", "q", t)) == 0,
	   "an RCPT after DATA starts a new transaction; without DATA it earns nothing (got %u)",
	   n);
	ok(take(c, "192.0.2.2", "q", t) == 0, "and the one before is gone");

	/* qmail: the next MAIL of the same session proves the message ended. */
	note(c, "192.0.2.2", "qmail-1", "bob@example.com", t);
	note(c, "192.0.2.2", "qmail-1", "alice@example.com", t);
	ok(next(c, "192.0.2.2", "qmail-1", t) == 0, "MAIL again without DATA earns nothing");
	note(c, "192.0.2.2", "qmail-1", "bob@example.com", t);
	note(c, "192.0.2.2", "qmail-1", "alice@example.com", t);
	data(c, "192.0.2.2", "qmail-1", t);
	ok((n = next(c, "192.0.2.2", "qmail-1", t)) == 2, "DATA, then MAIL: 2 (got %u)", n);
	ok(next(c, "192.0.2.2", "qmail-1", t) == 0, "once");
	model_property(c, t);

	/* A transaction holds at most CREDIT_RCPTS distinct recipients. */
	for (int i = 0; i < 1000; i++) {
		snprintf(rcpt, sizeof(rcpt), "u%d@example.com", i);
		note(c, "192.0.2.1", "b", rcpt, t);
	}
	ok((n = take(c, "192.0.2.1", "b", t)) == CREDIT_RCPTS, "1000 recipients: %u remembered",
	   n);

	/* An open transaction is forgotten after CREDIT_TTL. */
	note(c, "192.0.2.1", "old", "bob@example.com", t);
	data(c, "192.0.2.1", "old", t);
	ok(next(c, "192.0.2.1", "old", t + CREDIT_TTL) == 0, "a transaction an hour old is gone");

	/* One client keeps CREDIT_TXNS_PER_CLIENT open; the oldest makes room. */
	for (int i = 0; i <= CREDIT_TXNS_PER_CLIENT; i++) {
		snprintf(inst, sizeof(inst), "c.%d", i);
		note(c, "198.51.100.1", inst, "bob@example.com", t + (uint32_t)i);
	}
	ok(take(c, "198.51.100.1", "c.0", t + 20) == 0, "the client's oldest transaction went");
	snprintf(inst, sizeof(inst), "c.%d", CREDIT_TXNS_PER_CLIENT);
	ok(take(c, "198.51.100.1", inst, t + 20) == 1 && take(c, "198.51.100.1", "c.1", t + 20) == 1,
	   "its newer ones stayed");

	/* In all at most CREDIT_TXNS; a flood of clients pushes out the oldest. */
	note(c, "203.0.113.1", "first", "bob@example.com", t);
	note(c, "203.0.113.2", "kept", "bob@example.com", t + 60);
	for (int i = 0; i < CREDIT_TXNS - 1; i++) {
		char ip[64];

		snprintf(ip, sizeof(ip), "2001:db8:%x::1", i);
		note(c, ip, "x", "bob@example.com", t + 100);
	}
	ok(take(c, "203.0.113.1", "first", t + 200) == 0, "the oldest of all went");
	ok(take(c, "203.0.113.2", "kept", t + 200) == 1, "a newer one stayed");
	credit_free(c);
	return tap_done();
}
