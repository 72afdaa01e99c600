/* follow.c - inotify and a timer drive the tails; positions are a small
 * text file: "follow 1" then one "PATH DEV INO OFFSET" line per file,
 * PATH percent-escaped. */
#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "atomic.h"
#include "duration.h"
#include "escape.h"
#include "follow.h"
#include "log.h"
#include "tail.h"

#define POLL_MS 1000
#define EVENTS (IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE)

struct followed {
	struct tail tail;
	int wd;                         /* the directory's inotify watch, or -1 */
	int wd_err;                     /* why there is none (errno); 0: watched until now;
					   -1: not tried yet */
	int err_logged;                 /* the read error last logged (tail.err) */
	off_t saved;                    /* the position last written */
	ino_t saved_ino;
	bool backlog;                   /* lines found waiting, not written while we watched */
	bool unstamped_seen;            /* a line without a multilog stamp */
	bool future_seen;
	uint64_t history, future;
};

struct follow {
	struct watch ino;               /* inotify: first, for loop_defer_free */
	struct watch timer;
	struct loop *loop;
	const struct config *cfg;
	struct followed *fs;
	unsigned n;
	char pos_path[PATH_MAX];
	follow_line_cb cb;
	void *arg;
	unsigned polling;               /* the file being read */
};

enum follow_age follow_age(uint64_t when, uint64_t now, uint32_t window, bool live)
{
	if (!when)
		return live ? FOLLOW_NOW : FOLLOW_HISTORY;
	if (when + window < now)
		return FOLLOW_HISTORY;
	return when > now + window ? FOLLOW_FUTURE : FOLLOW_NOW;
}

/* Local wall-clock seconds (as logline reads a yearless stamp: as if UTC)
 * to unix seconds, daylight saving time as it was then. */
static uint64_t from_local(uint64_t t)
{
	time_t s = (time_t)t;
	struct tm tm;

	gmtime_r(&s, &tm);
	tm.tm_isdst = -1;
	s = mktime(&tm);
	return s < 0 ? 0 : (uint64_t)s;
}

uint64_t follow_when(const char *line, size_t len, uint64_t now, struct logline *l)
{
	time_t t = (time_t)now;
	struct tm tm;

	localtime_r(&t, &tm);
	logline_parse(line, len, tm.tm_year + 1900, l);
	/* multilog's tai64n and RFC 3339 syslog stamps are absolute. */
	if (!l->when || line[0] == '@' || (len > 4 && line[4] == '-'))
		return l->when;
	if ((l->when = from_local(l->when)) > now + 86400) {
		logline_parse(line, len, tm.tm_year + 1899, l);
		l->when = from_local(l->when);
	}
	return l->when;
}

/* The daemon's user, for the fix of a permission error. */
static const char *me(char *buf, size_t len)
{
	struct passwd *pw = getpwuid(geteuid());

	if (pw)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "uid %d", (int)geteuid());
	return buf;
}

static const char *read_fix(int err, char *buf, size_t len)
{
	char user[64];

	if (err == EACCES || err == EPERM)
		snprintf(buf, len, "let user %s read the file and search its directories: add %s "
			 "to the log's group and give that group r on the file and rx on its "
			 "directory, or o+rx/o+r where world-readable SMTP logs are acceptable "
			 "(docs/qmail.md)", me(user, sizeof(user)), user);
	else
		snprintf(buf, len, "point follow at the log file itself, e.g. multilog's "
			 "DIR/current (rcptguard.conf(5))");
	return buf;
}

/* A read error is logged when it starts and when it ends; the timer
 * tries the file again every second in between. */
static void report_error(struct followed *x)
{
	char fix[512];
	int err = x->tail.fd >= 0 ? 0 : x->tail.err;

	if (err == x->err_logged)
		return;
	if (err)
		log_err("event=follow_error file=%s error=\"%s\" fix=\"%s\" note=\"tried again "
			"every second; lines waiting in it when it becomes readable are judged by "
			"their own time\"", x->tail.path, tail_error(&x->tail),
			read_fix(err, fix, sizeof(fix)));
	else
		log_info("event=follow_readable file=%s", x->tail.path);
	x->err_logged = err;
}

/* Lines wake us within a millisecond with inotify on the directory, or
 * within a second from the timer when the directory cannot be watched. */
static void log_wakeup(const struct followed *x, const char *dir, const char *event,
		       const char *from)
{
	char fix[512], from_kv[64] = "";

	if (from)
		snprintf(from_kv, sizeof(from_kv), " from=%s", from);
	if (x->wd >= 0)
		log_info("event=%s path=%s%s wakeup=inotify", event, x->tail.path, from_kv);
	else if (x->wd_err == ENOENT)
		log_info("event=%s path=%s%s wakeup=poll_1s note=\"inotify once %s exists\"",
			 event, x->tail.path, from_kv, dir);
	else
		log_warn("event=%s path=%s%s wakeup=poll_1s dir=%s error=\"%s\" note=\"lines are "
			 "read up to a second late\" fix=\"%s\"", event, x->tail.path, from_kv, dir,
			 strerror(x->wd_err), x->wd_err == EACCES ?
			 read_fix(EACCES, fix, sizeof(fix)) : "none needed");
}

