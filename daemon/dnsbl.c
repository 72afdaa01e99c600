/* dnsbl.c - the resolver side: c-ares sockets on the loop, the answer
 * cache, the in-flight cap and its queue, error logging. */
#include <ares.h>
#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include "addr.h"
#include "dnsbl.h"
#include "dnsbl_spec.h"
#include "duration.h"
#include "log.h"
#include "policy_attrs.h"

#define PROBE 8                 /* cache slots tried per address */
#define MAX_SOCKS 32
#define TICK_MS 100             /* c-ares timeouts are checked this often */
#define QUEUE_MAX 16384
#define ERROR_LOG_SECS 3600     /* one error line per list per hour */
#define TXT_MAX 200

struct entry {
	struct rg_addr addr;
	uint32_t gen;                   /* bumped when the slot is reused */
	uint32_t last_used;
	bool used, txt_pending, evidence_done;
	int txt_list;
	char txt[TXT_MAX];
	struct dnsbl_answer ans[DNSBL_MAX_LISTS];
};

struct query {
	struct dnsbl *d;
	uint32_t slot, gen;
	uint8_t list;
	bool txt;
};

struct sock {
	struct watch w;
	struct dnsbl *d;
	bool used;
};

struct dnsbl {
	struct loop *loop;
	ares_channel ch;
	bool ares_ok;
	struct dnsbl_list lists[DNSBL_MAX_LISTS];
	unsigned nlists;
	struct entry *cache;
	uint32_t slots;                 /* power of two */
	uint32_t ttl_min, ttl_max;
	unsigned max_inflight;
	struct query **queue;           /* waiting for the in-flight cap */
	size_t qhead, qlen;
	struct sock socks[MAX_SOCKS];
	struct watch tick;
	uint64_t seed;
	uint32_t logged[DNSBL_MAX_LISTS];
	struct dnsbl_stats st;
	bool progressed;
	void (*progress)(void *arg);
	void *progress_arg;
};

static uint32_t hash(const struct dnsbl *d, const struct rg_addr *a)
{
	uint64_t h = d->seed ^ 0xcbf29ce484222325ULL;

	for (int i = 0; i < 16; i++)
		h = (h ^ a->a[i]) * 0x100000001b3ULL;
	return (uint32_t)(h ^ (h >> 32));
}

static bool busy(const struct entry *e, unsigned n)
{
	if (e->txt_pending)
		return true;
	for (unsigned i = 0; i < n; i++)
		if (e->ans[i].status == DA_PENDING || e->ans[i].status == DA_QUEUED)
			return true;
	return false;
}

/* The slot of a, or with create a fresh one (evicting the least recently
 * used idle slot among the probed ones); UINT32_MAX if none is free. */
static uint32_t find(struct dnsbl *d, const struct rg_addr *a, bool create)
{
	uint32_t h = hash(d, a), victim = UINT32_MAX;

	for (uint32_t i = 0; i < PROBE; i++) {
		uint32_t s = (h + i) & (d->slots - 1);
		struct entry *e = &d->cache[s];

		if (e->used && !memcmp(&e->addr, a, sizeof(*a)))
			return s;
		if (!e->used) {
			if (victim == UINT32_MAX || d->cache[victim].used)
				victim = s;
		} else if (!busy(e, d->nlists) &&
			   (victim == UINT32_MAX ||
			    (d->cache[victim].used && e->last_used < d->cache[victim].last_used))) {
			victim = s;
		}
	}
	if (!create || victim == UINT32_MAX)
		return UINT32_MAX;
	{
		struct entry *e = &d->cache[victim];
		uint32_t gen = e->gen + 1;

		memset(e, 0, sizeof(*e));
		e->gen = gen;
		e->used = true;
		e->addr = *a;
		e->txt_list = -1;
	}
	return victim;
}

