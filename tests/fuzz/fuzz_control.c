/* fuzz_control.c - the control protocol both ways: a request line as the
 * daemon splits it, and a reply as the CLI parses it. */
#include "control.h"
#include "control_client.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	char err[256];

	if (n < 2)
		return 0;
	if (d[0] & 1) {
		char *buf = fuzz_str(d + 1, n - 1), *w[64];
		const char *why;

		/* handle() gets a line whose last byte is its newline. */
		if (buf && control_words(buf, n - 1, w, 64, &why) > 64)
			abort();
		free(buf);
	} else {
		struct ctl_reply r = { .buf = fuzz_str(d + 1, n - 1) };

		ctl_parse(&r, err, sizeof(err));
		ctl_free(&r);
	}
	return 0;
}
