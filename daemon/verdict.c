/* verdict.c - the answer to one policy request. A recipient is judged
 * against the recipients database; what it reveals about the client is
 * evidence for the judge (judge.h), which bans before the reply is
 * written. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include "addr.h"
#include "credit.h"
#include "duration.h"
#include "log.h"
#include "recipients.h"
#include "verdict.h"

/* The answer to a request from a banned client: the MTA ends the session
 * (Postfix on 421; rcptguard-spp prints R421). A spamtrap's ban answers
 * spamtrap_reply instead. */
#define BANNED_ACTION "421 4.7.0 too many unknown recipients; try again later"

/* A refused recipients file younger than this is tried again even if its
 * size and mtime stay the same: a write in the same clock tick as our
 * look at it changes neither. */
#define DB_SETTLE_SECS 2

/* Every recipient a request can carry is judged, whatever its length. */
_Static_assert(RCPT_INPUT_MAX >= POLICY_MAX_REQUEST, "recipients shorter than requests");
_Static_assert(sizeof(((struct config *)0)->recipient_delimiter) ==
	       sizeof(((struct rcpt_form *)0)->delimiters), "recipient_delimiter fits the form");

struct verdicts {
	struct recipients *db;
	char path[PATH_MAX];
	char reject[256];
	struct rcpt_form postfix, qmail;        /* how each MTA delivers an address */
	char spamtrap_reply[256];
	double max_shrink;              /* recipients_max_shrink, percent */
	struct file_id failed;          /* last file refused */
	bool have_failed, failed_settled, missing_logged;
	char refused[512];              /* why; empty once a file is taken */
	struct judge *judge;
	struct credit *credit;          /* valid recipients waiting for their message */
	struct dnsbl *dnsbl;
	double dnsbl_threshold, dnsbl_ban_weight;
	int dnsbl_stage;                /* protocol stage from which listings reject */
	char **traps;                   /* sorted, normalised */
	size_t ntraps;
	enum log_verdicts_cfg logv;
	bool configured;                /* once: the first config logs its mode */
	struct verdict_stats st;
	struct logline_dedupe dedupe;   /* of the followed logs' lines */
};

void verdict_forms(const struct config *c, struct rcpt_form *postfix, struct rcpt_form *qmail)
{
	/* qmail lower-cases ASCII only and has no delimiter: its extensions
	 * are the -default keys. Its percenthack control routes like
	 * Postfix's, for the domains it lists. */
	*postfix = (struct rcpt_form){ .postfix = true, .percent_hack = c->percent_hack,
				       .swap_bangpath = c->swap_bangpath,
				       .resolve_dequoted = c->resolve_dequoted };
	memcpy(postfix->delimiters, c->recipient_delimiter, sizeof(postfix->delimiters));
	*qmail = (struct rcpt_form){ .postfix = false, .percent_hack = c->percent_hack };
}

