/* config.h - rcptguard.conf: flat "key = value" lines, "#" comments,
 * lists by repeated keys. Documented key by key in rcptguard.conf(5). */
#ifndef RG_CONFIG_H
#define RG_CONFIG_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include "dnsbl_spec.h"
#include "offenders.h"
#include "rcptguard.h"

#define CONFIG_DEFAULT_PATH "/etc/rcptguard/rcptguard.conf"
#define CONFIG_MAX_IFACES 32
#define CONFIG_MAX_PORTS 64
#define CONFIG_MAX_ALLOW 1024
#define CONFIG_MAX_FILES 16
#define CONFIG_MAX_SPAMTRAPS 256
#define CONFIG_MAX_USERS 16

enum backend_cfg { BACKEND_AUTO, BACKEND_XDP, BACKEND_NFT, BACKEND_NONE };
enum nft_hook_cfg { NFT_HOOK_INGRESS, NFT_HOOK_PREROUTING };
enum log_verdicts_cfg { LOG_VERDICTS_NONE, LOG_VERDICTS_REJECTS, LOG_VERDICTS_ALL };
enum log_to_cfg { LOG_TO_STDERR, LOG_TO_SYSLOG };
enum log_level_cfg { LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

enum xdp_mode_cfg { XDP_MODE_AUTO, XDP_MODE_NATIVE, XDP_MODE_GENERIC };

struct config {
	char interfaces[CONFIG_MAX_IFACES][IF_NAMESIZE];
	unsigned n_interfaces;          /* 0: the interfaces of the default routes */
	uint16_t ports[CONFIG_MAX_PORTS];
	unsigned n_ports;
	enum xdp_mode_cfg xdp_mode;
	char bpf_pin_dir[PATH_MAX];
	struct rg_lpm_key allow[CONFIG_MAX_ALLOW];
	unsigned n_allow;
	uint32_t max_bans;
	uint32_t max_prefix_bans;
	uint32_t max_allow;
	enum rg_ban_action ban_action;  /* what a banned client's SYN gets */
	uint32_t rst_rate;              /* RSTs per second, all CPUs together */

	char recipients[PATH_MAX];      /* empty: no recipient verdicts */
	double recipients_max_shrink;   /* percent of keys or domains a replacement may lose */
	char reject_unknown[256];       /* the action for an unknown recipient */
	bool percent_hack;              /* user%domain@ours is user@domain */
	bool swap_bangpath;             /* Postfix: domain!user@ours is user@domain */
	bool resolve_dequoted;          /* Postfix: "user@domain"@ours is user@domain */
	char recipient_delimiter[16];   /* Postfix's set of delimiters; "" none */
	char query_socket[108];         /* sun_path */
	uid_t query_socket_uid;         /* (uid_t)-1: leave as created */
	gid_t query_socket_gid;
	unsigned query_socket_mode;
	struct sockaddr_storage query_listen;   /* ss_family 0: no TCP */
	socklen_t query_listen_len;
	uid_t query_listen_users[CONFIG_MAX_USERS];     /* TCP peers whose requests
							   are evidence; none: verdicts only */
	unsigned n_query_listen_users;
	uint32_t max_connections;

	enum backend_cfg backend;
	char nft_table[64];                     /* table inet NAME */
	enum nft_hook_cfg nft_hook;
	struct offender_cfg offenders;          /* ban_*, reputation_*, ... */
	char allow_files[CONFIG_MAX_FILES][PATH_MAX];
	unsigned n_allow_files;
	char follow[CONFIG_MAX_FILES][PATH_MAX];        /* MTA logs to follow */
	unsigned n_follow;
	char spamtraps[CONFIG_MAX_SPAMTRAPS][128];      /* lower-cased */
	unsigned n_spamtraps;
	char spamtrap_file[PATH_MAX];
	char spamtrap_reply[256];       /* the action for a client banned for a trap hit */
	char state_dir[PATH_MAX];
	uint32_t state_interval;                /* seconds between state saves */
	char control_socket[108];
	gid_t control_socket_gid;               /* (gid_t)-1: root only */
	enum log_verdicts_cfg log_verdicts;
	enum log_to_cfg log_to;                 /* log: where a foreground daemon logs */
	enum log_level_cfg log_level;           /* debug adds each control client's lines */

