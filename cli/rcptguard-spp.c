/* rcptguard-spp - qmail-spp plugin: environment in, one policy request to
 * rcptguardd, one qmail-spp command out.
 *
 * qmail style: no config file, no allocation, one job. It never prints O
 * or A (they skip qmail's rcpthosts check: an open relay), never answers
 * 5xx because of its own trouble, always exits 0, and gives up after its
 * timeout so an SMTP session can never hang on it. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "policy.h"
#include "policy_attrs.h"
#include "version.h"

#define DEFAULT_SOCKET "/run/rcptguard/query.sock"
#define MAX_VALUE 512           /* values not judged (HELO, sender) are cut here */
#define MAX_REPLY 1024          /* longer replies are garbage */

static const struct section {
	const char *name;
	const char *state;      /* Postfix protocol_state */
} sections[] = {
	{ "connection", "CONNECT" }, { "helo", "HELO" }, { "mail", "MAIL" },
	{ "rcpt", "RCPT" }, { "data", "DATA" },
};

static const struct section *sec;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* stderr lands in qmail-smtpd's log. */
	fprintf(stderr, "rcptguard-spp: %s\n", line);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Trouble: fail open (print nothing) unless told to tempfail. */
static int fail(const char *why)
{
	const char *mode = getenv("RCPTGUARD_FAIL");
	bool tempfail = mode && strcmp(mode, "tempfail") == 0;

	say("level=warn event=%s section=%s error=\"%s\"", tempfail ? "tempfail" : "fail_open",
	    sec ? sec->name : "unknown", why);
	if (tempfail)
		fputs("E451 4.3.0 recipient check temporarily unavailable, try again later\n", stdout);
	return 0;
}

static const struct section *find_section(const char *name)
{
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (strcmp(name, sections[i].name) == 0)
			return &sections[i];
	return NULL;
}

/* name=value\n with bytes that could end the line replaced, the value cut
 * after max bytes. The recipient is never cut (a cut address could be
 * another mailbox): one that does not fit fails the request, and so fails
 * open; qmail-smtpd itself refuses addresses over 900 bytes. */
static size_t attr_max(char *buf, size_t off, size_t size, const char *name,
		       const char *value, size_t max)
{
	size_t n;
	int w;

	if (!value || off >= size)
		return off;
	w = snprintf(buf + off, size - off, "%s=", name);
	if (w < 0 || (size_t)w >= size - off)
		return size;
	off += (size_t)w;
	for (n = 0; value[n] && n < max && off + 1 < size; n++)
		buf[off++] = (unsigned char)value[n] < 32 ? '?' : value[n];
	if (off + 1 >= size)
		return size;
	buf[off++] = '\n';
	return off;
}

static size_t attr(char *buf, size_t off, size_t size, const char *name, const char *value)
{
	return attr_max(buf, off, size, name, value, MAX_VALUE);
}

static size_t build_request(char *buf, size_t size)
{
	const char *relay = getenv("RELAYCLIENT"), *auth = getenv("SMTPAUTHUSER");
	char instance[32];
	size_t off = 0;

	snprintf(instance, sizeof(instance), "qmail-%ld", (long)getppid());
	off = attr(buf, off, size, "request", "smtpd_access_policy");
	off = attr(buf, off, size, "protocol_state", sec->state);
	off = attr(buf, off, size, "protocol_name", "SMTP");
	off = attr(buf, off, size, "client_address", getenv("TCPREMOTEIP"));
	off = attr(buf, off, size, "client_name", getenv("TCPREMOTEHOST"));
	off = attr(buf, off, size, "helo_name", getenv("SMTPHELOHOST"));
	off = attr(buf, off, size, "sender", getenv("SMTPMAILFROM"));
	off = attr(buf, off, size, "instance", instance);
	off = attr(buf, off, size, "sasl_username", auth);
	if (strcmp(sec->name, "rcpt") == 0) {
		off = attr_max(buf, off, size, "recipient", getenv("SMTPRCPTTO"), size);
		off = attr(buf, off, size, PA_RCPT_COUNT, getenv("SMTPRCPTCOUNT"));
		off = attr(buf, off, size, PA_RCPT_COUNT_ALL, getenv("SMTPRCPTCOUNTALL"));
		off = attr(buf, off, size, PA_RCPTHOSTS_OK, getenv("SMTPRCPTHOSTSOK"));
	}
	off = attr(buf, off, size, PA_RELAY_CLIENT, relay || (auth && *auth) ? "1" : "0");
	if (off + 1 >= size)
		return 0;
	buf[off++] = '\n';
	return off;
}

