/* metrics.c - every number the daemon keeps, as Prometheus-style
 * metrics: for the control socket's stats and for metrics_textfile. */
#include <stdio.h>
#include <string.h>
#include "atomic.h"
#include "follow.h"
#include "log.h"
#include "metrics.h"
#include "names.h"
#include "version.h"

static int count_bans(const struct rg_lpm_key *k, const struct rg_ban *b, const char *n, void *a)
{
	(void)k, (void)b, (void)n;
	(*(unsigned long long *)a)++;
	return 0;
}

/* What this daemon is: its build, backend and start. */
static void identity(struct control_env *env, metric_cb cb, void *x)
{
	char lab[3][96], all[320];

	prom_label(lab[0], sizeof(lab[0]), "version", rg_version);
	prom_label(lab[1], sizeof(lab[1]), "commit", *rg_commit ? rg_commit : "unknown");
	prom_label(lab[2], sizeof(lab[2]), "backend", enforce_backend(env->enf));
	snprintf(all, sizeof(all), "%s,%s,%s", lab[0], lab[1], lab[2]);
	cb(x, "rcptguard_build_info", "The version and git commit rcptguardd was built from, "
	   "and the backend it runs", all, 1);
	prom_label(lab[0], sizeof(lab[0]), "mode", env->backend_mode);
	snprintf(all, sizeof(all), "%s,%s", lab[2], lab[0]);
	cb(x, "rcptguard_backend_info", "The backend enforcing bans and how it is attached "
	   "(xdp: native or generic; nft: its hook; none: log-only)", all, 1);
	cb(x, "rcptguard_start_time_seconds", "When rcptguardd started, in unix seconds", "",
	   (unsigned long long)env->started);
}

/* Each followed file in one of its states (1) and not the others (0). */
static void follow_states(const struct follow *f, metric_cb cb, void *x)
{
	enum follow_state st;
	const char *path;
	/* A path too long for the control socket's fields (512 bytes) is cut. */
	char file[400], lab[sizeof(file) + 32];

	for (unsigned i = 0; (path = follow_file(f, i, &st)); i++) {
		prom_label(file, sizeof(file), "file", path);
		for (enum follow_state s = 0; s < FOLLOW_STATES; s++) {
			snprintf(lab, sizeof(lab), "%s,state=\"%s\"", file, follow_state_name(s));
			cb(x, "rcptguard_log_file_state", "Each followed log file: following (read "
			   "now), missing (not there yet) or error (cannot be read)", lab, s == st);
		}
	}
}

