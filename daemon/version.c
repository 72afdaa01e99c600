/* version.c - the one object the Makefile builds with the version and
 * the commit (VERSION_DEFS), so a new commit rebuilds only this. */
#include "version.h"

const char rg_version[] = RG_VERSION;
const char rg_commit[] = RG_COMMIT;

void version_print(FILE *f, const char *prog)
{
	fprintf(f, "%s %s%s%s%s\n", prog, rg_version, *rg_commit ? " (git " : "", rg_commit,
		*rg_commit ? ")" : "");
}
