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

#define HEAD (TAIL_LINE_MAX / 2)
#define RING (TAIL_LINE_MAX - HEAD - 1)      /* after the head and the newline */

static void reverse(char *a, size_t n)
{
	for (size_t i = 0; i < n / 2; i++) {
		char c = a[i];

		a[i] = a[n - 1 - i];
		a[n - 1 - i] = c;
	}
}

static void ring_put(struct tail *t, const char *p, size_t n)
{
	char *r = t->buf + HEAD + 1;

	if (n >= RING) {
		memcpy(r, p + n - RING, RING);
		t->ring_pos = 0;
		t->ring_fill = RING;
		return;
	}
	for (size_t done = 0, k; done < n; done += k) {
		k = n - done < RING - t->ring_pos ? n - done : RING - t->ring_pos;
		memcpy(r + t->ring_pos, p + done, k);
		t->ring_pos = (t->ring_pos + k) % RING;
	}
	t->ring_fill = t->ring_fill + n < RING ? t->ring_fill + n : RING;
}

static void keep(struct tail *t, const char *p, size_t n)
{
	if (!t->skipping && t->have + n <= sizeof(t->buf)) {
		memcpy(t->buf + t->have, p, n);
		t->have += n;
		return;
	}
	if (!t->skipping) {
		/* Fill the head; the bytes past it so far start the ring. */
		size_t h = t->have < HEAD ? HEAD - t->have : 0, m, k;

		memcpy(t->buf + t->have, p, h);
		t->have += h;
		p += h;
		n -= h;
		m = t->have - HEAD;
		k = m < RING ? m : RING;
		memmove(t->buf + HEAD + 1, t->buf + t->have - k, k);
		t->ring_pos = k % RING;
		t->ring_fill = k;
		t->skipping = true;
		t->long_lines++;
	}
	ring_put(t, p, n);
}

/* The line in buf, in order: an overlong one as head, newline, end. */
static size_t line_len(struct tail *t)
{
	char *r = t->buf + HEAD + 1;

	if (!t->skipping)
		return t->have;
	if (t->ring_fill == RING) {     /* rotate the oldest byte to the front */
		reverse(r, t->ring_pos);
		reverse(r + t->ring_pos, RING - t->ring_pos);
		reverse(r, RING);
	}
	t->buf[HEAD] = '\n';
	return HEAD + 1 + t->ring_fill;
}

static void deliver(struct tail *t, const char *p, size_t n, tail_line_cb cb, void *arg)
{
	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t part = nl ? (size_t)(nl - p) : n;

		keep(t, p, part);
		if (!nl) {
			t->pend += (off_t)part;         /* the position moves past whole lines only */
			return;
		}
		t->off += t->pend + (off_t)part + 1;
		t->pend = 0;
		t->lines++;
		cb(t->buf, line_len(t), arg);
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
