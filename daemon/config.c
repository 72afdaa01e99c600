/* config.c - the config file parser. Each key is one row of a table: its
 * kind and field (bool, number, duration, path, enum), the range it
 * accepts and whether a reload applies it. Keys with a syntax of their own
 * (addresses, lists of users, DNSBL lines) name a parse function. */
#include <ctype.h>
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"
#include "config.h"
#include "duration.h"

#define MAX_LINE 4096

static int parse_u32(const char *v, uint32_t min, uint32_t max, uint32_t *out,
		     char *err, size_t errlen)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (!isdigit((unsigned char)*v) || *end || errno || n < min || n > max) {
		snprintf(err, errlen, "'%s' must be a number from %u to %u", v, min, max);
		return -1;
	}
	*out = (uint32_t)n;
	return 0;
}

static int parse_double(const char *v, double min, double max, double *out, char *err,
			size_t errlen)
{
	char *end;
	double d = strtod(v, &end);

	if (end == v || *end || !(d >= min && d <= max)) {
		snprintf(err, errlen, "'%s' must be a number from %g to %g", v, min, max);
		return -1;
	}
	*out = d;
	return 0;
}

/* The index of v in names, or -1 with "'v' must be a, b or c". */
static int pick(const char *v, const char *const *names, char *err, size_t errlen)
{
	size_t n = 0, len;

	for (; names[n]; n++)
		if (strcmp(v, names[n]) == 0)
			return (int)n;
	len = (size_t)snprintf(err, errlen, "'%.60s' must be ", v);
	for (size_t i = 0; i < n && len < errlen; i++)
		len += (size_t)snprintf(err + len, errlen - len, "%s%s", names[i],
					i + 2 < n ? ", " : i + 2 == n ? " or " : "");
	return -1;
}

static int set_path(char *dst, size_t size, const char *v, char *err, size_t errlen)
{
	if (v[0] != '/' || strlen(v) >= size) {
		snprintf(err, errlen, "'%s' must be an absolute path under %zu bytes", v, size);
		return -1;
	}
	snprintf(dst, size, "%s", v);
	return 0;
}

static int set_duration(const char *v, uint32_t min, uint32_t *out, char *err, size_t errlen)
{
	uint64_t secs;

	/* "0" turns off what allows it (pardon_time); it is no duration. */
	if (min == 0 && strcmp(v, "0") == 0) {
		*out = 0;
		return 0;
	}
	if (duration_parse(v, &secs, err, errlen) < 0)
		return -1;
	if (secs < min || secs > UINT32_MAX - 1) {
		snprintf(err, errlen, "'%s' must be at least %us and not permanent", v, min);
		return -1;
	}
	*out = (uint32_t)secs;
	return 0;
}

static const char *const yes_no[] = { "yes", "no", NULL };

/* The simple kinds, by the row alone. */
static int set_row(const struct config_key *k, struct config *c, const char *v, char *err,
		   size_t errlen)
{
	char *f = (char *)c + k->off;
	unsigned *count = (unsigned *)((char *)c + k->aux_off);
	uint32_t u;
	int i;

	switch (k->kind) {
	case CONFIG_BOOL:
		if ((i = pick(v, yes_no, err, errlen)) < 0)
			return -1;
		*(bool *)f = i == 0;
		return 0;
	case CONFIG_UINT:
		if (parse_u32(v, (uint32_t)k->min, (uint32_t)k->max, &u, err, errlen) < 0)
			return -1;
		if (k->size == sizeof(uint64_t))
			*(uint64_t *)f = u;
		else
			*(uint32_t *)f = u;
		return 0;
	case CONFIG_DOUBLE:
		return parse_double(v, k->min, k->max, (double *)f, err, errlen);
	case CONFIG_DURATION:
		return set_duration(v, (uint32_t)k->min, (uint32_t *)f, err, errlen);
	case CONFIG_PATH:
		if (!k->list)
			return set_path(f, (size_t)k->max, v, err, errlen);
		if (*count == k->size / (size_t)k->max) {
			snprintf(err, errlen, "more than %zu files", k->size / (size_t)k->max);
			return -1;
		}
		if (set_path(f + *count * (size_t)k->max, (size_t)k->max, v, err, errlen) < 0)
			return -1;
		(*count)++;
		return 0;
	case CONFIG_ENUM:
		if ((i = pick(v, k->names, err, errlen)) < 0)
			return -1;
		*(unsigned *)f = (unsigned)i;
		return 0;
	case CONFIG_CUSTOM:
		break;
	}
	return k->parse(c, v, err, errlen);
}

static int set_interface(struct config *c, const char *v, char *err, size_t errlen)
{
	if (strlen(v) >= IF_NAMESIZE || strpbrk(v, " \t/")) {
		snprintf(err, errlen, "'%s' is not an interface name", v);
		return -1;
	}
	if (c->n_interfaces == CONFIG_MAX_IFACES) {
		snprintf(err, errlen, "more than %d interfaces", CONFIG_MAX_IFACES);
		return -1;
	}
	snprintf(c->interfaces[c->n_interfaces++], IF_NAMESIZE, "%s", v);
	return 0;
}

