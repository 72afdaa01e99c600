/* test_logread.c - replay reads a log as the daemon's tail does: every
 * line, overlong ones included, comes out the same bytes from logread
 * (plain and gzip) as from the tail, and so is judged alike. A HELO that
 * puts a victim's chkuser line at replay's old 4 KB cut blames nobody. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "logline.h"
#include "logread.h"
#include "tail.h"
#include "tap.h"

#define NLINES 40

static char *lines[NLINES];
static size_t lens[NLINES];

struct seen {
	unsigned n, bad;
};

static bool same_parse(const char *a, size_t alen, const char *b, size_t blen)
{
	struct logline x, y;

	logline_parse(a, alen, 2026, &x);
	logline_parse(b, blen, 2026, &y);
	return x.kind == y.kind && !memcmp(&x.client, &y.client, sizeof(x.client));
}

/* What the tail delivers, against what logread gives for the same line. */
static struct logread *reader;

static void from_tail(const char *line, size_t len, void *arg)
{
	struct seen *s = arg;
	char err[128];
	size_t rlen;
	const char *r = logread_line(reader, &rlen, err, sizeof(err));

	s->bad += !r || rlen != len || memcmp(r, line, len) != 0 || !same_parse(r, rlen, line, len);
	s->n++;
}

/* A line of len bytes: a chkuser rejection of 203.0.113.66 whose HELO,
 * of random bytes, holds a victim's line somewhere. */
static char *make_line(size_t len)
{
	static const char head[] = "@4000000069b2a5c4000000a1 CHKUSER rejected rcpt: from "
				   "<s@spam.example::> remote <";
	static const char forged[] = "h::6.6.6.6> rcpt <v@x> : not existing recipient";
	static const char tail[] = ":ptr.spam.example:203.0.113.66> rcpt <v@x> : not existing "
				   "recipient";
	size_t fixed = sizeof(head) - 1 + sizeof(tail) - 1;
	char *s = malloc(len + fixed + sizeof(forged) + 1);
	size_t helo = len > fixed ? len - fixed : 0;

	memcpy(s, head, sizeof(head) - 1);
	for (size_t i = 0; i < helo; i++)
		s[sizeof(head) - 1 + i] = (char)(' ' + rand() % 94);
	if (helo >= sizeof(forged) - 1)
		memcpy(s + sizeof(head) - 1 + (size_t)rand() % (helo - sizeof(forged) + 2), forged,
		       sizeof(forged) - 1);
	memcpy(s + sizeof(head) - 1 + helo, tail, sizeof(tail));
	return s;
}

static void write_all(const char *path, bool gz)
{
	if (gz) {
		gzFile g = gzopen(path, "wb");

		for (int i = 0; i < NLINES; i++) {
			gzwrite(g, lines[i], (unsigned)lens[i]);
			gzwrite(g, "\n", 1);
		}
		gzclose(g);
	} else {
		FILE *f = fopen(path, "w");

		for (int i = 0; i < NLINES; i++)
			fprintf(f, "%s\n", lines[i]);
		fclose(f);
	}
}

/* The property: random lines of every length about the bounds. */
static void agree(void)
{
	static const size_t around[] = { 100, 4096, 32768, 65536, 131072, 1000000 };
	char path[] = "/tmp/rg-logread-XXXXXX", err[128];
	int fd = mkstemp(path);

	close(fd);
	srand(7);
	for (int i = 0; i < NLINES; i++) {
		size_t len = around[(size_t)i % 6] + (size_t)(rand() % 7) - 3;

		lines[i] = make_line(len);
		lens[i] = strlen(lines[i]);
	}
	for (int gz = 0; gz <= 1; gz++) {
		static struct tail t;
		struct seen s = { 0, 0 };
		FILE *f = fopen(path, "w");

		fclose(f);
		tail_open(&t, path, 0, 0, 0);
		if (!gz)
			write_all(path, false);
		else {
			char gzpath[64];

			/* The tail reads the plain file, logread the gzip one. */
			snprintf(gzpath, sizeof(gzpath), "%s.gz", path);
			write_all(gzpath, true);
			write_all(path, false);
			reader = logread_open(gzpath, err, sizeof(err));
		}
		if (!gz)
			reader = logread_open(path, err, sizeof(err));
		ok(reader != NULL, "open the log (%s)", gz ? "gzip" : "plain");
		tail_poll(&t, from_tail, &s);
		ok(s.n == NLINES && s.bad == 0, "%s: replay reads all %d lines, up to 1 MB, as the "
		   "daemon does (%u read, %u differ)", gz ? "gzip" : "plain", NLINES, s.n, s.bad);
		logread_close(reader);
		tail_close(&t);
		if (gz) {
			snprintf(err, sizeof(err), "%s.gz", path);
			unlink(err);
		}
	}
	unlink(path);
	for (int i = 0; i < NLINES; i++)
		free(lines[i]);
}

/* The red team's line: the forged rejection ends at byte 4096. */
static void at_4096(void)
{
	static const char forged[] = "h::6.6.6.6> rcpt <v@x> : not existing recipient";
	char path[] = "/tmp/rg-logread-XXXXXX", err[128];
	int fd = mkstemp(path);
	char *s = make_line(6000);
	char *p = s + 4096 - (sizeof(forged) - 1);
	struct logread *r;
	struct logline l;
	const char *line;
	size_t len;

	/* Put the forged text right before the cut, replacing random bytes. */
	memcpy(p, forged, sizeof(forged) - 1);
	ok(write(fd, s, strlen(s)) > 0 && write(fd, "\n", 1) == 1, "write the line");
	close(fd);
	r = logread_open(path, err, sizeof(err));
	line = logread_line(r, &len, err, sizeof(err));
	logline_parse(line, len, 2026, &l);
	ok(len == strlen(s) && l.kind == LOGLINE_AMBIGUOUS,
	   "a 6000-byte line read whole, a victim's line at byte 4096 makes it ambiguous (%zu "
	   "bytes, %s)", len, logline_kind_name(l.kind));
	logread_close(r);
	unlink(path);
	free(s);
}

int main(void)
{
	agree();
	at_4096();
	return tap_done();
}
