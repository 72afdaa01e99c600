/* fuzz_logline.c - MTA log lines (every format, every stamp). */
#include "fuzz.h"
#include "logline.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static struct logline_dedupe dd;
	struct logline l;

	/* Not NUL-terminated on purpose: the parser must stop at n. */
	if (logline_parse((const char *)d, n, 2026, &l) != l.kind)
		abort();
	if (l.kind != LOGLINE_NONE && l.kind != LOGLINE_MALFORMED &&
	    memchr(l.rcpt, 0, sizeof(l.rcpt)) == NULL)
		abort();
	logline_duplicate(&dd, &l);
	return 0;
}
