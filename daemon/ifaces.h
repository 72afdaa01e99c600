/* ifaces.h - the interfaces that carry the default routes. */
#ifndef RG_IFACES_H
#define RG_IFACES_H

#include "config.h"

/* Fill c->interfaces from /proc/net/route and /proc/net/ipv6_route when the
 * config names none. Returns how many interfaces c has afterwards. */
unsigned ifaces_default_routes(struct config *c);

#endif