static int set_port(struct config *c, const char *v, char *err, size_t errlen)
{
	uint32_t p;

	if (parse_u32(v, 1, 65535, &p, err, errlen) < 0)
		return -1;
	for (unsigned i = 0; i < c->n_ports; i++)
		if (c->ports[i] == p)
			return 0;
	if (c->n_ports == CONFIG_MAX_PORTS) {
		snprintf(err, errlen, "more than %d ports", CONFIG_MAX_PORTS);
		return -1;
	}
	c->ports[c->n_ports++] = (uint16_t)p;
	return 0;
}

static int set_allow(struct config *c, const char *v, char *err, size_t errlen)
{
	if (c->n_allow == CONFIG_MAX_ALLOW) {
		snprintf(err, errlen, "more than %d allow entries; use rcptguard allow add",
			 CONFIG_MAX_ALLOW);
		return -1;
	}
	if (addr_parse(v, &c->allow[c->n_allow], err, errlen) < 0)
		return -1;
	c->n_allow++;
	return 0;
}

static int lookup_group(const char *v, gid_t *gid, char *err, size_t errlen)
{
	struct group *gr = getgrnam(v);

	if (!gr) {
		snprintf(err, errlen, "no such group '%s'", v);
		return -1;
	}
	*gid = gr->gr_gid;
	return 0;
}

/* A policy action that refuses: a 5xx or 4xx reply, "550 5.1.1 text". */
static int smtp_reply(char dst[256], const char *v, char *err, size_t errlen)
{
	if (!(v[0] == '4' || v[0] == '5') || !isdigit((unsigned char)v[1]) ||
	    !isdigit((unsigned char)v[2]) || v[3] != ' ' || strlen(v) >= 200) {
		snprintf(err, errlen, "'%.60s' must be an SMTP reply starting with a 4xx or 5xx "
			 "code, under 200 bytes", v);
		return -1;
	}
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 32 || (unsigned char)*p > 126) {
			snprintf(err, errlen, "only printable ASCII is allowed");
			return -1;
		}
	snprintf(dst, 256, "%s", v);
	return 0;
}

static int set_reject_unknown(struct config *c, const char *v, char *err, size_t errlen)
{
	return smtp_reply(c->reject_unknown, v, err, errlen);
}

static int set_spamtrap_reply(struct config *c, const char *v, char *err, size_t errlen)
{
	return smtp_reply(c->spamtrap_reply, v, err, errlen);
}

static int set_crowdsec_url(struct config *c, const char *v, char *err, size_t errlen)
{
	size_t n = strlen(v);
	bool bad = false;

	for (const char *p = v; *p; p++)
		bad |= (unsigned char)*p <= ' ' || (unsigned char)*p > '~' || *p == '?' || *p == '#';
	if ((strncmp(v, "http://", 7) && strncmp(v, "https://", 8)) ||
	    n >= sizeof(c->crowdsec_url) - 1 || bad) {
		snprintf(err, errlen, "'%.60s' must be an http:// or https:// URL of the LAPI "
			 "(no query, under %zu bytes)", v, sizeof(c->crowdsec_url) - 1);
		return -1;
	}
	/* One trailing slash, so "v1/..." is appended the same way to both. */
	snprintf(c->crowdsec_url, sizeof(c->crowdsec_url), "%s%s", v, v[n - 1] == '/' ? "" : "/");
	return 0;
}

/* Words for a query string: nothing there needs escaping. */
static int set_crowdsec_words(char *dst, size_t size, const char *v, char *err, size_t errlen)
{
	if (strlen(v) >= size || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					"0123456789,-_./:") != strlen(v)) {
		snprintf(err, errlen, "'%.60s' must be comma-separated words of letters, digits "
			 "and -_./: under %zu bytes", v, size);
		return -1;
	}
	snprintf(dst, size, "%s", v);
	return 0;
}

static int set_crowdsec_scopes(struct config *c, const char *v, char *err, size_t errlen)
{
	return set_crowdsec_words(c->crowdsec_scopes, sizeof(c->crowdsec_scopes), v, err, errlen);
}

static int set_crowdsec_origins(struct config *c, const char *v, char *err, size_t errlen)
{
	return set_crowdsec_words(c->crowdsec_origins, sizeof(c->crowdsec_origins), v, err, errlen);
}

static int set_crowdsec_scenarios(struct config *c, const char *v, char *err, size_t errlen)
{
	return set_crowdsec_words(c->crowdsec_scenarios_containing,
				  sizeof(c->crowdsec_scenarios_containing), v, err, errlen);
}

