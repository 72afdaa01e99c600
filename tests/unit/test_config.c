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

/* Each field is as wide as its kind writes. */
static bool width_ok(const struct config_key *k)
{
	switch (k->kind) {
	case CONFIG_BOOL: return k->size == sizeof(bool);
	case CONFIG_UINT: return k->size == 4 || k->size == 8;
	case CONFIG_DOUBLE: return k->size == sizeof(double);
	case CONFIG_DURATION: return k->size == sizeof(uint32_t);
	case CONFIG_ENUM: return k->size == sizeof(unsigned);
	case CONFIG_PATH: return k->max >= 2 && k->max <= k->size;
	case CONFIG_CUSTOM: return k->parse != NULL;
	}
	return false;
}

/* "key = VALUE" on line 2: accepted or not, and a refusal names the file,
 * the line and the key. */
static bool try(const struct config_key *k, const char *value, struct config *c, char *err,
		size_t n)
{
	char text[256], want[128];

	/* Keys kept in order with k get values that let k take any of its own. */
	static const char *const wide[] = { "ban_time = 1", "ban_time_max = 316224000",
					    "dnsbl_cache_min = 1", "dnsbl_cache_max = 316224000" };
	size_t len = (size_t)snprintf(text, sizeof(text), "# line 1\n%s = %s\n", k->name, value);

	for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++)
		if (strncmp(wide[i], k->name, strlen(k->name)) != 0 ||
		    wide[i][strlen(k->name)] != ' ')
			len += (size_t)snprintf(text + len, sizeof(text) - len, "%s\n", wide[i]);
	if (load(text, c, err, n) == 0)
		return true;
	snprintf(want, sizeof(want), "%s:2: %s: ", path, k->name);
	ok(strncmp(err, want, strlen(want)) == 0, "%s = %s: the error names file, line and key: %s",
	   k->name, value, err);
	return false;
}

/* Every row: its width fits its kind; a value no key takes is refused
 * naming the key and the line; numbers take their bounds and refuse one
 * past each. */
static void rows(struct config *c)
{
	char err[512], v[64];
	size_t n = 0;

	for (const struct config_key *k; (k = config_key(n)); n++) {
		ok(width_ok(k), "%s: the field fits its kind", k->name);
		ok(!try(k, "x/ y!", c, err, sizeof(err)), "%s: 'x/ y!' is refused", k->name);
		if (k->kind == CONFIG_UINT || k->kind == CONFIG_DOUBLE ||
		    k->kind == CONFIG_DURATION) {
			const double at[] = { k->min, k->max, k->max + 1, k->min - 1 };

			for (size_t j = 0; j < 4; j++) {
				if (k->kind == CONFIG_DOUBLE)
					snprintf(v, sizeof(v), "%.17g", at[j]);
				else
					snprintf(v, sizeof(v), "%.0f", at[j]);
				ok(try(k, v, c, err, sizeof(err)) == (j < 2), "%s = %s (%s) is %s %s",
				   k->name, v, (const char *[]){ "min", "max", "max + 1", "min - 1" }[j],
				   j < 2 ? "taken" : "refused", j < 2 ? err : "");
			}
		}
		bool dup = false;

		for (size_t j = 0; j < n; j++)
			dup |= strcmp(config_key(j)->name, k->name) == 0;
		ok(!dup, "%s: one row", k->name);
	}
	ok(n >= 64, "%zu keys", n);
}

/* Every line of the shipped config means the same with a comment after
 * it; '#' inside a value stays when escaped or not after a blank. */
