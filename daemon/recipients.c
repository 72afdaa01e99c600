/* recipients.c - validrcptto lookup semantics over a tinycdb file. */
#include <arpa/inet.h>
#include <cdb.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "casefold.h"
#include "cdb_load.h"
#include "grow.h"
#include "recipients.h"
#include "route.h"

struct recipients {
	struct cdb cdb;
	struct file_id id;
	/* Files without domain records (made by mkvalidrcptto): the domains
	 * found by one scan at open, sorted for bsearch. */
	char **domains;
	size_t ndomains;        /* either way: how many domains we judge */
	size_t nkeys;           /* addresses, catch-alls and negative entries */
	size_t naliases;        /* folded keys (rcpt_alias) */
	bool recorded;
};

const char *rcpt_verdict_name(enum rcpt_verdict v)
{
	static const char *const n[] = { "valid", "unknown", "negative", "not-ours",
					 "unqualified", "unjudged" };

	return v <= RCPT_UNJUDGED ? n[v] : "?";
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_domain(struct recipients *r, const char *d, size_t n, size_t *cap)
{
	char *copy;

	if (grow(&r->domains, cap, r->ndomains + 1, sizeof(*r->domains), 16) < 0)
		return -1;
	if (!(copy = strndup(d, n)))
		return -1;
	r->domains[r->ndomains++] = copy;
	return 0;
}

/* Walk every record once (cdb_load checked them all): count the keys and
 * count (or, without domain records, collect) the domains.
 * Returns 0, or -1 out of memory. */
static int scan(struct recipients *r)
{
	unsigned pos;
	size_t cap = 0, w = 0;

	cdb_seqinit(&pos, &r->cdb);
	while (cdb_seqnext(&pos, &r->cdb) > 0) {
		unsigned klen = cdb_keylen(&r->cdb);
		const char *k = cdb_get(&r->cdb, klen, cdb_keypos(&r->cdb));
		const char *at = memchr(k, '@', klen);

		if (klen && k[0] == '\0') {
			if (at)
				r->naliases++;
			else
				r->ndomains += r->recorded && klen > 1;
			continue;
		}
		r->nkeys++;
		if (!r->recorded && at && at + 1 < k + klen &&
		    add_domain(r, at + 1, (size_t)(k + klen - at - 1), &cap) < 0)
			return -1;
	}
	if (r->recorded)
		return 0;
	if (r->ndomains)                /* qsort(NULL, 0, ...) is undefined */
		qsort(r->domains, r->ndomains, sizeof(char *), cmpstr);
	for (size_t i = 0; i < r->ndomains; i++) {
		if (w && strcmp(r->domains[w - 1], r->domains[i]) == 0)
			free(r->domains[i]);
		else
			r->domains[w++] = r->domains[i];
	}
	r->ndomains = w;
	return 0;
}

struct recipients *recipients_open(const char *path, char *err, size_t errlen)
{
	struct recipients *r = calloc(1, sizeof(*r));
	struct stat st;
	size_t records;
	char why[256];

	if (!r) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	switch (cdb_load(path, &r->cdb, &st, &records, why, sizeof(why))) {
	case CDB_LOADED:
		break;
	case CDB_UNREADABLE:
		snprintf(err, errlen, "cannot open recipients database %s: %s; build it with "
			 "'rcptguard recipients compile -o %s SOURCE', readable by the daemon's "
			 "user", path, why, path);
		free(r);
		return NULL;
	case CDB_INVALID:
		snprintf(err, errlen, "recipients database %s is not a valid CDB file: %s; "
			 "rebuild it with 'rcptguard recipients compile'", path, why);
		free(r);
		return NULL;
	case CDB_CHANGED:
		snprintf(err, errlen, "recipients database %s: %s", path, why);
		free(r);
		return NULL;
	}
	r->id = (struct file_id){ st.st_dev, st.st_ino, st.st_size, st.st_mtim };
	r->recorded = cdb_find(&r->cdb, "", 1) > 0;
	if (scan(r) < 0) {
		snprintf(err, errlen, "%s: out of memory reading domains", path);
		recipients_close(r);
		return NULL;
	}
	if (r->ndomains == 0) {
		snprintf(err, errlen, "recipients database %s holds no addresses; "
			 "rebuild it with 'rcptguard recipients compile'", path);
		recipients_close(r);
		return NULL;
	}
	return r;
}

void recipients_close(struct recipients *r)
{
	if (!r)
		return;
	cdb_free(&r->cdb);
	for (size_t i = 0; !r->recorded && i < r->ndomains; i++)
		free(r->domains[i]);
	free(r->domains);
	free(r);
}

size_t recipients_domains(const struct recipients *r)
{
	return r->ndomains;
}

size_t recipients_keys(const struct recipients *r)
{
	return r->nkeys;
}

int file_id_of(const char *path, struct file_id *id)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -1;
	*id = (struct file_id){ st.st_dev, st.st_ino, st.st_size, st.st_mtim };
	return 0;
}

