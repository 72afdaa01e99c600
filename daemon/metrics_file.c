/* metrics_file.c - the metrics_textfile, on the daemon's loop. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "log.h"
#include "metrics.h"
#include "metrics_file.h"

#define OWNER(w) ((struct metrics_file *)((char *)(w) - offsetof(struct metrics_file, timer)))

static void write_now(struct metrics_file *m)
{
	char err[512];

	if (metrics_write_textfile(m->env, m->path, err, sizeof(err)) < 0) {
		/* Once per outage, not every interval. */
		if (!m->failing)
			log_err("event=metrics_textfile result=failed error=\"%s\"", err);
		m->failing = true;
		return;
	}
	if (m->failing)
		log_info("event=metrics_textfile result=ok note=recovered");
	m->failing = false;
}

static void on_timer(struct watch *w, uint32_t events)
{
	uint64_t ticks;

	(void)events;
	if (read(w->fd, &ticks, sizeof(ticks)) == sizeof(ticks))
		write_now(OWNER(w));
}

static int arm(struct metrics_file *m, const struct config *c)
{
	snprintf(m->path, sizeof(m->path), "%s", c->metrics_textfile);
	m->interval = c->metrics_interval;
	m->failing = false;
	if (!m->path[0])
		return 0;
	write_now(m);
	return loop_timer(m->loop, &m->timer, m->interval * 1000U);
}

int metrics_file_start(struct metrics_file *m, struct loop *l, struct control_env *env,
		       const struct config *c)
{
	*m = (struct metrics_file){ .timer = { -1, on_timer }, .loop = l, .env = env };
	return arm(m, c);
}

void metrics_file_stop(struct metrics_file *m)
{
	loop_close(m->loop, &m->timer);
}

int metrics_file_apply(struct metrics_file *m, const struct config *c)
{
	if (strcmp(m->path, c->metrics_textfile) == 0 && m->interval == c->metrics_interval)
		return 0;
	metrics_file_stop(m);
	if (m->path[0] && strcmp(m->path, c->metrics_textfile) != 0) {
		if (unlink(m->path) == 0)
			log_info("event=metrics_textfile removed=%s note=\"metrics_textfile names "
				 "another file now\"", m->path);
		else if (errno != ENOENT)
			log_warn("event=metrics_textfile file=%s error=\"cannot remove the old "
				 "file: %s\" fix=\"remove it by hand, or node_exporter reads stale "
				 "metrics from it\"", m->path, strerror(errno));
	}
	return arm(m, c);
}
