/* cdb_load.c - a CDB read into sealed private memory and checked whole. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "cdb_load.h"

#define HEADER 2048     /* 256 (position, slots) pairs */

/* cdb_unpack, inlined: the check reads every slot and record header. */
static inline uint32_t u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static const char *say(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static const char *say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return buf;
}

/* The slots of hash table t (len slots at tp). A lookup of hash h starts
 * at slot (h >> 8) % len and stops at the first free slot, so a record is
 * found only if no free slot lies between its start and its slot: run
 * counts the used slots ending at each slot. Each record start (a bit in
 * starts) may be claimed by one slot only. */
static const char *check_table(const unsigned char *m, uint32_t dend, unsigned t, uint32_t tp,
			       uint32_t len, unsigned char *starts, size_t *slots, char *buf,
			       size_t buflen)
{
	const unsigned char *tab = m + tp;
	uint32_t free_at = len, run;

	for (uint32_t j = 0; j < len && free_at == len; j++)
		if (!u32(tab + 8 * j + 4))
			free_at = j;
	/* The walk starts after a free slot; with none, every slot is reached. */
	run = free_at == len ? len : 0;
	for (uint32_t k = 0; k < len; k++) {
		uint32_t j = free_at == len ? k : (free_at + 1 + k) % len;
		uint32_t h = u32(tab + 8 * j), p = u32(tab + 8 * j + 4), off, dist;

		if (!p) {
			run = 0;
			continue;
		}
		if (free_at != len)
			run++;
		off = p - HEADER;
		if (p < HEADER || p >= dend || !(starts[off >> 3] & (1u << (off & 7))))
			return say(buf, buflen, "hash table %u slot %u points to no record "
				   "(or to one another slot claims)", t, j);
		starts[off >> 3] &= (unsigned char)~(1u << (off & 7));
		if ((h & 255) != t || cdb_hash(m + p + 8, u32(m + p)) != h)
			return say(buf, buflen, "the record at offset %u is filed under the wrong "
				   "hash", p);
		dist = (j + len - (h >> 8) % len) % len;
		if (dist >= run)
			return say(buf, buflen, "the record at offset %u cannot be found: a free "
				   "slot comes before it in hash table %u", p, t);
		(*slots)++;
	}
	return NULL;
}

/* The header of a file of size bytes: the hash tables follow the records
 * and each other to the end of the file. Needs only the header, so a cut
 * file is refused before it is copied. */
static const char *check_header(const unsigned char *m, size_t size, char *buf, size_t buflen)
{
	uint32_t end = u32(m);

	if (size > UINT32_MAX)
		return say(buf, buflen, "%zu bytes: larger than a CDB can be", size);
	if (end < HEADER || end > size)
		return say(buf, buflen, "its hash tables start at offset %u, outside the file of "
			   "%zu bytes (truncated?)", end, size);
	for (unsigned t = 0; t < 256; t++) {
		uint32_t tp = u32(m + 8 * t), len = u32(m + 8 * t + 4);

		if (tp != end || len > (size - end) / 8)
			return say(buf, buflen, "hash table %u (offset %u, %u slots) does not follow "
				   "the one before it inside the file (truncated?)", t, tp, len);
		end += len * 8;
	}
	if (end != size)
		return say(buf, buflen, "%zu bytes follow the last hash table", size - end);
	return NULL;
}

