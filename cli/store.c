/* store.c - the CLI's own access to the kernel's bans when the daemon is
 * down: the pinned XDP maps or the nftables table, through the same
 * backend operations the daemon uses. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "allowlist.h"
#include "cli.h"
#include "pins.h"
#include "sockkill.h"
#include "state.h"

/* Which store holds the bans: the configured backend's, or for auto the
 * one in use (an attached XDP program wins over a table). */
static bool xdp_attached(const struct config *c)
{
	char path[4096];
	struct dirent *de;
	DIR *d;
	bool any = false;

	if (pins_link_path(path, sizeof(path), c->bpf_pin_dir, "") < 0 || !(d = opendir(path)))
		return false;
	while (!any && (de = readdir(d)))
		any = de->d_name[0] != '.';
	closedir(d);
	return any;
}

/* Opens the store of backend be; the config then names the one in use. */
static int open_store(struct ctx *x, enum backend_cfg be, const struct backend_ops *ops,
		      char *err, size_t errlen)
{
	if (!(x->store = ops->open(&x->cfg, BACKEND_ATTACH, NULL, err, errlen)))
		return -1;
	if (!(x->enf = enforce_new(ops, x->store)) || enforce_allow_read(x->enf) < 0) {
		enforce_free(x->enf);
		x->enf = NULL;
		ops->close(x->store);
		snprintf(err, errlen, "cannot read the allow entries of the %s store", ops->name);
		return -1;
	}
	x->ops = ops;
	x->cfg.backend = be;
	return 0;
}

int store_open_quiet(struct ctx *x, char *err, size_t errlen)
{
	char nft_err[512];
	bool attached;

	if (x->ops)
		return 0;
	switch (x->cfg.backend) {
	case BACKEND_XDP:
		return open_store(x, BACKEND_XDP, &backend_xdp, err, errlen);
	case BACKEND_NFT:
		return open_store(x, BACKEND_NFT, &backend_nft, err, errlen);
	case BACKEND_NONE:
		return open_store(x, BACKEND_NONE, &backend_none, err, errlen);
	case BACKEND_AUTO:
		break;
	}
	attached = xdp_attached(&x->cfg);
	if (attached && open_store(x, BACKEND_XDP, &backend_xdp, err, errlen) == 0)
		return 0;
	if (open_store(x, BACKEND_NFT, &backend_nft, nft_err, sizeof(nft_err)) == 0)
		return 0;
	/* Our program is attached: why its maps cannot be used (another
	 * version's layout) says more than "nothing holds bans". */
	if (attached)
		return -1;
	if (open_store(x, BACKEND_XDP, &backend_xdp, err, errlen) == 0)
		return 0;
	snprintf(err, errlen, "nothing holds bans yet: no rcptguard maps are pinned at %s and "
		 "there is no nftables table inet %s; start rcptguardd once to create them",
		 x->cfg.bpf_pin_dir, x->cfg.nft_table);
	return -1;
}

int store_open(struct ctx *x)
{
	char err[1024];

	if (store_open_quiet(x, err, sizeof(err)) == 0)
		return 0;
	fprintf(stderr, "rcptguard: %s%s\n", err, geteuid() ? " (the kernel's bans are for "
		"root only; run rcptguard as root)" : "");
	return -1;
}

static void record_change(const struct rg_lpm_key *k, bool banned, uint64_t secs,
			  unsigned reason, const char *note, void *arg)
{
	struct ctx *x = arg;
	char line[JOURNAL_LINE_MAX];

	state_change(line, sizeof(line), k, banned, secs, reason, note);
	if (!x->unrecorded && store_record(x, line) < 0)
		x->unrecorded = true;
}

int store_lock(struct ctx *x)
{
	char err[1024];

	if (x->locked)
		return 0;
	if ((x->journal_lock = state_dir_lock(x->cfg.state_dir, 2000, err, sizeof(err))) < 0) {
		fprintf(stderr, "rcptguard: cannot change the kernel's entries beside rcptguardd: "
			"%s; nothing was changed\n", err);
		return -1;
	}
	x->locked = true;
	return 0;
}

/* The daemon holds the lock while it runs; one starting now waits for us. */
int store_journal(struct ctx *x)
{
	const char *dir = x->cfg.state_dir;
	char err[1024];
	uint64_t gen;

	if (x->journal)
		return 0;
	if (store_lock(x) < 0)
		return -1;
	if (!(x->journal = calloc(1, sizeof(*x->journal)))) {
		fprintf(stderr, "rcptguard: out of memory\n");
		return -1;
	}
	if (state_generation(dir, &gen, err, sizeof(err)) == 0 &&
	    journal_open(x->journal, dir, gen, err, sizeof(err)) == 0) {
		enforce_on_change(x->enf, record_change, x);
		return 0;
	}
	fprintf(stderr, "rcptguard: cannot record changes for rcptguardd: %s; nothing was "
		"changed\n", err);
	free(x->journal);
	x->journal = NULL;
	return -1;
}

int store_flush(struct ctx *x)
{
	char err[1024];

	if (journal_flush(x->journal, err, sizeof(err)) == 0)
		return 0;
	fprintf(stderr, "rcptguard: changes done in the kernel are not recorded for rcptguardd: "
		"%s; when it restores its state file it may undo them\n", err);
	return -1;
}

int store_record(struct ctx *x, const char *change)
{
	/* A full queue is written first: unban --all of a million bans
	 * costs a few fsyncs, not a million. */
	if (journal_add(x->journal, change) == 0 ||
	    (store_flush(x) == 0 && journal_add(x->journal, change) == 0))
		return 0;
	fprintf(stderr, "rcptguard: '%s' is done in the kernel but cannot be recorded for "
		"rcptguardd\n", change);
	return -1;
}

void store_close(struct ctx *x)
{
	if (x->journal) {
		journal_close(x->journal);
		free(x->journal);
		x->journal = NULL;
	}
	if (x->locked)
		close(x->journal_lock);
	x->locked = false;
	enforce_free(x->enf);
	x->enf = NULL;
	if (x->ops)
		x->ops->close(x->store);
	maps_close(&x->maps);
	x->ops = NULL;
	x->store = NULL;
}

bool store_allow_overlaps(struct ctx *x, const struct rg_lpm_key *k, struct rg_lpm_key *by)
{
	const struct allow_entry *e = allowlist_overlap(enforce_allowlist(x->enf), k);

	if (e)
		*by = e->key;
	return e != NULL;
}

int store_close_sessions(struct ctx *x, const struct rg_lpm_key *k, struct sockkill_result *r)
{
	return sockkill(k, x->cfg.ports, x->cfg.n_ports, enforce_allowlist(x->enf), false, r);
}
