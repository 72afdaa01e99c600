/* fuzz_state.c - the state file, as read at every start. */
#include "fuzz.h"
#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	char path[128], err[512];
	struct state st;

	snprintf(path, sizeof(path), "%s/state", fuzz_dir());
	if (fuzz_file(path, d, n) == 0 && state_read(fuzz_dir(), &st, err, sizeof(err)) == 0)
		state_free(&st);
	return 0;
}
