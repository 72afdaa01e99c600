/* fuzz_policy.c - the Postfix policy protocol as it arrives on the query
 * socket: framing of a byte stream, then each request. */
#include "fuzz.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	char *buf = malloc(n + 1);
	size_t off = 0;

	if (!buf)
		return 0;
	memcpy(buf, d, n);
	buf[n] = 0;
	while (off < n) {
		size_t scan = 0, len = policy_frame(buf + off, n - off, &scan);
		struct policy_req r;
		const char *why;

		if (!len)
			break;
		if (len > n - off)
			abort();
		policy_parse(buf + off, len, &r, &why);
		off += len;
	}
	free(buf);
	return 0;
}
