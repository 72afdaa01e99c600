/* qmail_tree.h - every address a qmail installation accepts, read from
 * its configuration the way mkvalidrcptto does: control/rcpthosts (and
 * morercpthosts.cdb) for the domains; control/locals (or me) for local
 * ones, served by system accounts in a uid range, their ~/.qmail-EXT
 * files and ~alias/.qmail-* (with a fastforward CDB behind
 * .qmail-default); control/virtualdomains resolved through users/assign
 * (or users/cdb) or the passwd file, with vpopmail domains enumerated when
 * their .qmail-default bounces unknown mailboxes; control/smtproutes
 * domains passed through. A domain that cannot be enumerated gets a
 * catch-all "@domain" entry and a warning: a valid recipient is never
 * left out. */
#ifndef RG_QMAIL_TREE_H
#define RG_QMAIL_TREE_H

#include <stddef.h>
#include <sys/types.h>

struct qmail_tree_opts {
	const char *dir;                /* /var/qmail */
	const char *passwd;             /* /etc/passwd */
	uid_t uid_min, uid_max;         /* system accounts that receive mail */
};

struct qmail_tree_out {
	/* An entry for the recipients source: "user@domain" or "@domain". */
	void (*address)(const char *entry, void *arg);
	/* Each domain once, with how it is served ("local", "virtual", "vpopmail", "routed", ...). */
	void (*domain)(const char *domain, const char *kind, void *arg);
	void (*warn)(const char *msg, void *arg);
	void *arg;
};

/* 0, or -1 with err (no rcpthosts, unreadable control files). */
int qmail_tree_read(const struct qmail_tree_opts *o, const struct qmail_tree_out *out,
		    char *err, size_t errlen);

#endif
