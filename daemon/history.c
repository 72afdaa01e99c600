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
#include "history.h"
#include "log.h"
#include "names.h"

int history_open(struct history *h, const char *dir, char *err, size_t errlen)
{
	struct stat st;

	memset(h, 0, sizeof(*h));
	snprintf(h->path, sizeof(h->path), "%s/history", dir);
	snprintf(h->old, sizeof(h->old), "%s/history.1", dir);
	h->fd = open(h->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (h->fd < 0 || fstat(h->fd, &st) < 0) {
		snprintf(err, errlen, "cannot open %s: %s", h->path, strerror(errno));
		if (h->fd >= 0)
			close(h->fd);
		h->fd = -1;
		h->failing = true;      /* said by the caller */
		return -1;
	}
	h->size = (uint64_t)st.st_size;
	return 0;
}

void history_close(struct history *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
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

static int append(struct history *h, const char *line)
{
	size_t n = strlen(line);
	char *l = malloc(n + 1);
	ssize_t w;

	if (!l)
		return -ENOMEM;
	memcpy(l, line, n);
	l[n] = '\n';
	if (h->size + n + 1 > HISTORY_MAX) {
		/* The file before is dropped: the two stay bounded. */
		if (rename(h->path, h->old) < 0 && errno != ENOENT) {
			free(l);
			return -errno;
		}
		close(h->fd);
		h->fd = open(h->path, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC |
			     O_NOFOLLOW, 0600);
		h->size = 0;
		if (h->fd < 0) {
			free(l);
			return -errno;
		}
	}
	w = write(h->fd, l, n + 1);
	free(l);
	if (w < 0)
		return -errno;
	h->size += (uint64_t)w;
	return (size_t)w == n + 1 ? 0 : -EIO;
}

void history_add(struct history *h, const char *line)
{
	int e = h->fd < 0 ? -EBADF : append(h, line);

	if (e < 0 && !h->failing)
		log_warn("event=history_write result=failed file=%s error=\"%s\" note=\"bans go on; "
			 "the history misses them until the file can be written\"", h->path,
			 strerror(-e));
	h->failing = e < 0;
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
