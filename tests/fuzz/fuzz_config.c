/* fuzz_config.c - rcptguard.conf. */
#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static struct config *c;
	char path[128], err[512];

	if (!c && !(c = malloc(sizeof(*c))))
		return 0;
	snprintf(path, sizeof(path), "%s/rcptguard.conf", fuzz_dir());
	if (fuzz_file(path, d, n) == 0)
		config_load(c, path, err, sizeof(err));
	return 0;
}
