/* rcptguardd.c - the daemon: load and attach the XDP drop path, then run
 * the event loop (signals, expired-ban sweeps). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "config.h"
#include "duration.h"
#include "ifaces.h"
#include "log.h"
#include "maps.h"
#include "xdp_loader.h"

/* Expired bans already pass in the kernel; the sweep only frees their slots. */
#define SWEEP_SECS 5

static void usage(FILE *f)
{
	fprintf(f, "usage: rcptguardd [-f] [-t] [-c FILE]\n"
		   "  -c FILE  config file (default " CONFIG_DEFAULT_PATH ")\n"
		   "  -f       stay in the foreground, log to stderr\n"
		   "  -t       check the config file and exit\n"
		   "see rcptguardd(8)\n");
}

/* Fork into the background; the parent exits once the child reports that
 * the drop path is attached, with the child's verdict as exit code. */
static int daemonize(int *ready_fd)
{
	int p[2];
	pid_t pid;
	char st = 1;

	if (pipe(p) < 0 || (pid = fork()) < 0) {
		log_err("event=daemonize error=\"%s\"", strerror(errno));
		return -1;
	}
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &st, 1) != 1)
			st = 1;
		_exit(st);
	}
	close(p[0]);
	setsid();
	*ready_fd = p[1];
	return 0;
}

static void report_ready(int *ready_fd, char status)
{
	int fd;

	if (*ready_fd < 0)
		return;
	if (write(*ready_fd, &status, 1) != 1)
		log_warn("event=daemonize error=\"cannot report readiness\"");
	close(*ready_fd);
	*ready_fd = -1;
	if (status == 0 && (fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

static void reload(const char *path, struct config *cur, const struct rg_maps *m)
{
	struct config *next = malloc(sizeof(*next));
	char err[512];

	if (!next || config_load(next, path, err, sizeof(err)) < 0) {
		log_err("event=reload result=refused error=\"%s\" note=\"old config stays in force\"",
			next ? err : "out of memory");
		free(next);
		return;
	}
	ifaces_default_routes(next);
	if (next->n_interfaces != cur->n_interfaces ||
	    memcmp(next->interfaces, cur->interfaces, sizeof(cur->interfaces)) != 0 ||
	    strcmp(next->bpf_pin_dir, cur->bpf_pin_dir) != 0 || next->xdp_mode != cur->xdp_mode ||
	    next->max_bans != cur->max_bans || next->max_prefix_bans != cur->max_prefix_bans ||
	    next->max_allow != cur->max_allow)
		log_warn("event=reload note=\"interface, xdp_mode, bpf_pin_dir and max_* changes "
			 "take effect at the next restart\"");
	if (xdp_apply(next, m, err, sizeof(err)) < 0) {
		log_err("event=reload result=failed error=\"%s\"", err);
		free(next);
		return;
	}
	/* Keep what only a restart can change; take the rest. */
	memcpy(next->interfaces, cur->interfaces, sizeof(cur->interfaces));
	next->n_interfaces = cur->n_interfaces;
	*cur = *next;
	free(next);
	log_info("event=reload result=ok ports=%u allow=%u", cur->n_ports, cur->n_allow);
}

/* Signals are blocked from the start and read from a signalfd, so one
 * arriving during start-up waits for the loop instead of killing us. */
static void block_signals(sigset_t *mask)
{
	sigemptyset(mask);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGHUP);
	sigprocmask(SIG_BLOCK, mask, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int run(const char *path, struct config *c, const struct rg_maps *m,
	       const sigset_t *mask)
{
	struct itimerspec its = { { SWEEP_SECS, 0 }, { SWEEP_SECS, 0 } };
	struct epoll_event ev = { .events = EPOLLIN };
	int ep, sfd, tfd;

	ep = epoll_create1(EPOLL_CLOEXEC);
	sfd = signalfd(-1, mask, SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (ep < 0 || sfd < 0 || tfd < 0 || timerfd_settime(tfd, 0, &its, NULL) < 0) {
		log_err("event=start error=\"cannot set up the event loop: %s\"", strerror(errno));
		return 1;
	}
	ev.data.fd = sfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	ev.data.fd = tfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);

	for (;;) {
		struct epoll_event evs[8];
		int n = epoll_wait(ep, evs, 8, -1);

		if (n < 0 && errno != EINTR) {
			log_err("event=epoll error=\"%s\"", strerror(errno));
			return 1;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == sfd) {
				struct signalfd_siginfo si;

				if (read(sfd, &si, sizeof(si)) != sizeof(si))
					continue;
				if (si.ssi_signo == SIGHUP) {
					reload(path, c, m);
					continue;
				}
				log_info("event=stop signal=%s note=\"bans stay enforced in the kernel\"",
					 strsignal((int)si.ssi_signo));
				return 0;
			}
			if (evs[i].data.fd == tfd) {
				uint64_t ticks;
				int removed;

				if (read(tfd, &ticks, sizeof(ticks)) != sizeof(ticks))
					continue;
				removed = maps_sweep_expired(m, mono_ns());
				if (removed)
					log_info("event=sweep expired=%d", removed);
			}
		}
	}
}

int main(int argc, char **argv)
{
	const char *path = CONFIG_DEFAULT_PATH;
	bool foreground = false, test_only = false;
	struct config *c = malloc(sizeof(*c));
	struct xdp_loaded *x;
	struct rg_maps m;
	char err[512];
	int ready_fd = -1, opt, rc;
	sigset_t mask;

	log_init("rcptguardd");
	while ((opt = getopt(argc, argv, "c:fth")) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'f': foreground = true; break;
		case 't': test_only = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "rcptguardd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!c || config_load(c, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "rcptguardd: %s\n", c ? err : "out of memory");
		return 1;
	}
	if (test_only) {
		printf("rcptguardd: %s: config ok\n", path);
		return 0;
	}
	if (!ifaces_default_routes(c)) {
		fprintf(stderr, "rcptguardd: no interface to protect: the config names none and "
			"no default route exists; add 'interface = NAME' to %s\n", path);
		return 1;
	}
	if (!foreground && daemonize(&ready_fd) < 0)
		return 1;
	block_signals(&mask);
	x = xdp_load(c, &m, err, sizeof(err));
	if (!x) {
		log_err("event=start error=\"%s\"", err);
		report_ready(&ready_fd, 1);
		return 1;
	}
	log_info("event=start config=%s pin_dir=%s interfaces=%u ports=%u allow=%u",
		 path, c->bpf_pin_dir, c->n_interfaces, c->n_ports, c->n_allow);
	if (!foreground) {
		report_ready(&ready_fd, 0);
		log_to_syslog();
	}
	rc = run(path, c, &m, &mask);
	maps_close(&m);
	xdp_release(x);
	free(c);
	return rc;
}
