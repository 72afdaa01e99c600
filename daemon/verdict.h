/* verdict.h - the answer to one policy request: is this recipient real? */
#ifndef RG_VERDICT_H
#define RG_VERDICT_H

#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "dnsbl.h"
#include "judge.h"
#include "logline.h"
#include "policy.h"

struct verdict_stats {
	uint64_t requests, valid, unknown, negative, not_ours, unqualified, unjudged, relay_client,
		not_rcpt, no_database, spamtrap, relay_attempt, banned_replies, dnsbl_rejects,
		dnsbl_waited_out;
	uint64_t log_events[LOGLINE_DNSBL + 1];         /* by enum logline_kind */
	uint64_t log_duplicates;
	uint64_t recipients_loaded, recipients_refused;         /* database files */
	uint64_t recipients_keys, recipients_domains;           /* in the one in use */
};

struct verdicts;

/* Opens the recipients database if the config names one (a missing or
 * corrupt file is an error here, at start, never later) and reads the
 * spamtraps. Evidence goes to the judge. */
struct verdicts *verdicts_new(const struct config *c, struct judge *judge, struct dnsbl *dnsbl,
			      char *err, size_t errlen);
void verdicts_free(struct verdicts *v);

/* Take a reloaded config: reply text, and the database if its path
 * changed. On error the old state stays and err says why. */
int verdicts_reconfigure(struct verdicts *v, const struct config *c, char *err, size_t errlen);

/* The same in two steps, for a reload that must fail before it changes
 * anything: prepare reads the files c names (the spamtraps, the database
 * when its path changed; always when v is NULL: rcptguardd -t), commit
 * cannot fail. An unused next is freed with verdicts_next_free. */
struct verdicts_next {
	char **traps;
	size_t ntraps;
	struct recipients *db;
};
int verdicts_prepare(const struct verdicts *v, const struct config *c, struct verdicts_next *n,
		     char *err, size_t errlen);
void verdicts_commit(struct verdicts *v, const struct config *c, struct verdicts_next *n);
void verdicts_next_free(struct verdicts_next *n);

/* Notice a replaced database file and switch to it; a bad or missing
 * file, or one that lost more than recipients_max_shrink of its keys or
 * domains, is logged once and the last good one stays. */
void verdicts_check_db(struct verdicts *v);

/* Read the database file now (rcptguard recipients reload); force takes
 * a file however much it shrank. 0, or -1 with err saying why it was
 * refused. */
int verdicts_reload_db(struct verdicts *v, bool force, char *err, size_t errlen);

/* Why the last file was refused while the last good one stays; "" when
 * the file in use is the newest. */
const char *verdicts_db_refused(const struct verdicts *v);

/* How Postfix's and qmail's requests are judged under c (percent_hack,
 * recipient_delimiter; Unicode folding for Postfix). */
struct rcpt_form;
void verdict_forms(const struct config *c, struct rcpt_form *postfix, struct rcpt_form *qmail);

/* What the daemon answers for rcpt from a client that is neither a relay
 * client nor banned, asked by Postfix (qmail's answer is the same or
 * stricter: no delimiter, ASCII case only): the verdict's name (also
 * "spamtrap", "no-database"), the deciding key and the action. Nothing is
 * counted or logged. */
const char *verdicts_explain(struct verdicts *v, const char *rcpt, char *key, size_t keylen,
			     const char **action);

/* The action for r, without "action=" (e.g. "DUNNO"), or VERDICT_WAIT
 * while DNSBL answers it needs are pending: ask again after progress, and
 * with final set once dnsbl_wait has passed (pending lists then count as
 * not listed). */
enum verdict_state { VERDICT_DONE, VERDICT_WAIT };
enum verdict_state verdicts_answer(struct verdicts *v, const struct policy_req *r, char *out,
				   size_t outlen, bool final);

/* One line of a followed MTA log, parsed: its rejection is evidence like
 * a verdict's. */
void verdicts_log_line(struct verdicts *v, const struct logline *l);
const struct verdict_stats *verdicts_stats(const struct verdicts *v);

#endif
