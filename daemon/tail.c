/* tail.c - read(2) to the end, split lines, compare inodes. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tail.h"

void tail_dir(const char *path, char *out, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(out, len, ".");
	else if (slash == path)
		snprintf(out, len, "/");
	else
		snprintf(out, len, "%.*s", (int)(slash - path), path);
}

const char *tail_error(const struct tail *t)
{
	if (t->fd >= 0 || !t->err)
		return NULL;
	return t->err == TAIL_NOT_REGULAR ? "not a regular file" : strerror(t->err);
}

/* A descriptor for file, or -1 with t->err set (0 when it is not there). */
static int open_file(struct tail *t, const char *file, struct stat *st)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), e;

	if (fd < 0) {
		t->err = errno == ENOENT ? 0 : errno;
		return -1;
	}
	e = fstat(fd, st) < 0 ? errno : S_ISREG(st->st_mode) ? 0 : TAIL_NOT_REGULAR;
	if (e) {
		close(fd);
		t->err = e;
		return -1;
	}
	t->err = 0;
	return fd;
}

/* Read fd from off: its end when off < 0, its start when it is shorter
 * (truncated while we were away). */
static void take(struct tail *t, int fd, const struct stat *st, off_t off)
{
	t->fd = fd;
	t->dev = st->st_dev;
	t->ino = st->st_ino;
	t->off = off < 0 ? st->st_size : off > st->st_size ? 0 : off;
	t->pend = 0;
	linebuf_clear(&t->line);
	lseek(fd, t->off, SEEK_SET);
}

/* The name (dev, ino) has in path's directory: multilog's @....s after a
 * rotation. */
static bool name_in_dir(struct tail *t, char *name, size_t len)
{
	char dir[PATH_MAX], file[PATH_MAX + 256];
	struct dirent *de;
	bool found = false;
	DIR *d;

	tail_dir(t->path, dir, sizeof(dir));
	if (!(d = opendir(dir))) {
		t->err = errno == ENOENT ? 0 : errno;
		return false;
	}
	while (!found && (de = readdir(d))) {
		struct stat st;

		snprintf(file, sizeof(file), "%s/%s", dir, de->d_name);
		found = de->d_ino == t->ino && stat(file, &st) == 0 && st.st_dev == t->dev &&
			st.st_ino == t->ino;
		if (found)
			snprintf(name, len, "%s", de->d_name);
	}
	closedir(d);
	return found;
}

/* multilog names a rotated file "@", its TAI64N stamp in 24 lower-case hex
 * digits, then ".s" (or ".u": unfinished): by name, they sort by age. */
static bool multilog_name(const char *name)
{
	if (strlen(name) != 27 || name[0] != '@' || name[25] != '.' ||
	    (name[26] != 's' && name[26] != 'u'))
		return false;
	for (int i = 1; i <= 24; i++)
		if (!strchr("0123456789abcdef", name[i]))
			return false;
	return true;
}

/* The first file multilog rotated after the one named after, into next. */
static bool next_rotated(const char *dir, const char *after, char *next, size_t len)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	*next = 0;
	if (!d)
		return false;
	while ((de = readdir(d)))
		if (multilog_name(de->d_name) && strcmp(de->d_name, after) > 0 &&
		    (!*next || strcmp(de->d_name, next) < 0))
			snprintf(next, len, "%s", de->d_name);
	closedir(d);
	return *next;
}

/* Open the saved file (still at path, or rotated into its directory) at
 * the saved offset. -1: it cannot be read (t->err; the position is kept)
 * or is gone (ino 0). */
static int resume(struct tail *t)
{
	char dir[PATH_MAX], name[256], file[PATH_MAX + 256];
	struct stat st;
	int fd;

	if ((fd = open_file(t, t->path, &st)) >= 0) {
		if (st.st_dev == t->dev && st.st_ino == t->ino) {
			take(t, fd, &st, t->off);
			return 0;
		}
		close(fd);
	} else if (t->err) {
		return -1;
	}
	if (!name_in_dir(t, name, sizeof(name))) {
		if (!t->err)
			t->ino = 0;
		return -1;
	}
	tail_dir(t->path, dir, sizeof(dir));
	snprintf(file, sizeof(file), "%s/%s", dir, name);
	if ((fd = open_file(t, file, &st)) < 0) {
		if (!t->err)
			t->ino = 0;
		return -1;
	}
	take(t, fd, &st, t->off);
	return 0;
}

