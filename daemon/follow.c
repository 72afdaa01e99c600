/* follow.c - inotify and a timer drive the tails; positions are a small
 * text file: "follow 1" then one "PATH DEV INO OFFSET" line per file,
 * PATH percent-escaped. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include "atomic.h"
#include "escape.h"
#include "follow.h"
#include "log.h"
#include "tail.h"

#define POLL_MS 1000
#define EVENTS (IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE)

struct follow {
	struct watch ino;               /* inotify: first, for loop_defer_free */
	struct watch timer;
	struct loop *loop;
	struct tail *tails;
	int *wd;                        /* each tail's directory watch, or -1 */
	unsigned n;
	char pos_path[PATH_MAX];
	off_t *saved;                   /* the offsets last written */
	ino_t *saved_ino;
	follow_line_cb cb;
	void *arg;
	bool *unstamped_seen;           /* per tail: a line without a multilog stamp */
	unsigned polling;               /* the tail being read */
};

static void dir_of(const char *path, char *out, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(out, len, ".");
	else if (slash == path)
		snprintf(out, len, "/");
	else
		snprintf(out, len, "%.*s", (int)(slash - path), path);
}

static void watch_dirs(struct follow *f)
{
	char dir[PATH_MAX];

	for (unsigned i = 0; i < f->n; i++) {
		if (f->wd[i] >= 0)
			continue;
		dir_of(f->tails[i].path, dir, sizeof(dir));
		f->wd[i] = inotify_add_watch(f->ino.fd, dir, EVENTS);
	}
}

/* Users other than the file's owner can write lines into it: directly,
 * through its directory, or (a syslog file) with logger(1). */
static const char *unsafe(const struct follow *f, unsigned i)
{
	char dir[PATH_MAX];
	struct stat st;

	dir_of(f->tails[i].path, dir, sizeof(dir));
	if (stat(f->tails[i].path, &st) == 0 && st.st_mode & (S_IWGRP | S_IWOTH))
		return "is writable by its group or by everyone";
	if (stat(dir, &st) == 0 && st.st_mode & (S_IWGRP | S_IWOTH) && !(st.st_mode & S_ISVTX))
		return "is in a directory that its group or everyone can write";
	if (f->unstamped_seen[i])
		return "has lines without multilog's stamp (a syslog file: any local user can "
		       "write lines into it with logger)";
	return NULL;
}

static void warn_unsafe(const struct follow *f, unsigned i)
{
	const char *why = unsafe(f, i);

	if (why)
		log_warn("event=follow_unsafe path=%s why=\"%s\" note=\"whoever can write a "
			 "line there can ban any address; follow multilog's own files "
			 "(docs/qmail.md)\"", f->tails[i].path, why);
}

static void on_line(const char *line, size_t len, void *arg)
{
	struct follow *f = arg;
	unsigned i = f->polling;

	if (!f->unstamped_seen[i] && len && line[0] != '@') {
		f->unstamped_seen[i] = true;
		warn_unsafe(f, i);
	}
	f->cb(line, len, f->arg);
}

static void poll_all(struct follow *f)
{
	for (f->polling = 0; f->polling < f->n; f->polling++)
		tail_poll(&f->tails[f->polling], on_line, f);
}

const char *follow_warning(const struct follow *f, char *buf, size_t len)
{
	for (unsigned i = 0; f && i < f->n; i++) {
		const char *why = unsafe(f, i);

		if (why) {
			snprintf(buf, len, "%s %s", f->tails[i].path, why);
			return buf;
		}
	}
	return NULL;
}

