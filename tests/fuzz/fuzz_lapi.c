/* fuzz_lapi.c - what a LAPI (or whoever answers on its port) sends: the
 * decision stream, cut into feeds at places the input picks, its Go
 * durations, and the machine credentials file. Every decision handed over
 * has terminated fields; the parser's memory stays bounded (ASan). */
#include "fuzz.h"
#include "lapi_json.h"
#include "lapi_machine.h"

static void on(const struct lapi_decision *d, void *arg)
{
	(void)arg;
	if (!memchr(d->value, 0, sizeof(d->value)) || !memchr(d->scope, 0, sizeof(d->scope)) ||
	    !memchr(d->origin, 0, sizeof(d->origin)) || !memchr(d->type, 0, sizeof(d->type)) ||
	    !memchr(d->scenario, 0, sizeof(d->scenario)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct lapi_stream *s = lapi_stream_new(on, NULL);
	struct lapi_machine m;
	char err[160], *str = fuzz_str(d, n);
	int64_t ms;
	size_t cut = n ? d[0] % (n + 1) : 0;

	if (s && lapi_stream_feed(s, (const char *)d, cut, err, sizeof(err)) == 0 &&
	    lapi_stream_feed(s, (const char *)d + cut, n - cut, err, sizeof(err)) == 0)
		lapi_stream_end(s, err, sizeof(err));
	lapi_stream_free(s);
	lapi_machine_parse((const char *)d, n, &m, err, sizeof(err));
	if (str && lapi_go_duration(str, &ms) == 0 && (ms > INT64_MAX / 1000 || ms < -INT64_MAX / 1000))
		abort();
	free(str);
	return 0;
}
