/* lapi_machine.h - the machine credentials `cscli machines add NAME -f
 * FILE` writes (YAML: url, login, password). Only those three keys are
 * read, each a plain or quoted scalar on its own line; anything else is
 * ignored, and nothing in the file can make the reader allocate. */
#ifndef RG_LAPI_MACHINE_H
#define RG_LAPI_MACHINE_H

#include <stddef.h>

struct lapi_machine {
	char url[256], login[128], password[128];
};

/* From text (len bytes, need not be NUL-terminated): 0, or -1 with why. */
int lapi_machine_parse(const char *text, size_t len, struct lapi_machine *m, char *err,
		       size_t errlen);
/* From a file of at most 64 KB. */
int lapi_machine_read(const char *path, struct lapi_machine *m, char *err, size_t errlen);

#endif