static int wait_for(int fd, short events, long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	long left;
	int n;

	while ((left = deadline - now_ms()) > 0) {
		n = poll(&p, 1, (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
	errno = ETIMEDOUT;
	return -1;
}

/* One request, one reply up to the empty line; the reply lands in buf. */
static const char *exchange(const char *path, const char *req, size_t len, char *buf,
			    size_t size, long deadline)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t got = 0, sent = 0;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return "socket path too long";
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return strerror(errno);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
	    (errno != EAGAIN || wait_for(fd, POLLOUT, deadline) < 0))
		goto err;
	while (sent < len) {
		ssize_t n = send(fd, req + sent, len - sent, MSG_NOSIGNAL);

		if (n > 0)
			sent += (size_t)n;
		else if (n < 0 && errno != EAGAIN && errno != EINTR)
			goto err;
		else if (wait_for(fd, POLLOUT, deadline) < 0)
			goto err;
	}
	for (;;) {
		ssize_t n = recv(fd, buf + got, size - 1 - got, 0);

		if (n > 0) {
			got += (size_t)n;
			buf[got] = '\0';
			if (strstr(buf, "\n\n")) {
				close(fd);
				return NULL;
			}
			if (got == size - 1) {
				close(fd);
				return "reply too long";
			}
		} else if (n == 0) {
			close(fd);
			return "daemon closed the connection without a reply";
		} else if (errno != EAGAIN && errno != EINTR) {
			goto err;
		} else if (wait_for(fd, POLLIN, deadline) < 0) {
			goto err;
		}
	}
err:
	{
		int e = errno;

		close(fd);
		return e == ETIMEDOUT ? "no reply within the timeout" : strerror(e);
	}
}

/* The reply text as qmail sends it: printable ASCII only. */
static void clean(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 32 || (unsigned char)*s > 126)
			*s = '?';
}

/* class.subject.detail, like "5.1.1", followed by a space or the end. */
static bool is_dsn(const char *s)
{
	size_t a, b;

	if ((s[0] != '4' && s[0] != '5') || s[1] != '.')
		return false;
	a = strspn(s + 2, "0123456789");
	if (a < 1 || a > 3 || s[2 + a] != '.')
		return false;
	b = strspn(s + 3 + a, "0123456789");
	return b >= 1 && b <= 3 && (s[3 + a + b] == ' ' || !s[3 + a + b]);
}

/* Write the reply the way Postfix words the same action, so one policy
 * answer reads alike to clients of both MTAs:
 * "550 5.1.1 <rcpt>: Recipient address rejected: no such mailbox". */
static void reply(const char *code, const char *dsn, const char *text)
{
	static const struct { const char *section, *env, *what; } ctx[] = {
		{ "helo", "SMTPHELOHOST", "Helo command" },
		{ "mail", "SMTPMAILFROM", "Sender address" },
		{ "rcpt", "SMTPRCPTTO", "Recipient address" },
		{ "data", NULL, "Data command" },
		{ "connection", "TCPREMOTEIP", "Client host" },
	};
	bool hangup = strcmp(code, "421") == 0 || strcmp(code, "521") == 0;
	bool connection = strcmp(sec->name, "connection") == 0;
	char subject[MAX_VALUE + 8] = "";

	for (size_t i = 0; i < sizeof(ctx) / sizeof(ctx[0]); i++) {
		const char *v;

		if (strcmp(sec->name, ctx[i].section) != 0)
			continue;
		if (ctx[i].env && (v = getenv(ctx[i].env))) {
			snprintf(subject, sizeof(subject), "<%.*s>: ", MAX_VALUE, v);
			clean(subject);
		}
		/* E in [connection] only replaces the greeting: R ends the session. */
		printf("%c%s %s %s%s rejected: %.400s\n", hangup || connection ? 'R' : 'E', code,
		       dsn, subject, ctx[i].what, text);
		return;
	}
}

