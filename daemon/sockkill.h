/* sockkill.h - end the sessions a new ban covers. The kernel drops a
 * banned client's later packets too, so a session open at ban time would
 * hold an MTA process until its timeout (Postfix: 300 s, 50 per client).
 * Its socket is closed at once with sock_diag SOCK_DESTROY: the MTA's
 * next read or write fails and the process exits. */
#ifndef RG_SOCKKILL_H
#define RG_SOCKKILL_H

#include <stdbool.h>
#include <stdint.h>
#include "allowlist.h"

/* Sockets looked at per ban and address family, at most: the work of one
 * ban stays bounded whatever the client opened. */
#define SOCKKILL_MAX 4096

struct sockkill_result {
	unsigned matched;       /* sessions of the prefix (would be closed when dry) */
	unsigned closed;
	unsigned spared;        /* inside the prefix, but allowlisted */
	unsigned failed;
	int error;              /* the first failure's errno, 0 when none */
	bool truncated;         /* more than SOCKKILL_MAX sockets matched */
};

/* The TCP sessions (established, half-closed, or still in the handshake)
 * on local port ports[0..n_ports) whose remote address lies in prefix k
 * and is not covered by allow: closed, or only counted when dry. Closing
 * needs CAP_NET_ADMIN in the current network namespace (EPERM in
 * r->error otherwise); counting needs no privilege. 0, or -errno when the
 * sockets cannot be listed. */
int sockkill(const struct rg_lpm_key *k, const uint16_t *ports, unsigned n_ports,
	     const struct allowlist *allow, bool dry, struct sockkill_result *r);
/* The same for nkeys bans with one dump per address family (a dump walks
 * the kernel's whole TCP table, however few sockets match): r[i] is ban
 * i's result. A socket inside several prefixes counts for the first. */
int sockkill_many(const struct rg_lpm_key *keys, size_t nkeys, const uint16_t *ports,
		  unsigned n_ports, const struct allowlist *allow, bool dry,
		  struct sockkill_result *r);

#endif
