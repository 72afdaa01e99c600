/* lapi_http.h - HTTP requests on the daemon's event loop through libcurl's
 * multi interface: curl says which sockets to watch (mirrored into epoll)
 * and when it wants to be woken (a 100 ms tick), so a slow or silent server
 * never holds up a verdict. One request at a time. */
#ifndef RG_LAPI_HTTP_H
#define RG_LAPI_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include "loop.h"

/* Part of the body (status: the HTTP code): 0, or -1 to abort. */
typedef int (*http_body_cb)(const char *buf, size_t n, long status, void *arg);
/* The request ended: error NULL when the whole body arrived. */
typedef void (*http_done_cb)(long status, const char *error, void *arg);

struct lapi_http;

/* ca_file "" : the system's CAs. NULL with err set. */
struct lapi_http *lapi_http_new(struct loop *l, const char *ca_file, char *err, size_t errlen);
void lapi_http_free(struct lapi_http *h);
/* method "GET", "POST" or "DELETE"; headers: "Name: value" lines,
 * NULL-terminated; post: a POST's JSON body (copied), else NULL. 0, or -1
 * when busy or curl refuses. */
int lapi_http_request(struct lapi_http *h, const char *method, const char *url,
		      const char *const *headers, const char *post, long timeout_s,
		      http_body_cb body, http_done_cb done, void *arg);
bool lapi_http_busy(const struct lapi_http *h);

#endif