static void log_error(struct dnsbl *d, unsigned list, const char *what, const char *meaning)
{
	uint32_t now = (uint32_t)wall_secs();

	if (d->logged[list] && now - d->logged[list] < ERROR_LOG_SECS)
		return;
	d->logged[list] = now;
	log_warn("event=dnsbl_error list=%s answer=\"%s\" meaning=\"%s\" note=\"counted as not "
		 "listed; logged once an hour\"", d->lists[list].zone, what, meaning);
}

static void answered(void *arg, int status, int timeouts, unsigned char *abuf, int alen);

static void send_query(struct dnsbl *d, struct query *q)
{
	char name[512];

	if (dnsbl_qname(&d->cache[q->slot].addr, d->lists[q->list].zone, name, sizeof(name)) < 0) {
		answered(q, ARES_EBADNAME, 0, NULL, 0);
		return;
	}
	if (!q->txt)
		d->cache[q->slot].ans[q->list].status = DA_PENDING;
	d->st.inflight++;
	if (d->st.inflight > d->st.inflight_max)
		d->st.inflight_max = d->st.inflight;
	d->st.queries++;
	ares_query(d->ch, name, ns_c_in, q->txt ? ns_t_txt : ns_t_a, answered, q);
}

/* Start the query now, or queue it behind the in-flight cap. */
static void start(struct dnsbl *d, uint32_t slot, unsigned list, bool txt)
{
	struct query *q = malloc(sizeof(*q));
	struct entry *e = &d->cache[slot];

	if (!q || (d->st.inflight >= d->max_inflight && d->qlen == QUEUE_MAX)) {
		free(q);
		d->st.queue_full++;
		e->ans[list].status = txt ? e->ans[list].status : DA_ERROR;
		if (txt)
			e->txt_pending = false;
		return;
	}
	*q = (struct query){ d, slot, e->gen, (uint8_t)list, txt };
	if (txt)
		e->txt_pending = true;
	if (d->st.inflight < d->max_inflight) {
		send_query(d, q);
		return;
	}
	if (!txt)
		e->ans[list].status = DA_QUEUED;
	d->queue[(d->qhead + d->qlen++) % QUEUE_MAX] = q;
}

static void drain_queue(struct dnsbl *d)
{
	while (d->qlen && d->st.inflight < d->max_inflight) {
		struct query *q = d->queue[d->qhead];

		d->qhead = (d->qhead + 1) % QUEUE_MAX;
		d->qlen--;
		send_query(d, q);
	}
}

static uint32_t clamp_ttl(const struct dnsbl *d, uint32_t ttl)
{
	return ttl < d->ttl_min ? d->ttl_min : ttl > d->ttl_max ? d->ttl_max : ttl;
}

static void got_a(struct dnsbl *d, struct entry *e, unsigned list, unsigned char *abuf,
		  int alen)
{
	struct ares_addrttl at[16];
	enum dnsbl_class best = DNSBL_NOT_LISTED;
	int n = 16;
	struct dnsbl_answer *ans = &e->ans[list];
	uint32_t ttl = UINT32_MAX;

	int rc = ares_parse_a_reply(abuf, alen, NULL, at, &n);

	ans->status = DA_CLEAN;
	if (rc == ARES_EBADRESP) {
		/* Garbage from the server is not an answer from the list. */
		ans->status = DA_ERROR;
		d->st.bad_answers++;
		log_error(d, list, "malformed answer", "the DNS server sent a reply that does not "
			  "parse; check dns_server and what sits between it and the list");
		return;
	}
	if (rc != ARES_SUCCESS || n <= 0)
		return;
	for (int i = 0; i < n; i++) {
		uint8_t a[4];
		enum dnsbl_class c;

		memcpy(a, &at[i].ipaddr, 4);
		c = dnsbl_classify(&d->lists[list], a);
		if ((uint32_t)at[i].ttl < ttl)
			ttl = (uint32_t)at[i].ttl;
		/* A listing wins over an error, an error over a miss. */
		if (i == 0 || c == DNSBL_LISTED || (best == DNSBL_NOT_LISTED && c != best)) {
			if (best != DNSBL_LISTED) {
				memcpy(ans->a, a, 4);
				best = c;
			}
		}
	}
	ans->expires = ans->asked + clamp_ttl(d, ttl);
	if (best == DNSBL_LISTED) {
		ans->status = DA_LISTED;
		d->st.listed[list]++;
	} else if (best == DNSBL_ERROR_CODE || best == DNSBL_ERROR_OUTSIDE) {
		char s[16];

		ans->status = DA_ERROR;
		if (best == DNSBL_ERROR_CODE)
			d->st.error_codes++, d->st.error_code[ans->a[3]]++;
		else
			d->st.outside++;
		snprintf(s, sizeof(s), "%u.%u.%u.%u", ans->a[0], ans->a[1], ans->a[2], ans->a[3]);
		log_error(d, list, s, dnsbl_error_meaning(ans->a));
	}
}

