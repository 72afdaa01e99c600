/* cmd_history.c - rcptguard history: the bans, unbans and expiries the
 * daemon wrote to STATE_DIR/history (history.h), oldest first, for one
 * address or network and a recent span if asked. Reads the file only, so
 * it works with the daemon down. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "allowlist.h"
#include "cli.h"
#include "duration.h"
#include "history.h"
#include "json.h"
#include "table.h"

struct filter {
	struct ctx *x;
	const struct rg_lpm_key *key;   /* NULL: every address */
	uint64_t since;                 /* unix seconds; 0: all */
	struct table t;
	struct json j;
	size_t shown;
};

static void print_json(struct json *j, const struct history_entry *e)
{
	bool ban = strcmp(e->event, "ban") == 0;

	json_object(j);
	json_key(j, "time");
	json_uint(j, e->time);
	json_key(j, "event");
	json_string(j, e->event);
	json_key(j, "address");
	json_string(j, e->address);
	json_key(j, "reason");
	if (ban)
		json_string(j, e->reason);
	else
		json_null(j);
	json_key(j, "note");
	json_string(j, e->note);
	json_key(j, "seconds");
	if (ban)
		json_uint(j, e->secs);
	else
		json_null(j);
	json_key(j, "offense");
	json_uint(j, e->offense);
	json_key(j, "score");
	if (*e->score)
		json_number_text(j, e->score);
	else
		json_null(j);
	json_key(j, "threshold");
	if (*e->threshold)
		json_number_text(j, e->threshold);
	else
		json_null(j);
	json_key(j, "by");
	json_string(j, e->by);
	json_key(j, "recipients");
	json_array(j);
	for (size_t i = 0; i < e->nrcpt; i++)
		json_string(j, e->rcpt[i]);
	json_end(j);
	json_end(j);
}

static int one(const struct history_entry *e, void *arg)
{
	struct filter *f = arg;
	char t[32], dur[32], score[48], rcpts[HISTORY_RCPTS * 66] = "";
	time_t tt = (time_t)e->time;
	bool ban = strcmp(e->event, "ban") == 0;
	struct tm tm;

	if (e->time < f->since || (f->key && !prefix_overlap(f->key, &e->key)))
		return 0;
	f->shown++;
	if (f->x->json) {
		print_json(&f->j, e);
		return 0;
	}
	if (!localtime_r(&tt, &tm) || !strftime(t, sizeof(t), "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(t, sizeof(t), "%llu", (unsigned long long)e->time);
	if (!ban)
		snprintf(dur, sizeof(dur), "-");
	else if (!e->secs)
		snprintf(dur, sizeof(dur), "permanent");
	else
		duration_format(e->secs, dur, sizeof(dur));
	snprintf(score, sizeof(score), "%s%s%s", *e->score ? e->score : "-",
		 *e->threshold ? "/" : "", e->threshold);
	for (size_t i = 0; i < e->nrcpt; i++)
		snprintf(rcpts + strlen(rcpts), sizeof(rcpts) - strlen(rcpts), "%s%s",
			 i ? " " : "", e->rcpt[i]);
	const char *cells[] = { t, e->event, e->address, ban ? (*e->note ? e->note : e->reason) :
				"-", dur, score, e->by, *rcpts ? rcpts : "-" };
	return table_add(&f->t, cells) < 0 ? 1 : 0;      /* out of memory */
}

int cmd_history(struct ctx *x, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' }, { "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const head[] = { "TIME", "EVENT", "ADDRESS", "REASON", "FOR", "SCORE",
					    "BY", "RECIPIENTS TRIED" };
	struct filter f = { .x = x };
	struct rg_lpm_key key;
	uint64_t secs;
	size_t skipped;
	char err[512];
	int opt, rc;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 's' && duration_parse(optarg, &secs, err, sizeof(err)) < 0)
			return usage_error("--since: %s", err);
		else if (opt == 's')
			f.since = wall_secs() > secs ? wall_secs() - secs : 1;
		else if (opt == 'j')
			x->json = true;
		else
			return EXIT_USAGE;
	}
	if (argc - optind > 1)
		return usage_error("unexpected argument '%s'", argv[optind + 1]);
	if (optind < argc) {
		if (parse_addrs(1, argv + optind, &key) < 0)
			return EXIT_USAGE;
		f.key = &key;
	}
	table_init(&f.t, "lllllrll", head);
	json_init(&f.j, stdout);
	if (x->json)
		json_array(&f.j);
	rc = history_read(x->cfg.state_dir, one, &f, &skipped, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "rcptguard: %s\n", err);
	else if (rc > 0)
		fprintf(stderr, "rcptguard: out of memory reading the history\n");
	if (x->json)
		json_end(&f.j);
	else if (f.shown)
		table_print(&f.t, stdout);
	else if (!rc)
		printf("nothing in the history of %s%s\n", x->cfg.state_dir,
		       f.key || f.since ? " that matches" : " yet");
	table_free(&f.t);
	if (skipped)
		fprintf(stderr, "rcptguard: note: %zu lines of the history could not be read and "
			"were skipped\n", skipped);
	return rc ? EXIT_FAIL : EXIT_OK;
}