static void comments(struct config *c)
{
	struct config *plain = malloc(sizeof(*plain));
	char line[512], text[16384] = "", err[512] = "";
	const char *notes[] = { " # note", "\t#note", "   #  # two" };
	FILE *f = fopen("conf/rcptguard.conf", "r");

	while (f && fgets(line, sizeof(line), f))
		if (line[0] != '#' && line[0] != '\n')
			strncat(text, line, sizeof(text) - strlen(text) - 1);
	if (f)
		fclose(f);
	ok(strlen(text) > 100 && load(text, plain, err, sizeof(err)) == 0,
	   "the shipped config loads %s", err);
	for (size_t i = 0; i < sizeof(notes) / sizeof(notes[0]); i++) {
		char commented[20000] = "", *save = NULL;

		char *copy = strdup(text);

		for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			snprintf(commented + strlen(commented), sizeof(commented) - strlen(commented),
				 "%s%s\n", l, notes[i]);
		free(copy);
		ok(load(commented, c, err, sizeof(err)) == 0 && !memcmp(c, plain, sizeof(*c)),
		   "every shipped line with '%s' after it means the same %s", notes[i], err);
	}
	ok(load("reject_unknown = 550 5.1.1 no \\# here # and a comment\n", c, err,
		sizeof(err)) == 0 && strcmp(c->reject_unknown, "550 5.1.1 no # here") == 0,
	   "'\\#' keeps a '#' after a blank: '%s' %s", c->reject_unknown, err);
	ok(load("bpf_pin_dir = /sys/fs/bpf/a#b\n", c, err, sizeof(err)) == 0 &&
	   strcmp(c->bpf_pin_dir, "/sys/fs/bpf/a#b") == 0,
	   "a '#' not after a blank is part of the value %s", err);
	ok(load("query_socket_group = root      # the group qmail-smtpd runs as\n", c, err,
		sizeof(err)) == 0 && c->query_socket_gid == 0, "docs/qmail.md's example line %s", err);
	ok(load("recipient_delimiter = +-=\n", c, err, sizeof(err)) == 0 &&
	   strcmp(c->recipient_delimiter, "+-=") == 0, "a delimiter set as Postfix 3.x %s", err);
	ok(load("recipient_delimiter = none\npercent_hack = no\n", c, err, sizeof(err)) == 0 &&
	   !*c->recipient_delimiter && !c->percent_hack, "no delimiter, no percent hack %s", err);
	ok(load("", c, err, sizeof(err)) == 0 && c->swap_bangpath && c->resolve_dequoted &&
	   load("swap_bangpath = no\nresolve_dequoted = no\n", c, err, sizeof(err)) == 0 &&
	   !c->swap_bangpath && !c->resolve_dequoted,
	   "swap_bangpath and resolve_dequoted: yes as Postfix's defaults, no when set %s", err);
	refused("recipient_delimiter = +@\n", "printable ASCII character other than @");
	refused("recipient_delimiter = +\xc3\xa4\n", "printable ASCII character other than @");
	refused("recipient_delimiter = +-=_.~!$&*/|^{},\n", "more than 15 delimiters");
	refused("port = # nothing\n", ":1: port: empty value");
	refused("port =#25\n", ":1: port: empty value");
	free(plain);
}

/* Values that must be in order are errors, at the later line. */
static void order(struct config *c)
{
	char err[512] = "";

	refused("ban_time = 8d\n", ":1: ban_time (691200s) is above ban_time_max (604800s)");
	refused("ban_time_max = 1h\n\nban_time = 2h\n",
		":3: ban_time (7200s) is above ban_time_max (3600s)");
	refused("ban_time = 2h\nban_time_max = 1h\n", ":2: ban_time ");
	refused("dnsbl_cache_min = 2h\n", ":1: dnsbl_cache_min (7200s) is above dnsbl_cache_max");
	ok(load("ban_time = 7d\ndnsbl_cache_min = 1h\n", c, err, sizeof(err)) == 0 &&
	   c->offenders.ban_time == c->offenders.ban_time_max,
	   "equal values are taken %s", err);
}

/* A reload names each changed key in the list its column says; keys that
 * need a restart get their old values back. */
