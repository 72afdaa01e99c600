/* test_allowlist.c - allow files: CIDRs and qmail tcprules lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "addr.h"
#include "allowlist.h"
#include "tap.h"

static char path[] = "/tmp/rg-allow-XXXXXX";

static int load(struct allowlist *al, const char *text, size_t *skipped, char *err, size_t n)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	*skipped = 0;
	allowlist_free(al);
	return allowlist_read_file(al, path, skipped, err, n);
}

static bool allowed(const struct allowlist *al, const char *a)
{
	struct rg_lpm_key k;
	char err[64];

	addr_parse(a, &k, err, sizeof(err));
	return allowlist_match(al, &k.addr) != NULL;
}

int main(void)
{
	struct allowlist al = { 0 };
	char err[256] = "";
	size_t skipped;
	int fd = mkstemp(path);

	close(fd);
	ok(load(&al, "# ours\n192.0.2.0/24\n2001:db8::/32\n\n10.9.9.9\n", &skipped, err,
		sizeof(err)) == 0 && al.n == 3, "plain CIDR lines %s", err);
	ok(allowed(&al, "192.0.2.77") && allowed(&al, "2001:db8:1::1") && allowed(&al, "10.9.9.9") &&
	   !allowed(&al, "10.9.9.8"), "match what they cover, nothing else");
	ok(load(&al, "127.:allow,RELAYCLIENT=\"\"\n"
		     "10.1.2.:allow,RELAYCLIENT=\"\",RBLSMTPD=\"\"\n"
		     "192.0.2.37-53:allow,RELAYCLIENT=\"\"\n"
		     "172.16.3-4.:allow,RELAYCLIENT=\"\"\n"
		     "198.51.100.1:allow,RBLSMTPD=\"\"\n"
		     "203.0.113.:deny\n"
		     "=mx.example.net:allow,RELAYCLIENT=\"\"\n"
		     "bob@192.0.2.1:allow,RELAYCLIENT=\"\"\n"
		     ":allow\n", &skipped, err, sizeof(err)) == 0, "a tcprules source %s", err);
	ok(allowed(&al, "127.0.0.5") && allowed(&al, "10.1.2.200"), "prefix lines ending in a dot");
	ok(allowed(&al, "192.0.2.37") && allowed(&al, "192.0.2.53") && !allowed(&al, "192.0.2.36") &&
	   !allowed(&al, "192.0.2.54"), "a range 37-53 is covered exactly");
	ok(allowed(&al, "172.16.3.1") && allowed(&al, "172.16.4.255") && !allowed(&al, "172.16.5.0"),
	   "a range in the third octet with a trailing dot");
	ok(!allowed(&al, "198.51.100.1"), "allow without RELAYCLIENT is not allowlisted");
	ok(!allowed(&al, "203.0.113.1"), "deny lines are not allowlisted");
	ok(skipped == 2, "host and info@ lines are skipped and counted (%zu)", skipped);
	ok(load(&al, "10.0.0.0/8\nnot an address\n", &skipped, err, sizeof(err)) < 0 &&
	   strstr(err, ":2:"), "a bad line names its line: %s", err);
	ok(load(&al, "300.1.:allow,RELAYCLIENT=\"\"\n", &skipped, err, sizeof(err)) < 0 &&
	   strstr(err, "not a tcprules address"), "a bad tcprules address: %s", err);
	{
		struct rg_lpm_key k;
		char e[64];

		allowlist_free(&al);
		addr_parse("10.1.0.0/16", &k, e, sizeof(e));
		allowlist_add(&al, &k, RG_ALLOW_MANUAL);
		addr_parse("10.1.2.0/24", &k, e, sizeof(e));
		ok(allowlist_overlap(&al, &k) != NULL, "a /16 entry overlaps a /24 inside it");
		addr_parse("10.0.0.0/8", &k, e, sizeof(e));
		ok(allowlist_overlap(&al, &k) != NULL, "and a /8 around it");
		addr_parse("10.2.0.0/16", &k, e, sizeof(e));
		ok(allowlist_overlap(&al, &k) == NULL, "but not its neighbour");
		addr_parse("10.1.0.0/16", &k, e, sizeof(e));
		ok(allowlist_del(&al, &k) == 0 && allowlist_del(&al, &k) < 0 && al.n == 0,
		   "delete once, then it is gone");
	}
	allowlist_free(&al);
	unlink(path);
	return tap_done();
}
