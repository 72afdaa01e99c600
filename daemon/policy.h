/* policy.h - the Postfix SMTP access policy delegation protocol: requests
 * of "name=value" lines ended by an empty line, replies "action=...". */
#ifndef RG_POLICY_H
#define RG_POLICY_H

#include <stdbool.h>
#include <stddef.h>

/* A request longer than this is refused (Postfix sends about 1.5 KB). */
#define POLICY_MAX_REQUEST 16384
/* Longest reply we write: "action=" + text + "\n\n". */
#define POLICY_MAX_REPLY 600

/* The attributes rcptguard reads; NULL when absent. Unknown ones are
 * ignored; a repeated one keeps its last value. */
struct policy_req {
	const char *request;
	const char *protocol_state;
	const char *client_address;
	const char *client_name;
	const char *helo_name;
	const char *sender;
	const char *recipient;
	const char *instance;
	const char *sasl_username;
	const char *rcpthosts_ok;       /* rcptguard-spp extensions, policy_attrs.h */
	const char *relay_client;
	const char *rcpt_count_all;     /* qmail: 1 at a transaction's first RCPT */
	bool verdict_only;              /* not parsed: set by the server for a sender
					   whose requests are no evidence (query.c) */
};

/* rcptguard-spp sends its extension attributes with every request; Postfix
 * never does. The MTA decides how an address reaches a mailbox. */
static inline bool policy_from_qmail(const struct policy_req *r)
{
	return r->relay_client != NULL;
}

/* Look for the end of one request in buf[0..len), resuming at *scan (0
 * for a new request). Returns the request's length including its empty
 * line, or 0 if it is not complete yet. */
size_t policy_frame(const char *buf, size_t len, size_t *scan);

/* Parse one complete request in place (values are NUL-terminated inside
 * buf). Returns 0, or -1 with *why saying what is wrong. */
int policy_parse(char *buf, size_t len, struct policy_req *r, const char **why);

#endif
