/* query.h - the query socket: Postfix policy protocol over a Unix socket
 * (and optionally TCP on loopback), many requests per connection. */
#ifndef RG_QUERY_H
#define RG_QUERY_H

#include <stddef.h>
#include "config.h"
#include "dnsbl.h"
#include "loop.h"
#include "server.h"
#include "verdict.h"

struct query;

/* Listen and serve on l. */
struct query *query_start(struct loop *l, const struct config *c, struct verdicts *v,
			  struct dnsbl *dnsbl, char *err, size_t errlen);
void query_stop(struct query *q);
struct server *query_server(const struct query *q);

#endif
