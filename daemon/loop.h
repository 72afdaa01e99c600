/* loop.h - the daemon's single-threaded event loop: epoll over watched
 * descriptors, timers as timerfds, frees deferred to the end of a batch. */
#ifndef RG_LOOP_H
#define RG_LOOP_H

#include <stdint.h>

struct loop;
struct watch;
typedef void (*watch_cb)(struct watch *w, uint32_t events);

/* Embed in the owner's struct; the callback finds the owner from w. */
struct watch {
	int fd;
	watch_cb cb;
};

struct loop *loop_new(void);
void loop_free(struct loop *l);
int loop_add(struct loop *l, struct watch *w, uint32_t events);
int loop_mod(struct loop *l, struct watch *w, uint32_t events);
void loop_del(struct loop *l, struct watch *w);
/* loop_del() and close the fd w owns (a timer's, inotify's); fd < 0: no
 * watch, nothing to do. w->fd becomes -1. */
void loop_close(struct loop *l, struct watch *w);
/* A periodic timer: w->fd becomes a timerfd; cb runs every interval_ms. */
int loop_timer(struct loop *l, struct watch *w, unsigned interval_ms);
/* Free p after the current batch of events, so an event still queued for
 * it in this batch cannot touch freed memory. p must begin with its
 * struct watch (events are matched to p by that address). */
void loop_defer_free(struct loop *l, void *p);
/* cb(arg) runs after each turn of the loop (every batch of events): work
 * that events of one moment share, done once for all of them. */
void loop_on_turn_end(struct loop *l, void (*cb)(void *arg), void *arg);
/* When the current turn's events came (CLOCK_MONOTONIC ns): the moment
 * the daemon learned of what it does in this turn. */
uint64_t loop_turn_start(const struct loop *l);
/* Run until loop_stop(); returns the value given to it. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l, int rc);

#endif
