/* fuzz_state.c - the state file and its journal, as read at every start:
 * the input up to its first NUL is the file, the rest the journal. */
#include "fuzz.h"
#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const uint8_t *nul = memchr(d, 0, n);
	size_t sn = nul ? (size_t)(nul - d) : n;
	char path[128], jpath[128], err[512];
	struct state st;

	snprintf(path, sizeof(path), "%s/state", fuzz_dir());
	snprintf(jpath, sizeof(jpath), "%s/journal", fuzz_dir());
	if (fuzz_file(path, d, sn) == 0 &&
	    fuzz_file(jpath, nul ? nul + 1 : d, nul ? n - sn - 1 : 0) == 0 &&
	    state_read(fuzz_dir(), &st, err, sizeof(err)) == 0)
		state_free(&st);
	return 0;
}
