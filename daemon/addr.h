/* addr.h - parse and print addresses and prefixes in the 128-bit ABI form. */
#ifndef RG_ADDR_H
#define RG_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include "rcptguard.h"

/* Longest text addr_format() writes, NUL included. */
#define ADDR_STRLEN 64

/* Parse "1.2.3.4", "1.2.3.0/24", "2001:db8::/64", "::ffff:1.2.3.4".
 * Host bits below the prefix are cleared. Returns 0, or -1 with a reason
 * in err. */
int addr_parse(const char *s, struct rg_lpm_key *out, char *err, size_t errlen);

/* "1.2.3.4", "1.2.3.0/24", "2001:db8::1", "2001:db8::/64". */
void addr_format(const struct rg_lpm_key *k, char *buf, size_t len);

/* Is a an IPv4 address mapped into ::ffff:0:0/96? */
bool addr_is_v4(const struct rg_addr *a);

/* Does prefix p contain address a? */
bool addr_in_prefix(const struct rg_lpm_key *p, const struct rg_addr *a);

/* Clear the bits of k->addr below k->prefixlen. */
void addr_mask(struct rg_lpm_key *k);

/* NAT64 prefixes (RFC 6052: /32, /40, /48, /56, /64 or /96) whose addresses
 * carry an IPv4 client, besides the well-known 64:ff9b::/96. */
#define ADDR_MAX_NAT64 16
struct nat64_prefixes {
	struct rg_lpm_key v[ADDR_MAX_NAT64];
	unsigned n;
};

/* Check a prefix for nat64_prefix: NULL, or what is wrong with it. */
const char *addr_nat64_check(const struct rg_lpm_key *p);

/* The address-sanity rule (docs/offenders.md). Why k can never be an
 * offender or the key of an automatic ban, or NULL: an address (/128) or a
 * network inside the unspecified, loopback, link-local, multicast,
 * broadcast, IPv4-compatible or reserved space, or one that covers the
 * IPv4-mapped space or a NAT64 prefix, or is wider than /8 of IPv4 or /32
 * of IPv6. IPv4 in ::ffff:0:0/96, in 6to4 (2002::/16) or in a NAT64 prefix
 * is judged as that IPv4, and so is the client IPv4 of a Teredo address.
 * n may be NULL. */
const char *addr_refused(const struct rg_lpm_key *k, const struct nat64_prefixes *n);

/* Does a carry an IPv4 client right after a prefix (mapped, 6to4 or
 * NAT64), so that its IPv4 /24 is a prefix too? */
bool addr_carries_v4(const struct rg_addr *a, const struct nat64_prefixes *n);

/* The prefix length a is banned as: an IPv4 client's /v4bits (in
 * ::ffff:0:0/96, or inside 6to4 or its NAT64 prefix: the packets carry the
 * IPv6 address), a Teredo address itself (its /64 holds every client of one
 * Teredo server), or an IPv6 client's /v6bits. */
unsigned addr_key_bits(const struct rg_addr *a, unsigned v4bits, unsigned v6bits,
		       const struct nat64_prefixes *n);

/* The key of the offender record that counts ban key k: k, but a Teredo
 * address with its server, flags and port cleared, so that one client IPv4
 * is one offender whatever server and port it picks (docs/offenders.md). */
struct rg_lpm_key addr_record_key(const struct rg_lpm_key *k);

/* Does a manual ban of k need --force (wider than /8 of IPv4 or /32 of
 * IPv6, or covering the IPv4-mapped space or a NAT64 prefix)? covers says
 * what k holds, either way. */
bool addr_needs_force(const struct rg_lpm_key *k, const struct nat64_prefixes *n, char *covers,
		      size_t len);

#endif
