/* cmd_replay.c - rcptguard replay: the daemon's judge over old MTA logs
 * in simulated time (each line's own stamp), on the none backend: nothing
 * in the kernel changes. It tells who would have been banned, when, for how long, and
 * how many later attempts each ban would have stopped: the way to choose
 * thresholds before going live. */
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "duration.h"
#include "enforce.h"
#include "follow.h"
#include "grow.h"
#include "json.h"
#include "judge.h"
#include "banmirror.h"
#include "logline.h"
#include "log.h"
#include "logread.h"
#include "names.h"
#include "offenders.h"
#include "table.h"

/* A rejected recipient on the wire: the RCPT command and its reply, and a
 * share of the session's banner, HELO, MAIL and TCP handshake. */
#define DEFAULT_BYTES_PER_ATTEMPT 250
/* A client whose score came this close to its threshold without a ban is
 * a near-miss: what a lower threshold would also have banned. */
#define NEAR_MISS 2.0

struct sim_ban {
	struct rg_lpm_key key;
	uint32_t start, end;            /* end UINT32_MAX: permanent */
	unsigned reason, offense;
	uint64_t stopped;
};

/* A client's highest score while it was never banned. */
struct peak {
	struct rg_lpm_key key;
	double level, threshold;
	uint32_t at;
	bool banned;
};

struct replay {
	struct config *cfg;
	struct offenders *off;
	struct judge *judge;
	struct peak *peaks;             /* at most max_offenders */
	size_t npeaks, peakcap;
	struct keyindex peak_idx;
	struct sim_ban *bans;
	size_t nbans, cap;
	struct banmirror exact;         /* live single-address bans; reason = index in bans */
	size_t *prefixes;               /* indexes of prefix bans */
	size_t nprefixes, pcap;
	struct logline_dedupe dedupe;
	uint64_t lines, events[LOGLINE_DNSBL + 1], duplicates, stopped, unstamped;
	uint32_t now;                   /* the simulated clock: the last stamp seen */
	uint32_t first, last;           /* the span of the stamps */
};

static int add_ban(struct replay *r, const struct decision *d, uint32_t now)
{
	struct sim_ban *b;

	if (r->nbans == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 256;
		struct sim_ban *nb = realloc(r->bans, cap * sizeof(*nb));

		if (!nb)
			return -1;
		r->bans = nb;
		r->cap = cap;
	}
	b = &r->bans[r->nbans];
	*b = (struct sim_ban){ .key = d->prefix, .start = now, .reason = d->reason,
			       .offense = d->offense,
			       .end = d->secs ? now + d->secs : UINT32_MAX };
	if (d->prefix.prefixlen == 128) {
		if (banmirror_put(&r->exact, &d->prefix, (uint32_t)r->nbans, b->end, now, NULL) < 0)
			return -1;
	} else {
		if (r->nprefixes == r->pcap) {
			size_t cap = r->pcap ? r->pcap * 2 : 64;
			size_t *np = realloc(r->prefixes, cap * sizeof(*np));

			if (!np)
				return -1;
			r->prefixes = np;
			r->pcap = cap;
		}
		r->prefixes[r->nprefixes++] = r->nbans;
	}
	r->nbans++;
	return 0;
}

/* The ban that would have dropped client at now, if any. */
static struct sim_ban *ban_of(struct replay *r, const struct rg_addr *client, uint32_t now)
{
	struct rg_lpm_key k = { .prefixlen = 128, .addr = *client };
	struct banmirror_entry *e = banmirror_get(&r->exact, &k);

	if (e && e->expires_ns > now)
		return &r->bans[e->reason];
	for (size_t i = 0; i < r->nprefixes; i++) {
		struct sim_ban *b = &r->bans[r->prefixes[i]];

		if (b->start <= now && b->end > now && addr_in_prefix(&b->key, client))
			return b;
	}
	return NULL;
}

