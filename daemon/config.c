/* config.c - the config file parser. Each key is one row of a table: its
 * name and the function that checks and stores its value. */
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

struct key {
	const char *name;
	int (*set)(struct config *c, const char *v, char *err, size_t errlen);
	bool list;                      /* repeated keys append */
	void (*clear)(struct config *c);/* lists: drop the defaults on first use */
};

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

static int set_path(char *dst, size_t size, const char *v, char *err, size_t errlen)
{
	if (v[0] != '/' || strlen(v) >= size) {
		snprintf(err, errlen, "'%s' must be an absolute path under %zu bytes", v, size);
		return -1;
	}
	snprintf(dst, size, "%s", v);
	return 0;
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

static void clear_interfaces(struct config *c) { c->n_interfaces = 0; }

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

static void clear_ports(struct config *c) { c->n_ports = 0; }

static int set_xdp_mode(struct config *c, const char *v, char *err, size_t errlen)
{
	if (strcmp(v, "auto") == 0)
		c->xdp_mode = XDP_MODE_AUTO;
	else if (strcmp(v, "native") == 0)
		c->xdp_mode = XDP_MODE_NATIVE;
	else if (strcmp(v, "generic") == 0)
		c->xdp_mode = XDP_MODE_GENERIC;
	else {
		snprintf(err, errlen, "'%s' must be auto, native or generic", v);
		return -1;
	}
	return 0;
}

static int set_pin_dir(struct config *c, const char *v, char *err, size_t errlen)
{
	/* Room for the pin names below it. */
	return set_path(c->bpf_pin_dir, sizeof(c->bpf_pin_dir) - 32, v, err, errlen);
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

static void clear_allow(struct config *c) { c->n_allow = 0; }

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

static int set_recipients(struct config *c, const char *v, char *err, size_t errlen)
{
	return set_path(c->recipients, sizeof(c->recipients), v, err, errlen);
}

static int set_reject_unknown(struct config *c, const char *v, char *err, size_t errlen)
{
	/* A 5xx or 4xx reply: "550 5.1.1 text". */
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
	snprintf(c->reject_unknown, sizeof(c->reject_unknown), "%s", v);
	return 0;
}

static int set_query_socket(struct config *c, const char *v, char *err, size_t errlen)
{
	return set_path(c->query_socket, sizeof(c->query_socket), v, err, errlen);
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

static void clear_query_listen_users(struct config *c) { c->n_query_listen_users = 0; }

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

static int set_double(const char *v, double min, double max, double *out, char *err,
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

#define SET_DUR(name, field, min)                                                   \
	static int set_##name(struct config *c, const char *v, char *err, size_t n)    \
	{                                                                             \
		return set_duration(v, min, &c->field, err, n);                       \
	}
#define SET_DBL(name, field, min, max)                                              \
	static int set_##name(struct config *c, const char *v, char *err, size_t n)    \
	{                                                                             \
		return set_double(v, min, max, &c->field, err, n);                    \
	}
SET_DUR(ban_window, offenders.window, 1)
SET_DUR(ban_time, offenders.ban_time, 1)
SET_DUR(ban_time_max, offenders.ban_time_max, 1)
SET_DUR(offense_memory, offenders.offense_memory, 1)
SET_DUR(reputation_window, offenders.reputation_window, 1)
SET_DUR(pardon_time, offenders.pardon_time, 0)
SET_DUR(subnet_window, offenders.subnet_window, 1)
SET_DUR(state_interval, state_interval, 1)
SET_DUR(metrics_interval, metrics_interval, 1)
SET_DBL(ban_threshold, offenders.threshold, 0.001, 1e6)
SET_DBL(ban_escalation, offenders.ban_factor, 1, 1000)
SET_DBL(reputation_credit, offenders.reputation_credit, 0, 1000)
SET_DBL(reputation_max, offenders.reputation_max, 1, 1e6)
SET_DBL(relay_weight, offenders.relay_weight, 0, 1e6)
SET_DBL(dnsbl_reject_threshold, dnsbl_reject_threshold, -1000, 1000)
SET_DBL(dnsbl_ban_weight, dnsbl_ban_weight, 0, 1000)
SET_DBL(dns_timeout, dns_timeout, 0.05, 30)
SET_DBL(dnsbl_wait, dnsbl_wait, 0, 30)
SET_DBL(recipients_max_shrink, recipients_max_shrink, 0, 100)
SET_DUR(dnsbl_cache_min, dnsbl_cache_min, 1)
SET_DUR(dnsbl_cache_max, dnsbl_cache_max, 1)

static int set_ban_jitter(struct config *c, const char *v, char *err, size_t errlen)
{
	double pct;

	if (set_double(v, 0, 100, &pct, err, errlen) < 0)
		return -1;
	c->offenders.ban_jitter = pct / 100;
	return 0;
}

static int set_backend(struct config *c, const char *v, char *err, size_t errlen)
{
	if (strcmp(v, "auto") == 0)
		c->backend = BACKEND_AUTO;
	else if (strcmp(v, "xdp") == 0)
		c->backend = BACKEND_XDP;
	else if (strcmp(v, "nft") == 0)
		c->backend = BACKEND_NFT;
	else if (strcmp(v, "none") == 0)
		c->backend = BACKEND_NONE;
	else {
		snprintf(err, errlen, "'%s' must be auto, xdp, nft or none", v);
		return -1;
	}
	return 0;
}

static int set_nft_table(struct config *c, const char *v, char *err, size_t errlen)
{
	size_t n = strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");

	if (!*v || v[n] || n >= sizeof(c->nft_table)) {
		snprintf(err, errlen, "'%s' must be a table name of up to %zu letters, digits, "
			 "'_' or '-'", v, sizeof(c->nft_table) - 1);
		return -1;
	}
	memcpy(c->nft_table, v, n + 1);
	return 0;
}

static int set_nft_hook(struct config *c, const char *v, char *err, size_t errlen)
{
	if (strcmp(v, "ingress") == 0)
		c->nft_hook = NFT_HOOK_INGRESS;
	else if (strcmp(v, "prerouting") == 0)
		c->nft_hook = NFT_HOOK_PREROUTING;
	else {
		snprintf(err, errlen, "'%s' must be ingress or prerouting", v);
		return -1;
	}
	return 0;
}

static int set_log_verdicts(struct config *c, const char *v, char *err, size_t errlen)
{
	static const char *const names[] = { "none", "rejects", "all" };

	for (unsigned i = 0; i < 3; i++)
		if (strcmp(v, names[i]) == 0) {
			c->log_verdicts = (enum log_verdicts_cfg)i;
			return 0;
		}
	snprintf(err, errlen, "'%s' must be none, rejects or all", v);
	return -1;
}

static int set_allow_file(struct config *c, const char *v, char *err, size_t errlen)
{
	if (c->n_allow_files == CONFIG_MAX_FILES) {
		snprintf(err, errlen, "more than %d files", CONFIG_MAX_FILES);
		return -1;
	}
	if (set_path(c->allow_files[c->n_allow_files], PATH_MAX, v, err, errlen) < 0)
		return -1;
	c->n_allow_files++;
	return 0;
}

static void clear_allow_files(struct config *c) { c->n_allow_files = 0; }

static int set_follow(struct config *c, const char *v, char *err, size_t errlen)
{
	if (c->n_follow == CONFIG_MAX_FILES) {
		snprintf(err, errlen, "more than %d files", CONFIG_MAX_FILES);
		return -1;
	}
	if (set_path(c->follow[c->n_follow], PATH_MAX, v, err, errlen) < 0)
		return -1;
	c->n_follow++;
	return 0;
}

static void clear_follow(struct config *c) { c->n_follow = 0; }

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

static void clear_spamtraps(struct config *c) { c->n_spamtraps = 0; }

static int set_spamtrap_file(struct config *c, const char *v, char *err, size_t errlen)
{
	return set_path(c->spamtrap_file, sizeof(c->spamtrap_file), v, err, errlen);
}

static int set_state_dir(struct config *c, const char *v, char *err, size_t errlen)
{
	return set_path(c->state_dir, sizeof(c->state_dir) - 32, v, err, errlen);
}

static int set_control_socket(struct config *c, const char *v, char *err, size_t errlen)
{
	return set_path(c->control_socket, sizeof(c->control_socket), v, err, errlen);
}

static int set_control_socket_group(struct config *c, const char *v, char *err, size_t errlen)
{
	return lookup_group(v, &c->control_socket_gid, err, errlen);
}

/* No automatic ban may be wider than a manual one without --force:
 * IPv4 /8, IPv6 /32. */
static int set_prefix(unsigned *dst, const char *v, unsigned min, unsigned max, char *err,
		      size_t errlen)
{
	uint32_t n;

	if (parse_u32(v, min, max, &n, err, errlen) < 0)
		return -1;
	*dst = n;
	return 0;
}

static int set_offender_prefix_v4(struct config *c, const char *v, char *err, size_t n)
{
	return set_prefix(&c->offenders.prefix_v4, v, 8, 32, err, n);
}

static int set_offender_prefix_v6(struct config *c, const char *v, char *err, size_t n)
{
	return set_prefix(&c->offenders.prefix_v6, v, 32, 128, err, n);
}

static int set_reputation_max_per_hour(struct config *c, const char *v, char *err, size_t n)
{
	return parse_u32(v, 0, 1000000, &c->offenders.reputation_max_per_hour, err, n);
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

static void clear_nat64(struct config *c) { c->offenders.nat64.n = 0; }

static int set_subnet_bans(struct config *c, const char *v, char *err, size_t n)
{
	uint32_t x;

	if (parse_u32(v, 0, 256, &x, err, n) < 0)
		return -1;
	c->offenders.subnet_bans = x;
	return 0;
}

static int set_max_offenders(struct config *c, const char *v, char *err, size_t n)
{
	uint32_t x;

	if (parse_u32(v, 1000, 100000000, &x, err, n) < 0)
		return -1;
	c->offenders.max_offenders = x;
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

static void clear_dnsbl(struct config *c) { c->n_dnsbl = 0; }

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

static int set_dnsbl_reject_stage(struct config *c, const char *v, char *err, size_t errlen)
{
	if (strcmp(v, "connect") != 0 && strcmp(v, "mail") != 0 && strcmp(v, "rcpt") != 0) {
		snprintf(err, errlen, "'%s' must be connect, mail or rcpt", v);
		return -1;
	}
	snprintf(c->dnsbl_reject_stage, sizeof(c->dnsbl_reject_stage), "%s", v);
	return 0;
}

static int set_user(struct config *c, const char *v, char *err, size_t errlen)
{
	/* Checked at start: the user may be created after the config. */
	if (strlen(v) >= sizeof(c->user) || strpbrk(v, " \t:/")) {
		snprintf(err, errlen, "'%s' is not a user name", v);
		return -1;
	}
	snprintf(c->user, sizeof(c->user), "%s", v);
	return 0;
}

static int parse_yes_no(const char *v, bool *out, char *err, size_t errlen)
{
	if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0) {
		snprintf(err, errlen, "'%s' must be yes or no", v);
		return -1;
	}
	*out = v[0] == 'y';
	return 0;
}

static int set_allow_own_addresses(struct config *c, const char *v, char *err, size_t errlen)
{
	return parse_yes_no(v, &c->allow_own_addresses, err, errlen);
}

static int set_close_sessions(struct config *c, const char *v, char *err, size_t errlen)
{
	return parse_yes_no(v, &c->close_sessions, err, errlen);
}

static int set_metrics_textfile(struct config *c, const char *v, char *err, size_t errlen)
{
	return set_path(c->metrics_textfile, sizeof(c->metrics_textfile) - 8, v, err, errlen);
}

#define SET_U32(field, min, max)                                                  \
	static int set_##field(struct config *c, const char *v, char *err, size_t n) \
	{                                                                         \
		return parse_u32(v, min, max, &c->field, err, n);                 \
	}
SET_U32(max_bans, 1, 16777216)
SET_U32(max_prefix_bans, 1, 1048576)
SET_U32(max_allow, 1, 1048576)
SET_U32(max_connections, 1, 1000000)
SET_U32(dns_max_inflight, 1, 10000)
SET_U32(dnsbl_cache_size, 16, 10000000)

static const struct key keys[] = {
	{ "interface", set_interface, true, clear_interfaces },
	{ "port", set_port, true, clear_ports },
	{ "xdp_mode", set_xdp_mode, false, NULL },
	{ "bpf_pin_dir", set_pin_dir, false, NULL },
	{ "allow", set_allow, true, clear_allow },
	{ "max_bans", set_max_bans, false, NULL },
	{ "max_prefix_bans", set_max_prefix_bans, false, NULL },
	{ "max_allow", set_max_allow, false, NULL },
	{ "recipients", set_recipients, false, NULL },
	{ "recipients_max_shrink", set_recipients_max_shrink, false, NULL },
	{ "reject_unknown", set_reject_unknown, false, NULL },
	{ "query_socket", set_query_socket, false, NULL },
	{ "query_socket_owner", set_query_socket_owner, false, NULL },
	{ "query_socket_group", set_query_socket_group, false, NULL },
	{ "query_socket_mode", set_query_socket_mode, false, NULL },
	{ "query_listen", set_query_listen, false, NULL },
	{ "query_listen_users", set_query_listen_users, true, clear_query_listen_users },
	{ "max_connections", set_max_connections, false, NULL },
	{ "backend", set_backend, false, NULL },
	{ "nft_table", set_nft_table, false, NULL },
	{ "nft_hook", set_nft_hook, false, NULL },
	{ "ban_threshold", set_ban_threshold, false, NULL },
	{ "ban_window", set_ban_window, false, NULL },
	{ "ban_time", set_ban_time, false, NULL },
	{ "ban_time_max", set_ban_time_max, false, NULL },
	{ "ban_escalation", set_ban_escalation, false, NULL },
	{ "ban_jitter", set_ban_jitter, false, NULL },
	{ "offense_memory", set_offense_memory, false, NULL },
	{ "reputation_window", set_reputation_window, false, NULL },
	{ "reputation_credit", set_reputation_credit, false, NULL },
	{ "reputation_max", set_reputation_max, false, NULL },
	{ "reputation_max_per_hour", set_reputation_max_per_hour, false, NULL },
	{ "relay_weight", set_relay_weight, false, NULL },
	{ "pardon_time", set_pardon_time, false, NULL },
	{ "offender_prefix_v4", set_offender_prefix_v4, false, NULL },
	{ "offender_prefix_v6", set_offender_prefix_v6, false, NULL },
	{ "nat64_prefix", set_nat64_prefix, true, clear_nat64 },
	{ "subnet_bans", set_subnet_bans, false, NULL },
	{ "subnet_window", set_subnet_window, false, NULL },
	{ "max_offenders", set_max_offenders, false, NULL },
	{ "spamtrap", set_spamtrap, true, clear_spamtraps },
	{ "spamtrap_file", set_spamtrap_file, false, NULL },
	{ "allow_file", set_allow_file, true, clear_allow_files },
	{ "follow", set_follow, true, clear_follow },
	{ "state_dir", set_state_dir, false, NULL },
	{ "state_interval", set_state_interval, false, NULL },
	{ "control_socket", set_control_socket, false, NULL },
	{ "control_socket_group", set_control_socket_group, false, NULL },
	{ "log_verdicts", set_log_verdicts, false, NULL },
	{ "dnsbl", set_dnsbl, true, clear_dnsbl },
	{ "dnsbl_reject_threshold", set_dnsbl_reject_threshold, false, NULL },
	{ "dnsbl_ban_weight", set_dnsbl_ban_weight, false, NULL },
	{ "dnsbl_reject_stage", set_dnsbl_reject_stage, false, NULL },
	{ "dnsbl_wait", set_dnsbl_wait, false, NULL },
	{ "dnsbl_cache_min", set_dnsbl_cache_min, false, NULL },
	{ "dnsbl_cache_max", set_dnsbl_cache_max, false, NULL },
	{ "dnsbl_cache_size", set_dnsbl_cache_size, false, NULL },
	{ "dns_server", set_dns_server, false, NULL },
	{ "dns_timeout", set_dns_timeout, false, NULL },
	{ "dns_max_inflight", set_dns_max_inflight, false, NULL },
	{ "user", set_user, false, NULL },
	{ "allow_own_addresses", set_allow_own_addresses, false, NULL },
	{ "close_sessions", set_close_sessions, false, NULL },
	{ "metrics_textfile", set_metrics_textfile, false, NULL },
	{ "metrics_interval", set_metrics_interval, false, NULL },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

const char *config_key_name(size_t i)
{
	return i < NKEYS ? keys[i].name : NULL;
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
	c->recipients_max_shrink = 50;
	snprintf(c->reject_unknown, sizeof(c->reject_unknown), "550 5.1.1 no such mailbox");
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

static int parse_line(struct config *c, char *line, bool *seen, char *err, size_t errlen)
{
	char *eq, *k, *v;

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
	v = trim(eq + 1);
	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(k, keys[i].name) != 0)
			continue;
		if (!*v) {
			snprintf(err, errlen, "%s: empty value", k);
			return -1;
		}
		if (keys[i].list && !seen[i])
			keys[i].clear(c);
		else if (!keys[i].list && seen[i]) {
			snprintf(err, errlen, "%s: set twice", k);
			return -1;
		}
		seen[i] = true;
		/* The message names the key, then what is wrong with it. */
		size_t n = (size_t)snprintf(err, errlen, "%s: ", k);

		return keys[i].set(c, v, err + n, errlen - n);
	}
	snprintf(err, errlen, "unknown key '%.60s'", k);
	return -1;
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
	bool seen[NKEYS] = { false };
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
		if (parse_line(c, line, seen, msg, sizeof(msg)) < 0) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, msg);
			goto out;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	fclose(f);
	return rc;
}
