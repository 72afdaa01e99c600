/* lapi_machine.c - three keys of a small YAML file, read line by line. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "lapi_machine.h"

#define MACHINE_FILE_MAX 65536

/* The scalar after "key:" in [v, end): plain (to a " #" comment or the
 * end, trimmed) or quoted ('' escapes a quote in single quotes; double
 * quotes may not hold escapes). 0, or -1. */
static int scalar(const char *v, const char *end, char *out, size_t size)
{
	size_t n = 0;

	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	if (v < end && (*v == '\'' || *v == '"')) {
		char q = *v++;

		for (; v < end; v++) {
			if (*v == q && q == '\'' && v + 1 < end && v[1] == '\'')
				v++;
			else if (*v == q)
				break;
			else if (q == '"' && *v == '\\')
				return -1;
			if (n + 1 >= size)
				return -1;
			out[n++] = *v;
		}
		if (v == end)
			return -1;
		for (v++; v < end && (*v == ' ' || *v == '\t'); v++)
			;
		if (v < end && *v != '#')
			return -1;
	} else {
		const char *e = v;

		while (e < end && !(*e == '#' && e > v && (e[-1] == ' ' || e[-1] == '\t')))
			e++;
		while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if ((size_t)(e - v) >= size)
			return -1;
		memcpy(out, v, (size_t)(e - v));
		n = (size_t)(e - v);
	}
	out[n] = 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)out[i] < ' ' || out[i] == 127)
			return -1;
	return 0;
}

int lapi_machine_parse(const char *text, size_t len, struct lapi_machine *m, char *err,
		       size_t errlen)
{
	static const struct { const char *key; size_t off, size; } keys[] = {
		{ "url", offsetof(struct lapi_machine, url), sizeof(m->url) },
		{ "login", offsetof(struct lapi_machine, login), sizeof(m->login) },
		{ "password", offsetof(struct lapi_machine, password), sizeof(m->password) },
	};
	const char *p = text, *end = text + len;
	unsigned line = 0;

	memset(m, 0, sizeof(*m));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end;

		line++;
		if (e > p && e[-1] == '\r')
			e--;
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			size_t k = strlen(keys[i].key);
			char *dst = (char *)m + keys[i].off;

			if ((size_t)(e - p) <= k || memcmp(p, keys[i].key, k) || p[k] != ':')
				continue;
			if (*dst || scalar(p + k + 1, e, dst, keys[i].size) < 0) {
				snprintf(err, errlen, "line %u: %s is %s", line, keys[i].key,
					 *dst ? "given twice" : "not one printable value of the "
					 "right size");
				return -1;
			}
		}
		p = nl ? nl + 1 : end;
	}
	if (!*m->url || !*m->login || !*m->password) {
		snprintf(err, errlen, "url, login and password must all be set (cscli machines "
			 "add NAME --password PW -f FILE writes them)");
		return -1;
	}
	if (strncmp(m->url, "http://", 7) && strncmp(m->url, "https://", 8)) {
		snprintf(err, errlen, "url must start with http:// or https://");
		return -1;
	}
	return 0;
}

int lapi_machine_read(const char *path, struct lapi_machine *m, char *err, size_t errlen)
{
	char buf[MACHINE_FILE_MAX + 1], why[160];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));

	if (n < 0) {
		snprintf(err, errlen, "crowdsec_machine_file %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	if (n > MACHINE_FILE_MAX) {
		snprintf(err, errlen, "crowdsec_machine_file %s: over %d bytes", path,
			 MACHINE_FILE_MAX);
		return -1;
	}
	if (lapi_machine_parse(buf, (size_t)n, m, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "crowdsec_machine_file %s: %s", path, why);
		return -1;
	}
	return 0;
}
