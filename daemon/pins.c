/* pins.c - the pin directory: bpffs mounting and pin paths. */
#include <dirent.h>
#include <errno.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include "pins.h"

const char *const pins_map_names[] = {
	"bans_v4", "bans_v6", "bans_prefix", "allow_exact", "allow_prefix",
	"ports", "stats", "ban_notes", "ifaces", "settings", "prefilter_v4",
	"prefilter_v4_count", "prefilter_allow_v4", "prefilter_allow_v4_count", NULL
};

int pins_path(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int pins_link_path(char *buf, size_t len, const char *dir, const char *ifname)
{
	int n = snprintf(buf, len, "%s/links/%s", dir, ifname);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int is_bpffs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

static int mkdir_p(const char *path)
{
	char tmp[4096];
	size_t n = strlen(path);

	if (n >= sizeof(tmp))
		return -1;
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

int pins_prepare(const char *dir, char *err, size_t errlen)
{
	char links[4096];

	/* The usual layout is /sys/fs/bpf/NAME; a system without bpffs
	 * mounted there gets it mounted, as systemd would have done. */
	if (strncmp(dir, "/sys/fs/bpf/", 12) == 0 && !is_bpffs("/sys/fs/bpf") &&
	    mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") < 0) {
		snprintf(err, errlen, "cannot mount bpffs on /sys/fs/bpf: %s; "
			 "mount it with 'mount -t bpf bpf /sys/fs/bpf'", strerror(errno));
		return -1;
	}
	if (mkdir_p(dir) < 0) {
		snprintf(err, errlen, "cannot create pin directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!is_bpffs(dir)) {
		snprintf(err, errlen, "pin directory %s is not on a bpf filesystem; "
			 "set bpf_pin_dir to a directory under /sys/fs/bpf", dir);
		return -1;
	}
	if (pins_link_path(links, sizeof(links), dir, "") < 0 ||
	    (mkdir(links, 0700) < 0 && errno != EEXIST)) {
		snprintf(err, errlen, "cannot create %s/links: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* Unpins the non-directory entries of one directory. */
static int clear_dir(const char *dir)
{
	char path[4096];
	struct dirent *de;
	DIR *d = opendir(dir);
	int rc = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d)))
		if (de->d_type != DT_DIR && pins_path(path, sizeof(path), dir, de->d_name) == 0 &&
		    unlink(path) < 0 && errno != ENOENT && !rc)
			rc = -errno;
	closedir(d);
	return rc;
}

int pins_drop_staging(const char *dir)
{
	char staging[4096];
	int rc;

	if (pins_path(staging, sizeof(staging), dir, PINS_STAGING) < 0)
		return -ENAMETOOLONG;
	rc = clear_dir(staging);
	if (rmdir(staging) < 0 && errno != ENOENT && !rc)
		rc = -errno;
	return rc;
}

int pins_clear(const char *dir)
{
	int rc = pins_drop_staging(dir), rd = clear_dir(dir);

	return rd ? rd : rc;
}