static void on_inotify(struct watch *w, uint32_t events)
{
	struct follow *f = (struct follow *)w;
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t got;

	(void)events;
	/* Which file changed matters little: polling one costs a read and a
	 * stat. Drain the queue, then read every file once. */
	while ((got = read(w->fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + got;) {
			struct inotify_event *ev = (struct inotify_event *)p;

			if (ev->mask & IN_IGNORED)      /* the directory went away */
				for (unsigned i = 0; i < f->n; i++)
					if (f->wd[i] == ev->wd)
						f->wd[i] = -1;
			p += sizeof(*ev) + ev->len;
		}
	}
	poll_all(f);
}

static void on_timer(struct watch *w, uint32_t events)
{
	struct follow *f = (struct follow *)((char *)w - offsetof(struct follow, timer));
	uint64_t ticks;

	(void)events;
	if (read(w->fd, &ticks, sizeof(ticks)) != sizeof(ticks))
		return;
	watch_dirs(f);
	poll_all(f);
}

/* The saved position of path: 0 when there is none. */
static ino_t saved_pos(const char *pos_path, const char *path, dev_t *dev, off_t *off)
{
	FILE *fp = fopen(pos_path, "re");
	char line[PATH_MAX * 3 + 128], name[PATH_MAX * 3 + 8];
	unsigned long long d, i, o;
	ino_t found = 0;

	if (!fp)
		return 0;
	if (!fgets(line, sizeof(line), fp) || strcmp(line, "follow 1\n") != 0) {
		log_warn("event=follow_positions file=%s error=\"not a positions file\" "
			 "note=\"every file is followed from its end\"", pos_path);
		fclose(fp);
		return 0;
	}
	while (!found && fgets(line, sizeof(line), fp))
		if (sscanf(line, "%12287s %llu %llu %llu", name, &d, &i, &o) == 4 &&
		    pct_decode(name) == 0 && strcmp(name, path) == 0) {
			*dev = (dev_t)d;
			*off = (off_t)o;
			found = (ino_t)i;
		}
	fclose(fp);
	return found;
}

struct follow *follow_start(struct loop *l, const char (*paths)[PATH_MAX], unsigned n,
			    const char *state_dir, follow_line_cb cb, void *arg,
			    char *err, size_t errlen)
{
	struct follow *f;

	*err = 0;
	if (!n)
		return NULL;
	if (!(f = calloc(1, sizeof(*f))) || !(f->tails = calloc(n, sizeof(*f->tails))) ||
	    !(f->wd = calloc(n, sizeof(*f->wd))) || !(f->saved = calloc(n, sizeof(*f->saved))) ||
	    !(f->saved_ino = calloc(n, sizeof(*f->saved_ino))) ||
	    !(f->unstamped_seen = calloc(n, sizeof(*f->unstamped_seen)))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	f->loop = l;
	f->n = n;
	f->cb = cb;
	f->arg = arg;
	f->ino = (struct watch){ inotify_init1(IN_NONBLOCK | IN_CLOEXEC), on_inotify };
	f->timer = (struct watch){ -1, on_timer };
	snprintf(f->pos_path, sizeof(f->pos_path), "%s/follow", state_dir);
	if (f->ino.fd < 0) {
		snprintf(err, errlen, "cannot start inotify: %s", strerror(errno));
		goto fail;
	}
	for (unsigned i = 0; i < n; i++) {
		dev_t dev = 0;
		off_t off = 0;
		ino_t ino = saved_pos(f->pos_path, paths[i], &dev, &off);

		f->wd[i] = -1;
		tail_open(&f->tails[i], paths[i], dev, ino, off);
		f->saved[i] = f->tails[i].off;
		f->saved_ino[i] = f->tails[i].ino;
		log_info("event=follow path=%s from=%s", paths[i],
			 f->tails[i].fd < 0 ? "start_when_created" : ino ? "saved_position" : "end");
		warn_unsafe(f, i);
	}
	watch_dirs(f);
	if (loop_add(l, &f->ino, EPOLLIN) < 0 || loop_timer(l, &f->timer, POLL_MS) < 0) {
		snprintf(err, errlen, "cannot watch the followed files: %s", strerror(errno));
		goto fail;
	}
	/* Lines written while we were down. */
	poll_all(f);
	return f;
fail:
	follow_stop(f);
	return NULL;
}

int follow_save(struct follow *f, char *err, size_t errlen)
{
	struct atomic_file a;
	bool moved = false;

	if (!f)
		return 0;
	for (unsigned i = 0; i < f->n; i++)
		moved |= f->saved[i] != f->tails[i].off || f->saved_ino[i] != f->tails[i].ino;
	if (!moved)
		return 0;
	if (atomic_open(&a, f->pos_path, 0600, err, errlen) < 0)
		return -1;
	fprintf(a.f, "follow 1\n");
	for (unsigned i = 0; i < f->n; i++) {
		char enc[PATH_MAX * 3 + 2];

		if (!f->tails[i].ino)
			continue;
		pct_encode(f->tails[i].path, enc, sizeof(enc));
		fprintf(a.f, "%s %llu %llu %llu\n", enc, (unsigned long long)f->tails[i].dev,
			(unsigned long long)f->tails[i].ino, (unsigned long long)f->tails[i].off);
	}
	if (atomic_commit(&a, err, errlen) < 0)
		return -1;
	for (unsigned i = 0; i < f->n; i++) {
		f->saved[i] = f->tails[i].off;
		f->saved_ino[i] = f->tails[i].ino;
	}
	return 0;
}

void follow_stop(struct follow *f)
{
	if (!f)
		return;
	for (unsigned i = 0; f->tails && i < f->n; i++)
		tail_close(&f->tails[i]);
	if (f->ino.fd >= 0) {
		loop_del(f->loop, &f->ino);
		close(f->ino.fd);
	}
	if (f->timer.fd >= 0) {
		loop_del(f->loop, &f->timer);
		close(f->timer.fd);
	}
	free(f->tails);
	free(f->wd);
	free(f->saved);
	free(f->saved_ino);
	free(f->unstamped_seen);
	free(f);
}

void follow_stats(const struct follow *f, struct follow_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; f && i < f->n; i++) {
		out->lines += f->tails[i].lines;
		out->long_lines += f->tails[i].long_lines;
		out->rotations += f->tails[i].rotations;
		out->truncations += f->tails[i].truncations;
	}
}
