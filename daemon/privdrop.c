/* privdrop.c - setgroups, setgid, setuid, no_new_privs. Leaving uid 0
 * without PR_SET_KEEPCAPS clears every capability: the XDP maps are used
 * through descriptors opened before, which needs none on this kernel. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include "privdrop.h"

int privdrop(const char *user, const char *dir, char *err, size_t errlen)
{
	struct passwd *pw;

	if (!*user || strcmp(user, "root") == 0)
		return 0;
	if (!(pw = getpwnam(user))) {
		snprintf(err, errlen, "user '%s' does not exist, so rcptguardd keeps running as "
			 "root; create it (useradd --system %s) or set user = root", user, user);
		return 1;
	}
	/* The state directory is ours to write. */
	if (chown(dir, pw->pw_uid, pw->pw_gid) < 0 && errno != ENOENT) {
		snprintf(err, errlen, "cannot hand %s to %s: %s", dir, user, strerror(errno));
		return -1;
	}
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "cannot become %s: %s", user, strerror(errno));
		return -1;
	}
	return 0;
}
