/* follow.h - the daemon's log follower: every `follow` file tailed
 * (tail.h), woken by inotify on the files' directories and by a
 * one-second timer (for directories that appear later, cannot be watched,
 * or lost events), with the positions kept in STATE_DIR/follow across
 * restarts. Lines are parsed here and judged by their own stamp: history
 * is never evidence. */
#ifndef RG_FOLLOW_H
#define RG_FOLLOW_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "logline.h"
#include "loop.h"

struct follow;

/* A line that counts now; history and unbelievable stamps never get here. */
typedef void (*follow_line_cb)(const struct logline *l, void *arg);

/* Start following cfg's follow files; the positions saved in its
 * state_dir are resumed. cfg stays in use (its ban_window may be
 * reloaded). Returns NULL with err on failure; no follow files is not an
 * error (NULL, err ""). */
struct follow *follow_start(struct loop *l, const struct config *cfg, follow_line_cb cb,
			    void *arg, char *err, size_t errlen);
/* Save the positions if they moved (atomically); 0 or -1 with err. */
int follow_save(struct follow *f, char *err, size_t errlen);
void follow_stop(struct follow *f);

enum follow_age {
	FOLLOW_NOW,             /* evidence */
	FOLLOW_HISTORY,         /* stamped more than window ago, or unstamped and not live */
	FOLLOW_FUTURE,          /* stamped more than window ahead: not believed */
};
/* How a line stamped when (unix seconds; 0: no stamp) counts at now. A
 * line without a stamp has no time of its own: it counts as now only
 * when it was read live, not when it was found waiting (at start, or in
 * a file that just became readable). */
enum follow_age follow_age(uint64_t when, uint64_t now, uint32_t window, bool live);
/* Parse line into l and return when it was written (0: no stamp). A
 * syslog stamp without a year is local time, of now's year or, for a
 * December line read in January, of the last. now: when the line is read
 * (replay: the file's last change). */
uint64_t follow_when(const char *line, size_t len, uint64_t now, struct logline *l);

struct follow_stats {
	uint64_t lines, long_lines, rotations, truncations, history, future;
};
void follow_stats(const struct follow *f, struct follow_stats *out);
/* Why a followed file can be written by others than the MTA's logger
 * (group/world writable, or a syslog file), in buf; NULL when none can. */
const char *follow_warning(const struct follow *f, char *buf, size_t len);
/* "PATH: ERROR" for a followed file the daemon cannot read, in buf; NULL
 * when it can read them all. */
const char *follow_error(const struct follow *f, char *buf, size_t len);

enum follow_state { FOLLOW_FOLLOWING, FOLLOW_MISSING, FOLLOW_ERROR, FOLLOW_STATES };
/* The i-th followed file's path, and whether it is read now, not there
 * (yet) or cannot be read (follow_error); NULL past the last. */
const char *follow_file(const struct follow *f, unsigned i, enum follow_state *state);
const char *follow_state_name(enum follow_state s);

#endif