/* Open the file to read: the kept position, else path from its start. */
static int reopen(struct tail *t)
{
	struct stat st;
	int fd;

	t->err = 0;
	if (t->ino && resume(t) == 0)
		return 0;
	if (t->err || (fd = open_file(t, t->path, &st)) < 0)
		return -1;
	take(t, fd, &st, 0);
	return 0;
}

void tail_open(struct tail *t, const char *path, dev_t dev, ino_t ino, off_t off)
{
	struct stat st;
	int fd;

	memset(t, 0, sizeof(*t));
	snprintf(t->path, sizeof(t->path), "%s", path);
	t->fd = -1;
	t->dev = dev;
	t->ino = ino;
	t->off = off;
	if (ino) {
		reopen(t);
		return;
	}
	/* No saved position: what is there now is history (see replay); a
	 * file that appears later is read from its start. */
	if ((fd = open_file(t, path, &st)) >= 0)
		take(t, fd, &st, -1);
}

/* The file done with was rotated or removed: go on with the next one
 * multilog rotated after it (several may have been while we were away or
 * between two polls), else with path. */
static int next_file(struct tail *t)
{
	char dir[PATH_MAX], name[256], next[256], file[PATH_MAX + 256];
	struct stat st;
	bool rotated;
	int fd;

	tail_dir(t->path, dir, sizeof(dir));
	rotated = name_in_dir(t, name, sizeof(name)) && multilog_name(name) &&
		  next_rotated(dir, name, next, sizeof(next));
	close(t->fd);
	t->fd = -1;
	t->ino = 0;
	t->rotations++;
	if (!rotated)
		return reopen(t);
	snprintf(file, sizeof(file), "%s/%s", dir, next);
	if ((fd = open_file(t, file, &st)) < 0)
		return -1;
	take(t, fd, &st, 0);
	return 0;
}

static void deliver(struct tail *t, const char *p, size_t n, tail_line_cb cb, void *arg)
{
	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t part = nl ? (size_t)(nl - p) : n;

		linebuf_add(&t->line, p, part);
		if (!nl) {
			t->pend += (off_t)part;         /* the position moves past whole lines only */
			return;
		}
		t->off += t->pend + (off_t)part + 1;
		t->pend = 0;
		t->lines++;
		t->long_lines += linebuf_long(&t->line);
		cb(t->line.buf, linebuf_end(&t->line), arg);
		linebuf_clear(&t->line);
		p = nl + 1;
		n -= part + 1;
	}
}

/* Read fd to its end, delivering whole lines. */
static void drain(struct tail *t, tail_line_cb cb, void *arg)
{
	char chunk[65536];
	ssize_t got;

	while ((got = read(t->fd, chunk, sizeof(chunk))) > 0)
		deliver(t, chunk, (size_t)got, cb, arg);
}

void tail_poll(struct tail *t, tail_line_cb cb, void *arg)
{
	struct stat st, cur;
	int rc;

	if (t->fd < 0 && reopen(t) < 0)
		return;
	for (;;) {
		drain(t, cb, arg);
		rc = stat(t->path, &st);
		if (rc < 0 && errno != ENOENT)
			return;                 /* cannot tell: keep reading what is open */
		if (rc == 0 && st.st_dev == t->dev && st.st_ino == t->ino) {
			if (fstat(t->fd, &cur) == 0 && cur.st_size < t->off + t->pend) {
				t->truncations++;
				take(t, t->fd, &cur, 0);
				drain(t, cb, arg);
			}
			return;
		}
		/* Renamed or removed: what was written before that is still ours. */
		drain(t, cb, arg);
		if (next_file(t) < 0)
			return;
	}
}

void tail_close(struct tail *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}
