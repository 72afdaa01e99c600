/* privdrop.h - give up root once everything privileged is done. */
#ifndef RG_PRIVDROP_H
#define RG_PRIVDROP_H

#include <stddef.h>

/* Become user after handing it dir, keeping capability keep_cap (e.g.
 * CAP_NET_ADMIN), or none when it is -1. "root" or "" keeps root. Returns
 * 0, 1 when the user does not exist (err says so; the caller carries on
 * as root), or -1 on failure. */
int privdrop(const char *user, const char *dir, int keep_cap, char *err, size_t errlen);

#endif
