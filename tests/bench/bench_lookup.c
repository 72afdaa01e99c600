/* bench_lookup.c - ns per recipient lookup in a compiled CDB, through the
 * daemon's own recipients_lookup (normalising, domain check, keys).
 *
 *   bench_lookup CDB N LOOKUPS
 *
 * The CDB holds userI@example.com for I in 1..N (tests/bench/scale.sh
 * compiles it). Prints ns per lookup for present addresses, for unknown
 * ones in the same domain, and for a domain the database does not judge,
 * each over LOOKUPS scattered lookups. */
#include <stdio.h>
#include <stdlib.h>
#include "load_util.h"
#include "recipients.h"

/* The daemon's default for Postfix's requests: the heavier of the two. */
static const struct rcpt_form postfix = { .postfix = true, .percent_hack = true,
					  .swap_bangpath = true, .resolve_dequoted = true,
					  .delimiters = "+" };

static double run(struct recipients *r, const char *local, const char *domain, unsigned long n,
		  unsigned long lookups, enum rcpt_verdict want)
{
	char addr[64], key[RCPT_MAX + 16];
	double t0 = mono_now();

	for (unsigned long i = 0; i < lookups; i++) {
		snprintf(addr, sizeof(addr), "%s%lu@%s", local, 1 + i * 2654435761u % n, domain);
		if (recipients_lookup(r, addr, &postfix, key, sizeof(key)) != want) {
			fprintf(stderr, "bench_lookup: %s: not %s\n", addr, rcpt_verdict_name(want));
			exit(1);
		}
	}
	return (mono_now() - t0) * 1e9 / (double)lookups;
}

int main(int argc, char **argv)
{
	char err[512];
	struct recipients *r;
	unsigned long n, lookups;

	if (argc != 4 || !(n = strtoul(argv[2], NULL, 10)) || !(lookups = strtoul(argv[3], NULL, 10))) {
		fprintf(stderr, "usage: bench_lookup CDB N LOOKUPS\n");
		return 2;
	}
	if (!(r = recipients_open(argv[1], err, sizeof(err)))) {
		fprintf(stderr, "bench_lookup: %s\n", err);
		return 1;
	}
	printf("valid_ns=%.0f unknown_ns=%.0f not_ours_ns=%.0f\n",
	       run(r, "User", "Example.com", n, lookups, RCPT_VALID),
	       run(r, "nobody", "example.com", n, lookups, RCPT_UNKNOWN),
	       run(r, "user", "elsewhere.test", n, lookups, RCPT_NOT_OURS));
	recipients_close(r);
	return 0;
}
