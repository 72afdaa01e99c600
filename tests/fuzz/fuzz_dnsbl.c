/* fuzz_dnsbl.c - a dnsbl line of the config (postscreen's syntax) and a
 * DNS answer handed to the classifier. */
#include "dnsbl_spec.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct dnsbl_list l;
	struct rg_addr a = { { 0 } };
	char err[256], qname[512], *spec;

	if (n < 4)
		return 0;
	spec = fuzz_str(d + 4, n - 4);
	if (spec && dnsbl_list_parse(spec, &l, err, sizeof(err)) == 0) {
		dnsbl_classify(&l, d);
		memcpy(&a.a[12], d, 4);
		a.a[10] = a.a[11] = 0xff;
		dnsbl_qname(&a, l.zone, qname, sizeof(qname));
	}
	dnsbl_error_meaning(d);
	free(spec);
	return 0;
}
