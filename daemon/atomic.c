/* atomic.c - temp file, fsync, rename, fsync of the directory. */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <unistd.h>
#include "atomic.h"

int atomic_open(struct atomic_file *a, const char *path, mode_t mode, char *err, size_t errlen)
{
	a->path = path;
	a->f = NULL;
	/* The pid keeps two writers (a daemon, a CLI) off each other's file. */
	if ((size_t)snprintf(a->tmp, sizeof(a->tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    sizeof(a->tmp)) {
		snprintf(err, errlen, "path too long: %s", path);
		return -1;
	}
	/* Never through a name someone else left there: a symlink planted in a
	 * directory others can write would have us truncate its target. A
	 * stale file of ours (a crash) is removed and the create tried once
	 * more; a name that reappears in between is an error. */
	a->fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (a->fd < 0 && errno == EEXIST && unlink(a->tmp) == 0)
		a->fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (a->fd < 0 || !(a->f = fdopen(a->fd, "w"))) {
		snprintf(err, errlen, "cannot create %s: %s", a->tmp, strerror(errno));
		if (a->fd >= 0)
			close(a->fd);
		return -1;
	}
	return 0;
}

int atomic_commit(struct atomic_file *a, char *err, size_t errlen)
{
	char dir[4200];
	int dfd;

	if (fflush(a->f) != 0 || ferror(a->f) || fsync(a->fd) < 0) {
		snprintf(err, errlen, "cannot write %s: %s", a->tmp, strerror(errno));
		atomic_abort(a);
		return -1;
	}
	fclose(a->f);
	if (rename(a->tmp, a->path) < 0) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", a->tmp, a->path, strerror(errno));
		unlink(a->tmp);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", a->path);
	if ((dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

void atomic_abort(struct atomic_file *a)
{
	fclose(a->f);
	unlink(a->tmp);
}