static void got_txt(struct entry *e, unsigned list, unsigned char *abuf, int alen)
{
	struct ares_txt_reply *txt = NULL;
	size_t n = 0;

	e->txt_pending = false;
	if (ares_parse_txt_reply(abuf, alen, &txt) != ARES_SUCCESS || !txt)
		return;
	/* What a client will read: printable ASCII, cut like rblsmtpd does. */
	for (size_t i = 0; i < txt->length && n < TXT_MAX - 1; i++)
		e->txt[n++] = txt->txt[i] < 32 || txt->txt[i] > 126 ? '?' : (char)txt->txt[i];
	e->txt[n] = '\0';
	e->txt_list = (int)list;
	ares_free_data(txt);
}

static void answered(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct query *q = arg;
	struct dnsbl *d = q->d;
	struct entry *e = &d->cache[q->slot];
	bool alive = e->used && e->gen == q->gen;

	(void)timeouts;
	if (status != ARES_EBADNAME && status != ARES_EDESTRUCTION)
		d->st.inflight--;
	d->progressed = true;
	if (!alive || status == ARES_EDESTRUCTION) {
		free(q);
		return;
	}
	if (q->txt) {
		if (status == ARES_SUCCESS)
			got_txt(e, q->list, abuf, alen);
		e->txt_pending = false;
		free(q);
		return;
	}
	e->ans[q->list].expires = e->ans[q->list].asked + d->ttl_min;
	switch (status) {
	case ARES_SUCCESS:
		got_a(d, e, q->list, abuf, alen);
		if (e->ans[q->list].status == DA_LISTED && e->txt_list < 0 && !e->txt_pending)
			start(d, q->slot, q->list, true);
		break;
	case ARES_ENOTFOUND:
	case ARES_ENODATA:
		/* Not listed: cached for the shortest TTL we allow. */
		e->ans[q->list].status = DA_CLEAN;
		break;
	default:
		e->ans[q->list].status = DA_ERROR;
		if (status == ARES_ETIMEOUT)
			d->st.timeouts++;
		else if (status == ARES_ESERVFAIL)
			d->st.servfail++;
		else
			d->st.other_errors++;
		log_error(d, q->list, ares_strerror(status),
			  "no answer in time or a server failure; check dns_server and the "
			  "resolver's health");
		break;
	}
	free(q);
}

static void after_processing(struct dnsbl *d)
{
	drain_queue(d);
	if (d->progressed && d->progress) {
		d->progressed = false;
		d->progress(d->progress_arg);
	}
}

static void on_sock(struct watch *w, uint32_t events)
{
	struct sock *s = (struct sock *)w;

	ares_process_fd(s->d->ch, events & (EPOLLIN | EPOLLERR | EPOLLHUP) ? w->fd : ARES_SOCKET_BAD,
			events & EPOLLOUT ? w->fd : ARES_SOCKET_BAD);
	after_processing(s->d);
}

