/* history.c - the history file: written one line per event, read back
 * oldest first across its rotation. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "escape.h"
#include "grow.h"
#include "history.h"
#include "log.h"
#include "names.h"

void history_init(struct history *h, const char *dir)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->path, sizeof(h->path), "%s/history", dir);
	snprintf(h->old, sizeof(h->old), "%s/history.1", dir);
	h->held = true;
}

void history_free(struct history *h)
{
	free(h->queue);
	h->queue = NULL;
	h->qlen = h->qcap = 0;
}

/* " key=VALUE", the value escaped. */
static void put(char *buf, size_t len, const char *key, const char *val)
{
	char enc[3 * HISTORY_LINE + 2];
	size_t used = strlen(buf);

	pct_encode(val, enc, sizeof(enc));
	if (used < len)
		snprintf(buf + used, len - used, " %s=%s", key, enc);
}

void history_line(char *buf, size_t len, const struct judge_event *e,
		  const struct recent_rcpt *const *rcpts, size_t n)
{
	static const char *const what[] = { "ban", "unban", "expire" };
	char a[ADDR_STRLEN], num[64];
	const char *by = strncmp(e->by, "by=", 3) == 0 ? e->by + 3 : e->by;

	addr_format(e->key, a, sizeof(a));
	snprintf(buf, len, "%u %s %s", e->time, what[e->what], a);
	if (e->what == JUDGE_BAN) {
		put(buf, len, "reason", reason_name(e->reason));
		snprintf(num, sizeof(num), "%llu", (unsigned long long)e->secs);
		put(buf, len, "secs", num);
		snprintf(num, sizeof(num), "%u", e->offense);
		put(buf, len, "offense", num);
		if (e->threshold > 0) {
			snprintf(num, sizeof(num), "%.2f", e->score);
			put(buf, len, "score", num);
			snprintf(num, sizeof(num), "%.2f", e->threshold);
			put(buf, len, "threshold", num);
		}
		if (*e->note)
			put(buf, len, "note", e->note);
	}
	put(buf, len, "by", by);
	for (size_t i = 0; i < n; i++)
		put(buf, len, "rcpt", rcpts[i]->rcpt);
}

static int open_append(const char *path, int flags)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | flags, 0600);
}

/* Write n bytes of whole lines, rotating first when they would make the
 * file pass HISTORY_MAX: 0 or -errno. */
static int append(struct history *h, const char *lines, size_t n)
{
	int fd = open_append(h->path, 0), e = 0;
	struct stat st;
	ssize_t w;

	if (fd < 0 || fstat(fd, &st) < 0)
		e = -errno;
	else if ((uint64_t)st.st_size + n > HISTORY_MAX && st.st_size > 0) {
		/* The file before is dropped: the two stay bounded. */
		close(fd);
		fd = rename(h->path, h->old) < 0 ? -1 : open_append(h->path, O_TRUNC);
		if (fd < 0)
			e = -errno;
	}
	if (!e && (w = write(fd, lines, n)) != (ssize_t)n)
		e = w < 0 ? -errno : -EIO;
	if (fd >= 0)
		close(fd);
	return e;
}

void history_add(struct history *h, const char *line)
{
	size_t n = strlen(line);

	/* Queued, and written once per turn of the loop (history_flush): a
	 * startup pull of 100,000 CrowdSec decisions is a few writes, not
	 * 100,000 opens on the event loop. */
	if (n >= HISTORY_LINE || h->qlen + n + 1 > HISTORY_HELD ||
	    grow(&h->queue, &h->qcap, h->qlen + n + 1, 1, 4096) < 0) {
		h->dropped++;
		return;
	}
	memcpy(h->queue + h->qlen, line, n);
	h->queue[h->qlen + n] = '\n';
	h->qlen += n + 1;
}

