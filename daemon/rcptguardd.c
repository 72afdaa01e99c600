/* rcptguardd.c - the daemon: load and attach the XDP drop path, open the
 * recipients database, serve the query socket, all in one event loop. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include "config.h"
#include "duration.h"
#include "ifaces.h"
#include "log.h"
#include "loop.h"
#include "maps.h"
#include "query.h"
#include "verdict.h"
#include "xdp_loader.h"

/* Expired bans already pass in the kernel; the sweep only frees their slots. */
#define BAN_SWEEP_MS 5000
/* How soon a replaced recipients database is noticed. */
#define DB_CHECK_MS 500

struct daemon {
	const char *path;
	struct config *cfg;
	struct loop *loop;
	struct rg_maps maps;
	struct verdicts *verdicts;
	struct server *query;
	struct watch sig, ban_sweep, db_check;
};

#define OWNER(w, field) ((struct daemon *)((char *)(w) - offsetof(struct daemon, field)))

static void usage(FILE *f)
{
	fprintf(f, "usage: rcptguardd [-f] [-t] [-c FILE]\n"
		   "  -c FILE  config file (default " CONFIG_DEFAULT_PATH ")\n"
		   "  -f       stay in the foreground, log to stderr\n"
		   "  -t       check the config file and exit\n"
		   "see rcptguardd(8)\n");
}

/* Fork into the background; the parent exits once the child reports that
 * it is serving, with the child's verdict as exit code. */
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

/* What only a restart can change. */
static bool needs_restart(const struct config *a, const struct config *b)
{
	return a->n_interfaces != b->n_interfaces ||
	       memcmp(a->interfaces, b->interfaces, sizeof(a->interfaces)) != 0 ||
	       strcmp(a->bpf_pin_dir, b->bpf_pin_dir) != 0 || a->xdp_mode != b->xdp_mode ||
	       a->max_bans != b->max_bans || a->max_prefix_bans != b->max_prefix_bans ||
	       a->max_allow != b->max_allow || strcmp(a->query_socket, b->query_socket) != 0 ||
	       a->query_socket_uid != b->query_socket_uid ||
	       a->query_socket_gid != b->query_socket_gid ||
	       a->query_socket_mode != b->query_socket_mode ||
	       a->query_listen_len != b->query_listen_len ||
	       memcmp(&a->query_listen, &b->query_listen, sizeof(a->query_listen)) != 0 ||
	       a->max_connections != b->max_connections;
}

static void reload(struct daemon *d)
{
	struct config *next = malloc(sizeof(*next));
	char err[512];

	if (!next || config_load(next, d->path, err, sizeof(err)) < 0) {
		log_err("event=reload result=refused error=\"%s\" note=\"old config stays in force\"",
			next ? err : "out of memory");
		free(next);
		return;
	}
	ifaces_default_routes(next);
	if (xdp_apply(next, &d->maps, err, sizeof(err)) < 0 ||
	    verdicts_reconfigure(d->verdicts, next, err, sizeof(err)) < 0) {
		log_err("event=reload result=refused error=\"%s\" note=\"old config stays in force\"",
			err);
		xdp_apply(d->cfg, &d->maps, err, sizeof(err));
		free(next);
		return;
	}
	if (needs_restart(d->cfg, next))
		log_warn("event=reload note=\"changes to interface, xdp_mode, bpf_pin_dir, max_*, "
			 "query_* and max_connections take effect at the next restart\"");
	*d->cfg = *next;
	free(next);
	log_info("event=reload result=ok ports=%u allow=%u", d->cfg->n_ports, d->cfg->n_allow);
}

