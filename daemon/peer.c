/* peer.c - the owner of a loopback TCP peer, from NETLINK_SOCK_DIAG.
 * The peer's socket is ours to look up: its source is our connection's
 * remote end and its destination our local end. Needs no privilege. */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "peer.h"

/* An address of a sockaddr into the 16 bytes of an inet_diag id. */
static int put_addr(const struct sockaddr_storage *ss, __be32 *out, __be16 *port)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;

		out[0] = s->sin_addr.s_addr;
		*port = s->sin_port;
		return 0;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;

		/* IPv4-mapped on a dual-stack listener: the kernel looks the
		 * mapped pair up among IPv4 sockets itself. */
		memcpy(out, &s->sin6_addr, 16);
		*port = s->sin6_port;
		return 0;
	}
	return -1;
}

int peer_tcp_uid(int fd, uid_t *uid)
{
	struct sockaddr_storage local, remote;
	socklen_t ll = sizeof(local), rl = sizeof(remote);
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 r;
	} req = {
		.nh = { .nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST },
		.r = { .sdiag_protocol = IPPROTO_TCP, .idiag_states = ~0U,
		       .id.idiag_cookie = { INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE } },
	};
	union {
		struct nlmsghdr nh;
		char buf[1024];
	} ans;
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	const struct inet_diag_msg *m = NLMSG_DATA(&ans.nh);
	ssize_t n;
	int s;

	if (getsockname(fd, (struct sockaddr *)&local, &ll) < 0 ||
	    getpeername(fd, (struct sockaddr *)&remote, &rl) < 0 ||
	    local.ss_family != remote.ss_family ||
	    put_addr(&remote, req.r.id.idiag_src, &req.r.id.idiag_sport) < 0 ||
	    put_addr(&local, req.r.id.idiag_dst, &req.r.id.idiag_dport) < 0)
		return -1;
	req.r.sdiag_family = (__u8)local.ss_family;
	if ((s = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG)) < 0)
		return -1;
	n = sendto(s, &req, sizeof(req), 0, (struct sockaddr *)&nl, sizeof(nl)) < 0 ? -1 :
	    recv(s, &ans, sizeof(ans), MSG_DONTWAIT);     /* answered within sendto() */
	close(s);
	if (n < (ssize_t)NLMSG_LENGTH(sizeof(*m)) || ans.nh.nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    ans.nh.nlmsg_len > (size_t)n || ans.nh.nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return -1;
	/* The other end of this very connection (a listener the lookup fell
	 * back to has no destination port), held by a process: a socket in
	 * TIME_WAIT or closed by its owner (inode 0) has no owner worth
	 * trusting (TIME_WAIT even says uid 0). */
	if (m->id.idiag_sport != req.r.id.idiag_sport ||
	    m->id.idiag_dport != req.r.id.idiag_dport || m->idiag_inode == 0)
		return -1;
	*uid = m->idiag_uid;
	return 0;
}
