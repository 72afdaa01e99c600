/* test_cdb_load.c - the private copy and the whole-structure check of a
 * CDB: every cut is refused, every change to the header is refused, and a
 * damaged file that is accepted still finds every record it holds. */
#include <cdb.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cdb_load.h"
#include "tap.h"

#define NKEYS 300

static char dir[] = "/tmp/rg-cdbload-XXXXXX";
static char path[300];

/* path holds m[0..n) after this. Overwritten in place, not truncated:
 * ext4 flushes a file truncated to zero on close, and this runs often. */
static void write_file(const unsigned char *m, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT, 0644);

	if (fd < 0 || pwrite(fd, m, n, 0) != (ssize_t)n || ftruncate(fd, (off_t)n) < 0)
		abort();
	close(fd);
}

/* Every record the sequential walk meets is found by a lookup of its key
 * at that very position. */
static bool all_found(struct cdb *c)
{
	unsigned pos;

	cdb_seqinit(&pos, c);
	while (cdb_seqnext(&pos, c) > 0) {
		unsigned kpos = cdb_keypos(c), klen = cdb_keylen(c);
		struct cdb_find f;
		bool found = false;

		if (cdb_findinit(&f, c, cdb_get(c, klen, kpos), klen) <= 0)
			return false;
		while (!found && cdb_findnext(&f) > 0)
			found = cdb_keypos(c) == kpos;
		if (!found)
			return false;
	}
	return true;
}

/* Load path: 1 accepted (and every record found), 0 refused, -1 accepted
 * with a record that cannot be found. */
static int load(size_t *records, char *err, size_t errlen)
{
	struct cdb c;
	struct stat st;
	int rc;

	if (cdb_load(path, &c, &st, records, err, errlen) != CDB_LOADED)
		return 0;
	rc = all_found(&c) ? 1 : -1;
	cdb_free(&c);
	return rc;
}

/* m[0..n) as a file, loaded; the check in memory first, as loading (a
 * fresh copy each time) costs far more and most damage is refused. */
static int damaged(const unsigned char *m, size_t n)
{
	size_t records;
	char err[512];

	if (cdb_check(m, n, &records, err, sizeof(err)))
		return 0;
	write_file(m, n);
	return load(&records, err, sizeof(err));
}

