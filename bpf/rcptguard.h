/* rcptguard.h - the one kernel/user ABI: map keys, values, counters, reasons.
 *
 * Included by bpf/rcptguard.bpf.c, the daemon and the CLI. Every address is
 * 128 bits (but bans_v4's keys); IPv4 is mapped into ::ffff:0:0/96 so both
 * families share one key shape and an IPv4 /24 is the 128-bit prefix /120.
 *
 * Maps (pinned by name under the pin directory, default /sys/fs/bpf/rcptguard):
 *   bans_v4       hash  __u32       -> rg_ban     single IPv4 addresses (/32), the
 *                                                 key the 4 address bytes
 *   bans_v6       hash  rg_addr     -> rg_ban     single IPv6 addresses (/128)
 *   bans_prefix   lpm   rg_lpm_key  -> rg_ban     CIDR prefixes only
 *   allow_exact   hash  rg_addr     -> rg_allow
 *   allow_prefix  lpm   rg_lpm_key  -> rg_allow
 *   ports         array 0           -> rg_ports   protected TCP destination ports
 *   stats         percpu array 0    -> rg_stats
 *   settings      array 0           -> rg_settings how a banned SYN is answered
 *   rst_bucket    percpu array 0    -> rg_rst_bucket the RST rate cap's state
 *   ban_notes     hash  rg_lpm_key  -> rg_note    free text of manual bans (never
 *                                                 read by the program)
 *   ifaces        hash  __u32 ifindex -> rg_iface where and how the program is
 *                                                 attached (written by the loader)
 *   prefilter_v4, prefilter_allow_v4, and their *_count maps: below
 *
 * Every ban map's name starts with "bans_", and its key says what it holds
 * (4 bytes: an IPv4 address, 16: rg_addr, 20: rg_lpm_key); no other map's
 * name does. The head of struct rg_ban (its first 40 bytes, up to
 * prefixlen) is fixed for good: a newer version reads an older install's
 * pinned bans by it. New fields go after it.
 *
 * Exact addresses live in a hash and only prefixes in the LPM trie: an LPM
 * trie's lookup cost grows with its size, a hash's does not, and almost all
 * bans are single addresses.
 *
 * Maps another version pinned. The layout above may change between
 * releases; the daemon carries the bans of whatever layout it finds over
 * to its own (daemon/migrate.c), reading the old pins by these rules,
 * which every release keeps:
 *   - a ban map is a pinned hash or LPM trie whose name starts with
 *     "bans_", an allow map one whose name starts with "allow_" (no other
 *     map's name starts with either);
 *   - their key is, by its size: 4 bytes an IPv4 address (network order,
 *     a /32), 16 a struct rg_addr (a /128), 20 a struct rg_lpm_key;
 *   - the first 40 bytes of a ban value are struct rg_ban's first six
 *     fields (expires_ns, created_unix, packets, bytes, reason, prefixlen),
 *     and the first 12 of an allow value rg_allow's (created_unix, origin):
 *     new fields go after them;
 *   - notes live in "ban_notes", keyed by struct rg_lpm_key (an exact ban's
 *     prefixlen is 128), valued by struct rg_note;
 *   - "ifaces" keys an interface's record (its first 32 bytes: struct
 *     rg_iface) by its ifindex (4 bytes).
 * Every other map (ports, stats, settings) is rewritten from the config
 * or starts again from zero.
 */
#ifndef RCPTGUARD_ABI_H
#define RCPTGUARD_ABI_H

#include <linux/types.h>

struct rg_addr {
	__u8 a[16];                 /* network byte order */
};

struct rg_lpm_key {
	__u32 prefixlen;            /* 0..128, IPv4 prefixes are 96 + len */
	struct rg_addr addr;
};

/* Why a ban exists. Names for people live in daemon/names.c. */
enum rg_reason {
	RG_REASON_MANUAL = 1,       /* rcptguard ban */
	RG_REASON_UNKNOWN_RCPT,     /* guessed recipients that do not exist */
	RG_REASON_SPAMTRAP,
	RG_REASON_RELAY,            /* relay attempts */
	RG_REASON_DNSBL,
	RG_REASON_CROWDSEC,         /* a decision pulled from CrowdSec's LAPI */
	RG_REASON_MAX
};

/* The first 40 bytes are fixed forever (see "Maps another version
 * pinned" above). */
struct rg_ban {
	__u64 expires_ns;           /* CLOCK_MONOTONIC (coarse in the kernel); 0 = permanent */
	__u64 created_unix;         /* wall-clock seconds, for people */
	__u64 packets;              /* dropped by this ban */
	__u64 bytes;
	__u32 reason;               /* enum rg_reason */
	__u32 prefixlen;            /* of this entry's key: the trie's lookup
	                               returns a covering prefix's value */
	/* -- the fixed head ends here (40 bytes); fields below may change -- */
	__u64 last_rst_ns;          /* coarse monotonic time of this ban's last RST */
	__u64 rst_sent;             /* SYNs answered with a RST (ban_action = rst) */
	__u64 rst_suppressed;       /* SYNs dropped instead: over a RST cap */
};

