/* privdrop.c - initgroups, setgid, setuid, no_new_privs. The user keeps
 * its supplementary groups: a followed MTA log is often readable only
 * through one. Leaving uid 0 clears every capability: the XDP maps are
 * used through descriptors opened before, which needs none on this
 * kernel. nf_tables checks CAP_NET_ADMIN on every message, and sock_diag
 * SOCK_DESTROY (closing a banned client's sessions) checks it against the
 * calling task: the caller says whether to keep that one. */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include "privdrop.h"

/* Exactly cap, effective and permitted; none when cap < 0. */
static int keep_only(int cap)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (cap >= 0)
		d[cap / 32].effective = d[cap / 32].permitted = 1u << (cap % 32);
	return (int)syscall(SYS_capset, &h, d);
}

int privdrop(const char *user, const char *dir, int keep_cap, char *err, size_t errlen)
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
	if (prctl(PR_SET_KEEPCAPS, keep_cap >= 0, 0, 0, 0) < 0 || initgroups(user, pw->pw_gid) < 0 ||
	    setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0 || keep_only(keep_cap) < 0 ||
	    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "cannot become %s: %s", user, strerror(errno));
		return -1;
	}
	return 0;
}
