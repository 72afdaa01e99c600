/* dnsbl_spec.c - list specs, query names, answer classes. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dnsbl_spec.h"

static void set_bit(uint8_t *bits, unsigned v)
{
	bits[v >> 3] |= (uint8_t)(1u << (v & 7));
}

static bool parse_num(const char **p, unsigned *v)
{
	char *end;
	unsigned long n;

	if (!isdigit((unsigned char)**p))
		return false;
	n = strtoul(*p, &end, 10);
	if (n > 255)
		return false;
	*v = (unsigned)n;
	*p = end;
	return true;
}

/* One octet of a filter: "2", or "[2..11]", "[1;3;5..7]". */
static bool parse_octet(const char **p, uint8_t *bits)
{
	unsigned lo, hi;

	if (**p != '[') {
		if (!parse_num(p, &lo))
			return false;
		set_bit(bits, lo);
		return true;
	}
	(*p)++;
	for (;;) {
		if (!parse_num(p, &lo))
			return false;
		hi = lo;
		if ((*p)[0] == '.' && (*p)[1] == '.') {
			*p += 2;
			if (!parse_num(p, &hi) || hi < lo)
				return false;
		}
		for (unsigned v = lo; v <= hi; v++)
			set_bit(bits, v);
		if (**p == ']') {
			(*p)++;
			return true;
		}
		if (**p != ';')
			return false;
		(*p)++;
	}
}

int dnsbl_list_parse(const char *s, struct dnsbl_list *out, char *err, size_t errlen)
{
	const char *eq = strchr(s, '='), *star = strrchr(s, '*');
	size_t zlen = (size_t)((eq ? eq : star ? star : s + strlen(s)) - s);

	memset(out, 0, sizeof(*out));
	out->weight = 1;
	if (!zlen || zlen >= sizeof(out->zone) || (star && eq && star < eq)) {
		snprintf(err, errlen, "'%s' must be ZONE[=FILTER][*WEIGHT]", s);
		return -1;
	}
	for (size_t i = 0; i < zlen; i++) {
		char c = (char)tolower((unsigned char)s[i]);

		if (!isalnum((unsigned char)c) && c != '-' && c != '.' && c != '_') {
			snprintf(err, errlen, "'%.*s' is not a DNS zone", (int)zlen, s);
			return -1;
		}
		out->zone[i] = c;
	}
	if (eq) {
		const char *p = eq + 1;

		out->has_filter = true;
		for (int o = 0; o < 4; o++) {
			if (!parse_octet(&p, out->filter[o]) || (o < 3 && *p++ != '.')) {
				snprintf(err, errlen, "'%s': the filter must be four octets d.d.d.d, "
					 "each a number or [n;n..m]", s);
				return -1;
			}
		}
		if (*p && *p != '*') {
			snprintf(err, errlen, "'%s': unexpected '%s' after the filter", s, p);
			return -1;
		}
	}
	if (star) {
		char *end;
		long w = strtol(star + 1, &end, 10);

		if (end == star + 1 || *end || w < -1000 || w > 1000 || w == 0) {
			snprintf(err, errlen, "'%s': the weight must be a non-zero number "
				 "from -1000 to 1000", s);
			return -1;
		}
		out->weight = (int)w;
	}
	return 0;
}

int dnsbl_qname(const struct rg_addr *a, const char *zone, char *buf, size_t len)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;
	int w;

	if (memcmp(a->a, mapped, 12) == 0) {
		w = snprintf(buf, len, "%u.%u.%u.%u.%s", a->a[15], a->a[14], a->a[13], a->a[12], zone);
		return w < 0 || (size_t)w >= len ? -1 : 0;
	}
	if (len < 64 + strlen(zone) + 1)
		return -1;
	for (int i = 15; i >= 0; i--) {
		buf[n++] = hex[a->a[i] & 15];
		buf[n++] = '.';
		buf[n++] = hex[a->a[i] >> 4];
		buf[n++] = '.';
	}
	strcpy(buf + n, zone);
	return 0;
}

enum dnsbl_class dnsbl_classify(const struct dnsbl_list *l, const uint8_t a[4])
{
	if (a[0] != 127)
		return DNSBL_ERROR_OUTSIDE;
	if (a[1] == 255 && a[2] == 255)
		return DNSBL_ERROR_CODE;
	if (!l->has_filter)
		return DNSBL_LISTED;
	for (int o = 0; o < 4; o++)
		if (!(l->filter[o][a[o] >> 3] & (1u << (a[o] & 7))))
			return DNSBL_NOT_LISTED;
	return DNSBL_LISTED;
}

const char *dnsbl_error_meaning(const uint8_t a[4])
{
	if (a[0] != 127)
		return "the answer is not in 127.0.0.0/8, so it is no DNSBL answer (a parked or "
		       "hijacked zone?); check the zone name";
	switch (a[3]) {
	case 252:
		return "the list says the zone name is mistyped; check the dnsbl line";
	case 254:
		return "the list refuses queries that come through public or ISP resolvers; "
		       "run a local recursive resolver (unbound) and set dns_server";
	case 255:
		return "the list says you send too many queries; run a local resolver, or get a "
		       "key for its paid service";
	default:
		return "the list answered with an error code; see its documentation";
	}
}
