/* test_enforce.c - the enforcement front when its backend fails: an allow
 * entry the backend cannot remove leaves the old allowlist whole; one it
 * cannot write is an error said with the store's own reason. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "addr.h"
#include "allowlist.h"
#include "backend.h"
#include "config.h"
#include "enforce.h"
#include "tap.h"

/* The none backend's store, whose removal of an entry fails on request
 * (a kernel that refuses, as a frozen map or a lost netlink message does). */
static void *none;
static struct rg_lpm_key refused;       /* prefixlen 0: none */

static int del(void *ctx, enum backend_kind kind, const struct rg_lpm_key *k)
{
	if (refused.prefixlen && !memcmp(k, &refused, sizeof(*k)))
		return -EIO;
	return backend_none.del(ctx, kind, k);
}

/* A full store: it says so in its result, errno untouched. */
static int full(void *ctx, const struct rg_lpm_key *k, const struct backend_rec *r)
{
	(void)ctx, (void)k, (void)r;
	errno = 0;
	return -ENOSPC;
}

static int same(const struct rg_lpm_key *k, const struct backend_rec *r, void *arg)
{
	(void)r;
	return !memcmp(k, arg, sizeof(*k));
}

static bool holds(const char *a)
{
	struct rg_lpm_key k;
	char err[64];

	addr_parse(a, &k, err, sizeof(err));
	return backend_none.walk(none, BACKEND_ALLOW, same, &k) == 1;
}

static bool remembers(const struct enforcer *e, const char *a)
{
	struct rg_addr x;
	struct rg_lpm_key k;
	char err[64];

	addr_parse(a, &k, err, sizeof(err));
	x = k.addr;
	return allowlist_match(enforce_allowlist(e), &x) != NULL;
}

int main(void)
{
	struct backend_ops ops = backend_none;
	struct enforcer *e;
	struct config c;
	char err[512];

	none = backend_none_new();
	ops.del = del;
	e = enforce_new(&ops, none);
	config_defaults(&c);
	c.allow_own_addresses = false;
	addr_parse("198.51.100.0/24", &c.allow[0], err, sizeof(err));
	addr_parse("203.0.113.0/24", &c.allow[1], err, sizeof(err));
	c.n_allow = 2;
	ok(enforce_load_allow(e, &c, err, sizeof(err)) == 0 && holds("198.51.100.0/24") &&
	   holds("203.0.113.0/24"), "two allow entries loaded %s", err);

	/* The next config drops both; the backend removes the first and
	 * refuses the second: the first is put back. */
	c.n_allow = 0;
	refused = c.allow[1];
	ok(enforce_load_allow(e, &c, err, sizeof(err)) < 0 &&
	   strstr(err, "cannot remove allow entry 203.0.113.0/24"),
	   "a removal the backend refuses is an error: %s", err);
	ok(holds("198.51.100.0/24") && holds("203.0.113.0/24") &&
	   remembers(e, "198.51.100.7") && remembers(e, "203.0.113.7"),
	   "and the old allowlist stays whole, in the backend and in memory");

	refused.prefixlen = 0;
	err[0] = 0;
	ok(enforce_load_allow(e, &c, err, sizeof(err)) == 0 && !holds("198.51.100.0/24") &&
	   !holds("203.0.113.0/24") && !remembers(e, "198.51.100.7"),
	   "once the backend works, the entries go %s", err);
	ops.put = full;
	c.n_allow = 1;
	ok(enforce_load_allow(e, &c, err, sizeof(err)) < 0 &&
	   strstr(err, "cannot write allow entries: No space left on device"),
	   "an entry the store cannot take is an error with its reason: %s", err);
	enforce_free(e);
	backend_none_free(none);
	return tap_done();
}
