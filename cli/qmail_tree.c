/* qmail_tree.c - control files, users/assign, passwd and .qmail files. */
#include <cdb.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "grow.h"
#include "qmail_tree.h"

#define NAME_MAX_LEN 255

/* A small string list: domains, locals, map keys and values. */
struct list {
	char **k, **v;
	size_t n, kcap, vcap;
};

static int list_add(struct list *l, const char *k, const char *v)
{
	if (grow(&l->k, &l->kcap, l->n + 1, sizeof(*l->k), 32) < 0 ||
	    grow(&l->v, &l->vcap, l->n + 1, sizeof(*l->v), 32) < 0)
		return -1;
	l->k[l->n] = strdup(k);
	l->v[l->n] = v ? strdup(v) : NULL;
	if (!l->k[l->n] || (v && !l->v[l->n])) {
		free(l->k[l->n]);
		free(l->v[l->n]);
		return -1;
	}
	l->n++;
	return 0;
}

static const char *list_get(const struct list *l, const char *k)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->k[i], k) == 0)
			return l->v[i] ? l->v[i] : "";
	return NULL;
}

static void list_free(struct list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->k[i]);
		free(l->v[i]);
	}
	free(l->k);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

struct tree {
	const struct qmail_tree_opts *o;
	const struct qmail_tree_out *out;
	struct list domains, locals, virt, routes;
	char err[4400];                 /* room for a path */
};

__attribute__((format(printf, 2, 3)))
static void warnf(struct tree *t, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	t->out->warn(msg, t->out->arg);
}

static void emit(struct tree *t, const char *local, const char *domain)
{
	char entry[NAME_MAX_LEN * 2 + 3];

	/* A local part starting with '-' (~alias/.qmail--foo) is escaped, or
	 * the source would read it as a negative entry for "foo". */
	snprintf(entry, sizeof(entry), "%s%s@%s", *local == '-' ? "\\" : "", local, domain);
	lower(entry);
	t->out->address(entry, t->out->arg);
}

/* A control file's lines, trimmed; missing: 0 and *exists false. */
static int read_control(struct tree *t, const char *name, bool *exists,
			int (*line)(struct tree *t, char *s))
{
	char path[4200], buf[1024];
	FILE *f;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/control/%s", t->o->dir, name);
	*exists = (f = fopen(path, "re")) != NULL;
	if (!f && errno == ENOENT)
		return 0;
	if (!f) {
		snprintf(t->err, sizeof(t->err), "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && fgets(buf, sizeof(buf), f)) {
		size_t n = strcspn(buf, "\r\n");

		buf[n] = 0;
		while (n && isspace((unsigned char)buf[n - 1]))
			buf[--n] = 0;
		if (*buf && *buf != '#')
			rc = line(t, buf);
	}
	fclose(f);
	if (rc < 0 && !*t->err)
		snprintf(t->err, sizeof(t->err), "out of memory reading %s", path);
	return rc;
}

static int add_domain(struct tree *t, char *s)
{
	lower(s);
	if (*s == '.') {
		warnf(t, "rcpthosts line '%s' accepts every subdomain; list them one by one "
		      "to have them checked", s);
		return 0;
	}
	return list_get(&t->domains, s) ? 0 : list_add(&t->domains, s, NULL);
}

static int add_local(struct tree *t, char *s)
{
	lower(s);
	return list_add(&t->locals, s, NULL);
}

/* "domain:prepend", or "user@domain:prepend" for a single address. */
static int add_virtual(struct tree *t, char *s)
{
	char *colon = strchr(s, ':');

	if (!colon) {
		warnf(t, "virtualdomains line '%s' has no ':'; skipped", s);
		return 0;
	}
	*colon = 0;
	lower(s);
	if (strchr(s, '@')) {
		t->out->address(s, t->out->arg);
		return 0;
	}
	return list_add(&t->virt, s, colon + 1);
}

static int add_route(struct tree *t, char *s)
{
	char *colon = strchr(s, ':');

	if (colon)
		*colon = 0;
	lower(s);
	return *s ? list_add(&t->routes, s, NULL) : 0;
}

/* ---- accounts ---- */

static bool qmail_account(const char *name)
{
	static const char *const system[] = { "alias", "qmaild", "qmaill", "qmailp", "qmailq",
					      "qmailr", "qmails", "vpopmail" };

	for (size_t i = 0; i < sizeof(system) / sizeof(system[0]); i++)
		if (strcmp(name, system[i]) == 0)
			return true;
	return false;
}

/* Every .qmail-EXT file in dir: cb(ext) with ':' turned back into '.'. */
static void each_dotqmail(const char *dir, void (*cb)(struct tree *, const char *, void *),
			  struct tree *t, void *arg)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		char ext[NAME_MAX_LEN + 1];

		if (strncmp(de->d_name, ".qmail-", 7) != 0 || !de->d_name[7] ||
		    de->d_name[strlen(de->d_name) - 1] == '~')
			continue;
		snprintf(ext, sizeof(ext), "%s", de->d_name + 7);
		for (char *p = ext; *p; p++)
			if (*p == ':')
				*p = '.';
		cb(t, ext, arg);
	}
	closedir(d);
}

