/* bgread.c - one thread, one read, one eventfd. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "bgread.h"
#include "duration.h"

struct bgread {
	struct watch w;                 /* first: loop_defer_free() */
	struct loop *loop;
	const struct backend_ops *ops;
	struct config cfg;              /* the thread's own copy */
	bgread_done done;
	void *arg;
	pthread_t thread;
	bool joined;
	atomic_int stop;
	uint64_t started_ns, elapsed_ns;
	int rc;
	struct rg_lpm_key *expect;      /* the keys to ask for alone if not dumped */
	size_t n_expect;
	struct banmirror bans;          /* the thread's until it signals */
};

static void *run(void *arg)
{
	struct bgread *b = arg;
	uint64_t one = 1;

	b->rc = b->ops->read_bans(&b->cfg, &b->stop, b->expect, b->n_expect, &b->bans);
	b->elapsed_ns = mono_ns() - b->started_ns;
	/* The loop joins the thread when it reads this; stop() joins it
	 * without. The counter is 0: the write cannot block or overflow. */
	while (write(b->w.fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	return NULL;
}

static void finish(struct bgread *b)
{
	loop_close(b->loop, &b->w);
	banmirror_free(&b->bans);
	free(b->expect);
	loop_defer_free(b->loop, b);
}

/* The eventfd stays readable until done says so: epoll then calls this
 * once per turn of the loop, a slice of the merge each time. */
static void on_done(struct watch *w, uint32_t events)
{
	struct bgread *b = (struct bgread *)w;

	(void)events;
	if (!b->joined) {
		pthread_join(b->thread, NULL);
		b->joined = true;
	}
	if (!b->done(b->arg, &b->bans, b->expect, b->n_expect, b->rc, b->elapsed_ns))
		finish(b);              /* closes the eventfd: no more calls */
}

struct bgread *bgread_start(struct loop *l, const struct backend_ops *ops,
			    const struct config *c, struct rg_lpm_key *expect, size_t n,
			    bgread_done done, void *arg, char *err, size_t errlen)
{
	struct bgread *b = calloc(1, sizeof(*b));
	int rc;

	if (!b) {
		free(expect);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	*b = (struct bgread){ .loop = l, .ops = ops, .cfg = *c, .done = done, .arg = arg,
			      .expect = expect, .n_expect = n, .started_ns = mono_ns() };
	b->w.cb = on_done;
	b->w.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b->w.fd < 0 || loop_add(l, &b->w, EPOLLIN) < 0) {
		snprintf(err, errlen, "cannot watch the background read: %s", strerror(errno));
		goto fail;
	}
	if ((rc = pthread_create(&b->thread, NULL, run, b)) != 0) {
		snprintf(err, errlen, "cannot start the background read's thread: %s",
			 strerror(rc));
		goto fail;
	}
	return b;
fail:
	if (b->w.fd >= 0)
		loop_close(l, &b->w);
	free(b->expect);
	free(b);
	return NULL;
}

void bgread_stop(struct bgread *r)
{
	if (!r)
		return;
	atomic_store(&r->stop, 1);
	if (!r->joined)
		pthread_join(r->thread, NULL);
	finish(r);
}