enum rg_allow_origin {
	RG_ALLOW_CONFIG = 1,        /* from the config file: replaced on every load */
	RG_ALLOW_MANUAL,            /* rcptguard allow add: kept until deleted */
};

/* The first 12 bytes are fixed forever. */
struct rg_allow {
	__u64 created_unix;
	__u32 origin;               /* enum rg_allow_origin */
};

/* IPv4's prefilters: a bit per slot of the address space, set while some
 * entry covers part of that slot, so an IPv4 source whose bit is clear
 * skips the lookups (and their cache and TLB misses) the bit stands for:
 *   prefilter_v4        a bit per /24: any ban, single address or prefix;
 *                       clear: no ban lookup at all
 *   prefilter_allow_v4  a bit per /16: any allow entry; clear: a banned
 *                       source is not allowlisted
 * Each bit follows a count per slot (the *_count maps) that only userspace
 * reads and writes (maps.c, atomically through mmap); a count that
 * reaches 255 stays there: its bit can stay set in vain, never be clear
 * while an entry exists. IPv6 sources always take the full lookups. */
#define RG_PREFILTER_BITS 24                    /* prefilter_v4: /24s */
#define RG_PREFILTER_SLOTS (1u << RG_PREFILTER_BITS)
#define RG_PREFILTER_WORDS (RG_PREFILTER_SLOTS / 64)
#define RG_ALLOW_PREFILTER_BITS 16              /* prefilter_allow_v4: /16s */
#define RG_ALLOW_PREFILTER_SLOTS (1u << RG_ALLOW_PREFILTER_BITS)
#define RG_ALLOW_PREFILTER_WORDS (RG_ALLOW_PREFILTER_SLOTS / 64)
#define RG_PREFILTER_COUNT_CHUNK 4096           /* counts per array element */
#define RG_PREFILTER_SATURATED 255
struct rg_prefilter_counts {
	__u8 n[RG_PREFILTER_COUNT_CHUNK];
};

#define RG_PORT_WORDS (65536 / 64)
struct rg_ports {
	__u64 bits[RG_PORT_WORDS];  /* bit p set: TCP destination port p is protected */
};

/* What happened to one packet; every packet lands in exactly one
 * RG_PASS_* or RG_DROP_* bucket, and also in RG_INSPECTED. */
enum rg_counter {
	RG_INSPECTED = 0,
	RG_PASS_NOT_IP,             /* ARP, other ethertypes */
	RG_PASS_MALFORMED,          /* truncated or invalid headers */
	RG_PASS_NOT_TCP,            /* UDP, ICMP, ... */
	RG_PASS_FRAGMENT,           /* non-first fragment: no port to judge */
	RG_PASS_EXT_LIMIT,          /* IPv6 extension chain longer than we follow */
	RG_PASS_PORT,               /* TCP to an unprotected port */
	RG_PASS_NOT_BANNED,
	RG_PASS_EXPIRED,            /* a ban matched but has expired */
	RG_PASS_ALLOWED,            /* banned, but an allow entry wins */
	RG_DROP_EXACT,
	RG_DROP_PREFIX,
	RG_COUNTER_MAX
};

struct rg_stats {
	__u64 packets[RG_COUNTER_MAX];
	__u64 bytes[RG_COUNTER_MAX];
	/* Of the RG_DROP_* packets, with ban_action = rst: answered with a
	 * RST, or dropped because a cap was reached. */
	__u64 rst_sent;
	__u64 rst_suppressed;
};

/* What a banned client's SYN gets (config ban_action). */
enum rg_ban_action {
	RG_ACTION_DROP = 0,
	RG_ACTION_RST,              /* a RST|ACK sent back with XDP_TX */
};

/* The program's settings, written by the loader at load and reload. */
struct rg_settings {
	__u32 ban_action;           /* enum rg_ban_action */
	__u32 pad;
	/* Each CPU's RST bucket earns one RST per interval and holds up to
	 * one second's worth (config rst_rate, shared by the CPUs). */
	__u64 rst_interval_ns;
};

/* One CPU's RST bucket as a theoretical arrival time: a RST is allowed
 * while tat is less than a second ahead of now; each adds an interval. */
struct rg_rst_bucket {
	__u64 tat_ns;
};

/* At most one RST per ban in this time. */
#define RG_RST_PER_BAN_NS 1000000000ULL

#define RG_NOTE_LEN 64
struct rg_note {
	char text[RG_NOTE_LEN];
};

enum rg_xdp_mode {
	RG_MODE_NATIVE = 1,
	RG_MODE_GENERIC,
};

#define RG_IFNAME_LEN 16
struct rg_iface {
	char name[RG_IFNAME_LEN];
	__u32 ifindex;
	__u32 mode;                 /* enum rg_xdp_mode */
	__u64 attached_unix;
};

/* How far the IPv6 parser follows extension headers. */
#define RG_MAX_EXT_HDRS 6

#endif
