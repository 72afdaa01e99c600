/* control_client.c - connect, send one line, read until ".", parse. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "grow.h"
#include "control_client.h"
#include "escape.h"
#include "json.h"

#define TIMEOUT_MS 10000
#define MAX_REPLY (512UL << 20)

static int connect_sock(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket path too long: %s", path);
		return -2;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		if (e == EACCES)
			snprintf(err, errlen, "permission denied on %s: the control socket is for "
				 "root (and control_socket_group); run rcptguard as root", path);
		else
			snprintf(err, errlen, "cannot connect to %s: %s", path, strerror(e));
		return e == ENOENT || e == ECONNREFUSED ? -1 : -2;
	}
	return fd;
}

int ctl_parse(struct ctl_reply *r, char *err, size_t errlen)
{
	char *line = r->buf, *nl;
	size_t cap = 0;

	if (!line || !(nl = strchr(line, '\n')))
		goto bad;
	*nl = '\0';
	if (strncmp(line, "error ", 6) == 0) {
		r->error = line + 6;
		pct_decode(r->error);
		return 0;
	}
	if (strcmp(line, "ok") != 0)
		goto bad;
	for (line = nl + 1; (nl = strchr(line, '\n')) && strcmp(line, ".\n") != 0; line = nl + 1) {
		struct ctl_record rec = { 0 };
		char *save = NULL;

		*nl = '\0';
		for (char *f = strtok_r(line, "\t", &save); f; f = strtok_r(NULL, "\t", &save)) {
			char *eq = strchr(f, '=');

			if (!eq || rec.n == CTL_MAX_FIELDS)
				goto bad;
			*eq = '\0';
			if (pct_decode(eq + 1) < 0)
				goto bad;
			rec.key[rec.n] = f;
			rec.val[rec.n++] = eq + 1;
		}
		if (grow(&r->rec, &cap, r->n + 1, sizeof(*r->rec), 64) < 0)
			goto bad;
		r->rec[r->n++] = rec;
	}
	return 0;
bad:
	snprintf(err, errlen, "the daemon's reply is not in the control protocol");
	return -1;
}

enum ctl_status ctl_call(const char *sock, const char *const *words, int nwords,
			 struct ctl_reply *out, char *err, size_t errlen)
{
	char req[4096], enc[1024];
	size_t len = 0, got = 0, cap = 0;
	int fd = connect_sock(sock, err, errlen);

	*out = (struct ctl_reply){ 0 };
	if (fd < 0)
		return fd == -1 ? CTL_DOWN : CTL_FAILED;
	for (int i = 0; i < nwords; i++) {
		pct_encode(words[i], enc, sizeof(enc));
		len += (size_t)snprintf(req + len, sizeof(req) - len, "%s%s", i ? " " : "", enc);
	}
	if (len + 1 >= sizeof(req)) {
		snprintf(err, errlen, "request too long");
		goto fail;
	}
	req[len++] = '\n';
	if (send(fd, req, len, MSG_NOSIGNAL) != (ssize_t)len) {
		snprintf(err, errlen, "cannot send to %s: %s", sock, strerror(errno));
		goto fail;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (cap - got < 65536 &&
		    (cap > MAX_REPLY || grow(&out->buf, &cap, got + 65536, 1, 131072) < 0)) {
			snprintf(err, errlen, "reply too large");
			goto fail;
		}
		if (poll(&p, 1, TIMEOUT_MS) <= 0) {
			snprintf(err, errlen, "no answer from %s within %d s", sock, TIMEOUT_MS / 1000);
			goto fail;
		}
		n = read(fd, out->buf + got, cap - got - 1);
		if (n <= 0) {
			snprintf(err, errlen, "the daemon closed the connection");
			goto fail;
		}
		got += (size_t)n;
		out->buf[got] = '\0';
		/* The reply ends with a line ".". */
		if (got >= 2 && strcmp(out->buf + got - 2, ".\n") == 0 &&
		    (got == 2 || out->buf[got - 3] == '\n'))
			break;
	}
	close(fd);
	return ctl_parse(out, err, errlen) < 0 ? (ctl_free(out), CTL_FAILED) : CTL_OK;
fail:
	close(fd);
	ctl_free(out);
	return CTL_FAILED;
}

int ctl_escape(struct ctl_reply *r)
{
	size_t need = 1, used = 0;
	char *buf;

	for (size_t i = 0; i < r->n; i++)
		for (unsigned j = 0; j < r->rec[i].n; j++)
			need += term_escape(r->rec[i].key[j], NULL, 0) +
				term_escape(r->rec[i].val[j], NULL, 0) + 2;
	if (!(buf = malloc(need)))
		return -1;
	for (size_t i = 0; i < r->n; i++)
		for (unsigned j = 0; j < r->rec[i].n; j++) {
			char **f[] = { &r->rec[i].key[j], &r->rec[i].val[j] };

			for (int k = 0; k < 2; k++) {
				size_t n = term_escape(*f[k], buf + used, need - used) + 1;

				*f[k] = buf + used;
				used += n;
			}
		}
	free(r->buf);
	r->buf = buf;
	return 0;
}

void ctl_free(struct ctl_reply *r)
{
	free(r->rec);
	free(r->buf);
	*r = (struct ctl_reply){ 0 };
}

const char *ctl_get(const struct ctl_record *r, const char *key)
{
	for (unsigned i = 0; i < r->n; i++)
		if (strcmp(r->key[i], key) == 0)
			return r->val[i];
	return "";
}

/* The protocol's fields that hold numbers and booleans ("1" or "0"); every
 * other field is text (docs/control.md). */
static const char *const numbers[] = {
	"created", "expires", "packets", "bytes", "level", "threshold", "bad_total",
	"offenses", "valid_count", "first_seen", "last_seen", "last_ban", "ban_until",
	"pardon_until", "time", "asked", "weight", "pid", "started", "recipients_keys",
	"recipients_domains", "offenders", "query_connections", "state_saved", "keys",
	"domains", "unbanned", "value", "ban_level", "ban_threshold", "rst_sent", "rst_suppressed", "crowdsec_decisions", "crowdsec_push_queued", NULL
};
static const char *const booleans[] = { "expired", NULL };

static bool listed(const char *const *names, const char *key)
{
	for (; *names; names++)
		if (strcmp(*names, key) == 0)
			return true;
	return false;
}

void ctl_json_fields(struct json *j, const struct ctl_record *r, const char *skip)
{
	for (unsigned i = 0; i < r->n; i++) {
		if (skip && strcmp(r->key[i], skip) == 0)
			continue;
		json_key(j, r->key[i]);
		if (listed(numbers, r->key[i]))
			json_number_text(j, r->val[i]);
		else if (listed(booleans, r->key[i]))
			json_bool(j, strcmp(r->val[i], "1") == 0);
		else
			json_string(j, r->val[i]);
	}
}