/* SMTP stages in order; a DNSBL rejection applies from its stage on. */
static int stage_of(const char *s)
{
	static const char *const order[] = { "connect", "helo", "mail", "rcpt", "data" };

	for (int i = 0; s && i < 5; i++)
		if (strcasecmp(s, order[i]) == 0 ||
		    (i == 1 && strcasecmp(s, "ehlo") == 0) ||
		    (i == 4 && strcasecmp(s, "end-of-message") == 0))
			return i;
	return -1;
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_traps(char **t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(t[i]);
	free(t);
}

static int add_trap(char ***t, size_t *n, const char *addr)
{
	char norm[RCPT_INPUT_MAX + 1], **v;

	if (!rcpt_normalise(addr, norm) || !strchr(norm, '@'))
		return 1;
	if (!(v = realloc(*t, (*n + 1) * sizeof(*v))) || !(v[*n] = strdup(norm))) {
		*t = v ? v : *t;
		return -1;
	}
	*t = v;
	(*n)++;
	return 0;
}

/* The config's spamtrap lines and spamtrap_file, sorted for bsearch. */
static int load_traps(const struct config *c, char ***out, size_t *nout, char *err,
		      size_t errlen)
{
	char **t = NULL, line[RCPT_MAX + 2];
	size_t n = 0;
	unsigned lineno = 0;
	FILE *f;

	for (unsigned i = 0; i < c->n_spamtraps; i++)
		if (add_trap(&t, &n, c->spamtraps[i]) < 0)
			goto oom;
	if (c->spamtrap_file[0]) {
		if (!(f = fopen(c->spamtrap_file, "r"))) {
			snprintf(err, errlen, "cannot open spamtrap_file %s: %m", c->spamtrap_file);
			free_traps(t, n);
			return -1;
		}
		while (fgets(line, sizeof(line), f)) {
			char *s = line + strspn(line, " \t");
			int rc;

			lineno++;
			s[strcspn(s, " \t\r\n")] = '\0';
			if (!*s || *s == '#')
				continue;
			if ((rc = add_trap(&t, &n, s)) < 0) {
				fclose(f);
				goto oom;
			}
			if (rc > 0) {
				snprintf(err, errlen, "%s:%u: '%.60s' is not an address",
					 c->spamtrap_file, lineno, s);
				fclose(f);
				free_traps(t, n);
				return -1;
			}
		}
		fclose(f);
	}
	if (n)
		qsort(t, n, sizeof(*t), cmpstr);
	*out = t;
	*nout = n;
	return 0;
oom:
	snprintf(err, errlen, "out of memory reading spamtraps");
	free_traps(t, n);
	return -1;
}

struct verdicts *verdicts_new(const struct config *c, struct judge *judge, struct dnsbl *dnsbl,
			      char *err, size_t errlen)
{
	struct verdicts *v = calloc(1, sizeof(*v));
	uint64_t seed = 0;

	/* The seed keys transaction hashes; any value is safe, a secret one
	 * keeps them unpredictable. */
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = (uint64_t)wall_secs() ^ (uint64_t)(uintptr_t)v;
	if (!v || !(v->credit = credit_new(seed))) {
		snprintf(err, errlen, "out of memory");
		free(v);
		return NULL;
	}
	v->judge = judge;
	v->dnsbl = dnsbl;
	if (verdicts_reconfigure(v, c, err, errlen) < 0) {
		verdicts_free(v);
		return NULL;
	}
	return v;
}

void verdicts_free(struct verdicts *v)
{
	if (!v)
		return;
	recipients_close(v->db);
	free_traps(v->traps, v->ntraps);
	credit_free(v->credit);
	free(v);
}

static void log_opened(struct verdicts *v, const char *why)
{
	v->st.recipients_keys = recipients_keys(v->db);
	v->st.recipients_domains = recipients_domains(v->db);
	log_info("event=recipients_open why=%s path=%s keys=%zu domains=%zu", why, v->path,
		 recipients_keys(v->db), recipients_domains(v->db));
}

/* Did db lose more than recipients_max_shrink of the keys or the domains
 * of the database in use? A valid file built from a half-empty source (a
 * failed export, a lost include) would make every recipient it lost
 * unknown, and their mail refused. */
static bool shrunk(const struct verdicts *v, const struct recipients *db, char *err,
		   size_t errlen)
{
	size_t ok = recipients_keys(v->db), od = recipients_domains(v->db);
	size_t nk = recipients_keys(db), nd = recipients_domains(db);
	double keep = 1 - v->max_shrink / 100;

	if (nk >= ok * keep && nd >= od * keep)
		return false;
	snprintf(err, errlen, "recipients database %s has %zu keys and %zu domains where the one "
		 "in use has %zu and %zu: it lost more than recipients_max_shrink (%g%%); if "
		 "that is intended, take it with 'rcptguard recipients reload --force'", v->path,
		 nk, nd, ok, od, v->max_shrink);
	return true;
}

/* Read the file again and switch to it, unless it is unusable or (without
 * force) shrank too much. */
static int replace_db(struct verdicts *v, bool force, const char *why, char *err,
		      size_t errlen)
{
	struct recipients *db = recipients_open(v->path, err, errlen);

	if (db && !force && shrunk(v, db, err, errlen)) {
		recipients_close(db);
		db = NULL;
	}
	if (!db)
		return -1;
	/* Single-threaded: no lookup can run between these two lines. */
	recipients_close(v->db);
	v->db = db;
	v->have_failed = false;
	v->refused[0] = '\0';
	v->st.recipients_loaded++;
	log_opened(v, why);
	return 0;
}

/* A file that would not do: one log line and one count per file (id, if
 * known), and status shows why until a file is taken. */
static void refuse(struct verdicts *v, const struct file_id *id, const char *err)
{
	bool again = id && v->have_failed && file_id_eq(id, &v->failed);
	char q[sizeof(v->refused) + 64];

	snprintf(v->refused, sizeof(v->refused), "%s", err);
	if (id) {
		int64_t now = (int64_t)wall_secs(), mt = id->mtime.tv_sec;

		v->failed = *id;
		v->have_failed = true;
		/* A future mtime (a clock set back) would never settle. */
		v->failed_settled = !(mt <= now && now < mt + DB_SETTLE_SECS);
	}
	if (again)
		return;
	v->st.recipients_refused++;
	log_err("event=recipients_reload result=refused error=%s path=%s keys=%zu domains=%zu "
		"note=\"keeping the last good database\"", log_quote(q, sizeof(q), err), v->path,
		recipients_keys(v->db), recipients_domains(v->db));
}

int verdicts_prepare(const struct verdicts *v, const struct config *c, struct verdicts_next *n,
		     char *err, size_t errlen)
{
	memset(n, 0, sizeof(*n));
	if (load_traps(c, &n->traps, &n->ntraps, err, errlen) < 0)
		return -1;
	if ((!v || strcmp(v->path, c->recipients) != 0) && c->recipients[0] &&
	    !(n->db = recipients_open(c->recipients, err, errlen))) {
		verdicts_next_free(n);
		return -1;
	}
	return 0;
}

void verdicts_next_free(struct verdicts_next *n)
{
	free_traps(n->traps, n->ntraps);
	recipients_close(n->db);
	memset(n, 0, sizeof(*n));
}

int verdicts_reconfigure(struct verdicts *v, const struct config *c, char *err, size_t errlen)
{
	struct verdicts_next n;

	if (verdicts_prepare(v, c, &n, err, errlen) < 0)
		return -1;
	verdicts_commit(v, c, &n);
	return 0;
}

void verdicts_commit(struct verdicts *v, const struct config *c, struct verdicts_next *n)
{
	struct recipients *db = n->db;

	free_traps(v->traps, v->ntraps);
	v->traps = n->traps;
	v->ntraps = n->ntraps;
	memset(n, 0, sizeof(*n));
	snprintf(v->reject, sizeof(v->reject), "%s", c->reject_unknown);
	verdict_forms(c, &v->postfix, &v->qmail);
	snprintf(v->spamtrap_reply, sizeof(v->spamtrap_reply), "%s", c->spamtrap_reply);
	v->logv = c->log_verdicts;
	v->dnsbl_threshold = c->dnsbl_reject_threshold;
	v->dnsbl_ban_weight = c->dnsbl_ban_weight;
	v->dnsbl_stage = stage_of(c->dnsbl_reject_stage);
	v->max_shrink = c->recipients_max_shrink;
	if (strcmp(v->path, c->recipients) == 0 && v->configured)
		return;
	v->configured = true;
	recipients_close(v->db);
	v->db = db;
	snprintf(v->path, sizeof(v->path), "%s", c->recipients);
	v->have_failed = v->missing_logged = false;
	v->refused[0] = '\0';
	v->st.recipients_keys = v->st.recipients_domains = 0;
	if (db)
		log_opened(v, "config");
	else
		log_warn("event=recipients_off mode=detection-only note=\"no recipients database "
			 "configured: recipients are NOT judged and nobody is banned for unknown "
			 "recipients; build one with rcptguard recipients compile and set "
			 "recipients = PATH\"");
}

void verdicts_check_db(struct verdicts *v)
{
	struct file_id id;
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
	    (v->have_failed && v->failed_settled && file_id_eq(&id, &v->failed)))
		return;
	if (replace_db(v, false, "replaced", err, sizeof(err)) < 0)
		refuse(v, &id, err);
}

