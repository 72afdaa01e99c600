/* verdict.c - recipient verdicts from the recipients database. Only
 * rejections are logged: accepted mail is the normal case. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "recipients.h"
#include "verdict.h"

struct verdicts {
	struct recipients *db;
	char path[PATH_MAX];
	char reject[256];
	struct file_id failed;          /* last file that would not open */
	bool have_failed, missing_logged;
	struct verdict_stats st;
};

struct verdicts *verdicts_new(const struct config *c, char *err, size_t errlen)
{
	struct verdicts *v = calloc(1, sizeof(*v));

	if (!v) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (verdicts_reconfigure(v, c, err, errlen) < 0) {
		free(v);
		return NULL;
	}
	return v;
}

void verdicts_free(struct verdicts *v)
{
	if (!v)
		return;
	recipients_close(v->db);
	free(v);
}

static void log_opened(const struct verdicts *v, const char *why)
{
	log_info("event=recipients_open why=%s path=%s domains=%zu", why, v->path,
		 recipients_domains(v->db));
}

int verdicts_reconfigure(struct verdicts *v, const struct config *c, char *err, size_t errlen)
{
	snprintf(v->reject, sizeof(v->reject), "%s", c->reject_unknown);
	if (strcmp(v->path, c->recipients) == 0)
		return 0;
	if (!c->recipients[0]) {
		recipients_close(v->db);
		v->db = NULL;
		v->path[0] = '\0';
		log_info("event=recipients_off note=\"no recipients database configured: "
			 "every recipient gets DUNNO\"");
		return 0;
	}
	{
		struct recipients *db = recipients_open(c->recipients, err, errlen);

		if (!db)
			return -1;
		recipients_close(v->db);
		v->db = db;
	}
	snprintf(v->path, sizeof(v->path), "%s", c->recipients);
	v->have_failed = v->missing_logged = false;
	log_opened(v, "config");
	return 0;
}

void verdicts_check_db(struct verdicts *v)
{
	struct file_id id;
	struct recipients *db;
	char err[512];

	if (!v->db)
		return;
	if (file_id_of(v->path, &id) < 0) {
		if (!v->missing_logged)
			log_err("event=recipients_missing path=%s note=\"keeping the last good "
				"database\"", v->path);
		v->missing_logged = true;
		return;
	}
	v->missing_logged = false;
	if (file_id_eq(&id, recipients_id(v->db)) ||
	    (v->have_failed && file_id_eq(&id, &v->failed)))
		return;
	db = recipients_open(v->path, err, sizeof(err));
	if (!db) {
		log_err("event=recipients_reload result=refused error=\"%s\" note=\"keeping the "
			"last good database\"", err);
		v->failed = id;
		v->have_failed = true;
		return;
	}
	/* Single-threaded: no lookup can run between these two lines. */
	recipients_close(v->db);
	v->db = db;
	v->have_failed = false;
	log_opened(v, "replaced");
}

void verdicts_answer(struct verdicts *v, const struct policy_req *r, char *out, size_t outlen)
{
	char key[RCPT_MAX + 16], qa[160], qr[RCPT_MAX + 8];
	enum rcpt_verdict rv;

	v->st.requests++;
	snprintf(out, outlen, "DUNNO");
	if (!r->protocol_state || strcmp(r->protocol_state, "RCPT") != 0 || !r->recipient) {
		v->st.not_rcpt++;
		return;
	}
	/* Relay clients (RELAYCLIENT, SMTP AUTH) send anywhere: never judged. */
	if ((r->relay_client && strcmp(r->relay_client, "1") == 0) ||
	    (r->sasl_username && *r->sasl_username)) {
		v->st.relay_client++;
		return;
	}
	if (!v->db) {
		v->st.no_database++;
		return;
	}
	rv = recipients_lookup(v->db, r->recipient, key, sizeof(key));
	switch (rv) {
	case RCPT_VALID: v->st.valid++; return;
	case RCPT_NOT_OURS: v->st.not_ours++; return;
	case RCPT_UNJUDGED: v->st.unjudged++; return;
	case RCPT_UNKNOWN: v->st.unknown++; break;
	case RCPT_NEGATIVE: v->st.negative++; break;
	}
	/* The MTA words the reply around it: Postfix (and rcptguard-spp)
	 * send "550 5.1.1 <rcpt>: Recipient address rejected: no such mailbox". */
	snprintf(out, outlen, "%s", v->reject);
	log_info("event=verdict verdict=%s client=%s recipient=%s key=%s", rcpt_verdict_name(rv),
		 log_quote(qa, sizeof(qa), r->client_address),
		 log_quote(qr, sizeof(qr), r->recipient), key[0] ? key : "-");
}

const struct verdict_stats *verdicts_stats(const struct verdicts *v)
{
	return &v->st;
}