void metrics_collect(struct control_env *env, metric_cb cb, void *x)
{
	const struct verdict_stats *v = verdicts_stats(env->verdicts);
	const struct enforce_stats *es = enforce_stats(env->enf);
	const struct {
		const char *label;
		uint64_t n;
	} verdicts[] = {
		{ "valid", v->valid }, { "unknown", v->unknown }, { "negative", v->negative },
		{ "not-ours", v->not_ours }, { "unqualified", v->unqualified },
		{ "unjudged", v->unjudged },
		{ "relay-client", v->relay_client }, { "not-rcpt", v->not_rcpt },
		{ "no-database", v->no_database }, { "spamtrap", v->spamtrap },
		{ "relay-attempt", v->relay_attempt }, { "banned", v->banned_replies },
	};
	static const char reloads[] = "Recipients database files read, by result";
	struct rg_stats d;
	unsigned long long active = 0;
	char lab[320];                  /* room for a list's zone, 253 bytes at most */

	identity(env, cb, x);
	cb(x, "rcptguard_requests_total", "Policy requests answered", "", v->requests);
	for (size_t i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++) {
		snprintf(lab, sizeof(lab), "verdict=\"%s\"", verdicts[i].label);
		cb(x, "rcptguard_verdicts_total", "Policy verdicts, by verdict", lab, verdicts[i].n);
	}
	for (unsigned r = 1; r < RG_REASON_MAX; r++) {
		snprintf(lab, sizeof(lab), "reason=\"%s\"", reason_name(r));
		cb(x, "rcptguard_bans_total", "Bans placed, by reason", lab, es->bans[r]);
	}
	cb(x, "rcptguard_recipients_reload_total", reloads, "result=\"ok\"", v->recipients_loaded);
	cb(x, "rcptguard_recipients_reload_total", reloads, "result=\"refused\"",
	   v->recipients_refused);
	cb(x, "rcptguard_recipients_keys", "Keys in the recipients database in use", "",
	   v->recipients_keys);
	cb(x, "rcptguard_recipients_domains", "Domains the recipients database in use judges",
	   "", v->recipients_domains);
	enforce_records(env->enf, count_bans, &active);
	cb(x, "rcptguard_bans_active", "Bans in force now", "", active);
	cb(x, "rcptguard_unbans_total", "Bans lifted before they expired", "",
	   es->unbans);
	cb(x, "rcptguard_bans_expired_total", "Bans that ran out", "", es->expired);
	cb(x, "rcptguard_allowlist_hits_total", "Bans an allow entry prevented", "",
	   es->allowlist_hits);
	cb(x, "rcptguard_evidence_refused_total", "Evidence against addresses that are never "
	   "banned (unspecified, multicast, ...)", "", judge_stats(env->judge)->evidence_refused);
	cb(x, "rcptguard_ban_failures_total", "Bans the backend failed to write", "",
	   es->failures);
	prom_histogram(&env->ban_reaction, "rcptguard_ban_reaction_seconds", "Seconds from the "
		       "daemon waking for the evidence that banned a client (a policy request, a "
		       "log line) to the ban written into the kernel", cb, x);
	cb(x, "rcptguard_offenders", "Clients tracked as offenders", "", offenders_count(env->off));
	cb(x, "rcptguard_offenders_evicted_total", "Offenders dropped to stay within "
	   "max_offenders", "", offenders_evicted(env->off));
	cb(x, "rcptguard_offenders_memory_bytes", "Memory the offender table uses", "",
	   offenders_memory(env->off));
	if (enforce_drops(env->enf, &d) == 0)
		prom_drops(&d, enforce_caps(env->enf), cb, x);
	cb(x, "rcptguard_query_connections", "Open connections to the query socket", "",
	   server_connections(env->query));
	cb(x, "rcptguard_log_dropped_total", "rcptguardd's own log lines dropped because its "
	   "log reader stalled", "", log_dropped());
	if (env->crowdsec && (env->crowdsec->enabled || env->crowdsec->push_enabled))
		lapi_metrics(env->crowdsec, cb, x);
	if (env->follow) {
		struct follow_stats fs;

		follow_stats(env->follow, &fs);
		follow_states(env->follow, cb, x);
		cb(x, "rcptguard_log_lines_total", "Lines read from the followed logs", "", fs.lines);
		for (unsigned k = LOGLINE_MALFORMED; k <= LOGLINE_DNSBL; k++) {
			snprintf(lab, sizeof(lab), "kind=\"%s\"", logline_kind_name(k));
			cb(x, "rcptguard_log_events_total", "Lines of the followed logs that were "
			   "events, by kind", lab, v->log_events[k]);
		}
		cb(x, "rcptguard_log_duplicates_total", "Log events already seen as policy "
		   "requests", "", v->log_duplicates);
		cb(x, "rcptguard_log_long_lines_total", "Followed log lines too long to keep whole",
		   "", fs.long_lines);
		cb(x, "rcptguard_log_rotations_total", "Rotations of the followed logs", "",
		   fs.rotations);
		cb(x, "rcptguard_log_truncations_total", "Truncations of the followed logs", "",
		   fs.truncations);
		cb(x, "rcptguard_log_history_lines_total", "Followed log lines too old to be "
		   "evidence", "", fs.history);
		cb(x, "rcptguard_log_future_lines_total", "Followed log lines stamped too far "
		   "ahead to be believed", "", fs.future);
	}
	if (dnsbl_enabled(env->dnsbl)) {
		const struct dnsbl_stats *ds = dnsbl_stats(env->dnsbl);
		const struct dnsbl_list *lists;
		const struct {
			const char *kind;
			uint64_t n;
		} errs[] = {
			{ "timeout", ds->timeouts }, { "servfail", ds->servfail },
			{ "error-code", ds->error_codes }, { "outside-127", ds->outside },
			{ "malformed", ds->bad_answers },
			{ "other", ds->other_errors }, { "queue-full", ds->queue_full },
		};
		unsigned n;

		lists = dnsbl_lists(env->dnsbl, &n);
		cb(x, "rcptguard_dnsbl_lookups_total", "DNSBL lookups of clients", "", ds->lookups);
		cb(x, "rcptguard_dnsbl_cache_hits_total", "DNSBL lookups answered from the cache",
		   "", ds->cache_hits);
		cb(x, "rcptguard_dnsbl_queries_total", "DNS queries sent to the lists", "",
		   ds->queries);
		for (unsigned i = 0; i < n; i++) {
			prom_label(lab, sizeof(lab), "list", lists[i].zone);
			cb(x, "rcptguard_dnsbl_listed_total", "Clients a list named, by list", lab,
			   ds->listed[i]);
		}
		for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
			snprintf(lab, sizeof(lab), "kind=\"%s\"", errs[i].kind);
			cb(x, "rcptguard_dnsbl_errors_total", "DNSBL answers that were no answer, by "
			   "kind", lab, errs[i].n);
		}
		/* Each error code a list answered, by its meaning's number. */
		for (unsigned c = 0; c < 256; c++)
			if (ds->error_code[c]) {
				snprintf(lab, sizeof(lab), "code=\"127.255.255.%u\"", c);
				cb(x, "rcptguard_dnsbl_error_codes_total", "Error codes the lists "
				   "answered (query refused, over quota, ...), by code", lab,
				   ds->error_code[c]);
			}
		cb(x, "rcptguard_dnsbl_inflight", "DNS queries waiting for an answer", "",
		   ds->inflight);
		cb(x, "rcptguard_dnsbl_inflight_max", "The most DNS queries that waited at once", "",
		   ds->inflight_max);
		cb(x, "rcptguard_dnsbl_rejects_total", "Clients rejected because a list named them",
		   "", v->dnsbl_rejects);
	}
}


struct textfile {
	FILE *f;
	char prev[64];
};

static void sample(void *arg, const char *name, const char *help, const char *labels,
		   double v)
{
	struct textfile *t = arg;

	prom_sample(t->f, t->prev[0] ? t->prev : NULL, name, help, labels, v);
	snprintf(t->prev, sizeof(t->prev), "%s", name);
}

int metrics_write_textfile(struct control_env *env, const char *path, char *err, size_t errlen)
{
	struct atomic_file a;
	struct textfile t = { 0 };

	/* node_exporter reads only *.prom: the temp file is invisible to it. */
	if (atomic_open(&a, path, 0644, err, errlen) < 0)
		return -1;
	t.f = a.f;
	metrics_collect(env, sample, &t);
	return atomic_commit(&a, err, errlen);
}