int verdicts_reload_db(struct verdicts *v, bool force, char *err, size_t errlen)
{
	struct file_id id;
	bool known;

	if (!v->db) {
		snprintf(err, errlen, "no recipients database is configured (recipients = PATH)");
		return -1;
	}
	known = file_id_of(v->path, &id) == 0;
	if (replace_db(v, force, force ? "forced" : "reload", err, errlen) == 0)
		return 0;
	refuse(v, known ? &id : NULL, err);
	return -1;
}

const char *verdicts_db_refused(const struct verdicts *v)
{
	return v->refused;
}

static bool is_trap(const struct verdicts *v, const char *rcpt)
{
	char norm[RCPT_INPUT_MAX + 1];
	const char *p = norm;

	return v->ntraps && rcpt_normalise(rcpt, norm) &&
	       bsearch(&p, v->traps, v->ntraps, sizeof(char *), cmpstr);
}

const char *verdicts_explain(struct verdicts *v, const char *rcpt, char *key, size_t keylen,
			     const char **action)
{
	enum rcpt_verdict rv;

	key[0] = '\0';
	*action = "DUNNO";
	if (is_trap(v, rcpt)) {
		*action = v->reject;
		return "spamtrap";
	}
	if (!v->db)
		return "no-database";
	rv = recipients_lookup(v->db, rcpt, &v->postfix, key, keylen);
	if (rv == RCPT_UNKNOWN || rv == RCPT_NEGATIVE)
		*action = v->reject;
	return rcpt_verdict_name(rv);
}

