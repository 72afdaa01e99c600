/* notify.c - systemd's readiness protocol (sd_notify(3)), spoken directly:
 * one datagram such as "READY=1" to the AF_UNIX socket $NOTIFY_SOCKET
 * names ("@name" for the abstract namespace). The protocol is documented
 * and stable, so libsystemd would only add a library to link and load on
 * every machine, daemontools ones included, for these few lines. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "notify.h"

int notify_send(const char *state, char *err, size_t errlen)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len;
	ssize_t n;
	int fd;

	if (!path || !*path)
		return 1;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len < 2 || len >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "NOTIFY_SOCKET=%.120s is not an absolute path or an "
			 "@abstract name that fits a socket address", path);
		return -1;
	}
	memcpy(sa.sun_path, path, len);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* An abstract name's length is the address's; a path ends at its NUL. */
	n = sendto(fd, state, strlen(state), MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&sa,
		   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '/')));
	if (n < 0)
		snprintf(err, errlen, "cannot send to NOTIFY_SOCKET=%.120s: %s", path,
			 strerror(errno));
	close(fd);
	return n < 0 ? -1 : 0;
}
