/* fuzz_allowlist.c - allow_file: CIDRs and qmail tcprules source lines. */
#include "allowlist.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct allowlist al = { 0 };
	char path[128], err[512];
	size_t skipped = 0;

	snprintf(path, sizeof(path), "%s/tcp.smtp", fuzz_dir());
	if (fuzz_file(path, d, n) == 0)
		allowlist_read_file(&al, path, &skipped, err, sizeof(err));
	allowlist_free(&al);
	return 0;
}
