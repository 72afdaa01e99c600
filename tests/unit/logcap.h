/* logcap.h - the log lines a unit test caused: stderr goes to a file the
 * test reads back. */
#ifndef RG_LOGCAP_H
#define RG_LOGCAP_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char logcap_path[] = "/tmp/rg-logcap.XXXXXX";
static char logcap_text[1 << 16];

/* From now on stderr is captured; what was captured before is dropped. */
static inline void logcap_start(void)
{
	static bool made;
	int fd;

	if (!made) {
		if ((fd = mkstemp(logcap_path)) < 0)
			perror("mkstemp"), exit(1);
		close(fd);
		made = true;
	}
	if (!freopen(logcap_path, "w", stderr))
		perror(logcap_path), exit(1);
}

/* Is there a line with first and, after it, then ("" for anything)? */
static inline bool logcap_has(const char *first, const char *then)
{
	FILE *f;
	size_t n;

	fflush(stderr);
	if (!(f = fopen(logcap_path, "r")))
		return false;
	n = fread(logcap_text, 1, sizeof(logcap_text) - 1, f);
	fclose(f);
	logcap_text[n] = 0;
	for (const char *p = logcap_text; (p = strstr(p, first)); p++) {
		const char *eol = strchr(p, '\n'), *q = strstr(p + strlen(first), then);

		if (q && (!eol || q < eol))
			return true;
	}
	return false;
}

/* At the end: the file goes. */
static inline void logcap_end(void)
{
	if (!freopen("/dev/null", "w", stderr))
		exit(1);
	unlink(logcap_path);
}

#endif
