/* metrics_file.h - the metrics_textfile for node_exporter's textfile
 * collector: written at start, every metrics_interval after, and at once
 * when a reload names another file or interval. */
#ifndef RG_METRICS_FILE_H
#define RG_METRICS_FILE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include "config.h"
#include "control.h"
#include "loop.h"

struct metrics_file {
	struct watch timer;             /* fd -1: no file configured */
	struct loop *loop;
	struct control_env *env;
	char path[PATH_MAX];
	uint32_t interval;
	bool failing;                   /* the last write failed (logged once) */
};

/* Write c's metrics_textfile now and every metrics_interval (nothing when
 * it is empty). 0, or -1 with errno when the timer cannot be made. */
int metrics_file_start(struct metrics_file *m, struct loop *l, struct control_env *env,
		       const struct config *c);
/* A reload's metrics_textfile and metrics_interval: a new file is written
 * at once and the old one removed (node_exporter would read both). */
int metrics_file_apply(struct metrics_file *m, const struct config *c);
void metrics_file_stop(struct metrics_file *m);

#endif
