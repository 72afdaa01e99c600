/* journal.c - append, fsync, read back; the lock shared with the CLI. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "atomic.h"
#include "grow.h"
#include "journal.h"

#define MAGIC "rcptguard-journal 1"
/* Lines queued between two flushes; beyond this the disk is not keeping up. */
#define QUEUE_MAX (4u << 20)

int state_dir_lock(const char *dir, unsigned wait_ms, char *err, size_t errlen)
{
	int fd;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "cannot open %s: %s", dir, strerror(errno));
		return -1;
	}
	for (unsigned waited = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; waited += 10) {
		if (errno != EWOULDBLOCK || waited >= wait_ms) {
			snprintf(err, errlen, "%s is locked by another rcptguardd or rcptguard (%s)",
				 dir, strerror(errno));
			close(fd);
			return -1;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	}
	return fd;
}

FILE *state_dir_open(const char *dir, const char *name, char *path, size_t pathlen, char *err,
		     size_t errlen)
{
	FILE *f;

	err[0] = '\0';
	snprintf(path, pathlen, "%s/%s", dir, name);
	if (!(f = fopen(path, "r")) && errno != ENOENT)
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
	return f;
}

/* FNV-1a: enough to tell a torn or damaged line from a whole one. */
static uint32_t checksum(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static bool header_is(const char *line, uint64_t gen)
{
	char want[64];

	snprintf(want, sizeof(want), MAGIC " %" PRIu64 "\n", gen);
	return strcmp(line, want) == 0;
}

int journal_reset(struct journal *j, uint64_t gen, char *err, size_t errlen)
{
	struct atomic_file a;
	size_t n;

	j->ok = false;
	if (atomic_open(&a, j->path, 0600, err, errlen) < 0)
		return -1;
	n = (size_t)fprintf(a.f, MAGIC " %" PRIu64 "\n", gen);
	if (atomic_commit(&a, err, errlen) < 0)
		return -1;
	j->gen = gen;
	j->size = n;
	j->ok = true;
	return 0;
}

/* The offset just past the last newline: what follows it is a torn line. */
static off_t whole_lines_end(int fd, off_t size)
{
	char chunk[4096];

	while (size > 0) {
		off_t from = size > (off_t)sizeof(chunk) ? size - (off_t)sizeof(chunk) : 0;
		ssize_t n = pread(fd, chunk, (size_t)(size - from), from);

		if (n != size - from)
			return -1;
		for (ssize_t i = n; i > 0; i--)
			if (chunk[i - 1] == '\n')
				return from + i;
		size = from;
	}
	return 0;
}

static int cut(const char *path, off_t end)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = ftruncate(fd, end) < 0 || fsync(fd) < 0 ? -1 : 0;
	close(fd);
	return rc;
}

int journal_open(struct journal *j, const char *dir, uint64_t gen, char *err, size_t errlen)
{
	char head[64] = "";
	struct stat sb;
	off_t end;
	ssize_t n;
	int fd;

	j->ok = false;
	j->len = 0;
	j->gen = gen;
	if ((size_t)snprintf(j->path, sizeof(j->path), "%s/journal", dir) >= sizeof(j->path)) {
		snprintf(err, errlen, "path too long: %s", dir);
		return -1;
	}
	/* Written to only when a torn line must go. */
	if ((fd = open(j->path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return journal_reset(j, gen, err, errlen);
		snprintf(err, errlen, "cannot open %s: %s", j->path, strerror(errno));
		return -1;
	}
	if ((n = pread(fd, head, sizeof(head) - 1, 0)) > 0)
		head[n] = 0;
	head[strcspn(head, "\n") + (strchr(head, '\n') ? 1 : 0)] = 0;
	if (!header_is(head, gen)) {
		close(fd);
		return journal_reset(j, gen, err, errlen);
	}
	if (fstat(fd, &sb) < 0 || (end = whole_lines_end(fd, sb.st_size)) < 0 ||
	    (end < sb.st_size && cut(j->path, end) < 0)) {
		snprintf(err, errlen, "cannot repair %s: %s", j->path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	j->size = (uint64_t)end;
	j->ok = true;
	return 0;
}

void journal_close(struct journal *j)
{
	free(j->buf);
	j->buf = NULL;
	j->len = j->cap = 0;
	j->ok = false;
}

int journal_add(struct journal *j, const char *change)
{
	size_t n = strlen(change);

	if (n + 12 > JOURNAL_LINE_MAX || j->len + JOURNAL_LINE_MAX > QUEUE_MAX)
		return -1;
	if (grow(&j->buf, &j->cap, j->len + JOURNAL_LINE_MAX, 1, 16384) < 0)
		return -1;
	j->len += (size_t)snprintf(j->buf + j->len, j->cap - j->len, "%s #%08" PRIx32 "\n",
				   change, checksum(change, n));
	return 0;
}

/* Opened for each flush: nothing stays open for writing between ticks (a
 * file system can be remounted read-only, an owner changes nothing). */
int journal_flush(struct journal *j, char *err, size_t errlen)
{
	size_t done = 0;
	int fd = -1, e = 0;

	if (!j->len)
		return 0;
	if (!j->ok)
		e = ENOENT;
	else if ((fd = open(j->path, O_WRONLY | O_APPEND | O_CLOEXEC)) < 0)
		e = errno;
	while (!e && done < j->len) {
		ssize_t n = write(fd, j->buf + done, j->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			e = n < 0 ? errno : EIO;
		else
			done += (size_t)n;
	}
	if (!e && fsync(fd) < 0)
		e = errno;
	if (fd >= 0)
		close(fd);
	j->size += done;
	j->len = 0;
	if (!e)
		return 0;
	/* A torn line may end the file now: no more appends until a reset. */
	j->ok = false;
	snprintf(err, errlen, "cannot write %s: %s", j->path,
		 e == ENOENT ? "it is not open (an earlier write failed)" : strerror(e));
	return -1;
}

/* A whole line whose checksum holds, cut back to its change. */
static bool intact(char *line)
{
	char *nl = strchr(line, '\n'), *sum = strrchr(line, ' ');
	char want[16];

	if (!nl || !sum || nl - sum != 10)
		return false;
	*nl = 0;
	snprintf(want, sizeof(want), " #%08" PRIx32, checksum(line, (size_t)(sum - line)));
	if (strcmp(sum, want) != 0)
		return false;
	*sum = 0;
	return true;
}

int journal_read(const char *dir, uint64_t gen, journal_cb cb, void *arg, size_t *applied,
		 size_t *skipped, char *err, size_t errlen)
{
	char path[4200], line[JOURNAL_LINE_MAX + 2];
	bool first = true, in_long = false;
	FILE *f;

	*applied = *skipped = 0;
	if (!(f = state_dir_open(dir, "journal", path, sizeof(path), err, errlen)))
		return *err ? -1 : 0;
	while (fgets(line, sizeof(line), f)) {
		bool whole = strchr(line, '\n') != NULL;

		if (first && !header_is(line, gen))
			break;          /* stale: the state file already holds it */
		if (in_long || first || !whole) {
			/* An overlong line is one bad line, however many reads it takes. */
			if (!first && !in_long)
				(*skipped)++;
			in_long = !whole;
			first = false;
			continue;
		}
		if (intact(line) && cb(line, arg) == 0)
			(*applied)++;
		else
			(*skipped)++;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}
