/* dnsbl_spec.h - DNSBL lists in postscreen's syntax, query names, and what
 * an answer means. No I/O: unit-tested on its own. */
#ifndef RG_DNSBL_SPEC_H
#define RG_DNSBL_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "rcptguard.h"

#define DNSBL_MAX_LISTS 16
#define DNSBL_ZONE_MAX 200

struct dnsbl_list {
	char zone[DNSBL_ZONE_MAX];
	bool has_filter;
	uint8_t filter[4][32];          /* per octet, a bit per value 0..255 */
	int weight;
};

/* "zone[=d.d.d.d][*weight]"; each d a number or [n;n..m;...]. */
int dnsbl_list_parse(const char *s, struct dnsbl_list *out, char *err, size_t errlen);

/* 1.2.3.4 -> 4.3.2.1.zone; IPv6 as 32 reversed nibbles; IPv4-mapped IPv6
 * as IPv4. Returns 0, or -1 if it does not fit. */
int dnsbl_qname(const struct rg_addr *a, const char *zone, char *buf, size_t len);

enum dnsbl_class {
	DNSBL_LISTED,                   /* in 127/8 and passes the filter */
	DNSBL_NOT_LISTED,               /* in 127/8 but not the filter */
	DNSBL_ERROR_CODE,               /* 127.255.255.0/24: the list refuses us */
	DNSBL_ERROR_OUTSIDE,            /* outside 127/8: not a DNSBL answer */
};

enum dnsbl_class dnsbl_classify(const struct dnsbl_list *l, const uint8_t a[4]);
/* What an error answer means and how to fix it. */
const char *dnsbl_error_meaning(const uint8_t a[4]);

#endif
