/* tail.c - read(2) to the end, split lines, compare inodes. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tail.h"

static void take(struct tail *t, int fd, dev_t dev, ino_t ino, off_t off)
{
	t->fd = fd;
	t->dev = dev;
	t->ino = ino;
	t->off = off;
	t->have = 0;
	t->pend = 0;
	t->skipping = false;
	lseek(fd, off, SEEK_SET);
}

/* A rotated copy of (dev, ino) in path's directory: multilog's @....s. */
static int find_rotated(const char *path, dev_t dev, ino_t ino)
{
	char dir[PATH_MAX], file[PATH_MAX + 256];
	const char *slash = strrchr(path, '/');
	struct dirent *de;
	DIR *d;
	int fd = -1;

	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	if (!*dir)
		snprintf(dir, sizeof(dir), "/");
	if (!(d = opendir(dir)))
		return -1;
	while (fd < 0 && (de = readdir(d))) {
		struct stat st;

		if (de->d_ino != ino)
			continue;
		snprintf(file, sizeof(file), "%s/%s", dir, de->d_name);
		if (stat(file, &st) == 0 && st.st_dev == dev && st.st_ino == ino)
			fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	}
	closedir(d);
	return fd;
}

void tail_open(struct tail *t, const char *path, dev_t dev, ino_t ino, off_t off)
{
	struct stat st;
	int fd;

	memset(t, 0, sizeof(*t));
	snprintf(t->path, sizeof(t->path), "%s", path);
	t->fd = -1;
	if (!ino) {
		/* No saved position: what is there now is history (see replay);
		 * a file that appears later is read from its start. */
		if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) >= 0 && fstat(fd, &st) == 0)
			take(t, fd, st.st_dev, st.st_ino, st.st_size);
		else if (fd >= 0)
			close(fd);
		return;
	}
	if (stat(path, &st) == 0 && st.st_dev == dev && st.st_ino == ino &&
	    (fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) >= 0) {
		take(t, fd, dev, ino, st.st_size >= off ? off : 0);
		return;
	}
	/* Rotated while we were away: finish that file first. */
	if ((fd = find_rotated(path, dev, ino)) >= 0 && fstat(fd, &st) == 0)
		take(t, fd, dev, ino, st.st_size >= off ? off : 0);
	else if (fd >= 0)
		close(fd);
}

static void deliver(struct tail *t, const char *p, size_t n, tail_line_cb cb, void *arg)
{
	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t part = nl ? (size_t)(nl - p) : n;

		if (!t->skipping && t->have + part > sizeof(t->buf)) {
			t->skipping = true;
			t->long_lines++;
		}
		if (!t->skipping) {
			memcpy(t->buf + t->have, p, part);
			t->have += part;
		}
		if (!nl) {
			t->pend += (off_t)part;         /* the position moves past whole lines only */
			return;
		}
		t->off += t->pend + (off_t)part + 1;
		t->pend = 0;
		if (!t->skipping) {
			t->lines++;
			cb(t->buf, t->have, arg);
		}
		t->skipping = false;
		t->have = 0;
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
	int fd;

	if (t->fd >= 0) {
		drain(t, cb, arg);
		if (stat(t->path, &st) == 0 && st.st_dev == t->dev && st.st_ino == t->ino) {
			if (fstat(t->fd, &cur) == 0 && cur.st_size < t->off + t->pend) {
				t->truncations++;
				take(t, t->fd, t->dev, t->ino, 0);
				drain(t, cb, arg);
			}
			return;
		}
		/* Renamed or removed: what was written before that is still ours. */
		drain(t, cb, arg);
		close(t->fd);
		t->fd = -1;
		t->rotations++;
	}
	if ((fd = open(t->path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return;
	}
	take(t, fd, st.st_dev, st.st_ino, 0);
	drain(t, cb, arg);
}

void tail_close(struct tail *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}