struct user_ext {
	const char *user, *domain;
};

static void user_ext(struct tree *t, const char *ext, void *arg)
{
	const struct user_ext *u = arg;
	char local[NAME_MAX_LEN * 2 + 2];

	snprintf(local, sizeof(local), "%s-%s", u->user, ext);
	emit(t, local, u->domain);
}

/* A file's first 4 KB: enough for a .qmail-default's delivery lines. */
static bool file_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	if (fd < 0)
		return false;
	got = read(fd, buf, len - 1);
	close(fd);
	buf[got > 0 ? got : 0] = 0;
	return got >= 0;
}

/* fastforward's CDB: ":user@domain" keys, ":user@" for every local domain. */
static void fastforward(struct tree *t, const char *cdbpath, const char *domain)
{
	struct cdb c;
	unsigned pos;
	int fd = open(cdbpath, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || cdb_init(&c, fd) < 0) {
		warnf(t, "cannot read fastforward database %s; every address of %s is accepted",
		      cdbpath, domain);
		if (fd >= 0)
			close(fd);
		emit(t, "", domain);
		return;
	}
	cdb_seqinit(&pos, &c);
	while (cdb_seqnext(&pos, &c) > 0) {
		char key[NAME_MAX_LEN * 2 + 2], *at;
		unsigned kl = cdb_keylen(&c);

		if (kl < 3 || kl >= sizeof(key) || cdb_readkey(&c, key) < 0)
			continue;
		key[kl] = 0;
		lower(key);
		if (key[0] != ':' || !(at = strchr(key, '@')))
			continue;
		*at = 0;
		if (!at[1])
			emit(t, key + 1, domain);
		else if (strcmp(at + 1, domain) == 0)
			emit(t, key + 1, domain);
	}
	cdb_free(&c);
	close(fd);
}

struct alias_ctx {
	const char *home, *domain;
};

static void alias_ext(struct tree *t, const char *ext, void *arg)
{
	const struct alias_ctx *a = arg;
	char path[4200], text[4096], *ff, *tok;

	if (strcmp(ext, "default") != 0) {
		emit(t, ext, a->domain);
		return;
	}
	snprintf(path, sizeof(path), "%s/.qmail-default", a->home);
	if (file_text(path, text, sizeof(text)) && (ff = strstr(text, "fastforward"))) {
		for (tok = strtok(ff, " \t\n"); tok; tok = strtok(NULL, " \t\n"))
			if (strlen(tok) > 4 && strcmp(tok + strlen(tok) - 4, ".cdb") == 0) {
				fastforward(t, tok, a->domain);
				return;
			}
	}
	warnf(t, "~alias/.qmail-default accepts every address of %s; adding @domain",
	      a->domain);
	emit(t, "", a->domain);
}

static int local_domain(struct tree *t, const char *domain)
{
	FILE *f = fopen(t->o->passwd, "re");
	struct passwd *pw;
	char alias_home[4096] = "";

	if (!f) {
		snprintf(t->err, sizeof(t->err), "cannot read %s: %s", t->o->passwd, strerror(errno));
		return -1;
	}
	while ((pw = fgetpwent(f))) {
		struct user_ext u = { pw->pw_name, domain };

		if (strcmp(pw->pw_name, "alias") == 0)
			snprintf(alias_home, sizeof(alias_home), "%s", pw->pw_dir);
		if (!pw->pw_uid || pw->pw_uid < t->o->uid_min || pw->pw_uid > t->o->uid_max ||
		    qmail_account(pw->pw_name) || strchr(pw->pw_name, '@'))
			continue;
		emit(t, pw->pw_name, domain);
		each_dotqmail(pw->pw_dir, user_ext, t, &u);
	}
	fclose(f);
	if (*alias_home) {
		struct alias_ctx a = { alias_home, domain };

		each_dotqmail(alias_home, alias_ext, t, &a);
	}
	return 0;
}