/* "/16 /32": the widest IPv4 and IPv6 Range decisions enforced. */
static int set_crowdsec_max_range(struct config *c, const char *v, char *err, size_t errlen)
{
	unsigned v4, v6;
	int end = 0;

	if (sscanf(v, " /%u /%u %n", &v4, &v6, &end) != 2 || v[end] || v4 < 8 || v4 > 32 ||
	    v6 < 32 || v6 > 128) {
		snprintf(err, errlen, "'%.60s' must be '/V4 /V6' with V4 in 8..32 and V6 in "
			 "32..128, e.g. /16 /32", v);
		return -1;
	}
	c->crowdsec_max_range[0] = (uint8_t)v4;
	c->crowdsec_max_range[1] = (uint8_t)v6;
	return 0;
}

static int set_query_socket_owner(struct config *c, const char *v, char *err, size_t errlen)
{
	struct passwd *pw = getpwnam(v);

	if (!pw) {
		snprintf(err, errlen, "no such user '%s'", v);
		return -1;
	}
	c->query_socket_uid = pw->pw_uid;
	return 0;
}

static int set_query_socket_group(struct config *c, const char *v, char *err, size_t errlen)
{
	return lookup_group(v, &c->query_socket_gid, err, errlen);
}

static int set_control_socket_group(struct config *c, const char *v, char *err, size_t errlen)
{
	return lookup_group(v, &c->control_socket_gid, err, errlen);
}

static int set_query_socket_mode(struct config *c, const char *v, char *err, size_t errlen)
{
	char *end;
	unsigned long m = strtoul(v, &end, 8);

	if (*v < '0' || *v > '7' || *end || m > 0777) {
		snprintf(err, errlen, "'%s' must be an octal mode like 0660", v);
		return -1;
	}
	c->query_socket_mode = (unsigned)m;
	return 0;
}

/* "127.0.0.1:10040" or "[::1]:10040"; loopback only: the query socket
 * decides about bans and must not be reachable from the network. */
static int set_query_listen(struct config *c, const char *v, char *err, size_t errlen)
{
	char host[64];
	const char *colon = strrchr(v, ':');
	unsigned long port;
	char *end;
	size_t hl;

	if (!colon || colon == v)
		goto bad;
	hl = (size_t)(colon - v);
	if (v[0] == '[' && colon[-1] == ']')
		v++, hl -= 2;
	if (hl >= sizeof(host))
		goto bad;
	memcpy(host, v, hl);
	host[hl] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (!isdigit((unsigned char)colon[1]) || *end || port < 1 || port > 65535)
		goto bad;
	memset(&c->query_listen, 0, sizeof(c->query_listen));
	{
		struct sockaddr_in *s4 = (struct sockaddr_in *)&c->query_listen;
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&c->query_listen;

		if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
			if ((ntohl(s4->sin_addr.s_addr) >> 24) != 127)
				goto not_loopback;
			s4->sin_family = AF_INET;
			s4->sin_port = htons((uint16_t)port);
			c->query_listen_len = sizeof(*s4);
		} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
			if (!IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
				goto not_loopback;
			s6->sin6_family = AF_INET6;
			s6->sin6_port = htons((uint16_t)port);
			c->query_listen_len = sizeof(*s6);
		} else {
			goto bad;
		}
	}
	return 0;
not_loopback:
	memset(&c->query_listen, 0, sizeof(c->query_listen));
	snprintf(err, errlen, "'%s' is not a loopback address; the query socket must not be "
		 "reachable from the network", host);
	return -1;
bad:
	snprintf(err, errlen, "'%s' must be ADDRESS:PORT, like 127.0.0.1:10040 or [::1]:10040", v);
	return -1;
}

/* Users (names or numbers, separated by spaces or commas) whose loopback
 * TCP requests may ban: the MTA's. */
static int set_query_listen_users(struct config *c, const char *v, char *err, size_t errlen)
{
	char list[512], *save = NULL;

	if (strlen(v) >= sizeof(list)) {
		snprintf(err, errlen, "too long; give more query_listen_users lines");
		return -1;
	}
	snprintf(list, sizeof(list), "%s", v);
	for (char *u = strtok_r(list, " \t,", &save); u; u = strtok_r(NULL, " \t,", &save)) {
		struct passwd *pw = getpwnam(u);
		uint32_t uid;

		if (c->n_query_listen_users == CONFIG_MAX_USERS) {
			snprintf(err, errlen, "more than %d users", CONFIG_MAX_USERS);
			return -1;
		}
		if (pw)
			uid = pw->pw_uid;
		else if (!isdigit((unsigned char)*u) ||
			 parse_u32(u, 0, UINT32_MAX - 1, &uid, err, errlen) < 0) {
			snprintf(err, errlen, "no such user '%s'", u);
			return -1;
		}
		c->query_listen_users[c->n_query_listen_users++] = (uid_t)uid;
	}
	return 0;
}

static int set_ban_jitter(struct config *c, const char *v, char *err, size_t errlen)
{
	double pct;

	if (parse_double(v, 0, 100, &pct, err, errlen) < 0)
		return -1;
	c->offenders.ban_jitter = pct / 100;
	return 0;
}