static void on_tick(struct watch *w, uint32_t events)
{
	struct dnsbl *d = (struct dnsbl *)((char *)w - offsetof(struct dnsbl, tick));
	uint64_t ticks;

	(void)events;
	if (read(w->fd, &ticks, sizeof(ticks)) < 0 && !d->st.inflight)
		return;
	ares_process_fd(d->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	after_processing(d);
}

/* c-ares opens and closes sockets; mirror them in epoll. */
static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct dnsbl *d = data;
	struct sock *s = NULL, *free_slot = NULL;
	uint32_t ev = (readable ? EPOLLIN : 0) | (writable ? EPOLLOUT : 0);

	for (int i = 0; i < MAX_SOCKS; i++) {
		if (d->socks[i].used && d->socks[i].w.fd == fd)
			s = &d->socks[i];
		else if (!d->socks[i].used && !free_slot)
			free_slot = &d->socks[i];
	}
	if (!ev) {
		if (s) {
			loop_del(d->loop, &s->w);
			s->used = false;
		}
		return;
	}
	if (s) {
		loop_mod(d->loop, &s->w, ev);
		return;
	}
	if (!free_slot) {
		log_err("event=dnsbl_error error=\"more than %d resolver sockets\"", MAX_SOCKS);
		return;
	}
	*free_slot = (struct sock){ { fd, on_sock }, d, true };
	loop_add(d->loop, &free_slot->w, ev);
}

struct dnsbl *dnsbl_new(struct loop *l, const struct config *c, char *err, size_t errlen)
{
	struct dnsbl *d = calloc(1, sizeof(*d));
	struct ares_options opts = { 0 };
	int rc;