static void on_signal(struct watch *w, uint32_t events)
{
	struct daemon *d = OWNER(w, sig);
	struct signalfd_siginfo si;

	(void)events;
	if (read(w->fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGHUP) {
		reload(d);
		return;
	}
	log_info("event=stop signal=%s note=\"bans stay enforced in the kernel\"",
		 strsignal((int)si.ssi_signo));
	loop_stop(d->loop, 0);
}

static void on_ban_sweep(struct watch *w, uint32_t events)
{
	struct daemon *d = OWNER(w, ban_sweep);
	uint64_t ticks;
	int removed;

	(void)events;
	if (read(w->fd, &ticks, sizeof(ticks)) != sizeof(ticks))
		return;
	removed = maps_sweep_expired(&d->maps, mono_ns());
	if (removed)
		log_info("event=sweep expired=%d", removed);
}

static void on_db_check(struct watch *w, uint32_t events)
{
	struct daemon *d = OWNER(w, db_check);
	uint64_t ticks;

	(void)events;
	if (read(w->fd, &ticks, sizeof(ticks)) == sizeof(ticks))
		verdicts_check_db(d->verdicts);
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

static int setup_loop(struct daemon *d, const sigset_t *mask, char *err, size_t errlen)
{
	d->sig.fd = signalfd(-1, mask, SFD_CLOEXEC | SFD_NONBLOCK);
	d->sig.cb = on_signal;
	d->ban_sweep.cb = on_ban_sweep;
	d->db_check.cb = on_db_check;
	if (d->sig.fd < 0 || loop_add(d->loop, &d->sig, EPOLLIN) < 0 ||
	    loop_timer(d->loop, &d->ban_sweep, BAN_SWEEP_MS) < 0 ||
	    loop_timer(d->loop, &d->db_check, DB_CHECK_MS) < 0) {
		snprintf(err, errlen, "cannot set up the event loop: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct daemon d = { .path = CONFIG_DEFAULT_PATH };
	bool foreground = false, test_only = false;
	struct xdp_loaded *x = NULL;
	char err[512];
	int ready_fd = -1, opt, rc = 1;
	sigset_t mask;

	log_init("rcptguardd");
	while ((opt = getopt(argc, argv, "c:fth")) != -1) {
		switch (opt) {
		case 'c': d.path = optarg; break;
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
	d.cfg = malloc(sizeof(*d.cfg));
	if (!d.cfg || config_load(d.cfg, d.path, err, sizeof(err)) < 0) {
		fprintf(stderr, "rcptguardd: %s\n", d.cfg ? err : "out of memory");
		return 1;
	}
	if (test_only) {
		printf("rcptguardd: %s: config ok\n", d.path);
		return 0;
	}
	if (!ifaces_default_routes(d.cfg)) {
		fprintf(stderr, "rcptguardd: no interface to protect: the config names none and "
			"no default route exists; add 'interface = NAME' to %s\n", d.path);
		return 1;
	}
	if (!foreground && daemonize(&ready_fd) < 0)
		return 1;
	block_signals(&mask);
	d.loop = loop_new();
	if (!d.loop) {
		snprintf(err, sizeof(err), "cannot create the event loop: %s", strerror(errno));
		goto fail;
	}
	/* The database first: a bad one must stop us before we touch the kernel. */
	if (!(d.verdicts = verdicts_new(d.cfg, err, sizeof(err))) ||
	    !(x = xdp_load(d.cfg, &d.maps, err, sizeof(err))) ||
	    !(d.query = query_start(d.loop, d.cfg, d.verdicts, err, sizeof(err))) ||
	    setup_loop(&d, &mask, err, sizeof(err)) < 0)
		goto fail;
	log_info("event=start config=%s pin_dir=%s interfaces=%u ports=%u allow=%u "
		 "recipients=%s", d.path, d.cfg->bpf_pin_dir, d.cfg->n_interfaces, d.cfg->n_ports,
		 d.cfg->n_allow, d.cfg->recipients[0] ? d.cfg->recipients : "none");
	if (!foreground) {
		report_ready(&ready_fd, 0);
		log_to_syslog();
	}
	rc = loop_run(d.loop);
	goto out;
fail:
	log_err("event=start error=\"%s\"", err);
	report_ready(&ready_fd, 1);
out:
	server_free(d.query);
	if (x)
		maps_close(&d.maps);
	xdp_release(x);
	verdicts_free(d.verdicts);
	loop_free(d.loop);
	free(d.cfg);
	return rc;
}