static void reload_diff(void)
{
	struct config *cur = malloc(sizeof(*cur)), *next = malloc(sizeof(*next));
	char changed[2048], restart[2048], err[512];
	const struct config_key *k;

	config_defaults(cur);
	for (size_t i = 0; (k = config_key(i)); i++) {
		char *list, name[80];

		*next = *cur;
		((char *)next)[k->off + k->size - 1] ^= 0x5a;
		config_reload_diff(cur, next, changed, sizeof(changed), restart, sizeof(restart));
		list = k->reload == CONFIG_LIVE ? changed : restart;
		snprintf(name, sizeof(name), "%s", k->name);
		ok(strcmp(list, name) == 0 && !*(list == changed ? restart : changed),
		   "%s changed: listed alone as %s", k->name,
		   k->reload == CONFIG_LIVE ? "changed" : "needs restart");
		ok((memcmp(cur, next, sizeof(*cur)) == 0) == (k->reload == CONFIG_RESTART),
		   "%s: %s", k->name, k->reload == CONFIG_LIVE ? "the new value is taken" :
		   "the old value stays");
		if (k->aux_off) {
			*next = *cur;
			(*(unsigned *)((char *)next + k->aux_off))++;
			config_reload_diff(cur, next, changed, sizeof(changed), restart,
					   sizeof(restart));
			ok(strcmp(list, name) == 0, "%s: its count or length counts too", k->name);
		}
	}
	ok(load("nft_hook = prerouting\nnft_table = other\nuser = root\nport = 26\n"
		"metrics_textfile = /run/m.prom\n", next, err, sizeof(err)) == 0, "%s", err);
	config_reload_diff(cur, next, changed, sizeof(changed), restart, sizeof(restart));
	ok(strcmp(changed, "port,metrics_textfile") == 0 &&
	   strcmp(restart, "nft_table,nft_hook,user") == 0 &&
	   next->nft_hook == NFT_HOOK_INGRESS && strcmp(next->nft_table, "rcptguard") == 0 &&
	   strcmp(next->user, "rcptguard") == 0 &&
	   strcmp(next->metrics_textfile, "/run/m.prom") == 0 && next->ports[0] == 26,
	   "nft_table, nft_hook, user wait for a restart; metrics_textfile is taken: '%s' / '%s'",
	   changed, restart);
	for (size_t i = 0; (k = config_key(i)); i++)
		((char *)next)[k->off] ^= 0x33;
	config_reload_diff(cur, next, changed, 40, restart, 40);
	ok(strlen(changed) < 40 && strlen(restart) < 40 && strstr(changed, "...") &&
	   strstr(restart, "..."), "long lists are cut with '...': '%s' / '%s'", changed, restart);
	free(cur);
	free(next);
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
	ok(load("", c, err, sizeof(err)) == 0 && c->ban_action == RG_ACTION_DROP &&
	   c->rst_rate == 1000, "ban_action defaults to drop, rst_rate to 1000");
	ok(load("ban_action = rst\nrst_rate = 5\n", c, err, sizeof(err)) == 0 &&
	   c->ban_action == RG_ACTION_RST && c->rst_rate == 5, "ban_action = rst, rst_rate %s", err);
	refused("ban_action = reject\n", "ban_action: 'reject' must be drop or rst");
	refused("rst_rate = 0\n", "rst_rate");
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
	refused("crowdsec_url = ftp://x/\n", "crowdsec_url: 'ftp://x/' must be an http://");
	refused("crowdsec_url = http://x/?a=b\n", "no query");
	refused("crowdsec_url = http://x/\x01\n", "crowdsec_url:");
	refused("crowdsec_max_range = /16\n", "must be '/V4 /V6'");
	refused("crowdsec_max_range = /4 /32\n", "must be '/V4 /V6'");
	refused("crowdsec_max_range = /16 /32 x\n", "must be '/V4 /V6'");
	refused("crowdsec_scopes = ip&x=1\n", "comma-separated words");
	ok(load("crowdsec_url = http://127.0.0.1:8080\ncrowdsec_max_range = /24 /48\n", c, err,
		sizeof(err)) == 0 && !strcmp(c->crowdsec_url, "http://127.0.0.1:8080/") &&
	   c->crowdsec_max_range[0] == 24 && c->crowdsec_max_range[1] == 48 &&
	   c->crowdsec_pull_interval == 10 && !strcmp(c->crowdsec_scopes, "ip,range"),
	   "crowdsec keys: one trailing slash, the ranges, the defaults %s", err);
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
	rows(c);
	comments(c);
	order(c);
	reload_diff();
	/* A refused reload keeps the old config: enforce.bats (SIGHUP). */
	unlink(path);
	free(c);
	return tap_done();
}