/* ---- virtual domains ---- */

/* The home of prepend p: users/assign ("+p-" or "=p"), users/cdb, passwd. */
static bool home_of(struct tree *t, const char *p, char *home, size_t len)
{
	char path[4200], line[2048], want_wild[NAME_MAX_LEN + 2];
	FILE *f;
	struct passwd *pw;
	bool found = false, have_assign;
	int fd;

	snprintf(want_wild, sizeof(want_wild), "%s-", p);
	snprintf(path, sizeof(path), "%s/users/assign", t->o->dir);
	have_assign = (f = fopen(path, "re")) != NULL;
	if (f) {
		/* +loc:user:uid:gid:home:dash:prepend:  =loc:user:uid:gid:home:dash:ext: */
		while (!found && fgets(line, sizeof(line), f)) {
			char *fields[7], *s = line + 1;
			int nf = 0;

			if (line[0] != '+' && line[0] != '=')
				continue;
			for (char *c; nf < 7 && (c = strchr(s, ':')); s = c + 1) {
				*c = 0;
				fields[nf++] = s;
			}
			if (nf >= 5 && strcmp(fields[0], line[0] == '+' ? want_wild : p) == 0) {
				snprintf(home, len, "%s", fields[4]);
				found = true;
			}
		}
		fclose(f);
		if (found)
			return true;
	}
	snprintf(path, sizeof(path), "%s/users/cdb", t->o->dir);
	/* users/cdb is users/assign compiled: read it only without the source. */
	if (!have_assign && (fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		struct cdb c;
		unsigned pos;

		/* Keys "!" + local; data user\0uid\0gid\0home\0dash\0ext\0. */
		if (cdb_init(&c, fd) == 0) {
			cdb_seqinit(&pos, &c);
			while (!found && cdb_seqnext(&pos, &c) > 0) {
				char key[NAME_MAX_LEN + 3], data[4200];
				unsigned kl = cdb_keylen(&c), dl = cdb_datalen(&c);
				const char *fld = data;

				if (kl < 2 || kl >= sizeof(key) || dl >= sizeof(data) ||
				    cdb_readkey(&c, key) < 0 || cdb_readdata(&c, data) < 0)
					continue;
				key[kl] = 0;
				data[dl] = 0;
				if (key[0] != '!' || (strcmp(key + 1, p) && strcmp(key + 1, want_wild)))
					continue;
				for (int i = 0; i < 3 && fld < data + dl; i++)
					fld += strlen(fld) + 1;
				if (fld < data + dl) {
					snprintf(home, len, "%s", fld);
					found = true;
				}
			}
			cdb_free(&c);
		}
		close(fd);
		if (found)
			return true;
	}
	if ((f = fopen(t->o->passwd, "re"))) {
		while (!found && (pw = fgetpwent(f)))
			if (strcmp(pw->pw_name, p) == 0) {
				snprintf(home, len, "%s", pw->pw_dir);
				found = true;
			}
		fclose(f);
	}
	return found;
}

static void plain_ext(struct tree *t, const char *ext, void *arg)
{
	if (strcmp(ext, "default") != 0)
		emit(t, ext, arg);
}

/* vpopmail users: DIR/USER/Maildir, or DIR/X/USER/Maildir (hashed). */
static void vpop_users(struct tree *t, const char *dir, const char *domain, int depth)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		char sub[4200], md[4300];
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		snprintf(md, sizeof(md), "%s/Maildir", sub);
		if (stat(md, &st) == 0 && S_ISDIR(st.st_mode))
			emit(t, de->d_name, domain);
		else if (depth == 0 && strlen(de->d_name) == 1 && stat(sub, &st) == 0 &&
			 S_ISDIR(st.st_mode))
			vpop_users(t, sub, domain, 1);
	}
	closedir(d);
}

