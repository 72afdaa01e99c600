/* fuzz_addr.c - addresses, CIDR prefixes and durations from the CLI,
 * config and control protocol; a parsed address prints and parses back
 * to itself. */
#include "addr.h"
#include "duration.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	char *s = fuzz_str(d, n), err[256], buf[ADDR_STRLEN];
	struct rg_lpm_key k, k2;
	uint64_t secs;

	if (!s)
		return 0;
	if (addr_parse(s, &k, err, sizeof(err)) == 0) {
		addr_format(&k, buf, sizeof(buf));
		if (addr_parse(buf, &k2, err, sizeof(err)) < 0 || k.prefixlen != k2.prefixlen ||
		    memcmp(&k.addr, &k2.addr, sizeof(k.addr)) != 0)
			abort();
	}
	if (duration_parse(s, &secs, err, sizeof(err)) == 0)
		duration_format(secs, buf, sizeof(buf));
	free(s);
	return 0;
}
