/* cmd_top.c - rcptguard top: the busiest offenders of the last hour under
 * a header of totals, refreshed every two seconds until q is pressed (or
 * the command is interrupted); once, as a table or JSON, for scripts. */
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "duration.h"
#include "json.h"
#include "table.h"

#define REFRESH_MS 2000

/* The daemon's metrics the header shows (docs/control.md, stats). */
struct totals {
	bool ok;
	unsigned long long bans, drops, saved, verdicts;
	uint64_t at_ms;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void get_totals(struct ctx *x, struct totals *t)
{
	static const char *const w[] = { "stats" };
	static const struct { const char *name; size_t off; } want[] = {
		{ "rcptguard_bans_active", offsetof(struct totals, bans) },
		{ "rcptguard_dropped_packets_total", offsetof(struct totals, drops) },
		{ "rcptguard_bandwidth_saved_estimated_bytes_total", offsetof(struct totals, saved) },
		{ "rcptguard_verdicts_total", offsetof(struct totals, verdicts) },
	};
	struct ctl_reply r;

	memset(t, 0, sizeof(*t));
	t->at_ms = now_ms();
	if (ask(x, &r, true, 1, w) != EXIT_OK)
		return;
	for (size_t i = 0; i < r.n; i++)
		for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++)
			if (strcmp(ctl_get(&r.rec[i], "name"), want[k].name) == 0)
				/* Summed over labels: verdicts of every kind. */
				*(unsigned long long *)((char *)t + want[k].off) +=
					strtoull(ctl_get(&r.rec[i], "value"), NULL, 10);
	t->ok = true;
	ctl_free(&r);
}

static void human_bytes(unsigned long long b, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KB", "MB", "GB", "TB", "PB" };
	double v = (double)b;
	unsigned u = 0;

	while (v >= 1000 && u + 1 < sizeof(unit) / sizeof(unit[0]))
		v /= 1000, u++;
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

/* The header: time, totals and, between two frames, verdicts per second. */
static void header(const struct totals *t, const struct totals *prev, bool live)
{
	char clock[16], saved[32], rate[32] = "-";
	time_t tt = time(NULL);
	struct tm tm;

	if (!localtime_r(&tt, &tm) || !strftime(clock, sizeof(clock), "%H:%M:%S", &tm))
		snprintf(clock, sizeof(clock), "-");
	human_bytes(t->saved, saved, sizeof(saved));
	if (prev && prev->ok && t->at_ms > prev->at_ms && t->verdicts >= prev->verdicts)
		snprintf(rate, sizeof(rate), "%.1f", (double)(t->verdicts - prev->verdicts) * 1000.0 /
			 (double)(t->at_ms - prev->at_ms));
	printf("rcptguard top - %s   bans %llu   dropped %llu packets   saved ~%s   "
	       "verdicts %s/s\n", clock, t->bans, t->drops, saved, rate);
	if (live)
		printf("q quit   space refresh   (busiest offenders of the last hour, every %d s)\n",
		       REFRESH_MS / 1000);
	printf("\n");
}

static void print_table(const struct ctl_reply *r)
{
	static const char *const head[] = { "ADDRESS", "SCORE", "BAD", "BANS", "STATE",
					    "LAST RECIPIENT" };
	uint64_t now = wall_secs();
	struct table t;

	table_init(&t, "lrrrll", head);
	for (size_t i = 0; i < r->n; i++) {
		const struct ctl_record *e = &r->rec[i];
		char score[48], st[32];
		uint64_t until = strtoull(ctl_get(e, "ban_until"), NULL, 10);

		bool banned = until > now;

		/* A banned client's score counts afresh: show the one that banned it. */
		if (banned && strtod(ctl_get(e, "ban_threshold"), NULL) > 0)
			snprintf(score, sizeof(score), "%s/%s", ctl_get(e, "ban_level"),
				 ctl_get(e, "ban_threshold"));
		else
			snprintf(score, sizeof(score), "%s/%s", ctl_get(e, "level"),
				 ctl_get(e, "threshold"));
		snprintf(st, sizeof(st), "%s", banned ? "banned" :
			 strtoull(ctl_get(e, "pardon_until"), NULL, 10) > now ? "pardoned" : "-");
		const char *cells[] = { ctl_get(e, "address"), score, ctl_get(e, "bad_total"),
					ctl_get(e, "offenses"), st, ctl_get(e, "last_recipient") };
		table_add(&t, cells);
	}
	table_print(&t, stdout);
	table_free(&t);
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Wait for the next frame: false when q was pressed or a signal came. */
static bool wait_key(bool keys)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	uint64_t until = now_ms() + REFRESH_MS;
	char c;

	while (!stop) {
		uint64_t now = now_ms();

		if (now >= until)
			return true;
		if (!keys) {
			poll(NULL, 0, (int)(until - now));
			continue;
		}
		if (poll(&p, 1, (int)(until - now)) <= 0)
			continue;
		if (read(STDIN_FILENO, &c, 1) != 1 || c == 'q' || c == 'Q')
			return false;   /* end of input, or q */
		if (c == ' ')
			return true;
	}
	return false;
}

int cmd_top(struct ctx *x, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "once", no_argument, NULL, 'o' }, { "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	bool once = !isatty(STDOUT_FILENO), keys, raw = false;
	struct totals t = { 0 }, prev = { 0 };
	struct termios saved, tio;
	struct sigaction sa = { .sa_handler = on_signal };
	char count[16] = "20";
	int opt, rc = EXIT_OK;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		if (opt == 'o')
			once = true;
		else if (opt == 'j')
			once = x->json = true;
		else if (opt == 'n' && strtoul(optarg, NULL, 10) > 0)
			snprintf(count, sizeof(count), "%lu", strtoul(optarg, NULL, 10));
		else
			return usage_error("top: -n needs a positive number");
	}
	keys = !once && isatty(STDIN_FILENO);
	/* Keys without Enter; the terminal is put back however top ends. */
	if (keys && tcgetattr(STDIN_FILENO, &saved) == 0) {
		tio = saved;
		tio.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		tio.c_cc[VMIN] = 1;
		tio.c_cc[VTIME] = 0;
		raw = tcsetattr(STDIN_FILENO, TCSANOW, &tio) == 0;
	}
	if (!once) {
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	do {
		const char *w[] = { "top", count };
		struct ctl_reply r;

		rc = ask(x, &r, true, 2, w);
		if (rc == DAEMON_DOWN) {
			fprintf(stderr, "rcptguard: top needs rcptguardd, which is not running\n");
			rc = EXIT_FAIL;
		}
		if (rc != EXIT_OK)
			break;
		if (x->json) {
			struct json j;

			json_init(&j, stdout);
			json_array(&j);
			for (size_t i = 0; i < r.n; i++) {
				json_object(&j);
				ctl_json_fields(&j, &r.rec[i], NULL);
				json_end(&j);
			}
			json_end(&j);
		} else {
			prev = t;
			get_totals(x, &t);
			if (!once)
				printf("\033[H\033[2J");        /* home, clear screen */
			header(&t, &prev, !once);
			print_table(&r);
		}
		ctl_free(&r);
		fflush(stdout);
	} while (!once && wait_key(keys));
	if (raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	return rc;
}