	if (!d)
		goto oom;
	d->loop = l;
	d->tick.fd = -1;
	d->nlists = c->n_dnsbl;
	memcpy(d->lists, c->dnsbl, sizeof(d->lists));
	if (!d->nlists)
		return d;
	if (c->dnsbl_wait * 1000 > SPP_TIMEOUT_DEFAULT_MS - SPP_TIMEOUT_MARGIN_MS)
		log_warn("event=config_warning key=dnsbl_wait value=%g note=\"rcptguard-spp gives "
			 "up after %d s by default: a verdict waiting longer than %d s for DNSBL "
			 "answers reaches qmail too late and the RCPT passes unjudged; lower "
			 "dnsbl_wait or raise RCPTGUARD_TIMEOUT in qmail's environment\"",
			 c->dnsbl_wait, SPP_TIMEOUT_DEFAULT_MS / 1000,
			 (SPP_TIMEOUT_DEFAULT_MS - SPP_TIMEOUT_MARGIN_MS) / 1000);
	d->ttl_min = c->dnsbl_cache_min;
	d->ttl_max = c->dnsbl_cache_max < c->dnsbl_cache_min ? c->dnsbl_cache_min : c->dnsbl_cache_max;
	d->max_inflight = c->dns_max_inflight;
	d->seed = mono_ns() * 0x9e3779b97f4a7c15ULL;
	for (d->slots = 16; d->slots < c->dnsbl_cache_size; d->slots *= 2)
		;
	d->cache = calloc(d->slots, sizeof(*d->cache));
	d->queue = calloc(QUEUE_MAX, sizeof(*d->queue));
	if (!d->cache || !d->queue)
		goto oom;
	ares_library_init(ARES_LIB_INIT_ALL);
	opts.sock_state_cb = sock_state;
	opts.sock_state_cb_data = d;
	opts.timeout = (int)(c->dns_timeout * 1000);
	opts.tries = 2;
	rc = ares_init_options(&d->ch, &opts,
			       ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (rc != ARES_SUCCESS) {
		snprintf(err, errlen, "cannot start the DNS resolver: %s", ares_strerror(rc));
		goto fail;
	}
	d->ares_ok = true;
	if (c->dns_server[0] &&
	    (rc = ares_set_servers_ports_csv(d->ch, c->dns_server)) != ARES_SUCCESS) {
		snprintf(err, errlen, "dns_server %s: %s", c->dns_server, ares_strerror(rc));
		goto fail;
	}
	d->tick.cb = on_tick;
	if (loop_timer(l, &d->tick, TICK_MS) < 0) {
		snprintf(err, errlen, "cannot create a timer");
		goto fail;
	}
	return d;
oom:
	snprintf(err, errlen, "out of memory for the DNSBL cache");
fail:
	dnsbl_free(d);
	return NULL;
}

void dnsbl_free(struct dnsbl *d)
{
	if (!d)
		return;
	if (d->ares_ok)
		ares_destroy(d->ch);    /* answers every query with ARES_EDESTRUCTION */
	while (d->qlen) {
		free(d->queue[d->qhead]);
		d->qhead = (d->qhead + 1) % QUEUE_MAX;
		d->qlen--;
	}
	loop_close(d->loop, &d->tick);
	free(d->cache);
	free(d->queue);
	free(d);
}

bool dnsbl_enabled(const struct dnsbl *d)
{
	return d && d->nlists;
}

const struct dnsbl_list *dnsbl_lists(const struct dnsbl *d, unsigned *n)
{
	*n = d->nlists;
	return d->lists;
}

void dnsbl_on_progress(struct dnsbl *d, void (*cb)(void *arg), void *arg)
{
	d->progress = cb;
	d->progress_arg = arg;
}

void dnsbl_lookup(struct dnsbl *d, const struct rg_addr *a, bool fresh)
{
	uint32_t now = (uint32_t)wall_secs(), slot;
	bool asked = false;

	if (!dnsbl_enabled(d))
		return;
	d->st.lookups++;
	if ((slot = find(d, a, true)) == UINT32_MAX) {
		d->st.queue_full++;
		return;
	}
	d->cache[slot].last_used = now;
	for (unsigned i = 0; i < d->nlists; i++) {
		struct dnsbl_answer *ans = &d->cache[slot].ans[i];

		if (ans->status == DA_PENDING || ans->status == DA_QUEUED ||
		    (!fresh && ans->status != DA_NONE && ans->expires > now))
			continue;
		*ans = (struct dnsbl_answer){ .asked = now };
		if (i == (unsigned)d->cache[slot].txt_list) {
			d->cache[slot].txt_list = -1;
			d->cache[slot].txt[0] = '\0';
		}
		start(d, slot, i, false);
		asked = true;
	}
	if (!asked)
		d->st.cache_hits++;
}

bool dnsbl_result(struct dnsbl *d, const struct rg_addr *a, struct dnsbl_result *out)
{
	uint32_t slot = dnsbl_enabled(d) ? find(d, a, false) : UINT32_MAX;
	const struct entry *e;
	int best = 0;

	*out = (struct dnsbl_result){ .complete = true, .list = -1, .txt = "" };
	if (slot == UINT32_MAX)
		return false;
	e = &d->cache[slot];
	out->answers = e->ans;
	out->complete = !busy(e, d->nlists);
	for (unsigned i = 0; i < d->nlists; i++) {
		if (e->ans[i].status != DA_LISTED)
			continue;
		out->score += d->lists[i].weight;
		if (d->lists[i].weight > best) {
			best = d->lists[i].weight;
			out->list = (int)i;
		}
	}
	if (out->list >= 0 && e->txt_list == out->list)
		out->txt = e->txt;
	return true;
}

bool dnsbl_claim_evidence(struct dnsbl *d, const struct rg_addr *a)
{
	uint32_t slot = dnsbl_enabled(d) ? find(d, a, false) : UINT32_MAX;

	if (slot == UINT32_MAX || d->cache[slot].evidence_done)
		return false;
	d->cache[slot].evidence_done = true;
	return true;
}

const struct dnsbl_stats *dnsbl_stats(const struct dnsbl *d)
{
	return &d->st;
}
