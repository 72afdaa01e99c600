/* notify.h - tell the service manager how the daemon is doing. */
#ifndef RG_NOTIFY_H
#define RG_NOTIFY_H

/* Send state ("READY=1", "STOPPING=1", ...) to systemd's $NOTIFY_SOCKET.
 * 1 if no manager asked (no NOTIFY_SOCKET), 0 sent, -1 with err filled. */
int notify_send(const char *state, char *err, size_t errlen);

#endif
