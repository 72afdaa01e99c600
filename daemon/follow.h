/* follow.h - the daemon's log follower: every `follow` file tailed
 * (tail.h), woken by inotify on the files' directories and by a
 * one-second timer (for directories that appear later and lost events),
 * with the positions kept in STATE_DIR/follow across restarts. */
#ifndef RG_FOLLOW_H
#define RG_FOLLOW_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "loop.h"

struct follow;

typedef void (*follow_line_cb)(const char *line, size_t len, void *arg);

/* Start following paths; the positions saved in state_dir are resumed.
 * Returns NULL with err on failure; n == 0 is not an error (NULL, err ""). */
struct follow *follow_start(struct loop *l, const char (*paths)[PATH_MAX], unsigned n,
			    const char *state_dir, follow_line_cb cb, void *arg,
			    char *err, size_t errlen);
/* Save the positions if they moved (atomically); 0 or -1 with err. */
int follow_save(struct follow *f, char *err, size_t errlen);
void follow_stop(struct follow *f);

struct follow_stats {
	uint64_t lines, long_lines, rotations, truncations;
};
void follow_stats(const struct follow *f, struct follow_stats *out);
/* Why a followed file can be written by others than the MTA's logger
 * (group/world writable, or a syslog file), in buf; NULL when none can. */
const char *follow_warning(const struct follow *f, char *buf, size_t len);

#endif
