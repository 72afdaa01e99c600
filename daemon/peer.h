/* peer.h - who owns the other end of a loopback TCP connection. */
#ifndef RG_PEER_H
#define RG_PEER_H

#include <sys/types.h>

/* The uid owning the local socket at the other end of the accepted TCP
 * connection fd, asked of the kernel (sock_diag) by the exact 4-tuple.
 * 0 with *uid set, or -1 when it cannot be known: the peer is not local,
 * is gone, or its socket belongs to no process any more. */
int peer_tcp_uid(int fd, uid_t *uid);

#endif
