/* journal.h - the state journal, STATE_DIR/journal: ban changes appended
 * between two full saves of the state file, so a change costs one short
 * line instead of a rewrite of every ban. Each line ends in a checksum of
 * itself; a torn or damaged line is skipped, never misread. The first line
 * names the state file generation the journal follows: a journal of
 * another generation is already inside the state file and is ignored.
 * Writers (the daemon while it runs, the CLI while it does not) hold the
 * state directory's lock. Format: docs/state.md. */
#ifndef RG_JOURNAL_H
#define RG_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

/* A change line, checksum included, is never longer than this. */
#define JOURNAL_LINE_MAX 1024

struct journal {
	bool ok;                        /* the file is of gen and ends in a whole line */
	uint64_t gen;                   /* the state file generation it follows */
	uint64_t size;                  /* bytes in the file */
	char path[4200];
	char *buf;                      /* lines queued, not yet written */
	size_t len, cap;
};

/* Lock dir (made if missing) against other writers of its state, waiting
 * up to wait_ms for one that holds it. The lock's fd (closing it unlocks),
 * or -1 with err. */
int state_dir_lock(const char *dir, unsigned wait_ms, char *err, size_t errlen);
/* dir/name opened for reading, its path in path; NULL with err "" when
 * there is none (nothing saved yet), or with the reason in err. */
FILE *state_dir_open(const char *dir, const char *name, char *path, size_t pathlen, char *err,
		     size_t errlen);

/* Open dir/journal to append as generation gen: a missing or stale journal
 * is replaced by an empty one, a torn last line is cut off. 0 or -1. */
int journal_open(struct journal *j, const char *dir, uint64_t gen, char *err, size_t errlen);
/* Replace it by an empty journal of generation gen (after a full save). */
int journal_reset(struct journal *j, uint64_t gen, char *err, size_t errlen);
void journal_close(struct journal *j);

/* Queue one change (no newline); -1 when the queue is full (a stalled
 * disk): the caller saves the whole state instead. */
int journal_add(struct journal *j, const char *change);
/* Write the queue and fsync it; the queue is empty afterwards either way.
 * 0, or -1 with err: a full save must then cover the lost lines, and no
 * line is appended until journal_reset(). */
int journal_flush(struct journal *j, char *err, size_t errlen);

/* Each whole, intact change line of dir/journal, in order, when it follows
 * generation gen; cb's non-zero return counts the line as bad. 0 (also for
 * a missing or stale journal), or -1 with err when it cannot be read. */
typedef int (*journal_cb)(char *change, void *arg);
int journal_read(const char *dir, uint64_t gen, journal_cb cb, void *arg, size_t *applied,
		 size_t *skipped, char *err, size_t errlen);

#endif
