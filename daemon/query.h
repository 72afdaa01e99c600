/* query.h - the query socket: Postfix policy protocol over a Unix socket
 * (and optionally TCP on loopback), many requests per connection. */
#ifndef RG_QUERY_H
#define RG_QUERY_H

#include <stddef.h>
#include "config.h"
#include "loop.h"
#include "server.h"
#include "verdict.h"

/* Listen and serve on l; stop with server_free(). */
struct server *query_start(struct loop *l, const struct config *c, struct verdicts *v,
			   char *err, size_t errlen);

#endif
