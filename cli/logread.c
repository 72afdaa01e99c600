/* logread.c - zlib reads plain and gzip files alike; libbz2 the rest. */
#include <bzlib.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "linebuf.h"
#include "logread.h"

struct logread {
	FILE *raw;                      /* the file (bzip2 reads through it) */
	gzFile gz;                      /* plain or gzip */
	BZFILE *bz;
	bool eof;
	char buf[65536];
	size_t start, end;              /* unread bytes of buf */
	struct linebuf line;            /* an overlong line as the daemon's tail keeps it */
};

struct logread *logread_open(const char *path, char *err, size_t errlen)
{
	struct logread *r = calloc(1, sizeof(*r));
	unsigned char magic[3] = { 0 };
	int bzerr;

	if (!r || !(r->raw = fopen(path, "rbe"))) {
		snprintf(err, errlen, "cannot open %s: %s", path, r ? strerror(errno) : "out of memory");
		free(r);
		return NULL;
	}
	if (fread(magic, 1, 3, r->raw) == 3 && !memcmp(magic, "BZh", 3)) {
		rewind(r->raw);
		if (!(r->bz = BZ2_bzReadOpen(&bzerr, r->raw, 0, 0, NULL, 0))) {
			snprintf(err, errlen, "%s: not a bzip2 file", path);
			logread_close(r);
			return NULL;
		}
		return r;
	}
	if (!(r->gz = gzopen(path, "rb"))) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		logread_close(r);
		return NULL;
	}
	gzbuffer(r->gz, 65536);
	return r;
}

/* Refill buf; false at the end or on an error (err set). */
static bool fill(struct logread *r, char *err, size_t errlen)
{
	int got, e;

	if (r->eof)
		return false;
	if (r->bz) {
		got = BZ2_bzRead(&e, r->bz, r->buf, sizeof(r->buf));
		if (e == BZ_STREAM_END)
			r->eof = true;
		else if (e != BZ_OK) {
			snprintf(err, errlen, "corrupt bzip2 data (error %d)", e);
			r->eof = true;
			return false;
		}
	} else {
		got = gzread(r->gz, r->buf, sizeof(r->buf));
		if (got < 0) {
			snprintf(err, errlen, "corrupt gzip data: %s", gzerror(r->gz, &e));
			r->eof = true;
			return false;
		}
		if (got == 0)
			r->eof = true;
	}
	r->start = 0;
	r->end = (size_t)(got > 0 ? got : 0);
	return got > 0;
}

const char *logread_line(struct logread *r, size_t *len, char *err, size_t errlen)
{
	bool any = false;

	*err = 0;
	linebuf_clear(&r->line);
	for (;;) {
		char *nl;
		size_t part;

		if (r->start == r->end && !fill(r, err, errlen))
			break;
		any = true;
		nl = memchr(r->buf + r->start, '\n', r->end - r->start);
		part = (nl ? (size_t)(nl - r->buf) : r->end) - r->start;
		linebuf_add(&r->line, r->buf + r->start, part);
		r->start += part + (nl ? 1 : 0);
		if (nl)
			break;
	}
	if (!any)
		return NULL;
	*len = linebuf_end(&r->line);
	return r->line.buf;
}

uint64_t logread_offset(struct logread *r)
{
	long off = r->raw ? ftell(r->raw) : 0;

	return r->gz ? (uint64_t)gzoffset(r->gz) : off > 0 ? (uint64_t)off : 0;
}

void logread_close(struct logread *r)
{
	int e;

	if (!r)
		return;
	if (r->bz)
		BZ2_bzReadClose(&e, r->bz);
	if (r->gz)
		gzclose(r->gz);
	if (r->raw)
		fclose(r->raw);
	free(r);
}
