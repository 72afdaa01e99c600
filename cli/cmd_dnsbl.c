/* cmd_dnsbl.c - dnsbl check: look an address up in every configured list
 * now, with the daemon's own resolver code, and print what each said. */
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include "cli.h"
#include "dnsbl.h"
#include "loop.h"
#include "table.h"

struct check {
	struct loop *loop;
	struct dnsbl *d;
	struct rg_addr a;
	struct watch deadline;
};

static void progress(void *arg)
{
	struct check *c = arg;
	struct dnsbl_result r;

	if (dnsbl_result(c->d, &c->a, &r) && r.complete)
		loop_stop(c->loop, 0);
}

static void timeout(struct watch *w, uint32_t events)
{
	struct check *c = (struct check *)((char *)w - offsetof(struct check, deadline));

	(void)events;
	loop_stop(c->loop, 0);
}

static const char *status_name(unsigned s)
{
	static const char *const n[] = { "-", "queued", "no answer", "listed", "not listed",
					 "error" };

	return s < sizeof(n) / sizeof(n[0]) ? n[s] : "?";
}

int cmd_dnsbl(struct ctx *x, int argc, char **argv)
{
	static const char *const head[] = { "LIST", "WEIGHT", "ANSWER", "RESULT", "TEXT" };
	struct check c = { 0 };
	struct rg_lpm_key k;
	struct dnsbl_result r;
	const struct dnsbl_list *lists;
	struct table t;
	char err[512];
	unsigned n;

	if (argc != 3 || strcmp(argv[1], "check") != 0)
		return usage_error("usage: dnsbl check ADDRESS");
	if (addr_parse(argv[2], &k, err, sizeof(err)) < 0 || k.prefixlen != 128) {
		fprintf(stderr, "rcptguard: %s\n", k.prefixlen != 128 ? "give one address, not a "
			"prefix" : err);
		return EXIT_USAGE;
	}
	if (!x->cfg.n_dnsbl) {
		fprintf(stderr, "rcptguard: no dnsbl lines in the config\n");
		return EXIT_FAIL;
	}
	c.a = k.addr;
	if (!(c.loop = loop_new()) || !(c.d = dnsbl_new(c.loop, &x->cfg, err, sizeof(err)))) {
		fprintf(stderr, "rcptguard: %s\n", c.loop ? err : "out of memory");
		loop_free(c.loop);
		return EXIT_FAIL;
	}
	dnsbl_on_progress(c.d, progress, &c);
	c.deadline.cb = timeout;
	/* Every try of every list, and a little more. */
	loop_timer(c.loop, &c.deadline, (unsigned)(x->cfg.dns_timeout * 2500) + 500);
	dnsbl_lookup(c.d, &c.a, true);
	loop_run(c.loop);
	dnsbl_result(c.d, &c.a, &r);
	lists = dnsbl_lists(c.d, &n);
	table_init(&t, "lrlll", head);
	for (unsigned i = 0; i < n; i++) {
		const struct dnsbl_answer *an = &r.answers[i];
		char w[16], ans[20];

		snprintf(w, sizeof(w), "%d", lists[i].weight);
		if (an->status == DA_LISTED || an->status == DA_CLEAN || an->status == DA_ERROR)
			snprintf(ans, sizeof(ans), "%u.%u.%u.%u", an->a[0], an->a[1], an->a[2], an->a[3]);
		else
			snprintf(ans, sizeof(ans), "-");
		if (an->status == DA_CLEAN && !an->a[0])
			snprintf(ans, sizeof(ans), "NXDOMAIN");
		const char *cells[] = { lists[i].zone, w, ans, status_name(an->status),
					(int)i == r.list ? r.txt : an->status == DA_ERROR && an->a[0] ?
					dnsbl_error_meaning(an->a) : "" };
		table_add(&t, cells);
	}
	table_print(&t, stdout);
	printf("\nscore %g (rejects at %g)\n", r.score, x->cfg.dnsbl_reject_threshold);
	table_free(&t);
	close(c.deadline.fd);
	dnsbl_free(c.d);
	loop_free(c.loop);
	return EXIT_OK;
}
