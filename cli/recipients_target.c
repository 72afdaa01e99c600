/* recipients_target.c - one writer per reader of the recipients CDB (each
 * patch's lookup: docs/qmail.md section 5, tests/unit/validrcptto.c). */
#include <cdb.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "recipients.h"
#include "recipients_target.h"

#define MAX_REFUSED_SHOWN 20
/* A writer's -1 is a write error (errno); SAID, a reason already given. */
#define SAID (-2)
#define SPP_HINT "rcptguard-spp judges what this file cannot (ENABLE_SPP=1 in qmail-smtpd's " \
	"environment)"

static const char *const names[] = { "rcptguard", "sagredo", "validrcptto-2006" };

int target_by_name(const char *name, enum compile_target *t)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0) {
			*t = (enum compile_target)i;
			return 0;
		}
	return -1;
}

const char *target_name(enum compile_target t)
{
	return names[t];
}

static const char *domain_of(const char *key)
{
	return strchr(key, '@') + 1;    /* the compiler checked there is one */
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The domains of e, sorted, each once; NULL out of memory. */
static const char **domains_of(const struct rcpt_entries *e, size_t *n)
{
	const char **d = malloc((e->n + 1) * sizeof(*d));
	size_t w = 0;

	if (!d)
		return NULL;
	for (size_t i = 0; i < e->n; i++)
		d[i] = domain_of(e->v[i].key);
	if (e->n)
		qsort(d, e->n, sizeof(*d), cmp_str);
	for (size_t i = 0; i < e->n; i++)
		if (!w || strcmp(d[w - 1], d[i]) != 0)
			d[w++] = d[i];
	*n = w;
	return d;
}

static int add(struct cdb_make *cm, const char *key, size_t klen, const char *data, size_t dlen,
	       struct compile_stats *st)
{
	st->keys++;
	return cdb_make_add(cm, key, (unsigned)klen, data, (unsigned)dlen);
}

/* rcptguard's own file, which jms1's 7.08 reads unchanged: data "-" marks a
 * negative entry; rcptguard's domain records ("\0domain") and its marker
 * ("\0") start with a NUL byte, which no address looked up can hold. */
static int write_rcptguard(int fd, const struct rcpt_entries *e, struct compile_stats *st)
{
	static const char marker_val[] = "rcptguard recipients 1";
	struct cdb_make cm;
	size_t nd = 0;
	const char **doms = domains_of(e, &nd);
	int rc = -1;

	if (!doms || cdb_make_start(&cm, fd) < 0)
		goto out;
	st->domains = nd;
	for (size_t i = 0; i < e->n; i++) {
		char alias[RCPT_MAX + 2];
		ssize_t an = rcpt_alias(e->v[i].key, alias);

		/* Postfix's lookups find it by its Unicode folding too. */
		if (add(&cm, e->v[i].key, strlen(e->v[i].key), "-", e->v[i].neg, st) < 0 ||
		    (an > 0 && add(&cm, alias, (size_t)an, "-", e->v[i].neg, st) < 0))
			goto out;
	}
	for (size_t i = 0; i < nd; i++) {
		char key[RCPT_MAX + 2];
		size_t n = strlen(doms[i]);

		key[0] = '\0';
		memcpy(key + 1, doms[i], n);
		if (add(&cm, key, n + 1, "", 0, st) < 0)
			goto out;
	}
	if (add(&cm, "", 1, marker_val, sizeof(marker_val) - 1, st) < 0 ||
	    cdb_make_finish(&cm) < 0)
		goto out;
	rc = 0;
out:
	free(doms);
	return rc;
}

/* The patches read keys as qmail-smtpd hands them over: ASCII case, no
 * percent hack, no extension delimiter. */
static const struct rcpt_form as_qmail = { .postfix = false };

/* rcptguard's verdicts over e: its own lookup, over the file it would read,
 * built in memory. NULL after saying why. */
static struct recipients *verdicts_of(const struct rcpt_entries *e, FILE *errf)
{
	struct compile_stats scratch = { 0 };
	struct recipients *r = NULL;
	char path[64], err[1024];
	int fd = memfd_create("rcptguard-verdicts", MFD_CLOEXEC);

	if (fd < 0 || write_rcptguard(fd, e, &scratch) < 0) {
		fprintf(errf, "rcptguard: cannot build rcptguard's verdicts in memory: %s\n",
			strerror(errno));
	} else {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (!(r = recipients_open(path, err, sizeof(err))))
			fprintf(errf, "rcptguard: %s\n", err);
	}
	if (fd >= 0)
		close(fd);
	return r;
}

static bool is_pattern(const char *key)
{
	size_t local = (size_t)(domain_of(key) - 1 - key);

	return local >= 8 && memcmp(key + local - 8, "-default", 8) == 0;
}

/* "pre" then key, data empty: sagredo reads keys only. */
static int put(struct cdb_make *cm, const char *pre, const char *key, struct compile_stats *st)
{
	char k[RCPT_MAX + 4];
	int n = snprintf(k, sizeof(k), "%s%s", pre, key);

	return add(cm, k, (size_t)n, "", 0, st);
}

static int cmp_by_domain(const void *a, const void *b)
{
	const struct rcpt_entry *x = *(const struct rcpt_entry *const *)a;
	const struct rcpt_entry *y = *(const struct rcpt_entry *const *)b;
	int c = strcmp(domain_of(x->key), domain_of(y->key));

	return c ? c : strcmp(x->key, y->key);
}

/* How sagredo's file answers for the addresses of a domain that no key
 * names exactly: it has no -default walk, only "@d" (accept them) and
 * "-@d" (refuse them), so a -default pattern that decides otherwise than
 * the rest of its domain cannot be said. */
enum rest { REST_ACCEPT, REST_REFUSE, REST_OPEN };

static enum rest domain_rest(const struct rcpt_entry *const *g, size_t n, const char *dom,
			     struct compile_stats *st, FILE *errf)
{
	bool accept = false, open = false;

	for (size_t k = 0; k < n; k++)
		if (g[k]->key[0] == '@')
			accept = !g[k]->neg;
	for (size_t k = 0; k < n; k++) {
		if (!is_pattern(g[k]->key) || g[k]->neg != accept)
			continue;
		st->warnings++;
		if (accept)
			fprintf(errf, "rcptguard: warning: entry -%s: sagredo's validrcptto has no "
				"-default lookup, so @%s accepts these addresses there; " SPP_HINT "\n",
				g[k]->key, dom);
		else
			fprintf(errf, "rcptguard: warning: entry %s: sagredo's validrcptto has no "
				"-default lookup, so %s gets no -@%s key: its addresses that no key "
				"names exactly are left to chkuser there, not refused; " SPP_HINT "\n",
				g[k]->key, dom, dom);
		open |= !accept;
	}
	return accept ? REST_ACCEPT : open ? REST_OPEN : REST_REFUSE;
}

/* One domain's keys: "@d" or "-@d" for the rest, "addr" for an address
 * accepted where the rest is not, "-addr" for one refused where the rest is
 * not refused. sagredo's "-addr" is also the key of the address "-addr":
 * when rcptguard refuses that address too, it is said. */
static int sagredo_domain(struct cdb_make *cm, const struct rcpt_entry *const *g, size_t n,
			  struct recipients *r, struct compile_stats *st, FILE *errf)
{
	const char *dom = domain_of(g[0]->key);
	enum rest rest = domain_rest(g, n, dom, st, errf);
	char other[RCPT_MAX + 4];

	if (rest != REST_OPEN && put(cm, rest == REST_ACCEPT ? "@" : "-@", dom, st) < 0)
		return -1;
	for (size_t k = 0; k < n; k++) {
		const char *key = g[k]->key;

		if (key[0] == '@') {
			/* The address "@d" itself (qmail-smtpd makes it of "\@d"). */
			if (rest == REST_OPEN && g[k]->neg) {
				st->warnings++;
				fprintf(errf, "rcptguard: warning: address <%s>: sagredo's validrcptto "
					"cannot refuse it without refusing all of %s (its key -%s "
					"does both); it is left to chkuser there\n", key, dom, key);
			}
			continue;
		}
		/* A positive key never starts with '-' (the source's '-' marks a
		 * negative), so no "addr" doubles as another address's "-addr". */
		if (!g[k]->neg) {
			if (rest != REST_ACCEPT && put(cm, "", key, st) < 0)
				return -1;
			continue;
		}
		if (rest == REST_REFUSE)
			continue;
		if (put(cm, "-", key, st) < 0)
			return -1;
		snprintf(other, sizeof(other), "-%s", key);
		if (recipients_lookup(r, other, &as_qmail, NULL, 0) != RCPT_VALID) {
			st->warnings++;
			fprintf(errf, "rcptguard: warning: address <%s>: sagredo's validrcptto "
				"accepts it (its key %s marks %s as negative), rcptguard refuses it; "
				SPP_HINT "\n", other, other, key);
		}
	}
	return 0;
}

/* sagredo's morevalidrcptto.cdb: keys "addr", "-addr", "@domain",
 * "-@domain", data ignored; an address that matches none is left to
 * chkuser, so every domain rcptguard judges says what its rest is. */
static int write_sagredo(int fd, const struct rcpt_entries *e, struct compile_stats *st,
			 FILE *errf)
{
	const struct rcpt_entry **by = malloc((e->n + 1) * sizeof(*by));
	struct recipients *r = verdicts_of(e, errf);
	struct cdb_make cm;
	int rc = -1;

	if (!r)
		rc = SAID;
	if (!by || !r || cdb_make_start(&cm, fd) < 0)
		goto out;
	for (size_t i = 0; i < e->n; i++)
		by[i] = &e->v[i];
	qsort(by, e->n, sizeof(*by), cmp_by_domain);
	for (size_t i = 0, j; i < e->n; i = j) {
		for (j = i + 1; j < e->n && strcmp(domain_of(by[j]->key),
						  domain_of(by[i]->key)) == 0; j++)
			;
		st->domains++;
		if (sagredo_domain(&cm, by + i, j - i, r, st, errf) < 0)
			goto out;
	}
	rc = cdb_make_finish(&cm);
out:
	recipients_close(r);
	free(by);
	return rc;
}

/* The 2006 patch reads no data, so no negative entries. One that no
 * broader key would override needs no key (what no key accepts is
 * refused); one that would be overridden is refused, or left out with
 * drop_negative. */
static int write_2006(int fd, const struct rcpt_entries *e, bool drop_negative,
		      struct compile_stats *st, FILE *errf)
{
	struct rcpt_entries pos = { malloc((e->n + 1) * sizeof(*e->v)), 0, 0 };
	struct recipients *r = NULL;
	size_t refused = 0;
	int rc = -1;

	if (!pos.v)
		return -1;
	for (size_t i = 0; i < e->n; i++)
		if (!e->v[i].neg)
			pos.v[pos.n++] = e->v[i];
	/* rcptguard's verdicts without the negative entries: what the 2006
	 * patch gives each of them. */
	if (pos.n && !(r = verdicts_of(&pos, errf))) {
		rc = SAID;
		goto out;
	}
	for (size_t i = 0; i < e->n; i++) {
		const char *k = e->v[i].key;
		char by[RCPT_MAX + 16];

		if (!e->v[i].neg)
			continue;
		if (!r || recipients_lookup(r, k, &as_qmail, by, sizeof(by)) != RCPT_VALID) {
			st->implied++;
		} else if (drop_negative) {
			st->dropped++;
			st->warnings++;
			fprintf(errf, "rcptguard: warning: entry -%s left out (--drop-negative): the "
				"validrcptto-2006 patch reads no negative entries, so %s accepts %s "
				"there\n", k, by, k);
		} else if (++refused <= MAX_REFUSED_SHOWN) {
			fprintf(errf, "rcptguard: entry -%s: the validrcptto-2006 patch reads no "
				"negative entries, so %s would accept %s; remove the entry, or give "
				"--drop-negative to leave it out\n", k, by, k);
		}
	}
	if (refused) {
		fprintf(errf, "rcptguard: %zu negative entr%s that validrcptto-2006 cannot say\n",
			refused, refused == 1 ? "y" : "ies");
		rc = SAID;
		goto out;
	}
	rc = write_rcptguard(fd, &pos, st);
out:
	recipients_close(r);
	free(pos.v);
	return rc;
}

int target_write(enum compile_target t, int fd, const char *name, const struct rcpt_entries *e,
		 bool drop_negative, struct compile_stats *st, FILE *errf)
{
	int rc;

	for (size_t i = 0; i < e->n; i++)
		if (e->v[i].neg)
			st->negatives++;
		else if (e->v[i].key[0] == '@')
			st->catchalls++;
		else
			st->addresses++;
	switch (t) {
	case TARGET_SAGREDO: rc = write_sagredo(fd, e, st, errf); break;
	case TARGET_VALIDRCPTTO_2006: rc = write_2006(fd, e, drop_negative, st, errf); break;
	default: rc = write_rcptguard(fd, e, st); break;
	}
	if (rc == -1)
		fprintf(errf, "rcptguard: cannot write %s: %s\n", name, strerror(errno));
	return rc < 0 ? -1 : 0;
}
