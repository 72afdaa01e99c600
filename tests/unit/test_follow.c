/* test_follow.c - the tail across rotations, restarts and split writes
 * (random sequences of them: every line written is delivered once, in
 * order); a path that is no regular file; when a line was written (a
 * yearless syslog stamp is local time) and whether it counts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "follow.h"
#include "tail.h"
#include "tap.h"

static char dir[64], cur[128];
static unsigned got[4096], ngot;
static bool order_ok;

static void collect(const char *line, size_t len, void *arg)
{
	char s[32];
	unsigned v;

	(void)arg;
	snprintf(s, sizeof(s), "%.*s", (int)(len < 31 ? len : 31), line);
	if (sscanf(s, "line %u", &v) != 1 || ngot == 4096)
		order_ok = false;
	else
		got[ngot++] = v;
}

static void append(const char *s)
{
	FILE *f = fopen(cur, "a");

	fputs(s, f);
	fclose(f);
}

/* multilog's rotation: current renamed to @STAMP.s (or .u), a new current. */
static void rotate(unsigned *k, bool unfinished)
{
	char to[160];

	snprintf(to, sizeof(to), "%s/@4000000069b2a5c4%08x.%c", dir, ++*k, unfinished ? 'u' : 's');
	rename(cur, to);
	fclose(fopen(cur, "w"));
}

static void rm_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

/* One random history of writes, rotations, polls and restarts. */
static bool one_history(unsigned seed)
{
	static struct tail t;
	unsigned next = 1, k = 0, first;
	bool half = false;

	srandom(seed);
	snprintf(dir, sizeof(dir), "/tmp/rgt-tail.XXXXXX");
	if (!mkdtemp(dir))
		return false;
	snprintf(cur, sizeof(cur), "%s/current", dir);
	append("line 0 written before the start: history\n");
	fclose(fopen(strcat(strcpy((char[160]){ 0 }, dir), "/lock"), "w"));
	ngot = 0;
	order_ok = true;
	tail_open(&t, cur, 0, 0, 0);
	first = next;
	for (int op = 0; op < 80; op++) {
		long r = random() % 10;
		char line[64];

		if (r < 4 || half) {
			/* A line, or half of one (completed by the next write). */
			if (half) {
				snprintf(line, sizeof(line), "%u\n", next++);
				half = false;
			} else if (random() % 4 == 0) {
				snprintf(line, sizeof(line), "line ");
				half = true;
			} else {
				snprintf(line, sizeof(line), "line %u\n", next++);
			}
			append(line);
		} else if (r < 6) {
			rotate(&k, random() % 5 == 0);
		} else if (r < 8) {
			tail_poll(&t, collect, NULL);
		} else {
			/* A restart: only the saved position survives. */
			dev_t dev = t.dev;
			ino_t ino = t.ino;
			off_t off = t.off;

			tail_close(&t);
			tail_open(&t, cur, dev, ino, off);
		}
	}
	if (half) {
		char end[16];

		snprintf(end, sizeof(end), "%u\n", next++);
		append(end);
	}
	tail_poll(&t, collect, NULL);
	tail_close(&t);
	rm_dir();
	for (unsigned i = 0; i < ngot; i++)
		order_ok &= got[i] == first + i;
	return order_ok && ngot == next - first;
}

static void not_regular(void)
{
	static struct tail t;

	snprintf(dir, sizeof(dir), "/tmp/rgt-tail.XXXXXX");
	if (!mkdtemp(dir))
		return;
	snprintf(cur, sizeof(cur), "%s/current", dir);
	mkdir(cur, 0755);
	ngot = 0;
	order_ok = true;
	tail_open(&t, cur, 0, 0, 0);
	ok(t.fd < 0 && tail_error(&t) && strcmp(tail_error(&t), "not a regular file") == 0,
	   "a directory as the followed path is an error: %s", tail_error(&t));
	rmdir(cur);
	tail_poll(&t, collect, NULL);
	ok(!tail_error(&t), "a path not there yet is no error");
	append("line 1\n");
	tail_poll(&t, collect, NULL);
	ok(ngot == 1 && got[0] == 1 && !tail_error(&t), "once a file, it is read from its start");
	tail_close(&t);
	rm_dir();
}