static const char *virtual_domain(struct tree *t, const char *domain, const char *prepend)
{
	char home[4096], path[4200], text[4096];
	bool has_default;

	if (!home_of(t, prepend, home, sizeof(home))) {
		warnf(t, "virtual domain %s: cannot find the home of '%s'; adding @domain",
		      domain, prepend);
		emit(t, "", domain);
		return "virtual, unresolved";
	}
	snprintf(path, sizeof(path), "%s/.qmail-default", home);
	has_default = file_text(path, text, sizeof(text));
	each_dotqmail(home, plain_ext, t, (void *)domain);
	if (has_default && strstr(text, "vdelivermail")) {
		if (strstr(text, "bounce-no-mailbox")) {
			vpop_users(t, home, domain, 0);
			return "vpopmail";
		}
		warnf(t, "vpopmail domain %s delivers unknown mailboxes somewhere instead of "
		      "bouncing them; adding @domain", domain);
		emit(t, "", domain);
		return "vpopmail, catch-all";
	}
	if (has_default) {
		warnf(t, "virtual domain %s has a .qmail-default that accepts everything; "
		      "adding @domain", domain);
		emit(t, "", domain);
		return "virtual, catch-all";
	}
	return "virtual";
}

static int morercpthosts(struct tree *t)
{
	char path[4200];
	struct cdb c;
	unsigned pos;
	int fd, rc = 0;

	snprintf(path, sizeof(path), "%s/control/morercpthosts.cdb", t->o->dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	if (cdb_init(&c, fd) < 0) {
		warnf(t, "%s is not a CDB; its domains are left out", path);
		close(fd);
		return 0;
	}
	cdb_seqinit(&pos, &c);
	while (rc == 0 && cdb_seqnext(&pos, &c) > 0) {
		char key[NAME_MAX_LEN + 1];
		unsigned kl = cdb_keylen(&c);

		if (kl && kl < sizeof(key) && cdb_readkey(&c, key) == 0) {
			key[kl] = 0;
			rc = add_domain(t, key);
		}
	}
	cdb_free(&c);
	close(fd);
	return rc;
}

int qmail_tree_read(const struct qmail_tree_opts *o, const struct qmail_tree_out *out,
		    char *err, size_t errlen)
{
	struct tree t = { .o = o, .out = out };
	bool have_rcpthosts, have_locals, exists;
	int rc = -1;

	if (read_control(&t, "rcpthosts", &have_rcpthosts, add_domain) < 0 || morercpthosts(&t) < 0)
		goto out;
	if (!have_rcpthosts) {
		snprintf(t.err, sizeof(t.err), "%s/control/rcpthosts does not exist: is %s a qmail "
			 "installation? (use --qmail DIR)", o->dir, o->dir);
		goto out;
	}
	if (read_control(&t, "locals", &have_locals, add_local) < 0 ||
	    (!have_locals && read_control(&t, "me", &exists, add_local) < 0) ||
	    read_control(&t, "virtualdomains", &exists, add_virtual) < 0 ||
	    read_control(&t, "smtproutes", &exists, add_route) < 0)
		goto out;
	for (size_t i = 0; i < t.domains.n; i++) {
		const char *d = t.domains.k[i], *prepend, *kind;

		if (list_get(&t.locals, d)) {
			if (local_domain(&t, d) < 0)
				goto out;
			kind = "local";
		} else if ((prepend = list_get(&t.virt, d))) {
			kind = virtual_domain(&t, d, prepend);
		} else if (list_get(&t.routes, d)) {
			/* Another server decides; smtproutes says where, not who. */
			warnf(&t, "%s is relayed (smtproutes): its addresses are not known here; "
			      "adding @domain", d);
			emit(&t, "", d);
			kind = "routed";
		} else {
			warnf(&t, "%s is in rcpthosts but is neither local, virtual nor routed; "
			      "adding @domain", d);
			emit(&t, "", d);
			kind = "unknown";
		}
		out->domain(d, kind, out->arg);
	}
	rc = 0;
out:
	if (rc < 0)
		snprintf(err, errlen, "%s", t.err);
	list_free(&t.domains);
	list_free(&t.locals);
	list_free(&t.virt);
	list_free(&t.routes);
	return rc;
}