int main(void)
{
	unsigned char *good, *m;
	size_t size, records = 0, header_refused = 0, bad_accepts = 0, accepted = 0;
	char err[512];
	struct cdb_make cm;
	struct stat st;
	int fd;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/t.cdb", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	cdb_make_start(&cm, fd);
	for (int i = 0; i < NKEYS; i++) {
		char k[64];
		int n = snprintf(k, sizeof(k), "user%d@example.com", i);

		cdb_make_add(&cm, k, (unsigned)n, i % 7 ? "" : "-", i % 7 ? 0 : 1);
	}
	cdb_make_finish(&cm);
	close(fd);
	stat(path, &st);
	size = (size_t)st.st_size;
	good = malloc(size);
	m = malloc(size);
	fd = open(path, O_RDONLY);
	if (!good || !m || read(fd, good, size) != (ssize_t)size)
		return 1;
	close(fd);

	ok(load(&records, err, sizeof(err)) == 1 && records == NKEYS,
	   "a whole file loads with its %d records (%zu)", NKEYS, records);
	ok(cdb_check(good, size, &records, err, sizeof(err)) == NULL, "and passes the check");

	/* Every cut, at every length, is refused. */
	{
		size_t passed = 0;

		for (size_t n = 0; n < size; n++)
			passed += cdb_check(good, n, &records, err, sizeof(err)) == NULL;
		ok(passed == 0, "each of the %zu cuts shorter than the file is refused (%zu passed)",
		   size, passed);
		write_file(good, size * 7 / 10);
		ok(load(&records, err, sizeof(err)) == 0 && strstr(err, "truncated"),
		   "the first 70%% of the file is refused: %s", err);
		write_file(good, 0);
		ok(load(&records, err, sizeof(err)) == 0 && strstr(err, "shorter than a CDB header"),
		   "an empty file is refused: %s", err);
		write_file(good, size);
		fd = open(path, O_WRONLY | O_APPEND);
		ok(fd >= 0 && write(fd, "x", 1) == 1, "one byte appended");
		close(fd);
		ok(load(&records, err, sizeof(err)) == 0 && strstr(err, "follow the last hash table"),
		   "bytes after the tables are refused: %s", err);
	}

	/* Each byte changed in turn: a change in the header is always refused;
	 * anywhere else the file is refused or still finds every record. */
	for (size_t i = 0; i < size; i++) {
		int rc;

		memcpy(m, good, size);
		m[i] ^= (unsigned char)(1u << (i % 8)) | 0x10;
		rc = damaged(m, size);
		header_refused += i < 2048 && rc == 0;
		bad_accepts += rc < 0;
		accepted += rc > 0;
	}
	ok(header_refused == 2048, "every change to the header is refused (%zu of 2048)",
	   header_refused);
	ok(bad_accepts == 0, "no damaged file is accepted with a record it cannot find "
	   "(%zu accepted, %zu bad)", accepted, bad_accepts);

	/* A record moved past a free slot of its hash table: the lookup stops
	 * at the free slot and never reaches it. */
	{
		bool moved = false;

		memcpy(m, good, size);
		for (unsigned t = 0; t < 256 && !moved; t++) {
			unsigned char *tab = m + cdb_unpack(m + 8 * t);
			uint32_t len = cdb_unpack(m + 8 * t + 4);

			for (uint32_t j = 0; j < len && !moved; j++) {
				uint32_t h = cdb_unpack(tab + 8 * j), start = (h >> 8) % len, f = start;

				if (!cdb_unpack(tab + 8 * j + 4))
					continue;
				while (cdb_unpack(tab + 8 * f + 4))
					f = (f + 1) % len;
				/* A free slot after the first free one, before the
				 * walk comes round to the start again. */
				for (uint32_t to = (f + 1) % len; to != start && !moved; to = (to + 1) % len)
					if (to != j && !cdb_unpack(tab + 8 * to + 4)) {
						memcpy(tab + 8 * to, tab + 8 * j, 8);
						memset(tab + 8 * j, 0, 8);
						moved = true;
					}
			}
		}
		ok(moved && strstr(cdb_check(m, size, &records, err, sizeof(err)) ?: "",
				   "cannot be found") && damaged(m, size) == 0,
		   "a record placed behind a free slot is refused: %s", err);
	}

	/* Random damage, several bytes at once, anywhere. */
	srand(16);
	bad_accepts = 0;
	for (int round = 0; round < 3000; round++) {
		memcpy(m, good, size);
		for (int k = 1 + rand() % 4; k > 0; k--)
			m[(size_t)rand() % size] = (unsigned char)rand();
		bad_accepts += damaged(m, size) < 0;
	}
	ok(bad_accepts == 0, "3000 randomly damaged files: none accepted with a record it "
	   "cannot find (%zu)", bad_accepts);

	/* Not a file to read: refused at once, never a hang or a huge read. */
	unlink(path);
	ok(mkfifo(path, 0600) == 0 && load(&records, err, sizeof(err)) == 0 &&
	   strstr(err, "not a regular file"), "a FIFO in its place is refused: %s", err);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ok(fd >= 0 && ftruncate(fd, (off_t)CDB_LOAD_MAX + 1) == 0, "a sparse file of 1 GiB + 1");
	close(fd);
	ok(load(&records, err, sizeof(err)) == 0 && strstr(err, "larger than"),
	   "a file above the limit is refused: %s", err);
	unlink(path);
	ok(load(&records, err, sizeof(err)) == 0 && strstr(err, "No such file"),
	   "a missing file: %s", err);
	free(good);
	free(m);
	rmdir(dir);
	return tap_done();
}