/* Each client's highest score, for the near-misses; one banned at any
 * time is none. */
static int track_peak(struct replay *r, const struct rg_addr *client, bool banned, uint32_t now)
{
	struct rg_lpm_key k = offenders_key(r->off, client);
	const struct offender *e = offenders_get(r->off, &k);
	double level = e ? offenders_level(r->off, e, now) : 0;
	double thr = e ? offenders_threshold(r->off, e, now) : 0;
	uint32_t i = keyindex_find(&r->peak_idx, r->peaks, &k);
	struct peak *p;

	if (i == KEYINDEX_NONE) {
		if ((!banned && level < thr - NEAR_MISS) || r->npeaks >= r->cfg->offenders.max_offenders)
			return 0;
		if (grow(&r->peaks, &r->peakcap, r->npeaks + 1, sizeof(*r->peaks), 256) < 0 ||
		    keyindex_reserve(&r->peak_idx, r->peaks, r->npeaks + 1) < 0)
			return -1;
		i = (uint32_t)r->npeaks++;
		r->peaks[i] = (struct peak){ .key = k };
		keyindex_insert(&r->peak_idx, r->peaks, i);
	}
	p = &r->peaks[i];
	p->banned |= banned;
	if (level > p->level) {
		p->level = level;
		p->threshold = thr;
		p->at = now;
	}
	return 0;
}

static int event(struct replay *r, const struct logline *l, uint32_t now)
{
	struct sim_ban *b = ban_of(r, &l->client, now);
	struct judgement j;

	/* A banned client's packets never reach the MTA: the attempt is
	 * stopped, and it is no evidence (it would not have happened). */
	if (b) {
		b->stopped++;
		r->stopped++;
		return 0;
	}
	j = judge_evidence(r->judge, &l->client, l->kind == LOGLINE_DNSBL ? EV_DNSBL :
			   EV_UNKNOWN_RCPT, r->cfg->dnsbl_ban_weight, l->rcpt[0] ? l->rcpt : NULL,
			   "", now);
	for (unsigned i = 0; i < j.nbans; i++)
		if (add_ban(r, &j.bans[i], now) < 0)
			return -1;
	return track_peak(r, &l->client, j.nbans > 0, now);
}

struct input {
	const char *path;
	uint64_t first;                 /* the first stamp, for ordering */
	uint64_t size;
	uint64_t mtime;                 /* a yearless syslog stamp is of its year or the last */
};

static int read_file(struct replay *r, const struct input *in, bool progress)
{
	char err[256];
	struct logread *lr = logread_open(in->path, err, sizeof(err));
	const char *line;
	size_t len;
	time_t shown = time(NULL);
	uint64_t lines = 0;

	if (!lr) {
		fprintf(stderr, "rcptguard: %s\n", err);
		return -1;
	}
	while ((line = logread_line(lr, &len, err, sizeof(err)))) {
		struct logline l;

		lines++;
		r->lines++;
		follow_when(line, len, in->mtime, &l);
		if (l.kind == LOGLINE_NONE)
			continue;
		if (l.kind == LOGLINE_MALFORMED || l.kind == LOGLINE_AMBIGUOUS) {
			r->events[l.kind]++;
			continue;
		}
		if (logline_duplicate(&r->dedupe, &l)) {
			r->duplicates++;
			continue;
		}
		r->events[l.kind]++;
		/* A line without a stamp happens when the one before it did. */
		if (l.when) {
			r->now = (uint32_t)l.when;
			if (!r->first || r->now < r->first)
				r->first = r->now;
			if (r->now > r->last)
				r->last = r->now;
		} else {
			r->unstamped++;
		}
		if (event(r, &l, r->now) < 0) {
			fprintf(stderr, "rcptguard: out of memory\n");
			logread_close(lr);
			return -1;
		}
		if (progress && time(NULL) != shown) {
			shown = time(NULL);
			fprintf(stderr, "\rreplay: %s: %llu%% (%llu lines)", in->path,
				in->size ? (unsigned long long)(logread_offset(lr) * 100 / in->size) : 0,
				(unsigned long long)lines);
		}
	}
	if (progress)
		fprintf(stderr, "\r\033[K");
	logread_close(lr);
	if (*err) {
		fprintf(stderr, "rcptguard: %s: %s\n", in->path, err);
		return -1;
	}
	return 0;
}

