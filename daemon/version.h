/* version.h - the release the programs were built as, and the commit. */
#ifndef RG_VERSION_H
#define RG_VERSION_H

#include <stdio.h>

extern const char rg_version[];         /* the Makefile's VERSION */
extern const char rg_commit[];          /* git describe of the checkout; "" from a tarball */

/* "PROG VERSION" and " (git COMMIT)" when there is one, a newline, on f;
 * for --version. */
void version_print(FILE *f, const char *prog);

#endif
