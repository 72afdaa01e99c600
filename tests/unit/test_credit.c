/* test_credit.c - valid recipients wait for DATA: once per distinct
 * recipient per transaction, nothing without DATA, bounded memory with the
 * oldest transaction making room. */
#include <stdio.h>
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

	return credit_take(c, &k.addr, inst, t);
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
	ok((n = take(c, "192.0.2.1", "a.1", t)) == 2,
	   "100 RCPTs of two valid recipients: 2 at DATA (got %u)", n);
	ok(take(c, "192.0.2.1", "a.1", t) == 0, "END-OF-MESSAGE after DATA earns nothing more");

	/* A transaction holds at most CREDIT_RCPTS distinct recipients. */
	for (int i = 0; i < 1000; i++) {
		snprintf(rcpt, sizeof(rcpt), "u%d@example.com", i);
		note(c, "192.0.2.1", "b", rcpt, t);
	}
	ok((n = take(c, "192.0.2.1", "b", t)) == CREDIT_RCPTS, "1000 recipients: %u remembered",
	   n);

	/* An open transaction is forgotten after CREDIT_TTL. */
	note(c, "192.0.2.1", "old", "bob@example.com", t);
	ok(take(c, "192.0.2.1", "old", t + CREDIT_TTL) == 0, "a transaction an hour old is gone");

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