/* Translate an access(5) action into a qmail-spp command. */
static int translate(char *answer)
{
	char *action = NULL, *line, *save = NULL, code[4];
	const char *text, *dsn;

	for (line = strtok_r(answer, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, "action=", 7) == 0) {
			action = line + 7;
			break;
		}
	if (!action)
		return fail("reply without action=");
	clean(action);
	if (strncasecmp(action, "DUNNO", 5) == 0 || strncasecmp(action, "OK", 2) == 0)
		return 0;
	if ((action[0] == '4' || action[0] == '5') && action[1] >= '0' && action[1] <= '9' &&
	    action[2] >= '0' && action[2] <= '9' && (action[3] == ' ' || !action[3])) {
		memcpy(code, action, 3);
		code[3] = '\0';
		text = action[3] ? action + 4 : "";
		dsn = action[0] == '4' ? "4.7.1" : "5.7.1";
		if (is_dsn(text)) {
			char *sp = strchr(action + 4, ' ');

			dsn = action + 4;
			text = "";
			if (sp) {
				*sp = '\0';
				text = sp + 1;
			}
		}
		reply(code, dsn, *text ? text : "Access denied");
		return 0;
	}
	if (strncasecmp(action, "REJECT", 6) == 0) {
		reply("554", "5.7.1", action[6] == ' ' ? action + 7 : "Access denied");
		return 0;
	}
	if (strncasecmp(action, "DEFER", 5) == 0) {
		text = strchr(action, ' ');
		reply("450", "4.7.1", text ? text + 1 : "Service unavailable; try again later");
		return 0;
	}
	/* Anything else (WARN, PREPEND, ...) has no qmail-spp meaning: accept. */
	say("level=info event=ignored_action action=\"%.60s\"", action);
	return 0;
}

int main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	const char *path = getenv("RCPTGUARD_SOCKET"), *t = getenv("RCPTGUARD_TIMEOUT");
	char req[POLICY_MAX_REQUEST], reply[MAX_REPLY + 1];
	const char *why;
	long timeout = SPP_TIMEOUT_DEFAULT_MS;
	size_t len;

	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		version_print(stdout, "rcptguard-spp");
		return 0;
	}
	/* Section from the argument, else from a rcptguard-spp-SECTION name. */
	if (argc > 1)
		sec = find_section(argv[1]);
	else if (strncmp(name, "rcptguard-spp-", 14) == 0)
		sec = find_section(name + 14);
	else
		sec = find_section("rcpt");
	if (!sec)
		return fail("unknown section: use connection, helo, mail, rcpt or data");
	if (t) {
		char *end;
		double s = strtod(t, &end);

		if (end != t && !*end && s > 0 && s <= 60)
			timeout = (long)(s * 1000);
		else
			say("level=warn event=bad_timeout value=\"%.20s\" using=%ds", t,
			    SPP_TIMEOUT_DEFAULT_MS / 1000);
	}
	if (!getenv("TCPREMOTEIP"))
		return fail("TCPREMOTEIP is not set: run me from qmail-smtpd under tcpserver");
	len = build_request(req, sizeof(req));
	if (!len)
		return fail("the recipient does not fit in a 16 KB request");
	why = exchange(path && *path ? path : DEFAULT_SOCKET, req, len, reply, sizeof(reply),
		       now_ms() + timeout);
	if (why)
		return fail(why);
	return translate(reply);
}