/* What a banned client is told: why, when it was a spamtrap's doing. */
static const char *banned_reply(struct verdicts *v, const struct rg_addr *client)
{
	return judge_ban_reason(v->judge, client, (uint32_t)wall_secs()) == RG_REASON_SPAMTRAP ?
	       v->spamtrap_reply : BANNED_ACTION;
}

/* Evidence against (or for) the client; true if it is banned now. */
static bool evidence(struct verdicts *v, const struct rg_addr *client, enum evidence ev,
		     double weight, const char *rcpt, const char *source)
{
	return judge_evidence(v->judge, client, ev, weight, rcpt, source,
			      (uint32_t)wall_secs()).banned;
}

/* A valid recipient: its credit waits for the transaction's complete
 * message (credit.h). True if the client is banned already (a session
 * opened before the ban goes on). */
static bool valid_recipient(struct verdicts *v, const struct policy_req *r,
			    const struct rg_addr *client)
{
	uint32_t now = (uint32_t)wall_secs();
	struct rg_lpm_key net;
	enum ban_state b = judge_ban_state(v->judge, client, now, &net);
	char norm[RCPT_INPUT_MAX + 1];

	if (b != BAN_NONE)
		return b == BAN_IN_FORCE;
	/* A bare postmaster is valid on every server (RFC 5321 4.5.1): mail
	 * to it shows no knowledge of ours, and earns nothing. */
	if (r->instance && *r->instance && rcpt_normalise(r->recipient, norm) &&
	    strchr(norm, '@'))
		credit_note(v->credit, client, &net, r->instance, norm, now);
	return false;
}

/* n valid recipients of a complete message: credit, once each. */
static void earn(struct verdicts *v, const struct rg_addr *client, unsigned n)
{
	while (n--)
		evidence(v, client, EV_VALID, 0, NULL, "");
}

/* A request of a transaction that is not an RCPT. Credit needs a complete
 * message: Postfix says so at END-OF-MESSAGE; DATA comes before the 354,
 * so it only marks the transaction, which qmail credits when the same
 * instance starts another one (the client sent "." to get there). */
static void transaction_step(struct verdicts *v, const struct policy_req *r,
			     const struct rg_addr *client)
{
	uint32_t now = (uint32_t)wall_secs();
	const char *s = r->protocol_state;

	if (!r->instance || !s)
		return;
	if (strcasecmp(s, "END-OF-MESSAGE") == 0)
		earn(v, client, credit_complete(v->credit, client, r->instance, now));
	else if (strcasecmp(s, "DATA") == 0)
		credit_data(v->credit, client, r->instance, now);
	else if (strcasecmp(s, "MAIL") == 0)
		earn(v, client, credit_next(v->credit, client, r->instance, now));
}

