/* test_atomic.c - a file replaced through a temp name never writes
 * through a name someone else put there: a symlink planted at the temp
 * name (a directory others can write, as a textfile collector's) leaves
 * its target alone; a stale temp file of a crash is replaced. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "atomic.h"
#include "tap.h"

static char dir[] = "/tmp/rg-atomic-XXXXXX";

static void slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, len - 1, f) : 0;

	buf[n] = '\0';
	if (f)
		fclose(f);
}

static int replace(const char *path, const char *text)
{
	struct atomic_file a;
	char err[512];

	if (atomic_open(&a, path, 0644, err, sizeof(err)) < 0)
		return -1;
	fputs(text, a.f);
	return atomic_commit(&a, err, sizeof(err));
}

int main(void)
{
	char path[PATH_MAX], tmp[PATH_MAX + 32], victim[PATH_MAX], buf[64];

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/out.prom", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	snprintf(victim, sizeof(victim), "%s/victim", dir);

	FILE *v = fopen(victim, "w");
	fputs("precious", v);
	fclose(v);
	ok(symlink(victim, tmp) == 0, "a symlink planted at the temp name");
	ok(replace(path, "new\n") == 0, "a symlink at the temp name: the file is still replaced");
	slurp(victim, buf, sizeof(buf));
	ok(strcmp(buf, "precious") == 0, "and the symlink's target is untouched (%s)", buf);
	slurp(path, buf, sizeof(buf));
	ok(strcmp(buf, "new\n") == 0, "the file holds what was written");

	v = fopen(tmp, "w");
	fputs("stale", v);
	fclose(v);
	ok(replace(path, "newer\n") == 0 && access(tmp, F_OK) < 0,
	   "a stale temp file of a crash is replaced, and gone afterwards");
	unlink(path);
	unlink(victim);
	rmdir(dir);
	return tap_done();
}
