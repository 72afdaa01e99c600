/* log.c - "prog: level=info event=... key=value" lines on stderr, or to
 * syslog (facility mail) once the daemon has gone to the background. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <syslog.h>
#include "log.h"

static const char *prog = "rcptguard";
static bool to_syslog;

void log_init(const char *progname)
{
	prog = progname;
}

void log_to_syslog(void)
{
	openlog(prog, LOG_PID, LOG_MAIL);
	to_syslog = true;
}

static void vlog(int prio, const char *level, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (to_syslog)
		syslog(prio, "level=%s %s", level, line);
	else
		/* One write per line so lines from several processes never mix. */
		fprintf(stderr, "%s: level=%s %s\n", prog, level, line);
}

#define LOGFN(name, prio, level)                \
	void name(const char *fmt, ...)         \
	{                                       \
		va_list ap;                     \
		va_start(ap, fmt);              \
		vlog(prio, level, fmt, ap);     \
		va_end(ap);                     \
	}

LOGFN(log_info, LOG_INFO, "info")
LOGFN(log_warn, LOG_WARNING, "warn")
LOGFN(log_err, LOG_ERR, "error")

const char *log_quote(char *buf, size_t len, const char *s)
{
	size_t n = 0;

	if (len < 3)
		return "\"\"";
	buf[n++] = '"';
	for (; s && *s && n + 6 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			n += (size_t)snprintf(buf + n, len - n, "\\%c", c);
		else if (c < 32 || c > 126)
			n += (size_t)snprintf(buf + n, len - n, "\\x%02x", c);
		else
			buf[n++] = (char)c;
	}
	buf[n++] = '"';
	buf[n] = '\0';
	return buf;
}
