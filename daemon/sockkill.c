/* sockkill.c - one filtered sock_diag dump per address family, then one
 * SOCK_DESTROY per socket by its exact id (addresses, ports, interface,
 * cookie). The whole dump is read before the first socket is destroyed:
 * the kernel resumes a dump by position, so closing sockets it already
 * reported could make it skip others. A dump walks the kernel's whole
 * TCP hash table however few sockets match (about a millisecond): many
 * bans share one dump, their prefixes matched here. */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "addr.h"
#include "config.h"
#include "grow.h"
#include "sockkill.h"

/* Sessions that hold an MTA process (established; the client half-closed)
 * and handshakes that hold a slot in the listen queue. */
#define STATES ((1u << TCP_ESTABLISHED) | (1u << TCP_CLOSE_WAIT) | (1u << TCP_SYN_RECV))

#define OP_LEN sizeof(struct inet_diag_bc_op)
#define COND_LEN (OP_LEN + sizeof(struct inet_diag_hostcond))
/* The longest filter: a v6 address test, then a test and a jump per port. */
#define FILTER_MAX (COND_LEN + 16 + CONFIG_MAX_PORTS * 3 * OP_LEN)

static void put(unsigned char *bc, size_t *off, const void *p, size_t n)
{
	memcpy(bc + *off, p, n);
	*off += n;
}

/* "The remote address is in the prefix (when there is one prefix), and
 * the local port is one of ports" in inet_diag bytecode: the address
 * test, then a port test per port, each but the last followed by a jump
 * to the end. A test that holds goes on to the next op; one that fails
 * jumps 4 bytes past the end, which rejects; running off the very end
 * accepts. Every jump lands on the chain of "holds" steps, as the
 * kernel's audit demands. */
static size_t filter(unsigned char *bc, int family, const struct rg_lpm_key *k,
		     const uint16_t *ports, unsigned n)
{
	size_t alen = family == AF_INET ? 4 : 16, clen = k ? COND_LEN + alen : 0;
	size_t len = clen + n * 2 * OP_LEN + (n - 1) * OP_LEN, off = 0;
	struct inet_diag_bc_op op = { INET_DIAG_BC_D_COND, (unsigned char)clen,
				      (unsigned short)(len + 4) };
	struct inet_diag_hostcond hc = { .family = (unsigned char)family, .port = -1 };

	if (k) {
		/* A v4 listener's sockets are tested against the IPv4 part (the
		 * caller dumps them only when the prefix reaches that far). */
		hc.prefix_len = family == AF_INET ?
				(k->prefixlen > 96 ? k->prefixlen - 96 : 0) : k->prefixlen;
		put(bc, &off, &op, OP_LEN);
		put(bc, &off, &hc, sizeof(hc));
		put(bc, &off, family == AF_INET ? &k->addr.a[12] : k->addr.a, alen);
	}
	for (unsigned i = 0; i < n; i++) {
		struct inet_diag_bc_op eq = { INET_DIAG_BC_S_EQ, 2 * OP_LEN, 3 * OP_LEN };
		struct inet_diag_bc_op arg = { .no = ports[i] };

		put(bc, &off, &eq, OP_LEN);
		put(bc, &off, &arg, OP_LEN);
		if (i + 1 < n) {
			struct inet_diag_bc_op jmp = { INET_DIAG_BC_JMP, OP_LEN,
						       (unsigned short)(len - off) };

			put(bc, &off, &jmp, OP_LEN);
		}
	}
	return off;
}

static int dump_request(int s, int family, const struct rg_lpm_key *k, const uint16_t *ports,
			unsigned n)
{
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 r;
		struct nlattr a;
		unsigned char bc[FILTER_MAX];
	} req = {
		.nh = { .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.r = { .sdiag_family = (unsigned char)family, .sdiag_protocol = IPPROTO_TCP,
		       .idiag_states = STATES },
		.a = { .nla_type = INET_DIAG_REQ_BYTECODE },
	};
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	size_t blen = filter(req.bc, family, k, ports, n);

	req.a.nla_len = (unsigned short)(NLA_HDRLEN + blen);
	req.nh.nlmsg_len = (unsigned)(offsetof(__typeof__(req), bc) + blen);
	return sendto(s, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&nl, sizeof(nl)) < 0 ?
	       -errno : 0;
}

/* The sockets to close, each with the ban it belongs to. */
struct ids {
	struct inet_diag_sockid *v;
	size_t *key;
	size_t n, cap, kcap;
};

/* One pass over the dump for nkeys bans; r has a result per ban. */
struct pass {
	const struct rg_lpm_key *keys;
	size_t nkeys;
	const struct allowlist *allow;
	bool dry;
	struct sockkill_result *r;
	struct ids ids;
};

/* One socket of the dump: matched to the first ban whose prefix holds its
 * peer (checked here too: closing a session of the wrong client is worse
 * than a wasted compare), spared if allowlisted. */
