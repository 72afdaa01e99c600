/* control_client.h - the CLI's side of the control socket. */
#ifndef RG_CONTROL_CLIENT_H
#define RG_CONTROL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#define CTL_MAX_FIELDS 32

struct ctl_record {
	unsigned n;
	char *key[CTL_MAX_FIELDS];
	char *val[CTL_MAX_FIELDS];
};

struct ctl_reply {
	char *error;                    /* NULL when the daemon said "ok" */
	struct ctl_record *rec;
	size_t n;
	char *buf;
};

enum ctl_status { CTL_OK = 0, CTL_DOWN = -1, CTL_FAILED = -2 };

/* Send one request (words are escaped here) and read the whole reply.
 * CTL_DOWN: no daemon listens on sock (err says so); CTL_FAILED: the
 * exchange broke (err says how). */
enum ctl_status ctl_call(const char *sock, const char *const *words, int nwords,
			 struct ctl_reply *out, char *err, size_t errlen);
/* Parse r->buf (NUL-terminated, as read) into r; -1 with err when it is
 * not a reply of the control protocol. */
int ctl_parse(struct ctl_reply *r, char *err, size_t errlen);
/* For people: every key and value of r's records made safe for a
 * terminal (term_escape). -1 when out of memory. */
int ctl_escape(struct ctl_reply *r);
void ctl_free(struct ctl_reply *r);
/* A field of a record, "" if absent. */
const char *ctl_get(const struct ctl_record *r, const char *key);
/* r's fields into the JSON object being written, each typed as
 * docs/control.md says (numbers, booleans, strings); the field skip (may
 * be NULL) left out. */
struct json;
void ctl_json_fields(struct json *j, const struct ctl_record *r, const char *skip);

#endif
