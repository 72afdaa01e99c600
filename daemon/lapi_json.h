/* lapi_json.h - CrowdSec LAPI's decision stream, {"new":[D...],"deleted":
 * [D...]}, parsed as it arrives with yajl's event parser: the memory held
 * is one decision and yajl's token buffer (capped), whatever the size of
 * the stream (docs/architecture.md). Also Go's duration syntax. */
#ifndef RG_LAPI_JSON_H
#define RG_LAPI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lapi_decision {
	bool deleted;                   /* from the "deleted" list */
	bool bad;                       /* a field too long or of the wrong kind */
	bool has_duration;
	int64_t id;                     /* 0: none given */
	int64_t duration_ms;            /* negative in 1.4.6's deleted list */
	char origin[32], type[16], scope[16], value[64], scenario[96];
};

typedef void (*lapi_decision_cb)(const struct lapi_decision *d, void *arg);

struct lapi_stream;

struct lapi_stream *lapi_stream_new(lapi_decision_cb cb, void *arg);
void lapi_stream_free(struct lapi_stream *s);
/* 0, or -1 with what is wrong in err (then the stream is done for). */
int lapi_stream_feed(struct lapi_stream *s, const char *buf, size_t len, char *err,
		     size_t errlen);
/* The end of the body: 0 if it was one whole object. */
int lapi_stream_end(struct lapi_stream *s, char *err, size_t errlen);

/* "1h2m3.5s", "-8.2ms", "59m59.038473727s", "0": 0 and *ms (truncated
 * toward zero), or -1. */
int lapi_go_duration(const char *s, int64_t *ms);

#endif