/* A syslog line for t as this machine's syslogd writes it: local time. */
static void syslog_line(time_t t, char *buf, size_t len)
{
	struct tm tm;
	char stamp[32];

	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
	snprintf(buf, len, "%s mx qmail-smtpd[7]: not in validrcptto: a@b.example at 192.0.2.1",
		 stamp);
}

static void stamps(void)
{
	static const char *const zones[] = { "UTC0", "Europe/Berlin", "America/New_York",
					     "Asia/Kolkata", "Australia/Lord_Howe" };
	struct logline l;
	char line[256], a[32], b[32];
	unsigned bad = 0, n = 0;

	srandom(7);
	for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		setenv("TZ", zones[z], 1);
		tzset();
		for (int i = 0; i < 2000; i++) {
			/* Some days of 2027, many of them around its new year. */
			time_t t = 1798761600 + (i % 2 ? random() % 86400 - 43200 :
						 random() % (365 * 86400)) - 86400 * 180 * (i % 4 == 3);
			time_t now = t + random() % 600, w;
			struct tm tm;

			syslog_line(t, line, sizeof(line));
			w = (time_t)follow_when(line, strlen(line), (uint64_t)now, &l);
			/* In the hour a clock turns back, either reading is right. */
			localtime_r(&w, &tm);
			strftime(a, sizeof(a), "%b %e %H:%M:%S", &tm);
			localtime_r(&t, &tm);
			strftime(b, sizeof(b), "%b %e %H:%M:%S", &tm);
			bad += strcmp(a, b) != 0 || (w != t && labs((long)(w - t)) != 3600 &&
						      labs((long)(w - t)) != 1800);
			n++;
		}
	}
	unsetenv("TZ");
	tzset();
	ok(bad == 0, "a yearless syslog stamp is read as local time, December's in January too "
	   "(%u of %u wrong)", bad, n);
	snprintf(line, sizeof(line), "@4000000069b2a5c4000000a1 qmail-smtpd: not in validrcptto: "
		 "a@b at 192.0.2.1");
	ok(follow_when(line, strlen(line), 1773315000, &l) == 0x69b2a5c4 - 10,
	   "a tai64n stamp is absolute");
	snprintf(line, sizeof(line), "2026-11-29T19:00:00.5+02:00 mx postfix/smtpd[1]: x");
	ok(follow_when(line, strlen(line), 1796000000, &l) == 1795971600,
	   "an RFC 3339 stamp is absolute");
}

static void ages(void)
{
	unsigned bad = 0;

	srandom(11);
	for (int i = 0; i < 100000; i++) {
		uint64_t now = 1700000000 + (uint64_t)(random() % 100000);
		uint32_t window = 1 + (uint32_t)(random() % 7200);
		uint64_t when = i % 10 ? now - 20000 + (uint64_t)(random() % 40000) : 0;
		bool live = random() % 2;
		enum follow_age a = follow_age(when, now, window, live);
		bool counts = when ? when + window >= now && when <= now + window : live;

		bad += (a == FOLLOW_NOW) != counts ||
		       (a == FOLLOW_FUTURE && (!when || when <= now)) ||
		       (a == FOLLOW_HISTORY && when > now);
	}
	ok(bad == 0, "a line counts only when stamped within ban_window of now, or unstamped "
	   "and read live (%u wrong)", bad);
}

int main(void)
{
	unsigned failed = 0;

	for (unsigned seed = 1; seed <= 300; seed++)
		if (!one_history(seed)) {
			failed++;
			printf("# seed %u: %u lines delivered, order %s:", seed, ngot,
			       order_ok ? "ok" : "wrong");
			for (unsigned i = 0; i < ngot; i++)
				printf(" %u", got[i]);
			printf("\n");
		}
	ok(failed == 0, "300 random histories of writes, split writes, rotations (several "
	   "between polls), polls and restarts: every line once, in order (%u failed)", failed);
	not_regular();
	stamps();
	ages();
	return tap_done();
}
