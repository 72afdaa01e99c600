/* cdb_load.h - a CDB file as a private, checked copy. The file is read
 * with read(2) into sealed memory of our own, never mapped: an admin who
 * rewrites or truncates the live file (cp, truncate, a slow dd) changes the
 * file, not our copy, so no lookup can fault. The copy is then checked
 * whole, so that a truncated or damaged file is refused before use. */
#ifndef RG_CDB_LOAD_H
#define RG_CDB_LOAD_H

#include <cdb.h>
#include <stddef.h>
#include <sys/stat.h>

/* Largest file read: far above a million recipients (~40 MB). */
#define CDB_LOAD_MAX (1024UL * 1024 * 1024)

enum cdb_load_rc {
	CDB_LOADED = 0,
	CDB_UNREADABLE = -1,    /* cannot open, read or copy it */
	CDB_INVALID = -2,       /* not a whole, sound CDB */
	CDB_CHANGED = -3,       /* it changed while being read */
};

/* Copy path into *c (free it with cdb_free) and check every record and
 * hash table; *st is the file's stat from before the read, and *records
 * the number of records. On error err says why (a sentence fragment that
 * does not name the file). */
enum cdb_load_rc cdb_load(const char *path, struct cdb *c, struct stat *st, size_t *records, char *err,
	     size_t errlen);

/* The structure check alone, over m[0..size): NULL if every record lies
 * between the header and the first hash table, the tables tile the rest
 * of the file, and every record is found by a lookup of its key through
 * exactly one hash table slot; otherwise what is wrong. */
const char *cdb_check(const unsigned char *m, size_t size, size_t *records, char *buf,
		      size_t buflen);

#endif
