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
#include "cdb_load.h"
#include "grow.h"
#include "recipients.h"

struct recipients {
	struct cdb cdb;
	struct file_id id;
	/* Files without domain records (made by mkvalidrcptto): the domains
	 * found by one scan at open, sorted for bsearch. */
	char **domains;
	size_t ndomains;        /* either way: how many domains we judge */
	size_t nkeys;           /* addresses, catch-alls and negative entries */
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

/* 1 found (*neg set), 0 not found, -1 read error. */
static int find(struct recipients *r, const char *key, size_t len, bool *neg)
{
	int rc = cdb_find(&r->cdb, key, (unsigned)len);
	char first = 0;

	if (rc <= 0)
		return rc;
	if (cdb_datalen(&r->cdb) > 0 &&
	    cdb_read(&r->cdb, &first, 1, cdb_datapos(&r->cdb)) < 0)
		return -1;
	*neg = first == '-';
	return 1;
}

static bool domain_known(struct recipients *r, const char *domain)
{
	char key[RCPT_MAX + 2];
	size_t n = strlen(domain);

	if (n > RCPT_MAX)
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
 * at + 1, the deciding key into key. */
static enum rcpt_verdict judge(struct recipients *r, char *a, size_t len, char *at, char *key,
			       size_t keylen)
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
	/* 1. the exact address */
	if (len <= RCPT_MAX && (rc = find(r, a, len, &neg)) != 0)
		goto decided;
	/* 2. prefix-default@domain, cutting at each '-' from the right */
	for (char *dash = a + reach; (dash = memrchr(a, '-', (size_t)(dash - a))) != NULL;) {
		int n = snprintf(k, sizeof(k), "%.*sdefault%s", (int)(dash - a + 1), a, at);

		if ((rc = find(r, k, (size_t)n, &neg)) != 0) {
			a = k;
			goto decided;
		}
	}
	/* 3. @domain, the catch-all */
	if ((rc = find(r, at, strlen(at), &neg)) != 0) {
		a = at;
		goto decided;
	}
	return RCPT_UNKNOWN;
decided:
	if (rc < 0)
		return RCPT_UNJUDGED;
	if (keylen)
		snprintf(key, keylen, "%s", a);
	return neg ? RCPT_NEGATIVE : RCPT_VALID;
}

enum rcpt_verdict recipients_lookup(struct recipients *r, const char *addr, char *key,
				    size_t keylen)
{
	char a[RCPT_INPUT_MAX + 16];
	size_t len = rcpt_normalise(addr, a);
	char *at = strrchr(a, '@'), *pct;
	enum rcpt_verdict v;

	if (keylen)
		key[0] = '\0';
	if (!at || !at[1]) {
		if (strcmp(a, "postmaster") != 0)
			return RCPT_UNQUALIFIED;
		if (keylen)
			snprintf(key, keylen, "%s", a);
		return RCPT_VALID;
	}
	if (!domain_known(r, at + 1))
		return RCPT_NOT_OURS;
	v = judge(r, a, len, at, key, keylen);
	if (v != RCPT_UNKNOWN || !(pct = memrchr(a, '%', (size_t)(at - a))))
		return v;
	/* user%other@ours: Postfix delivers it as user@other. */
	*at = '\0';
	*pct = '@';
	if (!domain_known(r, pct + 1))
		return v;
	return judge(r, a, (size_t)(at - a), pct, key, keylen);
}
