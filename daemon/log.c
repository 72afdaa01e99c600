/* log.c - "prog: level=info event=... key=value" lines on stderr, or to
 * syslog (facility mail) once the daemon has gone to the background or
 * was told to (log = syslog). Under systemd (JOURNAL_STREAM names our
 * stderr) each stderr line starts with its "<N>" priority, which journald
 * reads as the line's level.
 *
 * The daemon must never wait for its log reader: a stalled multilog or a
 * full pipe would freeze every verdict. After log_nonblocking() lines go
 * out with non-blocking writes; what the reader cannot take yet waits in a
 * bounded queue, and a line that does not fit is dropped and counted. The
 * first line that gets through after a loss says how many were lost.
 * syslog(3) would block on a full /dev/log just the same, so syslog lines
 * are datagrams sent here, through the same queue: there each line is a
 * record (its length, then its bytes), sent whole or not at all. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "log.h"

#define QUEUE_BYTES (256 * 1024)

static const char *prog = "rcptguard";
static bool nonblocking, to_syslog, is_socket, quiet, debug, journal;
static int out_fd = STDERR_FILENO;
static char queue[QUEUE_BYTES];
static size_t queued;
static unsigned long long dropped, dropped_unreported;

/* systemd sets JOURNAL_STREAM to "DEV:INODE" of the stream it connected
 * to stderr; a stderr redirected elsewhere since does not match. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char end;

	return js && sscanf(js, "%llu:%llu%c", &dev, &ino, &end) == 2 &&
	       fstat(STDERR_FILENO, &st) == 0 && (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void log_init(const char *progname)
{
	prog = progname;
	journal = stderr_is_journal();
}

void log_set_debug(bool on)
{
	debug = on;
}

/* stderr, made non-blocking without touching a description shared with
 * others (a terminal, the shell's pipe): a FIFO or terminal is opened
 * again through /proc; a socket is written with MSG_DONTWAIT; a regular
 * file never blocks and keeps its offset and O_APPEND as they are. */
int log_nonblocking(void)
{
	struct stat st;
	char path[32];
	int fd;

	if (fstat(STDERR_FILENO, &st) < 0)
		return -1;
	nonblocking = true;
	if (S_ISSOCK(st.st_mode)) {
		is_socket = true;
		return 0;
	}
	if (!S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode))
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", STDERR_FILENO);
	fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		/* No /proc: the flag on the shared description is the lesser evil. */
		int fl = fcntl(STDERR_FILENO, F_GETFL);

		return fl < 0 ? -1 : fcntl(STDERR_FILENO, F_SETFL, fl | O_NONBLOCK);
	}
	/* Every writer of fd 2 (libbpf's messages too) becomes non-blocking. */
	if (dup2(fd, STDERR_FILENO) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

void log_quiet(void)
{
	quiet = true;
}

static void drop(void)
{
	dropped++;
	dropped_unreported++;
}

static int syslog_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = "/dev/log" };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int log_to_syslog(void)
{
	int fd = syslog_connect();

	if (fd < 0)
		return -1;      /* no syslog: stderr stays */
	/* What stderr's reader has not taken yet goes there first. */
	if (nonblocking)
		log_drain(200);
	out_fd = fd;
	is_socket = to_syslog = nonblocking = true;
	queued = 0;
	return 0;
}

/* Write without waiting: bytes taken, or -1 (errno EAGAIN: try later).
 * A syslogd that restarted left our socket unconnected: connect again. */