void history_flush(struct history *h)
{
	size_t done = 0;
	int e = 0;

	if (h->held || (!h->qlen && !h->dropped))
		return;
	/* In pieces of whole lines, so a rotation keeps the files bounded. */
	while (!e && done < h->qlen) {
		size_t n = h->qlen - done;

		if (n > HISTORY_CHUNK) {
			const char *nl = memrchr(h->queue + done, '\n', HISTORY_CHUNK);

			n = (size_t)(nl - (h->queue + done)) + 1;
		}
		e = append(h, h->queue + done, n);
		done += n;
	}
	if (e < 0 && !h->failing)
		log_warn("event=history_write result=failed file=%s error=\"%s\" note=\"bans go on; "
			 "the history misses them until the file can be written\"", h->path,
			 strerror(-e));
	else if (!e && h->dropped)
		log_warn("event=history_write result=partial file=%s lines_lost=%zu note=\"more "
			 "changes at one moment than the history holds in memory\"", h->path,
			 h->dropped);
	h->failing = e < 0;
	h->qlen = 0;
	h->dropped = 0;
}

void history_start(struct history *h)
{
	h->held = false;
	history_flush(h);
}

/* One line split into its fields; -1 when it is not a history line. */
static int parse(char *line, struct history_entry *e)
{
	char *save = NULL, *t, *end;
	char err[128];

	memset(e, 0, sizeof(*e));
	e->reason = e->note = e->by = e->score = e->threshold = "";
	if (!(t = strtok_r(line, " ", &save)))
		return -1;
	e->time = strtoull(t, &end, 10);
	if (*end || !(e->event = strtok_r(NULL, " ", &save)) ||
	    (strcmp(e->event, "ban") && strcmp(e->event, "unban") && strcmp(e->event, "expire")) ||
	    !(e->address = strtok_r(NULL, " ", &save)) ||
	    addr_parse(e->address, &e->key, err, sizeof(err)) < 0)
		return -1;
	while ((t = strtok_r(NULL, " ", &save))) {
		char *v = strchr(t, '=');

		if (!v || pct_decode(++v) < 0)
			return -1;
		if (strncmp(t, "reason=", 7) == 0)
			e->reason = v;
		else if (strncmp(t, "note=", 5) == 0)
			e->note = v;
		else if (strncmp(t, "by=", 3) == 0)
			e->by = v;
		else if (strncmp(t, "score=", 6) == 0)
			e->score = v;
		else if (strncmp(t, "threshold=", 10) == 0)
			e->threshold = v;
		else if (strncmp(t, "secs=", 5) == 0)
			e->secs = strtoull(v, NULL, 10);
		else if (strncmp(t, "offense=", 8) == 0)
			e->offense = (unsigned)strtoul(v, NULL, 10);
		else if (strncmp(t, "rcpt=", 5) == 0 && e->nrcpt < HISTORY_RCPTS)
			e->rcpt[e->nrcpt++] = v;
	}
	return 0;
}

static int read_one(const char *path, history_cb cb, void *arg, size_t *skipped, char *err,
		    size_t errlen)
{
	char line[HISTORY_LINE * 2];
	struct history_entry e;
	bool cut = false;
	FILE *f = fopen(path, "re");
	int rc = 0;

	if (!f) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	while (!rc && fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);
		bool whole = n && line[n - 1] == '\n';

		/* A line too long for the buffer is none we wrote: skipped whole. */
		if (cut || !whole) {
			*skipped += !cut;
			cut = !whole;
			continue;
		}
		line[n - 1] = '\0';
		if (parse(line, &e) < 0)
			(*skipped)++;
		else
			rc = cb(&e, arg);
	}
	fclose(f);
	return rc;
}

int history_read(const char *dir, history_cb cb, void *arg, size_t *skipped, char *err,
		 size_t errlen)
{
	char path[4200];
	int rc;

	*skipped = 0;
	snprintf(path, sizeof(path), "%s/history.1", dir);
	if ((rc = read_one(path, cb, arg, skipped, err, errlen)) != 0)
		return rc;
	snprintf(path, sizeof(path), "%s/history", dir);
	return read_one(path, cb, arg, skipped, err, errlen);
}
