/* query.h - the query socket: Postfix policy protocol over a Unix socket
 * (and optionally TCP on loopback), many requests per connection. */
#ifndef RG_QUERY_H
#define RG_QUERY_H

#include <stddef.h>
#include "config.h"
#include "loop.h"
#include "verdict.h"

struct query;

/* Bind, set owner/group/mode, listen, and serve on l. Refuses to take over
 * the socket of a running daemon. */
struct query *query_start(struct loop *l, const struct config *c, struct verdicts *v,
			  char *err, size_t errlen);
/* Close every connection and listener; remove the socket file. */
void query_stop(struct query *q);
size_t query_connections(const struct query *q);

#endif
