/* ifaces.c - find the interfaces of the default routes, the ones mail
 * arrives on, from procfs (no netlink needed for this one question). */
#include <stdio.h>
#include <string.h>
#include "ifaces.h"

static void add(struct config *c, const char *name)
{
	for (unsigned i = 0; i < c->n_interfaces; i++)
		if (strcmp(c->interfaces[i], name) == 0)
			return;
	if (c->n_interfaces < CONFIG_MAX_IFACES && strcmp(name, "lo") != 0)
		snprintf(c->interfaces[c->n_interfaces++], IF_NAMESIZE, "%s", name);
}

unsigned ifaces_default_routes(struct config *c)
{
	char line[512], name[64], dst[64], mask[64];
	unsigned plen;
	FILE *f;

	if (c->n_interfaces)
		return c->n_interfaces;
	/* Iface Destination Gateway Flags RefCnt Use Metric Mask ... */
	if ((f = fopen("/proc/net/route", "r"))) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "%63s %63s %*s %*s %*s %*s %*s %63s", name, dst, mask) == 3 &&
			    strcmp(dst, "00000000") == 0 && strcmp(mask, "00000000") == 0)
				add(c, name);
		fclose(f);
	}
	/* dst dst_len src src_len next_hop metric refcnt use flags iface */
	if ((f = fopen("/proc/net/ipv6_route", "r"))) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "%63s %x %*s %*s %*s %*s %*s %*s %*s %63s",
				   dst, &plen, name) == 3 && plen == 0 &&
			    strspn(dst, "0") == 32)
				add(c, name);
		fclose(f);
	}
	return c->n_interfaces;
}