bool file_id_eq(const struct file_id *a, const struct file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

const struct file_id *recipients_id(const struct recipients *r)
{
	return &r->id;
}

/* Whether the record cdb_find or cdb_findnext just found is negative:
 * 1 yes, 0 no, -1 read error. */
static int negative(struct recipients *r)
{
	char first = 0;

	if (cdb_datalen(&r->cdb) > 0 &&
	    cdb_read(&r->cdb, &first, 1, cdb_datapos(&r->cdb)) < 0)
		return -1;
	return first == '-';
}

/* 1 found (*neg set), 0 not found, -1 read error. With aliases, the folded
 * keys that fold to key count too: several keys can fold alike (straße,
 * STRASSE), and a valid one wins, as it would for Postfix's own map. */
static int find(struct recipients *r, const char *key, size_t len, bool aliases, bool *neg)
{
	int rc = cdb_find(&r->cdb, key, (unsigned)len), n = 0;
	char ak[RCPT_MAX + 2];
	struct cdb_find cf;

	if (rc > 0 && (n = negative(r)) < 0)
		return -1;
	*neg = rc > 0 && n;
	if (rc < 0 || !aliases || !r->naliases || len > RCPT_MAX || (rc > 0 && !*neg))
		return rc;
	ak[0] = '\0';
	memcpy(ak + 1, key, len);
	if (cdb_findinit(&cf, &r->cdb, ak, (unsigned)len + 1) < 0)
		return -1;
	while ((n = cdb_findnext(&cf)) > 0) {
		if ((n = negative(r)) < 0)
			return -1;
		*neg = rc > 0 ? *neg && n : n;
		rc = 1;
		if (!*neg)
			break;
	}
	return n < 0 ? -1 : rc;
}

static bool domain_known(struct recipients *r, const char *domain)
{
	char key[RCPT_MAX + 2];
	size_t n = strlen(domain);

	/* "\0" alone is the marker record: an empty domain is nobody's. */
	if (n == 0 || n > RCPT_MAX)
		return false;   /* longer than any key */
	if (!r->recorded) {
		const char *d = domain;

		return bsearch(&d, r->domains, r->ndomains, sizeof(char *), cmpstr) != NULL;
	}
	key[0] = '\0';
	memcpy(key + 1, domain, n);
	return cdb_find(&r->cdb, key, (unsigned)n + 1) > 0;
}

size_t rcpt_literal(const char *in, size_t n, char *out)
{
	unsigned char bin[16];
	char text[INET6_ADDRSTRLEN + 8];
	bool v6 = n > 7 && memcmp(in, "[ipv6:", 6) == 0;
	size_t skip = v6 ? 6 : 1;

	if (n < 3 || in[0] != '[' || in[n - 1] != ']' || n - skip - 1 >= sizeof(text))
		return 0;
	memcpy(text, in + skip, n - skip - 1);
	text[n - skip - 1] = '\0';
	if (inet_pton(v6 ? AF_INET6 : AF_INET, text, bin) != 1 ||
	    !inet_ntop(v6 ? AF_INET6 : AF_INET, bin, text, sizeof(text)))
		return 0;
	return (size_t)sprintf(out, "[%s%s]", v6 ? "ipv6:" : "", text);
}

size_t rcpt_domain(const char *d, size_t n, char *out)
{
	size_t ln;

	while (n && d[n - 1] == '.')
		n--;
	if (n == 0 || n > RCPT_MAX)
		return 0;
	if (d[0] == '[' && (ln = rcpt_literal(d, n, out)) != 0)
		return ln;
	memcpy(out, d, n);
	out[n] = '\0';
	return n;
}

size_t rcpt_normalise(const char *in, char *out)
{
	size_t n = 0, len = strlen(in);
	const char *end, *colon;
	char *at, lit[64];

	if (len >= 2 && in[0] == '<' && in[len - 1] == '>')
		in++, len -= 2;
	*out = '\0';
	if (len > RCPT_INPUT_MAX)
		return 0;       /* more than any request holds: no domain, counted */
	end = in + len;
	/* A source route says which hosts to pass: the address follows it. */
	if (*in == '@' && (colon = memchr(in, ':', len)))
		in = colon + 1;
	for (; in < end; in++) {
		if (*in == '\\' && in + 1 < end)
			in++;
		else if (*in == '"')
			continue;
		out[n++] = (char)((*in >= 'A' && *in <= 'Z') ? *in + 32 : *in);
	}
	out[n] = '\0';
	if (!(at = strrchr(out, '@')))
		return n;
	while (n > (size_t)(at - out + 1) && out[n - 1] == '.')
		out[--n] = '\0';
	if (at[1] == '[') {
		size_t ln = rcpt_literal(at + 1, n - (size_t)(at + 1 - out), lit);

		/* The canonical form can be longer ("::f:f" is "::0.15.0.15"):
		 * one that does not fit stays as written, longer than any key. */
		if (ln && (size_t)(at + 1 - out) + ln <= RCPT_INPUT_MAX) {
			memcpy(at + 1, lit, ln + 1);
			n = (size_t)(at + 1 - out) + ln;
		}
	}
	return n;
}

/* The verdict for the normalised address a (len bytes) in the domain at
 * at + 1, the deciding key into key; *exact says the address's own key
 * decided. aliases: look up folded keys too. */
static enum rcpt_verdict judge(struct recipients *r, const char *a, size_t len, const char *at,
			       bool aliases, bool *exact, char *key, size_t keylen)
{
	char k[RCPT_MAX + 1];
	bool neg = false;
	int rc;

	/* No key is longer than RCPT_MAX: a longer address matches only by
	 * @domain, and only a dash within reach of the start makes a
	 * "prefix-default@domain" short enough, so a verdict costs at most
	 * about RCPT_MAX lookups whatever the address's length. */
	size_t tail = strlen(at) + 7, reach = (size_t)(at - a);

	reach = tail >= RCPT_MAX ? 0 : reach < RCPT_MAX - tail ? reach : RCPT_MAX - tail;
	*exact = false;
	if (keylen)
		key[0] = '\0';
	/* 1. the exact address */
	if (len <= RCPT_MAX && (rc = find(r, a, len, aliases, &neg)) != 0) {
		*exact = true;
		goto decided;
	}
	/* 2. prefix-default@domain, cutting at each '-' from the right */
	for (const char *dash = a + reach; (dash = memrchr(a, '-', (size_t)(dash - a))) != NULL;) {
		int n = snprintf(k, sizeof(k), "%.*sdefault%s", (int)(dash - a + 1), a, at);

		if ((rc = find(r, k, (size_t)n, aliases, &neg)) != 0) {
			a = k;
			goto decided;
		}
	}
	/* 3. @domain, the catch-all */
	if ((rc = find(r, at, strlen(at), aliases, &neg)) != 0) {
		a = at;
		goto decided;
	}
	return RCPT_UNKNOWN;
decided:
	if (rc < 0)
		return RCPT_UNJUDGED;
	snprintf(key, keylen, "%s", a);
	return neg ? RCPT_NEGATIVE : RCPT_VALID;
}

/* Where Postfix's split_addr() cuts the local part a..at at a delimiter
 * of the set: NULL when it does not (no delimiter, an empty user, the
 * addresses Postfix never splits). */
static const char *extension(const char *a, const char *at, const char *delims)
{
	size_t n = (size_t)(at - a), user = 0;

	if (!*delims || (n == 10 && memcmp(a, "postmaster", 10) == 0) ||
	    (n == 13 && memcmp(a, "mailer-daemon", 13) == 0))
		return NULL;
	/* Postfix keeps owner-foo and foo-request whole when '-' delimits. */
	if (strchr(delims, '-') && ((n > 6 && memcmp(a, "owner-", 6) == 0) ||
				    (n > 8 && memcmp(at - 8, "-request", 8) == 0)))
		return NULL;
	while (user < n && !strchr(delims, a[user]))
		user++;
	return user == 0 || user == n ? NULL : a + user;
}

/* judge() of "user@domain", cut from "user+ext@domain" at cut. Apart,
 * so that its buffer costs nothing to lookups that do not cut. */
static __attribute__((noinline)) enum rcpt_verdict
judge_user(struct recipients *r, const char *a, size_t len, const char *at, const char *cut,
	   bool aliases, char *key, size_t keylen)
{
	char user[RCPT_INPUT_MAX + 16];
	size_t n = (size_t)(cut - a), tail = len - (size_t)(at - a);
	bool exact;

	memcpy(user, a, n);
	memcpy(user + n, at, tail + 1);
	return judge(r, user, n + tail, user + n, aliases, &exact, key, keylen);
}

/* judge() under recipient_delimiter: "user+ext@" with no key of its own
 * is judged as "user@" too, and valid if either is. */
static enum rcpt_verdict judge_delim(struct recipients *r, const char *a, size_t len,
				     const char *at, const char *delims, bool aliases, char *key,
				     size_t keylen)
{
	char k[RCPT_MAX + 16];
	const char *cut;
	bool exact;
	enum rcpt_verdict v = judge(r, a, len, at, aliases, &exact, key, keylen);

	if (exact || v == RCPT_VALID || !(cut = extension(a, at, delims)) ||
	    judge_user(r, a, len, at, cut, aliases, k, sizeof(k)) != RCPT_VALID)
		return v;
	snprintf(key, keylen, "%s", k);
	return RCPT_VALID;
}

ssize_t rcpt_alias(const char *k, char *out)
{
	char f[3 * RCPT_MAX + 1];
	size_t n = strlen(k);
	ssize_t fl = casefold_utf8(k, n, f, sizeof(f));

	if (fl < 0 || ((size_t)fl == n && memcmp(f, k, n) == 0))
		return 0;
	if (fl > RCPT_MAX)
		return -1;
	out[0] = '\0';
	memcpy(out + 1, f, (size_t)fl);
	return fl + 1;
}

/* Route "user%other@ours" as qmail's percenthack does: while the local
 * part holds a '%' and the domain is ours, the last '%' becomes the '@'.
 * In place; at most RCPT_PERCENT_HOPS hops. */
static enum rcpt_verdict percent_route(struct recipients *r, char *a, size_t *len, char **at)
{
	char *pct;

	for (unsigned hops = 0; (pct = memrchr(a, '%', (size_t)(*at - a))) != NULL; hops++) {
		if (hops == RCPT_PERCENT_HOPS)
			return RCPT_UNJUDGED;
		*len = (size_t)(*at - a);
		**at = '\0';
		*pct = '@';
		*at = pct;
		/* Routed to no domain: no key accepts it. */
		if (!pct[1])
			return RCPT_UNKNOWN;
		if (!domain_known(r, pct + 1))
			return RCPT_NOT_OURS;   /* qmail relays it, or refuses relaying */
	}
	return RCPT_VALID;
}

static bool ours(void *r, const char *domain)
{
	return domain_known(r, domain);
}

/* Postfix's verdict for a (len bytes, cap the bytes it holds): routed as
 * Postfix's resolver does, then judged under recipient_delimiter;
 * aliases: look up folded keys too. */
static enum rcpt_verdict route_judge(struct recipients *r, char *a, size_t len, size_t cap,
				     const struct rcpt_form *form, bool aliases, char *key,
				     size_t keylen)
{
	const struct route_rules rules = { form->percent_hack, form->swap_bangpath,
					   form->resolve_dequoted };

	switch (route_postfix(a, &len, cap, &rules, ours, r)) {
	case ROUTE_NOT_OURS:
		return RCPT_NOT_OURS;   /* Postfix relays it, or refuses relaying */
	case ROUTE_UNROUTABLE:
		return RCPT_UNJUDGED;
	case ROUTE_OURS:
		break;
	}
	return judge_delim(r, a, len, memrchr(a, '@', len), form->delimiters, aliases, key, keylen);
}

/* Postfix's form. With SMTPUTF8 Postfix folds the whole address, domains
 * included (KELVIN SIGN's "Kiosk.example" is "kiosk.example"); without it,
 * ASCII only: the address is routed and judged both ways, valid if either
 * is, the first one's key first. Folding keeps every '@', '%', '!' where it
 * was, so the folded route goes at least as far as the other. Not UTF-8:
 * Postfix with SMTPUTF8 refuses the command itself ("500 5.5.2 Error: bad
 * UTF-8 syntax"), without it folds ASCII only. (Or folded past any input's
 * length: only the first pass's catch-all can match.) */
static __attribute__((noinline)) enum rcpt_verdict
lookup_postfix(struct recipients *r, char *a, size_t len, size_t cap,
	       const struct rcpt_form *form, char *key, size_t keylen)
{
	char f[RCPT_INPUT_MAX + 16], kf[RCPT_MAX + 16];
	ssize_t fl;
	size_t i = 0;
	enum rcpt_verdict vf;

	while (i < len && !((unsigned char)a[i] & 0x80))
		i++;
	/* rcpt_normalise() lower-cased ASCII already. */
	if (i == len)
		return route_judge(r, a, len, cap, form, true, key, keylen);
	fl = casefold_utf8(a, len, f, sizeof(f));
	if (fl < 0 || ((size_t)fl == len && memcmp(f, a, len) == 0))
		return route_judge(r, a, len, cap, form, fl >= 0, key, keylen);
	if (route_judge(r, a, len, cap, form, false, key, keylen) == RCPT_VALID)
		return RCPT_VALID;
	vf = route_judge(r, f, (size_t)fl, sizeof(f), form, true, kf, sizeof(kf));
	snprintf(key, keylen, "%s", kf);
	return vf;
}

enum rcpt_verdict recipients_lookup(struct recipients *r, const char *addr,
				    const struct rcpt_form *form, char *key, size_t keylen)
{
	char a[RCPT_INPUT_MAX + 16];
	size_t len = rcpt_normalise(addr, a);
	char *at = strrchr(a, '@');
	enum rcpt_verdict v;

	if (keylen)
		key[0] = '\0';
	if (!at || !at[1]) {
		if (strcmp(a, "postmaster") != 0)
			return RCPT_UNQUALIFIED;
		snprintf(key, keylen, "%s", a);
		return RCPT_VALID;
	}
	/* Postfix routes before it looks anything up; qmail-smtpd's validrcptto
	 * sees the address as sent (ASCII case), qmail-send's percenthack
	 * routes it later. */
	if (form->postfix)
		return lookup_postfix(r, a, len, sizeof(a), form, key, keylen);
	if (!domain_known(r, at + 1))
		return RCPT_NOT_OURS;
	v = judge_delim(r, a, len, at, "", false, key, keylen);
	if (v != RCPT_UNKNOWN || !form->percent_hack || !memchr(a, '%', (size_t)(at - a)))
		return v;
	if ((v = percent_route(r, a, &len, &at)) != RCPT_VALID)
		return v;
	return judge_delim(r, a, len, at, "", false, key, keylen);
}