/* The first stamp of a file, so rotated sets can be given in any order. */
static void probe(struct input *in)
{
	char err[256];
	struct logread *lr = logread_open(in->path, err, sizeof(err));
	struct stat st;
	const char *line;
	size_t len;
	int n = 0;

	if (stat(in->path, &st) == 0) {
		in->size = (uint64_t)st.st_size;
		in->mtime = (uint64_t)st.st_mtime;
	}
	while (lr && n++ < 1000 && (line = logread_line(lr, &len, err, sizeof(err)))) {
		struct logline l;

		if (follow_when(line, len, in->mtime, &l)) {
			in->first = l.when;
			break;
		}
	}
	logread_close(lr);
}

static int by_first(const void *a, const void *b)
{
	const struct input *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

static int by_start(const void *a, const void *b)
{
	const struct sim_ban *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static void when_str(uint32_t t, char *buf, size_t len)
{
	time_t tt = t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

/* Near-misses first, the closest first. */
static int by_level(const void *a, const void *b)
{
	const struct peak *x = a, *y = b;

	if (x->banned != y->banned)
		return x->banned ? 1 : -1;
	return x->level < y->level ? 1 : x->level > y->level ? -1 : 0;
}

/* The near-misses, sorted to the front of r->peaks; how many. */
static size_t near_misses(struct replay *r)
{
	size_t n = 0;

	if (r->npeaks)
		qsort(r->peaks, r->npeaks, sizeof(*r->peaks), by_level);
	while (n < r->npeaks && !r->peaks[n].banned)
		n++;
	return n;
}

/* The other side of the threshold: who a lower one would also have banned. */
static void print_near(const struct replay *r, size_t near)
{
	static const char *const head[] = { "ADDRESS", "PEAK SCORE", "AT (UTC)" };
	struct table t;

	printf("\nnear misses: %zu client%s came within %.0f of the threshold and were not "
	       "banned\n", near, near == 1 ? "" : "s", NEAR_MISS);
	if (!near)
		return;
	table_init(&t, "lrl", head);
	for (size_t i = 0; i < near; i++) {
		const struct peak *p = &r->peaks[i];
		char a[ADDR_STRLEN], score[48], at[32];

		addr_format(&p->key, a, sizeof(a));
		snprintf(score, sizeof(score), "%.2f/%.2f", p->level, p->threshold);
		when_str(p->at, at, sizeof(at));
		const char *cells[] = { a, score, at };
		table_add(&t, cells);
	}
	table_print(&t, stdout);
	table_free(&t);
}

static void report(struct replay *r, size_t nfiles, bool json, unsigned bytes_each)
{
	static const char *const head[] = { "ADDRESS", "REASON", "BANNED AT (UTC)", "FOR",
					    "OFFENSE", "STOPPED" };
	uint64_t events = r->events[LOGLINE_UNKNOWN_RCPT] + r->events[LOGLINE_LIMIT] +
			  r->events[LOGLINE_DNSBL];
	const struct judge_stats *js = judge_stats(r->judge);
	size_t repeats = 0, subnets = 0, near = near_misses(r);
	struct table t;

	if (r->nbans)
		qsort(r->bans, r->nbans, sizeof(*r->bans), by_start);
	for (size_t i = 0; i < r->nbans; i++) {
		repeats += r->bans[i].offense > 1;
		subnets += r->bans[i].key.prefixlen < 128;
	}
	if (json) {
		const struct { const char *key; unsigned long long v; } totals[] = {
			{ "files", nfiles }, { "lines", r->lines }, { "rejections", events },
			{ "unknown_recipient", r->events[LOGLINE_UNKNOWN_RCPT] },
			{ "limit", r->events[LOGLINE_LIMIT] }, { "dnsbl", r->events[LOGLINE_DNSBL] },
			{ "malformed", r->events[LOGLINE_MALFORMED] },
			{ "ambiguous", r->events[LOGLINE_AMBIGUOUS] },
			{ "duplicates", r->duplicates }, { "first", r->first }, { "last", r->last },
			{ "bans", r->nbans }, { "repeat_bans", repeats }, { "prefix_bans", subnets },
			{ "allowlisted", js->spared }, { "refused", js->evidence_refused },
			{ "stopped", r->stopped }, { "bytes_saved", r->stopped * bytes_each },
		};
		struct json j;

		json_init(&j, stdout);
		json_object(&j);
		for (size_t i = 0; i < sizeof(totals) / sizeof(totals[0]); i++) {
			json_key(&j, totals[i].key);
			json_uint(&j, totals[i].v);
		}
		json_key(&j, "ban_list");
		json_array(&j);
		for (size_t i = 0; i < r->nbans; i++) {
			const struct sim_ban *b = &r->bans[i];
			char a[ADDR_STRLEN];

			addr_format(&b->key, a, sizeof(a));
			json_object(&j);
			json_key(&j, "address");
			json_string(&j, a);
			json_key(&j, "reason");
			json_string(&j, reason_name(b->reason));
			json_key(&j, "banned_at");
			json_uint(&j, b->start);
			json_key(&j, "seconds");
			json_uint(&j, b->end == UINT32_MAX ? 0 : b->end - b->start);
			json_key(&j, "offense");
			json_uint(&j, b->offense);
			json_key(&j, "stopped");
			json_uint(&j, b->stopped);
			json_end(&j);
		}
		json_end(&j);
		json_key(&j, "near_misses");
		json_array(&j);
		for (size_t i = 0; i < near; i++) {
			const struct peak *p = &r->peaks[i];
			char a[ADDR_STRLEN];

			addr_format(&p->key, a, sizeof(a));
			json_object(&j);
			json_key(&j, "address");
			json_string(&j, a);
			json_key(&j, "peak_score");
			json_double(&j, p->level);
			json_key(&j, "threshold");
			json_double(&j, p->threshold);
			json_key(&j, "at");
			json_uint(&j, p->at);
			json_end(&j);
		}
		json_end(&j);
		json_end(&j);
		return;
	}
	printf("replay: %zu file%s, %llu lines, %llu rejections (%llu unknown recipients, "
	       "%llu limits, %llu DNSBL blocks), %llu malformed, %llu duplicates\n", nfiles,
	       nfiles == 1 ? "" : "s", (unsigned long long)r->lines, (unsigned long long)events,
	       (unsigned long long)r->events[LOGLINE_UNKNOWN_RCPT],
	       (unsigned long long)r->events[LOGLINE_LIMIT],
	       (unsigned long long)r->events[LOGLINE_DNSBL],
	       (unsigned long long)r->events[LOGLINE_MALFORMED],
	       (unsigned long long)r->duplicates);
	if (r->events[LOGLINE_AMBIGUOUS])
		printf("note: %llu rejections could be read two ways and blame nobody "
		       "(docs/qmail.md)\n", (unsigned long long)r->events[LOGLINE_AMBIGUOUS]);
	if (r->unstamped)
		printf("note: %llu lines had no time stamp and count as the moment of the line "
		       "before them\n", (unsigned long long)r->unstamped);
	printf("would have banned: %zu (%zu repeat offenses, %zu networks); spared %llu "
	       "allowlisted\n", r->nbans, repeats, subnets, (unsigned long long)js->spared);
	if (js->evidence_refused)
		printf("note: %llu rejections came from addresses that are never offenders "
		       "(unspecified, loopback, link-local, multicast, broadcast, reserved; "
		       "see rcptguard.conf(5) nat64_prefix)\n",
		       (unsigned long long)js->evidence_refused);
	printf("stopped: %llu later attempts, about %llu bytes of SMTP traffic (%u per "
	       "attempt)\n", (unsigned long long)r->stopped,
	       (unsigned long long)(r->stopped * bytes_each), bytes_each);
	if (r->nbans)
		printf("\n");
	table_init(&t, "llllrr", head);
	for (size_t i = 0; i < r->nbans; i++) {
		const struct sim_ban *b = &r->bans[i];
		char a[ADDR_STRLEN], at[32], dur[32], off[16], stopped[24];

		addr_format(&b->key, a, sizeof(a));
		when_str(b->start, at, sizeof(at));
		if (b->end == UINT32_MAX)
			snprintf(dur, sizeof(dur), "permanent");
		else
			duration_format(b->end - b->start, dur, sizeof(dur));
		snprintf(off, sizeof(off), "%u", b->offense);
		snprintf(stopped, sizeof(stopped), "%llu", (unsigned long long)b->stopped);
		const char *cells[] = { a, reason_name(b->reason), at, dur, off, stopped };
		table_add(&t, cells);
	}
	if (r->nbans)
		table_print(&t, stdout);
	table_free(&t);
	print_near(r, near);
}

int cmd_replay(struct ctx *x, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "bytes-per-attempt", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned bytes_each = DEFAULT_BYTES_PER_ATTEMPT;
	struct replay r = { .cfg = &x->cfg };
	struct input *in;
	struct enforcer *enf;
	struct offenders *off;
	void *none;
	char err[512];
	int opt, n, rc = EXIT_OK;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			if (config_load(&x->cfg, optarg, err, sizeof(err)) < 0) {
				fprintf(stderr, "rcptguard: %s\n", err);
				return EXIT_FAIL;
			}
			break;
		case 'j': x->json = true; break;
		case 'b':
			if (sscanf(optarg, "%u", &bytes_each) != 1 || bytes_each > 1000000)
				return usage_error("--bytes-per-attempt: '%s' must be a number of bytes",
						   optarg);
			break;
		default: return EXIT_USAGE;
		}
	}
	if ((n = argc - optind) < 1)
		return usage_error("replay needs at least one log file");
	/* The daemon's judge and allowlist, on a store of none. */
	none = backend_none_new();
	enf = none ? enforce_new(&backend_none, none) : NULL;
	in = calloc((size_t)n, sizeof(*in));
	off = offenders_new(&x->cfg.offenders, 1);
	r.off = off;
	keyindex_init(&r.peak_idx, sizeof(*r.peaks), offsetof(struct peak, key), 0);
	r.judge = enf && off ? judge_new(off, enf) : NULL;
	if (!r.judge || !in || enforce_load_allow(enf, &x->cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "rcptguard: %s\n", r.judge && in ? err : "out of memory");
		rc = EXIT_FAIL;
		goto out;
	}
	/* The judge's info lines would be one per simulated ban. */
	log_quiet();
	for (int i = 0; i < n; i++) {
		in[i].path = argv[optind + i];
		probe(&in[i]);
	}
	qsort(in, (size_t)n, sizeof(*in), by_first);
	for (int i = 0; i < n && rc == EXIT_OK; i++)
		if (read_file(&r, &in[i], isatty(2)) < 0)
			rc = EXIT_FAIL;
	if (rc == EXIT_OK)
		report(&r, (size_t)n, x->json, bytes_each);
out:
	judge_free(r.judge);
	offenders_free(off);
	enforce_free(enf);
	backend_none_free(none);
	banmirror_free(&r.exact);
	keyindex_free(&r.peak_idx);
	free(r.peaks);
	free(r.bans);
	free(r.prefixes);
	free(in);
	return rc;
}