/* Letters, digits, '_' and '-' only, non-empty and fitting: nft_table, user. */
static int set_word(char *dst, size_t size, const char *v, const char *what, char *err,
		    size_t errlen)
{
	size_t n = strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");

	if (!*v || v[n] || n >= size) {
		snprintf(err, errlen, "'%s' must be a %s of up to %zu letters, digits, '_' or '-'",
			 v, what, size - 1);
		return -1;
	}
	memcpy(dst, v, n + 1);
	return 0;
}

static int set_nft_table(struct config *c, const char *v, char *err, size_t errlen)
{
	return set_word(c->nft_table, sizeof(c->nft_table), v, "table name", err, errlen);
}

static int set_spamtrap(struct config *c, const char *v, char *err, size_t errlen)
{
	char *dst;

	if (c->n_spamtraps == CONFIG_MAX_SPAMTRAPS) {
		snprintf(err, errlen, "more than %d; use spamtrap_file", CONFIG_MAX_SPAMTRAPS);
		return -1;
	}
	if (!strchr(v, '@') || strlen(v) >= sizeof(c->spamtraps[0]) || strpbrk(v, " \t")) {
		snprintf(err, errlen, "'%.60s' is not an address", v);
		return -1;
	}
	dst = c->spamtraps[c->n_spamtraps++];
	for (size_t i = 0; v[i]; i++)
		dst[i] = (char)tolower((unsigned char)v[i]);
	dst[strlen(v)] = '\0';
	return 0;
}

/* Postfix's recipient_delimiter: a set of characters, each one ends the
 * user part; "none" for none. */
static int set_recipient_delimiter(struct config *c, const char *v, char *err, size_t errlen)
{
	if (strcmp(v, "none") == 0)
		v = "";
	for (const char *p = v; *p; p++)
		if (*p <= ' ' || *p >= 127 || strchr("@\"\\", *p)) {
			snprintf(err, errlen, "'%.40s': each delimiter must be a printable ASCII "
				 "character other than @, \" and \\ (or write none)", v);
			return -1;
		}
	if (strlen(v) >= sizeof(c->recipient_delimiter)) {
		snprintf(err, errlen, "more than %zu delimiters", sizeof(c->recipient_delimiter) - 1);
		return -1;
	}
	snprintf(c->recipient_delimiter, sizeof(c->recipient_delimiter), "%s", v);
	return 0;
}

static int set_nat64_prefix(struct config *c, const char *v, char *err, size_t errlen)
{
	struct nat64_prefixes *n = &c->offenders.nat64;
	const char *why;

	if (n->n == ADDR_MAX_NAT64) {
		snprintf(err, errlen, "more than %d NAT64 prefixes", ADDR_MAX_NAT64);
		return -1;
	}
	if (addr_parse(v, &n->v[n->n], err, errlen) < 0)
		return -1;
	if ((why = addr_nat64_check(&n->v[n->n]))) {
		snprintf(err, errlen, "%s: %s", v, why);
		return -1;
	}
	n->n++;
	return 0;
}

static int set_dnsbl(struct config *c, const char *v, char *err, size_t errlen)
{
	if (c->n_dnsbl == DNSBL_MAX_LISTS) {
		snprintf(err, errlen, "more than %d lists", DNSBL_MAX_LISTS);
		return -1;
	}
	if (dnsbl_list_parse(v, &c->dnsbl[c->n_dnsbl], err, errlen) < 0)
		return -1;
	c->n_dnsbl++;
	return 0;
}

static int set_dns_server(struct config *c, const char *v, char *err, size_t errlen)
{
	char host[64];
	const char *colon = strrchr(v, ':');
	struct in6_addr a6;
	struct in_addr a4;

	/* "ADDR", "ADDR:PORT", "[V6ADDR]:PORT"; the length first: the cut
	 * below indexes host by the colon's place in v. */
	bool fits = strlen(v) < sizeof(c->dns_server) && strlen(v) < sizeof(host);

	snprintf(host, sizeof(host), "%s", v[0] == '[' ? v + 1 : v);
	if (fits && v[0] == '[' && strchr(host, ']'))
		*strchr(host, ']') = '\0';
	else if (fits && colon && strchr(v, ':') == colon)
		host[colon - v] = '\0';
	if (!fits || (inet_pton(AF_INET, host, &a4) != 1 && inet_pton(AF_INET6, host, &a6) != 1)) {
		snprintf(err, errlen, "'%s' must be ADDR or ADDR:PORT ([V6]:PORT for IPv6)", v);
		return -1;
	}
	snprintf(c->dns_server, sizeof(c->dns_server), "%s", v);
	return 0;
}

/* Kept as text: verdict.c reads the stage by name. */
static int set_dnsbl_reject_stage(struct config *c, const char *v, char *err, size_t errlen)
{
	static const char *const stages[] = { "connect", "mail", "rcpt", NULL };

	if (pick(v, stages, err, errlen) < 0)
		return -1;
	snprintf(c->dnsbl_reject_stage, sizeof(c->dnsbl_reject_stage), "%s", v);
	return 0;
}

