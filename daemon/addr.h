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

#endif
