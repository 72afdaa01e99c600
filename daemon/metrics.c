/* metrics.c - every number the daemon keeps, as Prometheus-style
 * metrics: for the control socket's stats and for metrics_textfile. */
#include <stdio.h>
#include <string.h>
#include "atomic.h"
#include "follow.h"
#include "log.h"
#include "metrics.h"
#include "names.h"

static int count_bans(const struct rg_lpm_key *k, const struct rg_ban *b, const char *n, void *a)
{
	(void)k, (void)b, (void)n;
	(*(unsigned long long *)a)++;
	return 0;
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
	struct rg_stats d;
	unsigned long long active = 0;
	char lab[64];

	cb(x, "rcptguard_requests_total", "", v->requests);
	for (size_t i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++) {
		snprintf(lab, sizeof(lab), "verdict=\"%s\"", verdicts[i].label);
		cb(x, "rcptguard_verdicts_total", lab, verdicts[i].n);
	}
	for (unsigned r = 1; r < RG_REASON_MAX; r++) {
		snprintf(lab, sizeof(lab), "reason=\"%s\"", reason_name(r));
		cb(x, "rcptguard_bans_total", lab, es->bans[r]);
	}
	cb(x, "rcptguard_recipients_reload_total", "result=\"ok\"", v->recipients_loaded);
	cb(x, "rcptguard_recipients_reload_total", "result=\"refused\"", v->recipients_refused);
	cb(x, "rcptguard_recipients_keys", "", v->recipients_keys);
	cb(x, "rcptguard_recipients_domains", "", v->recipients_domains);
	enforce_records(env->enf, count_bans, &active);
	cb(x, "rcptguard_bans_active", "", active);
	cb(x, "rcptguard_unbans_total", "", es->unbans);
	cb(x, "rcptguard_bans_expired_total", "", es->expired);
	cb(x, "rcptguard_allowlist_hits_total", "", es->allowlist_hits);
	cb(x, "rcptguard_evidence_refused_total", "", judge_stats(env->judge)->evidence_refused);
	cb(x, "rcptguard_ban_failures_total", "", es->failures);
	cb(x, "rcptguard_offenders", "", offenders_count(env->off));
	cb(x, "rcptguard_offenders_evicted_total", "", offenders_evicted(env->off));
	cb(x, "rcptguard_offenders_memory_bytes", "", offenders_memory(env->off));
	if (enforce_drops(env->enf, &d) == 0)
		prom_xdp(&d, cb, x);
	cb(x, "rcptguard_query_connections", "", server_connections(env->query));
	cb(x, "rcptguard_log_dropped_total", "", log_dropped());
	if (env->crowdsec && (env->crowdsec->enabled || env->crowdsec->push_enabled))
		lapi_metrics(env->crowdsec, cb, x);
	if (env->follow) {
		struct follow_stats fs;

		follow_stats(env->follow, &fs);
		cb(x, "rcptguard_log_lines_total", "", fs.lines);
		for (unsigned k = LOGLINE_MALFORMED; k <= LOGLINE_DNSBL; k++) {
			snprintf(lab, sizeof(lab), "kind=\"%s\"", logline_kind_name(k));
			cb(x, "rcptguard_log_events_total", lab, v->log_events[k]);
		}
		cb(x, "rcptguard_log_duplicates_total", "", v->log_duplicates);
		cb(x, "rcptguard_log_long_lines_total", "", fs.long_lines);
		cb(x, "rcptguard_log_rotations_total", "", fs.rotations);
		cb(x, "rcptguard_log_truncations_total", "", fs.truncations);
		cb(x, "rcptguard_log_history_lines_total", "", fs.history);
		cb(x, "rcptguard_log_future_lines_total", "", fs.future);
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
		cb(x, "rcptguard_dnsbl_lookups_total", "", ds->lookups);
		cb(x, "rcptguard_dnsbl_cache_hits_total", "", ds->cache_hits);
		cb(x, "rcptguard_dnsbl_queries_total", "", ds->queries);
		for (unsigned i = 0; i < n; i++) {
			snprintf(lab, sizeof(lab), "list=\"%.40s\"", lists[i].zone);
			cb(x, "rcptguard_dnsbl_listed_total", lab, ds->listed[i]);
		}
		for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
			snprintf(lab, sizeof(lab), "kind=\"%s\"", errs[i].kind);
			cb(x, "rcptguard_dnsbl_errors_total", lab, errs[i].n);
		}
		/* Each error code a list answered, by its meaning's number. */
		for (unsigned c = 0; c < 256; c++)
			if (ds->error_code[c]) {
				snprintf(lab, sizeof(lab), "code=\"127.255.255.%u\"", c);
				cb(x, "rcptguard_dnsbl_error_codes_total", lab, ds->error_code[c]);
			}
		cb(x, "rcptguard_dnsbl_inflight", "", ds->inflight);
		cb(x, "rcptguard_dnsbl_inflight_max", "", ds->inflight_max);
		cb(x, "rcptguard_dnsbl_rejects_total", "", v->dnsbl_rejects);
	}
}


struct textfile {
	FILE *f;
	char prev[64];
};

static void sample(void *arg, const char *name, const char *labels, unsigned long long v)
{
	struct textfile *t = arg;

	prom_sample(t->f, t->prev[0] ? t->prev : NULL, name, labels, v);
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
