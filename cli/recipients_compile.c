/* recipients_compile.c - text sources to the recipients CDB: the part every
 * target shares (reading, checking, merging, replacing the file); the keys
 * each reader wants are written by recipients_target.c. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "atomic.h"
#include "grow.h"
#include "recipients.h"
#include "recipients_compile.h"

#define MAX_LINE 4096
#define MAX_BAD_SHOWN 20

static int push(struct rcpt_entries *e, const char *key, size_t len, bool neg)
{
	if (grow(&e->v, &e->cap, e->n + 1, sizeof(*e->v), 1024) < 0)
		return -1;
	if (!(e->v[e->n].key = strndup(key, len)))
		return -1;
	e->v[e->n++].neg = neg;
	return 0;
}

static bool domain_ok(const char *d)
{
	if (!*d || *d == '.' || *d == '-')
		return false;
	for (; *d; d++)
		if (!isalnum((unsigned char)*d) && *d != '-' && *d != '.' && *d != '_')
			return false;
	return d[-1] != '.';
}

/* Check one trimmed line; the key (lower-cased) goes into key. */
static const char *parse_entry(char *s, bool *neg, char *key, size_t *klen)
{
	char *at, alias[RCPT_MAX + 2];
	size_t n;

	/* A leading "\-" is the address "-user@d" itself (qmail's .qmail--user),
	 * not a negative entry; no address starts with a backslash. */
	*neg = *s == '-';
	if (*neg || (s[0] == '\\' && s[1] == '-'))
		s++;
	n = strlen(s);
	if (n > RCPT_MAX)
		return "address too long";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == 127)
			return "space or control character in address";
		key[i] = (char)tolower(c);
	}
	key[n] = '\0';
	at = strchr(key, '@');
	if (!at)
		return "no '@' (write user@domain, or @domain for a whole domain)";
	if (strchr(at + 1, '@'))
		return "more than one '@'";
	if (at[1] == '[') {
		/* An address literal: written the way the lookup writes it. */
		char canon[64];
		size_t ln = rcpt_literal(at + 1, strlen(at + 1), canon);

		if (!ln)
			return "not a valid address literal (write [192.0.2.1] or "
			       "[IPv6:2001:db8::1])";
		n = (size_t)(at + 1 - key) + ln;
		if (n > RCPT_MAX)
			return "address too long";
		memcpy(at + 1, canon, ln + 1);
	} else if (!domain_ok(at + 1)) {
		return "not a valid domain after '@'";
	}
	if (rcpt_alias(key, alias) < 0)
		return "address too long once case-folded";
	*klen = n;
	return NULL;
}

static char *trim(char *s)
{
	char *e = s + strlen(s);

	while (isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int read_source(const struct compile_src *src, struct rcpt_entries *e, size_t *bad,
		       FILE *errf)
{
	char line[MAX_LINE + 2], key[RCPT_MAX + 64];   /* room for a literal's canonical form */
	unsigned lineno = 0;

	while (fgets(line, sizeof(line), src->f)) {
		const char *why;
		size_t klen, raw = strlen(line);
		bool neg;
		char *s;

		lineno++;
		if (raw == sizeof(line) - 1 && line[raw - 1] != '\n') {
			int c;

			while ((c = getc(src->f)) != EOF && c != '\n')
				;
			why = "line too long";
			s = line;
			goto bad_line;
		}
		/* fgets stops at the newline, so a line that ends early without
		 * one, before end of file, had a NUL byte in it. */
		if (raw < sizeof(line) - 1 && !feof(src->f) && (!raw || line[raw - 1] != '\n')) {
			why = "NUL byte in line";
			s = line;
			goto bad_line;
		}
		s = trim(line);
		if (!*s || *s == '#')
			continue;
		if (!(why = parse_entry(s, &neg, key, &klen))) {
			if (push(e, key, klen, neg) < 0) {
				fprintf(errf, "rcptguard: out of memory reading %s\n", src->name);
				return -1;
			}
			continue;
		}
bad_line:
		if (++*bad <= MAX_BAD_SHOWN)
			fprintf(errf, "%s:%u: %s: '%.80s'\n", src->name, lineno, why, s);
	}
	if (ferror(src->f)) {
		fprintf(errf, "rcptguard: cannot read %s: %s\n", src->name, strerror(errno));
		return -1;
	}
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct rcpt_entry *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	/* Negative first, so it is the one kept. */
	return c ? c : (int)y->neg - (int)x->neg;
}

/* Unique, sorted entries; negative wins. */
static void dedupe(struct rcpt_entries *e, struct compile_stats *st)
{
	size_t w = 0;

	qsort(e->v, e->n, sizeof(*e->v), cmp_entry);
	for (size_t i = 0; i < e->n; i++) {
		if (w && strcmp(e->v[w - 1].key, e->v[i].key) == 0) {
			free(e->v[i].key);
			st->duplicates++;
			continue;
		}
		e->v[w++] = e->v[i];
	}
	e->n = w;
}

int recipients_compile(const struct compile_src *src, size_t nsrc, const char *out,
		       const struct compile_opts *o, struct compile_stats *st, FILE *errf)
{
	struct rcpt_entries e = { 0 };
	struct atomic_file a;
	char msg[4400];
	size_t bad = 0;
	int rc = -1;

	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < nsrc; i++)
		if (read_source(&src[i], &e, &bad, errf) < 0)
			goto out;
	if (bad) {
		fprintf(errf, "rcptguard: %zu bad line%s; nothing written to %s\n", bad,
			bad == 1 ? "" : "s", out);
		goto out;
	}
	if (e.n == 0) {
		fprintf(errf, "rcptguard: no addresses in the sources; nothing written to %s\n", out);
		goto out;
	}
	dedupe(&e, st);
	if (atomic_open(&a, out, o->mode, msg, sizeof(msg)) < 0) {
		fprintf(errf, "rcptguard: %s\n", msg);
		goto out;
	}
	if (fchmod(a.fd, o->mode) < 0) {
		fprintf(errf, "rcptguard: cannot chmod %s: %s\n", a.tmp, strerror(errno));
		atomic_abort(&a);
		goto out;
	}
	/* cdb_make writes through the descriptor, not the FILE. */
	if (target_write(o->target, a.fd, a.tmp, &e, o->drop_negative, st, errf) < 0) {
		fprintf(errf, "rcptguard: nothing written to %s\n", out);
		atomic_abort(&a);
		goto out;
	}
	if (atomic_commit(&a, msg, sizeof(msg)) < 0) {
		fprintf(errf, "rcptguard: %s\n", msg);
		goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; i < e.n; i++)
		free(e.v[i].key);
	free(e.v);
	return rc;
}