const char *cdb_check(const unsigned char *m, size_t size, size_t *records, char *buf,
		      size_t buflen)
{
	uint32_t dend, pos;
	unsigned char *starts;
	const char *why = NULL;
	size_t n = 0, slots = 0;

	if (size < HEADER)
		return say(buf, buflen, "%zu bytes: shorter than a CDB header (%d bytes)", size,
			   HEADER);
	if ((why = check_header(m, size, buf, buflen)))
		return why;
	dend = u32(m);
	if (!(starts = calloc((dend - HEADER) / 8 + 1, 1)))
		return say(buf, buflen, "out of memory checking it");
	/* The records fill the space between the header and the tables. */
	for (pos = HEADER; pos < dend; n++) {
		uint32_t kl, dl, off = pos - HEADER;

		if (dend - pos < 8 || (kl = u32(m + pos)) > dend - pos - 8 ||
		    (dl = u32(m + pos + 4)) > dend - pos - 8 - kl) {
			why = say(buf, buflen, "the record at offset %u runs past the start of the "
				  "hash tables (offset %u)", pos, dend);
			goto out;
		}
		starts[off >> 3] |= (unsigned char)(1u << (off & 7));
		pos += 8 + kl + dl;
	}
	for (unsigned t = 0; t < 256 && !why; t++)
		why = check_table(m, dend, t, u32(m + 8 * t), u32(m + 8 * t + 4),
				  starts, &slots, buf, buflen);
	if (!why && slots != n)
		why = say(buf, buflen, "%zu of its %zu records are in no hash table", n - slots, n);
	*records = n;
out:
	free(starts);
	return why;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* size bytes of fd into a new memfd, sealed against any change: 0, -1
 * (errno set), or -2 when the file ended early. */
static int copy(int fd, size_t size, int *mfd)
{
	unsigned char *m;
	size_t done = 0;
	int e = 0;

	if ((*mfd = memfd_create("rcptguard-cdb", MFD_CLOEXEC | MFD_ALLOW_SEALING)) < 0)
		return -1;
	if (ftruncate(*mfd, (off_t)size) < 0 ||
	    (m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, *mfd, 0)) == MAP_FAILED)
		return -1;
	while (done < size) {
		ssize_t r = read(fd, m + done, size - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			e = r < 0 ? errno : 0;
			break;
		}
		done += (size_t)r;
	}
	munmap(m, size);
	if (done < size)
		return e ? (errno = e, -1) : -2;
	return fcntl(*mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
}

enum cdb_load_rc cdb_load(const char *path, struct cdb *c, struct stat *st, size_t *records,
			  char *err, size_t errlen)
{
	unsigned char head[HEADER];
	struct stat after;
	enum cdb_load_rc rc = CDB_UNREADABLE;
	int fd, mfd = -1;

	/* O_NONBLOCK: a FIFO put in its place must not hang the daemon. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, st) < 0) {
		say(err, errlen, "%s", strerror(errno));
		goto out;
	}
	rc = CDB_INVALID;
	if (!S_ISREG(st->st_mode)) {
		say(err, errlen, "not a regular file");
		goto out;
	}
	if (st->st_size < HEADER || (uint64_t)st->st_size > CDB_LOAD_MAX) {
		say(err, errlen, "%lld bytes: %s", (long long)st->st_size, st->st_size < HEADER ?
		    "shorter than a CDB header (empty or truncated)" :
		    "larger than the 1 GiB rcptguard reads");
		goto out;
	}
	if (pread(fd, head, HEADER, 0) != HEADER)
		goto changed;
	if (check_header(head, (size_t)st->st_size, err, errlen))
		goto out;
	switch (copy(fd, (size_t)st->st_size, &mfd)) {
	case -1:
		say(err, errlen, "cannot copy it into memory (%lld bytes): %s",
		    (long long)st->st_size, strerror(errno));
		rc = CDB_UNREADABLE;
		goto out;
	case -2:
		goto changed;
	}
	if (fstat(fd, &after) < 0 || !same_file(st, &after))
		goto changed;
	if (cdb_init(c, mfd) < 0) {
		say(err, errlen, "cannot map its copy: %s", strerror(errno));
		rc = CDB_UNREADABLE;
		goto out;
	}
	c->cdb_fd = -1;         /* the mapping keeps the copy */
	if (cdb_check(c->cdb_mem, (size_t)st->st_size, records, err, errlen)) {
		cdb_free(c);
		goto out;
	}
	rc = CDB_LOADED;
	goto out;
changed:
	say(err, errlen, "it changed while being read (written in place?); replace it with a "
	    "rename instead");
	rc = CDB_CHANGED;
out:
	if (mfd >= 0)
		close(mfd);
	if (fd >= 0)
		close(fd);
	return rc;
}