static int set_user(struct config *c, const char *v, char *err, size_t errlen)
{
	/* Checked at start and by -t: the user may be created after the config. */
	if (strlen(v) >= sizeof(c->user) || strpbrk(v, " \t:/")) {
		snprintf(err, errlen, "'%s' is not a user name", v);
		return -1;
	}
	snprintf(c->user, sizeof(c->user), "%s", v);
	return 0;
}

static const char *const xdp_modes[] = { "auto", "native", "generic", NULL };
/* In the order of enum rg_ban_action. */
static const char *const ban_actions[] = { "drop", "rst", NULL };
static const char *const backends[] = { "auto", "xdp", "nft", "none", NULL };
static const char *const nft_hooks[] = { "ingress", "prerouting", NULL };
static const char *const log_verdicts[] = { "none", "rejects", "all", NULL };
static const char *const log_tos[] = { "stderr", "syslog", NULL };
static const char *const log_levels[] = { "info", "debug", NULL };

#define FIELD(f) .off = offsetof(struct config, f), .size = sizeof(((struct config *)0)->f)
#define BOOL(n, f, r) { .name = n, .kind = CONFIG_BOOL, FIELD(f), .reload = r }
#define UINT(n, f, lo, hi, r) { .name = n, .kind = CONFIG_UINT, FIELD(f), .min = lo, .max = hi, \
				 .reload = r }
#define DBL(n, f, lo, hi, r) { .name = n, .kind = CONFIG_DOUBLE, FIELD(f), .min = lo, .max = hi, \
				.reload = r }
#define DUR(n, f, lo, r) { .name = n, .kind = CONFIG_DURATION, FIELD(f), .min = lo, \
			    .max = DURATION_MAX_SECS, .reload = r }
/* A path with room kept below it (the pins, the state files, a ".tmp"). */
#define PATH(n, f, room, r) { .name = n, .kind = CONFIG_PATH, FIELD(f), \
			       .max = sizeof(((struct config *)0)->f) - (room), .reload = r }
#define PATHS(n, f, cnt, r) { .name = n, .kind = CONFIG_PATH, FIELD(f), \
			       .aux_off = offsetof(struct config, cnt), .list = true, \
			       .max = sizeof(((struct config *)0)->f[0]), .reload = r }
#define ENUM(n, f, v, r) { .name = n, .kind = CONFIG_ENUM, FIELD(f), .names = v, .reload = r }
#define CUSTOM(n, f, fn, r) { .name = n, .kind = CONFIG_CUSTOM, FIELD(f), .parse = fn, \
			       .reload = r }
#define LIST(n, f, cnt, fn, r) { .name = n, .kind = CONFIG_CUSTOM, FIELD(f), \
				  .aux_off = offsetof(struct config, cnt), .list = true, \
				  .parse = fn, .reload = r }
#define LIVE CONFIG_LIVE
#define RESTART CONFIG_RESTART

