/* privdrop.h - give up root once everything privileged is done. */
#ifndef RG_PRIVDROP_H
#define RG_PRIVDROP_H

#include <stddef.h>

/* Become user (keeping no capabilities: the backends work through file
 * descriptors opened as root) after handing it dir. "root" or "" keeps
 * root. Returns 0, 1 when the user does not exist (err says so; the caller
 * carries on as root), or -1 on failure. */
int privdrop(const char *user, const char *dir, char *err, size_t errlen);

#endif