static void log_verdict(const char *verdict, const struct policy_req *r, const char *key,
			const char *action)
{
	char qa[160], qr[RCPT_MAX + 8];

	log_info("event=verdict verdict=%s client=%s recipient=%s key=%s action=\"%s\"", verdict,
		 log_quote(qa, sizeof(qa), r->client_address),
		 log_quote(qr, sizeof(qr), r->recipient), key && *key ? key : "-", action);
}

/* The DNSBL part: lookups start at the first request of a client; from
 * the configured stage on a listed client is rejected. VERDICT_WAIT while
 * answers are pending; otherwise *out is set when it rejects (or bans). */
static enum verdict_state dnsbl_verdict(struct verdicts *v, const struct policy_req *r,
					const struct rg_addr *client, bool final, char *out,
					size_t outlen, bool *decided)
{
	struct dnsbl_result res;
	int stage = stage_of(r->protocol_state);
	char a[ADDR_STRLEN];

	*decided = false;
	dnsbl_lookup(v->dnsbl, client, false);
	if (!dnsbl_result(v->dnsbl, client, &res))
		return VERDICT_DONE;
	if (!res.complete && !final && stage >= v->dnsbl_stage)
		return VERDICT_WAIT;
	if (!res.complete)
		v->st.dnsbl_waited_out++;
	/* A listing is ban evidence, once per lookup. */
	if (res.score > 0 && dnsbl_claim_evidence(v->dnsbl, client) &&
	    evidence(v, client, EV_DNSBL, res.score * v->dnsbl_ban_weight, NULL, "")) {
		v->st.banned_replies++;
		snprintf(out, outlen, "%s", banned_reply(v, client));
		*decided = true;
		return VERDICT_DONE;
	}
	if (stage < v->dnsbl_stage || res.list < 0 || res.score < v->dnsbl_threshold)
		return VERDICT_DONE;
	{
		unsigned n;
		const struct dnsbl_list *lists = dnsbl_lists(v->dnsbl, &n);
		struct rg_lpm_key k = { .prefixlen = 128, .addr = *client };

		addr_format(&k, a, sizeof(a));
		snprintf(out, outlen, "554 5.7.1 Service unavailable; client [%s] blocked using %s%s%s",
			 a, lists[res.list].zone, *res.txt ? "; " : "", res.txt);
	}
	v->st.dnsbl_rejects++;
	*decided = true;
	return VERDICT_DONE;
}

