/* loop.c - epoll, timerfd and deferred frees. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "duration.h"
#include "grow.h"
#include "log.h"
#include "loop.h"

#define BATCH 64

struct loop {
	int ep;
	bool stop;
	int rc;
	void **dead;            /* deferred frees of this batch */
	size_t ndead, capdead;
	void (*turn_end)(void *arg);
	void *turn_arg;
	uint64_t turn_start;
};

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	if (l->ep < 0) {
		free(l);
		return NULL;
	}
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	close(l->ep);
	for (size_t d = 0; d < l->ndead; d++)
		free(l->dead[d]);
	free(l->dead);
	free(l);
}

int loop_add(struct loop *l, struct watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(l->ep, EPOLL_CTL_ADD, w->fd, &ev);
}

int loop_mod(struct loop *l, struct watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(l->ep, EPOLL_CTL_MOD, w->fd, &ev);
}

void loop_del(struct loop *l, struct watch *w)
{
	epoll_ctl(l->ep, EPOLL_CTL_DEL, w->fd, NULL);
}

void loop_close(struct loop *l, struct watch *w)
{
	if (w->fd < 0)
		return;
	loop_del(l, w);
	close(w->fd);
	w->fd = -1;
}

int loop_timer(struct loop *l, struct watch *w, unsigned interval_ms)
{
	struct itimerspec its = {
		.it_interval = { interval_ms / 1000, (long)(interval_ms % 1000) * 1000000L },
	};

	its.it_value = its.it_interval;
	w->fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (w->fd < 0 || timerfd_settime(w->fd, 0, &its, NULL) < 0)
		return -1;
	return loop_add(l, w, EPOLLIN);
}

void loop_defer_free(struct loop *l, void *p)
{
	if (grow(&l->dead, &l->capdead, l->ndead + 1, sizeof(*l->dead), 16) < 0) {
		/* Leaking beats a use-after-free; this needs ENOMEM. */
		log_err("event=loop error=\"out of memory deferring a free\"");
		return;
	}
	l->dead[l->ndead++] = p;
}

void loop_on_turn_end(struct loop *l, void (*cb)(void *arg), void *arg)
{
	l->turn_end = cb;
	l->turn_arg = arg;
}

int loop_run(struct loop *l)
{
	struct epoll_event evs[BATCH];

	while (!l->stop) {
		int n = epoll_wait(l->ep, evs, BATCH, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("event=loop error=\"epoll_wait: %m\"");
			return 1;
		}
		l->turn_start = mono_ns();
		for (int i = 0; i < n && !l->stop; i++) {
			struct watch *w = evs[i].data.ptr;
			bool gone = false;

			/* Skip events of watches freed earlier in this batch. */
			for (size_t d = 0; d < l->ndead && !gone; d++)
				gone = l->dead[d] == (void *)w;
			if (!gone)
				w->cb(w, evs[i].events);
		}
		if (l->turn_end)
			l->turn_end(l->turn_arg);
		for (size_t d = 0; d < l->ndead; d++)
			free(l->dead[d]);
		l->ndead = 0;
	}
	return l->rc;
}

uint64_t loop_turn_start(const struct loop *l)
{
	return l->turn_start;
}

void loop_stop(struct loop *l, int rc)
{
	l->stop = true;
	l->rc = rc;
}
