/* atomic.h - replace a file so that readers and crashes only ever see the
 * old or the new version: write a temp file next to it, fsync, rename,
 * fsync the directory. */
#ifndef RG_ATOMIC_H
#define RG_ATOMIC_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

struct atomic_file {
	int fd;                 /* write here ... */
	FILE *f;                /* ... or here */
	char tmp[4200];
	const char *path;
};

int atomic_open(struct atomic_file *a, const char *path, mode_t mode, char *err, size_t errlen);
/* Flush, fsync, rename over path; on failure the old file stays. */
int atomic_commit(struct atomic_file *a, char *err, size_t errlen);
/* Give up: remove the temp file. */
void atomic_abort(struct atomic_file *a);

#endif