	struct dnsbl_list dnsbl[DNSBL_MAX_LISTS];
	unsigned n_dnsbl;
	double dnsbl_reject_threshold;          /* score that rejects: 1 */
	double dnsbl_ban_weight;                /* evidence per point of score: 1 */
	char dns_server[64];                    /* "" : resolv.conf */
	double dns_timeout;                     /* seconds per try */
	uint32_t dns_max_inflight;
	double dnsbl_wait;                      /* seconds a verdict waits for answers */
	uint32_t dnsbl_cache_min, dnsbl_cache_max;      /* TTL bounds, seconds */
	uint32_t dnsbl_cache_size;
	char dnsbl_reject_stage[16];            /* "connect", "mail" or "rcpt" */

	char user[64];                          /* run as this user after start */
	bool allow_own_addresses;               /* the host's addresses are allowlisted */
	bool close_sessions;                    /* a ban ends the prefix's open sessions */
	char metrics_textfile[PATH_MAX];        /* "": none */
	uint32_t metrics_interval;

	/* CrowdSec's Local API (docs/crowdsec.md): "" url: off. The lists
	 * are comma-separated words, sent as they are in a query string. */
	char crowdsec_url[256];
	char crowdsec_bouncer_key_file[PATH_MAX];
	uint32_t crowdsec_pull_interval;
	char crowdsec_scopes[128], crowdsec_origins[128], crowdsec_scenarios_containing[128];
	uint8_t crowdsec_max_range[2];          /* IPv4, IPv6 prefix lengths */
	char crowdsec_ca_file[PATH_MAX];
	char crowdsec_machine_file[PATH_MAX];   /* "": no pushes */
};

/* One key: a row of the parser's table. The simple kinds are parsed by
 * the table itself; CONFIG_CUSTOM rows bring their own function. */
enum config_kind {
	CONFIG_BOOL,            /* yes or no */
	CONFIG_UINT,            /* min..max into a 4- or 8-byte unsigned field */
	CONFIG_DOUBLE,          /* min..max */
	CONFIG_DURATION,        /* "90s", "10m", ...: at least min seconds; 0 allowed when min is 0 */
	CONFIG_PATH,            /* absolute, under max bytes; a list: an array of max-byte paths */
	CONFIG_ENUM,            /* one of names[], stored as its index */
	CONFIG_CUSTOM,
};

/* What a reload does with a changed key. */
enum config_reload {
	CONFIG_LIVE,            /* applied */
	CONFIG_RESTART,         /* the old value stays until the daemon restarts */
};

struct config_key {
	const char *name;
	enum config_kind kind;
	size_t off, size;       /* the field the key sets */
	size_t aux_off;         /* 0, or a second unsigned field it sets (a list's count) */
	bool list;              /* repeated keys append; the first drops the defaults */
	double min, max;
	enum config_reload reload;
	const char *const *names;       /* CONFIG_ENUM, NULL-terminated */
	int (*parse)(struct config *c, const char *v, char *err, size_t errlen);
};

void config_defaults(struct config *c);

/* Replace *c with defaults overlaid by the file. On error err reads
 * "FILE:LINE: what is wrong" and *c holds a partial parse: callers load
 * into a config of their own and discard it (a reload keeps the old one). */
int config_load(struct config *c, const char *path, char *err, size_t errlen);

/* The i-th key the parser accepts, NULL past the last. */
const struct config_key *config_key(size_t i);
const char *config_key_name(size_t i);

/* Does key k differ between a and b? */
bool config_key_changed(const struct config_key *k, const struct config *a,
			const struct config *b);

/* A reload's view of next against the running cur: the keys it applies go
 * to changed, the keys that need a restart to restart (comma-separated,
 * cut with "..." when long); those keep cur's values in next. */
void config_reload_diff(const struct config *cur, struct config *next, char *changed,
			size_t changed_len, char *restart, size_t restart_len);

#endif
