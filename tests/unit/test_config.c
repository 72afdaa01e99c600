/* test_config.c - the config parser: good files, each kind of bad line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "config.h"
#include "tap.h"

static char path[] = "/tmp/rg-config-test-XXXXXX";

static int load(const char *text, struct config *c, char *err, size_t n)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	return config_load(c, path, err, n);
}

static void refused(const char *text, const char *want)
{
	struct config *c = malloc(sizeof(*c));
	char err[512] = "";

	ok(load(text, c, err, sizeof(err)) < 0 && strstr(err, want) && strstr(err, path),
	   "refused with '%s': %s", want, err);
	free(c);
}

int main(void)
{
	struct config *c = malloc(sizeof(*c));
	char err[512] = "";
	int fd = mkstemp(path);

	close(fd);
	ok(load("", c, err, sizeof(err)) == 0 && c->n_ports == 3 && c->ports[0] == 25 &&
	   c->n_allow == 2 && strcmp(c->bpf_pin_dir, "/sys/fs/bpf/rcptguard") == 0 &&
	   c->n_interfaces == 0 && c->xdp_mode == XDP_MODE_AUTO,
	   "an empty file gives the defaults");
	ok(load("# comment\n\n  port = 2525  \nport=25\ninterface = eth1\nxdp_mode = generic\n"
		"allow = 192.0.2.0/24\nbpf_pin_dir = /sys/fs/bpf/x\nmax_bans = 1000\n",
		c, err, sizeof(err)) == 0 && c->n_ports == 2 && c->ports[0] == 2525 &&
	   c->n_interfaces == 1 && strcmp(c->interfaces[0], "eth1") == 0 &&
	   c->xdp_mode == XDP_MODE_GENERIC && c->n_allow == 1 && c->max_bans == 1000 &&
	   strcmp(c->bpf_pin_dir, "/sys/fs/bpf/x") == 0,
	   "values are read, and a list key replaces its defaults %s", err);
	ok(load("port = 25\r\n", c, err, sizeof(err)) == 0 && c->ports[0] == 25,
	   "CRLF line ends are accepted %s", err);
	ok(load("query_listen_users = root, 4242 daemon\nquery_listen_users = 7\n", c, err,
		sizeof(err)) == 0 && c->n_query_listen_users == 4 && c->query_listen_users[0] == 0 &&
	   c->query_listen_users[1] == 4242 && c->query_listen_users[3] == 7,
	   "query_listen_users: names and numbers, by spaces, commas and repeats %s", err);
	ok(load("", c, err, sizeof(err)) == 0 && c->n_query_listen_users == 0,
	   "query_listen_users: none by default");
	refused("query_listen_users = root rg-no-such-user\n",
		"query_listen_users: no such user 'rg-no-such-user'");
	refused("query_listen_users = 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
		"more than 16 users");
	refused("bogus = 1\n", ":1: unknown key 'bogus'");
	refused("\nport = 0\n", ":2: port: '0' must be a number from 1 to 65535");
	refused("port = 70000\n", "port: '70000'");
	refused("port = 25x\n", "port: '25x'");
	/* No automatic ban wider than a manual one without --force. */
	refused("offender_prefix_v6 = 31\n", "offender_prefix_v6: '31' must be a number from 32");
	refused("offender_prefix_v4 = 7\n", "offender_prefix_v4: '7' must be a number from 8");
	refused("nat64_prefix = 2001:db8::/80\n", "nat64_prefix: 2001:db8::/80: a NAT64 prefix is /32");
	refused("nat64_prefix = ::/96\n", "must not overlap the IPv4-mapped");
	refused("nat64_prefix = ::ffff:0:0/96\n", "must not overlap");
	refused("nat64_prefix = fe80::/64\n", "must not overlap");
	ok(load("nat64_prefix = 2001:db8:64::/96\nnat64_prefix = 2001:db8:100::/40\n", c, err,
		sizeof(err)) == 0 && c->offenders.nat64.n == 2 &&
	   c->offenders.nat64.v[1].prefixlen == 40, "nat64_prefix repeats %s", err);
	refused("xdp_mode = fast\n", "xdp_mode: 'fast' must be auto, native or generic");
	refused("xdp_mode = auto\nxdp_mode = native\n", ":2: xdp_mode: set twice");
	refused("allow = 10.0.0.0/33\n", "allow: '10.0.0.0/33'");
	refused("bpf_pin_dir = relative\n", "must be an absolute path");
	refused("interface = a/b\n", "not an interface name");
	refused("interface = aaaaaaaaaaaaaaaaaaaaa\n", "not an interface name");
	refused("port\n", "expected 'key = value'");
	refused("port =\n", "port: empty value");
	refused("max_bans = 0\n", "max_bans: '0'");
	refused("\n\ndnsbl = zen.spamhaus.org=127.0.0\n", ":3: dnsbl: 'zen.spamhaus.org=127.0.0': the filter");
	refused("dnsbl = x.test*0\n", "dnsbl: 'x.test*0': the weight");
	refused("dns_server = resolver.example\n", "dns_server: 'resolver.example' must be ADDR");
	refused("dnsbl_reject_stage = data\n", "must be connect, mail or rcpt");
	ok(load("dnsbl = zen.spamhaus.org=127.0.0.[2..11]*3\ndnsbl = list.dnswl.org=127.0.[0..255].[1..3]*-5\n"
		"dns_server = 127.0.0.1:5353\ndns_server_dummy_never = 1\n", c, err, sizeof(err)) < 0 &&
	   strstr(err, ":4: unknown key"), "dnsbl lines parse up to the bad key: %s", err);
	ok(load("dnsbl = zen.spamhaus.org=127.0.0.[2..11]*3\ndns_server = [::1]:53\n", c, err,
		sizeof(err)) == 0 && c->n_dnsbl == 1 && c->dnsbl[0].weight == 3 &&
	   strcmp(c->dns_server, "[::1]:53") == 0, "a dnsbl line and an IPv6 dns_server %s", err);
	{
		char big[6000];

		memset(big, 'a', sizeof(big) - 2);
		big[sizeof(big) - 2] = '\n';
		big[sizeof(big) - 1] = '\0';
		refused(big, "line too long");
	}
	{
		FILE *f = fopen(path, "w");

		fwrite("port = 25\0\n", 1, 11, f);
		fclose(f);
		ok(config_load(c, path, err, sizeof(err)) < 0 && strstr(err, "NUL byte"),
		   "a NUL byte is refused: %s", err);
	}
	ok(config_load(c, "/nonexistent/rcptguard.conf", err, sizeof(err)) < 0 &&
	   strstr(err, "cannot open /nonexistent/rcptguard.conf"), "a missing file: %s", err);
	/* A refused reload keeps the old config: enforce.bats (SIGHUP). */
	unlink(path);
	free(c);
	return tap_done();
}