static void watch_dirs(struct follow *f)
{
	char dir[PATH_MAX];

	for (unsigned i = 0; i < f->n; i++) {
		struct followed *x = &f->fs[i];
		int before = x->wd_err;

		if (x->wd >= 0)
			continue;
		tail_dir(x->tail.path, dir, sizeof(dir));
		x->wd = inotify_add_watch(f->ino.fd, dir, EVENTS);
		x->wd_err = x->wd >= 0 ? 0 : errno;
		if (before != -1 && (x->wd >= 0 || before != x->wd_err))
			log_wakeup(x, dir, "follow_wakeup", NULL);
	}
}

/* Users other than the file's owner can write lines into it: directly,
 * through its directory, or (a syslog file) with logger(1). */
static const char *unsafe(const struct followed *x)
{
	char dir[PATH_MAX];
	struct stat st;

	tail_dir(x->tail.path, dir, sizeof(dir));
	if (stat(x->tail.path, &st) == 0 && st.st_mode & (S_IWGRP | S_IWOTH))
		return "is writable by its group or by everyone";
	if (stat(dir, &st) == 0 && st.st_mode & (S_IWGRP | S_IWOTH) && !(st.st_mode & S_ISVTX))
		return "is in a directory that its group or everyone can write";
	if (x->unstamped_seen)
		return "has lines without multilog's stamp (a syslog file: any local user can "
		       "write lines into it with logger, and syslog cuts long lines, so a remote "
		       "client can make its long lines ambiguous)";
	return NULL;
}

static void warn_unsafe(const struct followed *x)
{
	const char *why = unsafe(x);

	if (why)
		log_warn("event=follow_unsafe path=%s why=\"%s\" note=\"whoever can write a "
			 "line there can ban any address; follow multilog's own files "
			 "(docs/qmail.md)\"", x->tail.path, why);
}

static void on_line(const char *line, size_t len, void *arg)
{
	struct follow *f = arg;
	struct followed *x = &f->fs[f->polling];
	uint64_t now = wall_secs(), when;
	struct logline l;

	if (!x->unstamped_seen && len && line[0] != '@') {
		x->unstamped_seen = true;
		warn_unsafe(x);
	}
	when = follow_when(line, len, now, &l);
	switch (follow_age(when, now, f->cfg->offenders.window, !x->backlog)) {
	case FOLLOW_NOW:
		f->cb(&l, f->arg);
		break;
	case FOLLOW_HISTORY:
		x->history++;
		break;
	case FOLLOW_FUTURE:
		if (!x->future_seen)
			log_warn("event=follow_future path=%s stamp=%" PRIu64 " now=%" PRIu64
				 " note=\"a line stamped more than ban_window ahead is not "
				 "evidence: check the clocks, or who can write this file\"",
				 x->tail.path, when, now);
		x->future_seen = true;
		x->future++;
		break;
	}
}

static void poll_all(struct follow *f)
{
	for (f->polling = 0; f->polling < f->n; f->polling++) {
		struct followed *x = &f->fs[f->polling];

		tail_poll(&x->tail, on_line, f);
		report_error(x);
		/* Once the file is open (or just not there yet), what comes is
		 * written while we watch; after a read error it is found waiting. */
		x->backlog = x->tail.fd < 0 && x->tail.err;
	}
}

const char *follow_warning(const struct follow *f, char *buf, size_t len)
{
	for (unsigned i = 0; f && i < f->n; i++) {
		const char *why = unsafe(&f->fs[i]);

		if (why) {
			snprintf(buf, len, "%s %s", f->fs[i].tail.path, why);
			return buf;
		}
	}
	return NULL;
}

const char *follow_error(const struct follow *f, char *buf, size_t len)
{
	for (unsigned i = 0; f && i < f->n; i++) {
		const char *why = tail_error(&f->fs[i].tail);

		if (why) {
			snprintf(buf, len, "%s: %s", f->fs[i].tail.path, why);
			return buf;
		}
	}
	return NULL;
}

const char *follow_file(const struct follow *f, unsigned i, enum follow_state *state)
{
	const struct tail *t;

	if (!f || i >= f->n)
		return NULL;
	t = &f->fs[i].tail;
	*state = t->fd >= 0 ? FOLLOW_FOLLOWING : t->err ? FOLLOW_ERROR : FOLLOW_MISSING;
	return t->path;
}