static const struct config_key keys[] = {
	LIST("interface", interfaces, n_interfaces, set_interface, RESTART),
	LIST("port", ports, n_ports, set_port, LIVE),
	ENUM("xdp_mode", xdp_mode, xdp_modes, RESTART),
	PATH("bpf_pin_dir", bpf_pin_dir, 32, RESTART),
	LIST("allow", allow, n_allow, set_allow, LIVE),
	UINT("max_bans", max_bans, 1, 16777216, RESTART),
	UINT("max_prefix_bans", max_prefix_bans, 1, 1048576, RESTART),
	UINT("max_allow", max_allow, 1, 1048576, RESTART),
	ENUM("ban_action", ban_action, ban_actions, LIVE),
	UINT("rst_rate", rst_rate, 1, 1000000, LIVE),
	PATH("recipients", recipients, 0, LIVE),
	DBL("recipients_max_shrink", recipients_max_shrink, 0, 100, LIVE),
	CUSTOM("reject_unknown", reject_unknown, set_reject_unknown, LIVE),
	BOOL("percent_hack", percent_hack, LIVE),
	BOOL("swap_bangpath", swap_bangpath, LIVE),
	BOOL("resolve_dequoted", resolve_dequoted, LIVE),
	CUSTOM("recipient_delimiter", recipient_delimiter, set_recipient_delimiter, LIVE),
	PATH("query_socket", query_socket, 0, RESTART),
	CUSTOM("query_socket_owner", query_socket_uid, set_query_socket_owner, RESTART),
	CUSTOM("query_socket_group", query_socket_gid, set_query_socket_group, RESTART),
	CUSTOM("query_socket_mode", query_socket_mode, set_query_socket_mode, RESTART),
	{ .name = "query_listen", .kind = CONFIG_CUSTOM, FIELD(query_listen),
	  .aux_off = offsetof(struct config, query_listen_len), .parse = set_query_listen,
	  .reload = RESTART },
	LIST("query_listen_users", query_listen_users, n_query_listen_users,
	     set_query_listen_users, RESTART),
	UINT("max_connections", max_connections, 1, 1000000, RESTART),
	ENUM("backend", backend, backends, RESTART),
	CUSTOM("nft_table", nft_table, set_nft_table, RESTART),
	ENUM("nft_hook", nft_hook, nft_hooks, RESTART),
	DBL("ban_threshold", offenders.threshold, 0.001, 1e6, LIVE),
	DUR("ban_window", offenders.window, 1, LIVE),
	DUR("ban_time", offenders.ban_time, 1, LIVE),
	DUR("ban_time_max", offenders.ban_time_max, 1, LIVE),
	DBL("ban_escalation", offenders.ban_factor, 1, 1000, LIVE),
	CUSTOM("ban_jitter", offenders.ban_jitter, set_ban_jitter, LIVE),
	DUR("offense_memory", offenders.offense_memory, 1, LIVE),
	DUR("reputation_window", offenders.reputation_window, 1, LIVE),
	DBL("reputation_credit", offenders.reputation_credit, 0, 1000, LIVE),
	DBL("reputation_max", offenders.reputation_max, 1, 1e6, LIVE),
	UINT("reputation_max_per_hour", offenders.reputation_max_per_hour, 0, 1000000, LIVE),
	DBL("relay_weight", offenders.relay_weight, 0, 1e6, LIVE),
	DUR("pardon_time", offenders.pardon_time, 0, LIVE),
	/* No automatic ban may be wider than a manual one without --force:
	 * IPv4 /8, IPv6 /32. */
	UINT("offender_prefix_v4", offenders.prefix_v4, 8, 32, LIVE),
	UINT("offender_prefix_v6", offenders.prefix_v6, 32, 128, LIVE),
	LIST("nat64_prefix", offenders.nat64.v, offenders.nat64.n, set_nat64_prefix, LIVE),
	UINT("subnet_bans", offenders.subnet_bans, 0, 256, LIVE),
	DUR("subnet_window", offenders.subnet_window, 1, LIVE),
	UINT("max_offenders", offenders.max_offenders, 1000, 100000000, RESTART),
	LIST("spamtrap", spamtraps, n_spamtraps, set_spamtrap, LIVE),
	PATH("spamtrap_file", spamtrap_file, 0, LIVE),
	CUSTOM("spamtrap_reply", spamtrap_reply, set_spamtrap_reply, LIVE),
	PATHS("allow_file", allow_files, n_allow_files, LIVE),
	PATHS("follow", follow, n_follow, RESTART),
	PATH("state_dir", state_dir, 32, RESTART),
	DUR("state_interval", state_interval, 1, LIVE),
	PATH("control_socket", control_socket, 0, RESTART),
	CUSTOM("control_socket_group", control_socket_gid, set_control_socket_group, RESTART),
	ENUM("log_verdicts", log_verdicts, log_verdicts, LIVE),
	ENUM("log", log_to, log_tos, RESTART),
	ENUM("log_level", log_level, log_levels, LIVE),
	LIST("dnsbl", dnsbl, n_dnsbl, set_dnsbl, RESTART),
	DBL("dnsbl_reject_threshold", dnsbl_reject_threshold, -1000, 1000, LIVE),
	DBL("dnsbl_ban_weight", dnsbl_ban_weight, 0, 1000, LIVE),
	CUSTOM("dnsbl_reject_stage", dnsbl_reject_stage, set_dnsbl_reject_stage, LIVE),
	DBL("dnsbl_wait", dnsbl_wait, 0, 30, RESTART),
	DUR("dnsbl_cache_min", dnsbl_cache_min, 1, RESTART),
	DUR("dnsbl_cache_max", dnsbl_cache_max, 1, RESTART),
	UINT("dnsbl_cache_size", dnsbl_cache_size, 16, 10000000, RESTART),
	CUSTOM("dns_server", dns_server, set_dns_server, RESTART),
	DBL("dns_timeout", dns_timeout, 0.05, 30, RESTART),
	UINT("dns_max_inflight", dns_max_inflight, 1, 10000, RESTART),
	CUSTOM("user", user, set_user, RESTART),
	BOOL("allow_own_addresses", allow_own_addresses, LIVE),
	BOOL("close_sessions", close_sessions, LIVE),
	PATH("metrics_textfile", metrics_textfile, 8, LIVE),
	DUR("metrics_interval", metrics_interval, 1, LIVE),
	CUSTOM("crowdsec_url", crowdsec_url, set_crowdsec_url, RESTART),
	PATH("crowdsec_bouncer_key_file", crowdsec_bouncer_key_file, 0, RESTART),
	DUR("crowdsec_pull_interval", crowdsec_pull_interval, 1, RESTART),
	CUSTOM("crowdsec_scopes", crowdsec_scopes, set_crowdsec_scopes, RESTART),
	CUSTOM("crowdsec_origins", crowdsec_origins, set_crowdsec_origins, RESTART),
	CUSTOM("crowdsec_scenarios_containing", crowdsec_scenarios_containing,
	       set_crowdsec_scenarios, RESTART),
	CUSTOM("crowdsec_max_range", crowdsec_max_range, set_crowdsec_max_range, RESTART),
	PATH("crowdsec_ca_file", crowdsec_ca_file, 0, RESTART),
	PATH("crowdsec_machine_file", crowdsec_machine_file, 0, RESTART),
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* Keys whose values must be in order: a ban_time above ban_time_max or a
 * cache floor above its ceiling is a mistake, not something to clamp. */
static const struct {
	const char *lo, *hi;
} ordered[] = {
	{ "ban_time", "ban_time_max" },
	{ "dnsbl_cache_min", "dnsbl_cache_max" },
};

const struct config_key *config_key(size_t i)
{
	return i < NKEYS ? &keys[i] : NULL;
}

const char *config_key_name(size_t i)
{
	return i < NKEYS ? keys[i].name : NULL;
}

static size_t find_key(const char *name)
{
	size_t i = 0;

	while (i < NKEYS && strcmp(keys[i].name, name) != 0)
		i++;
	return i;
}

bool config_key_changed(const struct config_key *k, const struct config *a,
			const struct config *b)
{
	const char *pa = (const char *)a, *pb = (const char *)b;

	return memcmp(pa + k->off, pb + k->off, k->size) != 0 ||
	       (k->aux_off && memcmp(pa + k->aux_off, pb + k->aux_off, sizeof(unsigned)) != 0);
}

static void append(char *buf, size_t len, const char *name)
{
	size_t n = strlen(buf);

	if (n + strlen(name) + 5 >= len) {
		if (n + 4 < len && !strstr(buf, "..."))
			snprintf(buf + n, len - n, "...");
		return;
	}
	snprintf(buf + n, len - n, "%s%s", n ? "," : "", name);
}

void config_reload_diff(const struct config *cur, struct config *next, char *changed,
			size_t changed_len, char *restart, size_t restart_len)
{
	*changed = *restart = '\0';
	for (size_t i = 0; i < NKEYS; i++) {
		const struct config_key *k = &keys[i];

		if (!config_key_changed(k, cur, next))
			continue;
		if (k->reload == CONFIG_LIVE) {
			append(changed, changed_len, k->name);
			continue;
		}
		append(restart, restart_len, k->name);
		memcpy((char *)next + k->off, (const char *)cur + k->off, k->size);
		if (k->aux_off)
			memcpy((char *)next + k->aux_off, (const char *)cur + k->aux_off,
			       sizeof(unsigned));
	}
}

void config_defaults(struct config *c)
{
	static const char *const allow[] = { "127.0.0.0/8", "::1" };
	char err[128];

	memset(c, 0, sizeof(*c));
	c->ports[0] = 25;
	c->ports[1] = 465;
	c->ports[2] = 587;
	c->n_ports = 3;
	c->xdp_mode = XDP_MODE_AUTO;
	snprintf(c->bpf_pin_dir, sizeof(c->bpf_pin_dir), "/sys/fs/bpf/rcptguard");
	for (unsigned i = 0; i < sizeof(allow) / sizeof(allow[0]); i++)
		set_allow(c, allow[i], err, sizeof(err));
	c->max_bans = 1048576;
	c->max_prefix_bans = 65536;
	c->max_allow = 65536;
	c->ban_action = RG_ACTION_DROP;
	c->rst_rate = 1000;
	c->recipients_max_shrink = 50;
	snprintf(c->reject_unknown, sizeof(c->reject_unknown), "550 5.1.1 no such mailbox");
	c->percent_hack = true;
	c->swap_bangpath = true;
	c->resolve_dequoted = true;
	snprintf(c->recipient_delimiter, sizeof(c->recipient_delimiter), "+");
	snprintf(c->spamtrap_reply, sizeof(c->spamtrap_reply),
		 "421 4.7.0 refused by local policy; try again later");
	snprintf(c->query_socket, sizeof(c->query_socket), "/run/rcptguard/query.sock");
	c->query_socket_uid = (uid_t)-1;
	c->query_socket_gid = (gid_t)-1;
	c->query_socket_mode = 0660;
	c->max_connections = 4096;
	c->backend = BACKEND_AUTO;
	snprintf(c->nft_table, sizeof(c->nft_table), "rcptguard");
	c->nft_hook = NFT_HOOK_INGRESS;
	offenders_defaults(&c->offenders);
	snprintf(c->state_dir, sizeof(c->state_dir), "/var/lib/rcptguard");
	c->state_interval = 60;
	snprintf(c->control_socket, sizeof(c->control_socket), "/run/rcptguard/control.sock");
	c->control_socket_gid = (gid_t)-1;
	c->log_verdicts = LOG_VERDICTS_REJECTS;
	c->log_to = LOG_TO_STDERR;
	c->log_level = LOG_LEVEL_INFO;
	c->dnsbl_reject_threshold = 1;
	c->dnsbl_ban_weight = 1;
	c->dns_timeout = 1;
	c->dns_max_inflight = 100;
	c->dnsbl_wait = 2;
	c->dnsbl_cache_min = 60;
	c->dnsbl_cache_max = 3600;
	c->dnsbl_cache_size = 16384;
	snprintf(c->dnsbl_reject_stage, sizeof(c->dnsbl_reject_stage), "rcpt");
	snprintf(c->user, sizeof(c->user), "rcptguard");
	c->metrics_interval = 15;
	c->crowdsec_pull_interval = 10;
	snprintf(c->crowdsec_scopes, sizeof(c->crowdsec_scopes), "ip,range");
	c->crowdsec_max_range[0] = 16;
	c->crowdsec_max_range[1] = 32;
	c->allow_own_addresses = true;
	c->close_sessions = true;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* A '#' that starts the value or follows a blank starts a comment; "\#"
 * is a '#' kept in the value. Works in place. */
static void strip_comment(char *v)
{
	char *out = v;

	for (char *p = v; *p; p++) {
		if (p[0] == '\\' && p[1] == '#') {
			*out++ = *++p;
			continue;
		}
		if (*p == '#' && (p == v || p[-1] == ' ' || p[-1] == '\t'))
			break;
		*out++ = *p;
	}
	*out = '\0';
}

static int parse_line(struct config *c, char *line, unsigned lineno, unsigned *seen,
		      char *err, size_t errlen)
{
	char *eq, *k, *v;
	size_t i, n;

	line = trim(line);
	if (!*line || *line == '#')
		return 0;
	eq = strchr(line, '=');
	if (!eq) {
		snprintf(err, errlen, "expected 'key = value', got '%.60s'", line);
		return -1;
	}
	*eq = '\0';
	k = trim(line);
	v = eq + 1;
	strip_comment(v);
	v = trim(v);
	if ((i = find_key(k)) == NKEYS) {
		snprintf(err, errlen, "unknown key '%.60s'", k);
		return -1;
	}
	if (!*v) {
		snprintf(err, errlen, "%s: empty value", k);
		return -1;
	}
	if (keys[i].list && !seen[i]) {
		memset((char *)c + keys[i].off, 0, keys[i].size);
		*(unsigned *)((char *)c + keys[i].aux_off) = 0;
	} else if (!keys[i].list && seen[i]) {
		snprintf(err, errlen, "%s: set twice", k);
		return -1;
	}
	seen[i] = lineno;
	/* The message names the key, then what is wrong with it. */
	n = (size_t)snprintf(err, errlen, "%s: ", k);
	return set_row(&keys[i], c, v, err + n, errlen - n);
}

static int check_order(const struct config *c, const unsigned *seen, const char *path,
			char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(ordered) / sizeof(ordered[0]); i++) {
		size_t lo = find_key(ordered[i].lo), hi = find_key(ordered[i].hi);
		uint32_t a = *(const uint32_t *)((const char *)c + keys[lo].off);
		uint32_t b = *(const uint32_t *)((const char *)c + keys[hi].off);

		if (a <= b)
			continue;
		snprintf(err, errlen, "%s:%u: %s (%us) is above %s (%us); lower %s or raise %s",
			 path, seen[lo] > seen[hi] ? seen[lo] : seen[hi], keys[lo].name, a,
			 keys[hi].name, b, keys[lo].name, keys[hi].name);
		return -1;
	}
	return 0;
}

/* One line without its newline: 1, 0 at end of file, -1 too long, -2 NUL. */
static int read_line(FILE *f, char *buf, size_t size)
{
	size_t n = 0;
	int ch;

	while ((ch = getc(f)) != EOF && ch != '\n') {
		if (ch == '\0')
			return -2;
		if (n + 1 == size)
			return -1;
		buf[n++] = (char)ch;
	}
	buf[n] = '\0';
	return ch == EOF && n == 0 ? 0 : 1;
}

int config_load(struct config *c, const char *path, char *err, size_t errlen)
{
	unsigned seen[NKEYS] = { 0 };   /* the line that set each key */
	char line[MAX_LINE + 1], msg[256];
	unsigned lineno = 0;
	int rc = -1;
	FILE *f;

	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	config_defaults(c);
	for (;;) {
		int r = read_line(f, line, sizeof(line));

		if (r == 0)
			break;
		lineno++;
		if (r < 0) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno,
				 r == -1 ? "line too long (4096 bytes at most)" : "NUL byte in line");
			goto out;
		}
		if (parse_line(c, line, lineno, seen, msg, sizeof(msg)) < 0) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, msg);
			goto out;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	rc = check_order(c, seen, path, err, errlen);
out:
	fclose(f);
	return rc;
}