enum verdict_state verdicts_answer(struct verdicts *v, const struct policy_req *r, char *out,
				   size_t outlen, bool final)
{
	char key[RCPT_MAX + 16] = "", err[128];
	struct rg_lpm_key ck;
	const struct rg_addr *client = NULL;
	const char *verdict;
	enum rcpt_verdict rv = RCPT_UNJUDGED;
	bool banned = false, reject = false;

	snprintf(out, outlen, "DUNNO");
	/* Relay clients (RELAYCLIENT, SMTP AUTH) send anywhere: never judged. */
	if ((r->relay_client && strcmp(r->relay_client, "1") == 0) ||
	    (r->sasl_username && *r->sasl_username)) {
		v->st.requests++;
		v->st.relay_client++;
		return VERDICT_DONE;
	}
	/* Without a client nothing is evidence: an untrusted sender gets the
	 * recipient's verdict only. */
	if (r->client_address && !r->verdict_only &&
	    addr_parse(r->client_address, &ck, err, sizeof(err)) == 0 && ck.prefixlen == 128)
		client = &ck.addr;
	if (client && dnsbl_enabled(v->dnsbl)) {
		bool decided;

		if (dnsbl_verdict(v, r, client, final, out, outlen, &decided) == VERDICT_WAIT)
			return VERDICT_WAIT;
		if (decided) {
			v->st.requests++;
			verdict = "dnsbl";
			reject = true;
			goto logit;
		}
	}
	v->st.requests++;
	if (!r->protocol_state || strcmp(r->protocol_state, "RCPT") != 0 || !r->recipient) {
		v->st.not_rcpt++;
		if (client)
			transaction_step(v, r, client);
		return VERDICT_DONE;
	}
	/* qmail counts RCPTs from 1 after MAIL and RSET: what the instance
	 * gathered before belongs to a transaction that has ended. */
	if (client && r->instance && r->rcpt_count_all && strcmp(r->rcpt_count_all, "1") == 0)
		earn(v, client, credit_next(v->credit, client, r->instance,
					    (uint32_t)wall_secs()));
	if (is_trap(v, r->recipient)) {
		v->st.spamtrap++;
		verdict = "spamtrap";
		reject = true;
		banned = client && evidence(v, client, EV_SPAMTRAP, 0, r->recipient, "");
		goto answer;
	}
	if (!v->db) {
		v->st.no_database++;
		return VERDICT_DONE;
	}
	rv = recipients_lookup(v->db, r->recipient, policy_from_qmail(r) ? &v->qmail : &v->postfix,
			       key, sizeof(key));
	verdict = rcpt_verdict_name(rv);
	switch (rv) {
	case RCPT_VALID:
		v->st.valid++;
		banned = client && valid_recipient(v, r, client);
		break;
	case RCPT_UNQUALIFIED:
		/* The MTA adds a domain of its own: a guess all the same. It
		 * counts, but is not refused on our guess of that domain. */
		v->st.unqualified++;
		banned = client && evidence(v, client, EV_UNKNOWN_RCPT, 0, r->recipient, "");
		break;
	case RCPT_UNJUDGED:
		v->st.unjudged++;
		break;
	case RCPT_NOT_OURS:
		v->st.not_ours++;
		/* Only rcptguard-spp says whether qmail serves the domain; Postfix
		 * refuses relaying before it asks (reject_unauth_destination). */
		if (r->rcpthosts_ok && strcmp(r->rcpthosts_ok, "0") == 0) {
			v->st.relay_attempt++;
			verdict = "relay-attempt";
			banned = client && evidence(v, client, EV_RELAY, 0, r->recipient, "");
		}
		break;
	case RCPT_UNKNOWN:
	case RCPT_NEGATIVE:
		if (rv == RCPT_UNKNOWN)
			v->st.unknown++;
		else
			v->st.negative++;
		reject = true;
		banned = client && evidence(v, client, EV_UNKNOWN_RCPT, 0, r->recipient, "");
		break;
	}
answer:
	if (banned) {
		v->st.banned_replies++;
		snprintf(out, outlen, "%s", banned_reply(v, client));
	} else if (reject) {
		/* The MTA words the reply around it: Postfix (and rcptguard-spp)
		 * send "550 5.1.1 <rcpt>: Recipient address rejected: ...". */
		snprintf(out, outlen, "%s", v->reject);
	}
logit:
	if (v->logv == LOG_VERDICTS_ALL || (v->logv == LOG_VERDICTS_REJECTS && (reject || banned)))
		log_verdict(verdict, r, key, out);
	return VERDICT_DONE;
}

void verdicts_log_line(struct verdicts *v, const struct logline *l)
{
	char src[64];

	v->st.log_events[l->kind]++;
	if (l->kind == LOGLINE_NONE || l->kind == LOGLINE_MALFORMED ||
	    l->kind == LOGLINE_AMBIGUOUS)
		return;
	if (logline_duplicate(&v->dedupe, l)) {
		v->st.log_events[l->kind]--;
		v->st.log_duplicates++;
		return;
	}
	snprintf(src, sizeof(src), " source=log format=%s", l->format);
	if (l->kind == LOGLINE_DNSBL)
		evidence(v, &l->client, EV_DNSBL, v->dnsbl_ban_weight, NULL, src);  /* score 1 */
	else
		evidence(v, &l->client, EV_UNKNOWN_RCPT, 0, l->rcpt[0] ? l->rcpt : NULL, src);
}

const struct verdict_stats *verdicts_stats(const struct verdicts *v)
{
	return &v->st;
}