const char *follow_state_name(enum follow_state s)
{
	static const char *const names[] = { "following", "missing", "error" };

	return s < FOLLOW_STATES ? names[s] : "unknown";
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
					if (f->fs[i].wd == ev->wd) {
						f->fs[i].wd = -1;
						f->fs[i].wd_err = 0;    /* was watched */
					}
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

static const char *start_from(const struct tail *t, ino_t saved)
{
	if (t->fd >= 0)
		return !saved ? "end" : t->ino == saved ? "saved_position" : "start";
	if (t->err)
		return saved && t->ino ? "saved_position_when_readable" : "start_when_readable";
	return "start_when_created";
}

struct follow *follow_start(struct loop *l, const struct config *cfg, follow_line_cb cb,
			    void *arg, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	struct follow *f;

	*err = 0;
	if (!cfg->n_follow)
		return NULL;
	if (!(f = calloc(1, sizeof(*f)))) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->ino.fd = f->timer.fd = -1;
	if (!(f->fs = calloc(cfg->n_follow, sizeof(*f->fs)))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	f->loop = l;
	f->cfg = cfg;
	f->n = cfg->n_follow;
	f->cb = cb;
	f->arg = arg;
	f->ino = (struct watch){ inotify_init1(IN_NONBLOCK | IN_CLOEXEC), on_inotify };
	f->timer = (struct watch){ -1, on_timer };
	if ((size_t)snprintf(f->pos_path, sizeof(f->pos_path), "%s/follow", cfg->state_dir) >=
	    sizeof(f->pos_path)) {
		snprintf(err, errlen, "state_dir is too long");
		goto fail;
	}
	for (unsigned i = 0; i < f->n; i++)
		f->fs[i] = (struct followed){ .wd = -1, .wd_err = -1, .backlog = true };
	if (f->ino.fd < 0) {
		snprintf(err, errlen, "cannot start inotify: %s", strerror(errno));
		goto fail;
	}
	for (unsigned i = 0; i < f->n; i++) {
		struct followed *x = &f->fs[i];
		dev_t dev = 0;
		off_t off = 0;

		/* What the positions file holds: a start from the end is saved
		 * at the first save, so lines written after a short run count. */
		x->saved_ino = saved_pos(f->pos_path, cfg->follow[i], &dev, &off);
		x->saved = off;
		tail_open(&x->tail, cfg->follow[i], dev, x->saved_ino, off);
	}
	watch_dirs(f);
	for (unsigned i = 0; i < f->n; i++) {
		struct followed *x = &f->fs[i];

		tail_dir(x->tail.path, dir, sizeof(dir));
		log_wakeup(x, dir, "follow", start_from(&x->tail, x->saved_ino));
		report_error(x);
		warn_unsafe(x);
	}
	if (loop_add(l, &f->ino, EPOLLIN) < 0 || loop_timer(l, &f->timer, POLL_MS) < 0) {
		snprintf(err, errlen, "cannot watch the followed files: %s", strerror(errno));
		goto fail;
	}
	/* Lines written while we were down: judged by their own time. */
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
		moved |= f->fs[i].saved != f->fs[i].tail.off ||
			 f->fs[i].saved_ino != f->fs[i].tail.ino;
	if (!moved)
		return 0;
	if (atomic_open(&a, f->pos_path, 0600, err, errlen) < 0)
		return -1;
	fprintf(a.f, "follow 1\n");
	for (unsigned i = 0; i < f->n; i++) {
		const struct tail *t = &f->fs[i].tail;
		char enc[PATH_MAX * 3 + 2];

		if (!t->ino)
			continue;
		pct_encode(t->path, enc, sizeof(enc));
		fprintf(a.f, "%s %llu %llu %llu\n", enc, (unsigned long long)t->dev,
			(unsigned long long)t->ino, (unsigned long long)t->off);
	}
	if (atomic_commit(&a, err, errlen) < 0)
		return -1;
	for (unsigned i = 0; i < f->n; i++) {
		f->fs[i].saved = f->fs[i].tail.off;
		f->fs[i].saved_ino = f->fs[i].tail.ino;
	}
	return 0;
}

void follow_stop(struct follow *f)
{
	if (!f)
		return;
	for (unsigned i = 0; f->fs && i < f->n; i++)
		tail_close(&f->fs[i].tail);
	loop_close(f->loop, &f->ino);
	loop_close(f->loop, &f->timer);
	free(f->fs);
	free(f);
}

void follow_stats(const struct follow *f, struct follow_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; f && i < f->n; i++) {
		const struct followed *x = &f->fs[i];

		out->lines += x->tail.lines;
		out->long_lines += x->tail.long_lines;
		out->rotations += x->tail.rotations;
		out->truncations += x->tail.truncations;
		out->history += x->history;
		out->future += x->future;
	}
}
