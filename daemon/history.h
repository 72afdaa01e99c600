/* history.h - STATE_DIR/history: every ban, unban and expiry the judge
 * carried out, one line each, with its reason, duration, score, who made
 * or lifted it and the recipients tried (the evidence, bounded). Appended
 * as they happen; at HISTORY_MAX bytes the file becomes history.1 (the
 * one before is dropped), so the two never hold more than twice that.
 * Not fsynced: it is for people, and the state file holds the bans. Lines
 * wait in memory and are written once per turn of the loop; the file is
 * opened for each write, never held open (the state directory can be
 * remounted read-only under a running daemon), and written only once the
 * daemon runs as its user.
 * Format (docs/state.md): TIME EVENT ADDRESS key=value..., values
 * percent-escaped. */
#ifndef RG_HISTORY_H
#define RG_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "judge.h"

#define HISTORY_MAX (1024 * 1024)
#define HISTORY_RCPTS 8                 /* recipients kept as a ban's evidence */
#define HISTORY_LINE 4096
#define HISTORY_HELD (1024 * 1024)     /* bytes of lines waiting to be written */
#define HISTORY_CHUNK (64 * 1024)      /* most bytes written at once */

struct history {
	char path[4200], old[4200];
	bool held, failing;
	char *queue;                    /* lines held, newline-terminated */
	size_t qlen, qcap, dropped;
};

/* dir/history, its lines held until history_start(). */
void history_init(struct history *h, const char *dir);
/* From now on history_flush() writes (as the user the daemon runs as, so
 * the files are its own); the lines held are written at once. */
void history_start(struct history *h);
/* Write the lines queued since the last call, rotating first where they
 * would pass HISTORY_MAX; lines that found no room in memory are counted
 * in one log line. The daemon calls it at the end of each loop turn. */
void history_flush(struct history *h);
void history_free(struct history *h);
/* The line of one event, with n recipients as its evidence. */
void history_line(char *buf, size_t len, const struct judge_event *e,
		  const struct recent_rcpt *const *rcpts, size_t n);
/* Queue one line (no newline) for history_flush(); past HISTORY_HELD
 * bytes waiting, counted and dropped. A failed write is logged once, until
 * one succeeds again. */
void history_add(struct history *h, const char *line);

/* One line read back: its fields decoded in place. */
struct history_entry {
	uint64_t time;
	const char *event;              /* ban, unban, expire */
	struct rg_lpm_key key;
	const char *address;            /* as written */
	const char *reason, *note, *by; /* "" when absent */
	uint64_t secs;
	unsigned offense;
	const char *score, *threshold;  /* as written, "" when absent */
	const char *rcpt[HISTORY_RCPTS];
	size_t nrcpt;
};
typedef int (*history_cb)(const struct history_entry *e, void *arg);
/* Each line of dir/history.1, then of dir/history, oldest first; a line
 * that does not parse is skipped and counted in *skipped. 0 (also when
 * there is no history yet), cb's non-zero return, or -1 with err. */
int history_read(const char *dir, history_cb cb, void *arg, size_t *skipped, char *err,
		 size_t errlen);

#endif