static ssize_t put(const char *p, size_t n)
{
	ssize_t r;
	int fd;

	if (!nonblocking)
		return fwrite(p, 1, n, stderr) == n ? (ssize_t)n : -1;
	if (!is_socket)
		return write(out_fd, p, n);
	r = send(out_fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (r < 0 && to_syslog && (errno == ECONNREFUSED || errno == ENOTCONN) &&
	    (fd = syslog_connect()) >= 0) {
		dup3(fd, out_fd, O_CLOEXEC);
		close(fd);
		r = send(out_fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	return r;
}

static bool busy(int e)
{
	return e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS;
}

/* syslog's records: sent in order while the socket takes them; one it
 * refuses for good (not "later") is dropped. */
static void flush_records(void)
{
	size_t off = 0;

	while (off < queued) {
		uint16_t len;
		ssize_t n;

		memcpy(&len, queue + off, sizeof(len));
		do
			n = put(queue + off + sizeof(len), len);
		while (n < 0 && errno == EINTR);
		if (n < 0 && busy(errno))
			break;
		if (n < 0)
			drop();
		off += sizeof(len) + len;
	}
	memmove(queue, queue + off, queued - off);
	queued -= off;
}

void log_flush(void)
{
	size_t off = 0;

	if (to_syslog) {
		flush_records();
		return;
	}
	while (off < queued) {
		ssize_t n = put(queue + off, queued - off);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			break;
		}
		off += (size_t)n;
	}
	memmove(queue, queue + off, queued - off);
	queued -= off;
}

/* Send one whole line, or queue it behind the ones still waiting. */
static void emit(const char *line, size_t len)
{
	ssize_t n = 0;

	if (!queued) {
		do
			n = put(line, len);
		while (n < 0 && errno == EINTR);
		if (n == (ssize_t)len)
			return;
		if (n < 0 && !busy(errno)) {
			drop();         /* the reader is gone: nothing to wait for */
			return;
		}
		if (n < 0)
			n = 0;
	}
	if (to_syslog) {
		uint16_t rlen = (uint16_t)len;  /* a line is shorter than 64 KB */

		if (queued + sizeof(rlen) + len > sizeof(queue)) {
			drop();
			return;
		}
		memcpy(queue + queued, &rlen, sizeof(rlen));
		memcpy(queue + queued + sizeof(rlen), line, len);
		queued += sizeof(rlen) + len;
		return;
	}
	/* The rest of a line cut by the pipe always fits (the queue was
	 * empty), so a line is never left half written. */
	if (queued + len - (size_t)n > sizeof(queue)) {
		drop();
		return;
	}
	memcpy(queue + queued, line + n, len - (size_t)n);
	queued += len - (size_t)n;
}

/* Once the reader has taken everything queued: how much it missed. */
static void report_dropped(void)
{
	unsigned long long lost = dropped_unreported;

	if (!lost || queued)
		return;
	dropped_unreported = 0;
	log_warn("event=log_dropped lines=%llu note=\"the log reader did not keep up; these "
		 "lines were lost, verdicts and bans were not\"", lost);
}

void log_drain(unsigned timeout_ms)
{
	struct pollfd p = { .fd = out_fd, .events = POLLOUT };
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int round = 0; round < 2; round++) {
		while (nonblocking && queued) {
			long left;

			clock_gettime(CLOCK_MONOTONIC, &t);
			left = (long)timeout_ms - ((t.tv_sec - t0.tv_sec) * 1000 +
						   (t.tv_nsec - t0.tv_nsec) / 1000000);
			if (left <= 0 || poll(&p, 1, (int)left) <= 0)
				return;
			log_flush();
		}
		report_dropped();
	}
}

static void vlog(const char *level, int prio, const char *fmt, va_list ap)
{
	char msg[1024], line[1200];
	int len;

	if ((quiet && prio > 4) || (prio == 7 && !debug))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (nonblocking)
		log_flush();
	report_dropped();
	if (to_syslog) {
		time_t now = time(NULL);
		struct tm tm;
		char stamp[32];

		localtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
		len = snprintf(line, sizeof(line), "<%d>%s %s[%d]: level=%s %s",
			       (2 << 3) | prio, stamp, prog, (int)getpid(), level, msg);
	} else if (journal) {
		len = snprintf(line, sizeof(line), "<%d>%s: level=%s %s\n", prio, prog, level, msg);
	} else {
		len = snprintf(line, sizeof(line), "%s: level=%s %s\n", prog, level, msg);
	}
	if (len >= (int)sizeof(line)) {
		len = (int)sizeof(line) - 1;
		if (!to_syslog)
			line[len - 1] = '\n';
	}
	if (!nonblocking) {
		/* One write per line so lines from several processes never mix. */
		fwrite(line, 1, (size_t)len, stderr);
		return;
	}
	emit(line, (size_t)len);
}

#define LOGFN(name, prio, level)                \
	void name(const char *fmt, ...)         \
	{                                       \
		va_list ap;                     \
		va_start(ap, fmt);              \
		vlog(level, prio, fmt, ap);     \
		va_end(ap);                     \
	}

/* syslog(3) priorities: facility mail (2) is added in vlog. */
LOGFN(log_debug, 7, "debug")
LOGFN(log_info, 6, "info")
LOGFN(log_warn, 4, "warn")
LOGFN(log_err, 3, "error")

unsigned long long log_dropped(void)
{
	return dropped;
}

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