static int one(const struct inet_diag_msg *m, struct pass *p)
{
	struct rg_addr a = { 0 };
	struct sockkill_result *r;
	size_t i = 0;

	if (m->idiag_family == AF_INET) {
		a.a[10] = a.a[11] = 0xff;
		memcpy(&a.a[12], m->id.idiag_dst, 4);
	} else {
		memcpy(a.a, m->id.idiag_dst, 16);
	}
	while (i < p->nkeys && !addr_in_prefix(&p->keys[i], &a))
		i++;
	if (i == p->nkeys)
		return 0;
	r = &p->r[i];
	if (p->allow && allowlist_match(p->allow, &a)) {
		r->spared++;
		return 0;
	}
	if (r->matched == SOCKKILL_MAX) {
		r->truncated = true;    /* the rest of the dump is read, not kept */
		return 0;
	}
	r->matched++;
	if (p->dry)
		return 0;
	if (grow(&p->ids.v, &p->ids.cap, p->ids.n + 1, sizeof(*p->ids.v), 64) < 0 ||
	    grow(&p->ids.key, &p->ids.kcap, p->ids.n + 1, sizeof(*p->ids.key), 64) < 0)
		return -ENOMEM;
	p->ids.key[p->ids.n] = i;
	p->ids.v[p->ids.n++] = m->id;
	return 0;
}

/* Read the dump to its end: the socket then carries the destroys. */
static int dump_read(int s, struct pass *p)
{
	static union {
		struct nlmsghdr nh;
		char buf[32768];
	} ans;

	for (;;) {
		ssize_t got = recv(s, &ans, sizeof(ans), 0);
		struct nlmsghdr *nh;
		int rc;

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return got < 0 ? -errno : -EIO;
		for (nh = &ans.nh; NLMSG_OK(nh, got); nh = NLMSG_NEXT(nh, got)) {
			if (nh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nh);

				return nh->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) && e->error ?
				       e->error : -EIO;
			}
			if (nh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
			    nh->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
				continue;
			if ((rc = one(NLMSG_DATA(nh), p)) < 0)
				return rc;
		}
	}
}

/* 0, or -errno from the kernel's acknowledgement. */
static int destroy(int s, int family, const struct inet_diag_sockid *id)
{
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 r;
	} req = {
		.nh = { .nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DESTROY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK },
		.r = { .sdiag_family = (unsigned char)family, .sdiag_protocol = IPPROTO_TCP,
		       .idiag_states = ~0u, .id = *id },
	};
	union {
		struct nlmsghdr nh;
		char buf[512];
	} ans;
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	const struct nlmsgerr *e = NLMSG_DATA(&ans.nh);
	ssize_t got;

	if (sendto(s, &req, sizeof(req), 0, (struct sockaddr *)&nl, sizeof(nl)) < 0)
		return -errno;
	do
		got = recv(s, &ans, sizeof(ans), 0);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return -errno;
	if (got < (ssize_t)NLMSG_LENGTH(sizeof(*e)) || ans.nh.nlmsg_type != NLMSG_ERROR)
		return -EIO;
	return e->error;
}

static int one_family(int family, const uint16_t *ports, unsigned n, struct pass *p)
{
	int s = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	int rc, stop = 0;               /* the error that stops all further destroys */

	if (s < 0)
		return -errno;
	p->ids.n = 0;
	/* One ban: the kernel tests its prefix too. */
	rc = dump_request(s, family, p->nkeys == 1 ? p->keys : NULL, ports, n);
	if (rc == 0)
		rc = dump_read(s, p);
	for (size_t i = 0; rc == 0 && i < p->ids.n; i++) {
		struct sockkill_result *r = &p->r[p->ids.key[i]];
		int e = stop ? stop : destroy(s, family, &p->ids.v[i]);

		if (e == 0 || e == -ENOENT) {   /* ENOENT: it ended by itself */
			r->closed += e == 0;
			continue;
		}
		if (!r->error)
			r->error = -e;
		/* No privilege, no kernel support: the rest would fail alike. */
		if (e == -EPERM || e == -EOPNOTSUPP)
			stop = e;
		r->failed++;
	}
	close(s);
	return rc;
}

int sockkill_many(const struct rg_lpm_key *keys, size_t nkeys, const uint16_t *ports,
		  unsigned n_ports, const struct allowlist *allow, bool dry,
		  struct sockkill_result *r)
{
	struct pass p = { .keys = keys, .nkeys = nkeys, .allow = allow, .dry = dry, .r = r };
	bool v4 = false;
	int rc;

	memset(r, 0, nkeys * sizeof(*r));
	if (n_ports == 0 || n_ports > CONFIG_MAX_PORTS || !nkeys)
		return n_ports > CONFIG_MAX_PORTS ? -EINVAL : 0;
	/* Where a prefix reaches into ::ffff:0:0/96, v4 listeners' sockets
	 * too; dual-stack listeners' v4-mapped ones are in the AF_INET6 dump. */
	for (size_t i = 0; i < nkeys && !v4; i++) {
		struct rg_addr a = { .a = { [10] = 0xff, [11] = 0xff } };

		memcpy(&a.a[12], &keys[i].addr.a[12], 4);
		v4 = addr_in_prefix(&keys[i], &a);
	}
	rc = one_family(AF_INET6, ports, n_ports, &p);
	if (rc == 0 && v4)
		rc = one_family(AF_INET, ports, n_ports, &p);
	free(p.ids.v);
	free(p.ids.key);
	return rc;
}

int sockkill(const struct rg_lpm_key *k, const uint16_t *ports, unsigned n_ports,
	     const struct allowlist *allow, bool dry, struct sockkill_result *r)
{
	return sockkill_many(k, 1, ports, n_ports, allow, dry, r);
}
