/* policy.c - framing and parsing of policy requests; no I/O here. */
#include <stddef.h>
#include <string.h>
#include "policy.h"
#include "policy_attrs.h"

size_t policy_frame(const char *buf, size_t len, size_t *scan)
{
	size_t i = *scan;

	/* An empty line is "\n" or "\r\n" right after a newline (or at the
	 * very start, which parse then refuses as an empty request). */
	for (; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (i == 0 || buf[i - 1] == '\n' ||
		    (buf[i - 1] == '\r' && (i == 1 || buf[i - 2] == '\n'))) {
			*scan = 0;
			return i + 1;
		}
	}
	*scan = len;
	return 0;
}

static void set(struct policy_req *r, const char *name, const char *value)
{
	static const struct {
		const char *name;
		size_t off;
	} attrs[] = {
#define A(n, f) { n, offsetof(struct policy_req, f) }
		A("request", request), A("protocol_state", protocol_state),
		A("client_address", client_address), A("client_name", client_name),
		A("helo_name", helo_name), A("sender", sender), A("recipient", recipient),
		A("instance", instance), A("sasl_username", sasl_username),
		A(PA_RCPTHOSTS_OK, rcpthosts_ok), A(PA_RELAY_CLIENT, relay_client),
		A(PA_RCPT_COUNT_ALL, rcpt_count_all),
#undef A
	};

	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		if (strcmp(name, attrs[i].name) == 0) {
			*(const char **)((char *)r + attrs[i].off) = value;
			return;
		}
}

int policy_parse(char *buf, size_t len, struct policy_req *r, const char **why)
{
	char *p = buf, *end = buf + len;

	memset(r, 0, sizeof(*r));
	if (memchr(buf, '\0', len)) {
		*why = "NUL byte in request";
		return -1;
	}
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *eq;

		if (!nl)
			break;
		*nl = '\0';
		if (nl > p && nl[-1] == '\r')
			nl[-1] = '\0';
		if (!*p)
			break;          /* the empty line that ends the request */
		eq = strchr(p, '=');
		if (!eq || eq == p) {
			*why = "line without name=value";
			return -1;
		}
		*eq = '\0';
		set(r, p, eq + 1);
		p = nl + 1;
	}
	if (!r->request) {
		*why = "no request= attribute";
		return -1;
	}
	if (strcmp(r->request, "smtpd_access_policy") != 0) {
		*why = "request is not smtpd_access_policy";
		return -1;
	}
	return 0;
}
