/* nft.c - batches and requests on one NETLINK_NETFILTER socket. */
#include <errno.h>
#include <libnftnl/common.h>
#include <libnftnl/gen.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include "grow.h"
#include "nft.h"

/* Batches grow up to the socket buffer (the kernel rejects a larger one
 * with "Message too long"); this bounds our part of it. */
#define BATCH_MAX (4u << 20)
/* No single message we build comes near this. */
#define MSG_MAX 8192
/* Dumps of many elements: 64 KB reads are five times faster than 8 KB. */
#define RCVBUF (1u << 20)
/* The longest wait for one reply: the daemon's loop waits with it, and
 * verdicts with the loop. A commit of a full batch takes tens of ms. */
#define REPLY_WAIT_MS 1000

struct nft {
	struct mnl_socket *nl;
	uint32_t portid, seq;
	char *buf;
	size_t len, limit, cap;         /* bytes queued; commit when len would pass limit */
	struct nlmsghdr *open;          /* the message being built */
	uint32_t first_seq;             /* 0: no batch begun */
	int held, early_err;
	size_t last;                    /* offset of the last message queued */
	uint32_t floor;                 /* replies to older messages are stale: skipped */
	uint32_t gen;                   /* nft_track(): the generation after our last commit */
	bool tracking;                  /* and no one else has committed since */
	const atomic_int *stop;         /* nft_stop_on() */
	char rbuf[65536];
};

static void set_buf(struct nft *n, int opt, int force, int want)
{
	int fd = mnl_socket_get_fd(n->nl);

	/* FORCE passes the rmem_max/wmem_max caps (root or CAP_NET_ADMIN). */
	if (setsockopt(fd, SOL_SOCKET, force, &want, sizeof(want)) < 0)
		setsockopt(fd, SOL_SOCKET, opt, &want, sizeof(want));
}

struct nft *nft_open(char *err, size_t errlen)
{
	struct nft *n = calloc(1, sizeof(*n));
	struct timeval tv = { .tv_sec = REPLY_WAIT_MS / 1000,
			      .tv_usec = REPLY_WAIT_MS % 1000 * 1000 };
	socklen_t sl = sizeof(int);
	int sndbuf = 0;

	if (!n) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	n->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!n->nl || mnl_socket_bind(n->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "cannot open a netfilter netlink socket: %s", strerror(errno));
		goto fail;
	}
	n->portid = mnl_socket_get_portid(n->nl);
	n->seq = (uint32_t)time(NULL);
	set_buf(n, SO_SNDBUF, SO_SNDBUFFORCE, (int)BATCH_MAX);
	set_buf(n, SO_RCVBUF, SO_RCVBUFFORCE, (int)RCVBUF);
	/* A kernel that is slow to answer must not hold the daemon up long. */
	setsockopt(mnl_socket_get_fd(n->nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	getsockopt(mnl_socket_get_fd(n->nl), SOL_SOCKET, SO_SNDBUF, &sndbuf, &sl);
	/* The kernel reports twice what it grants for its own bookkeeping. */
	n->limit = (size_t)sndbuf / 2;
	if (n->limit > BATCH_MAX)
		n->limit = BATCH_MAX;
	if (n->limit < 4 * MSG_MAX)
		n->limit = 4 * MSG_MAX;
	n->cap = n->limit + 2 * MSG_MAX;
	n->buf = malloc(n->cap);
	if (!n->buf) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return n;
fail:
	nft_close(n);
	return NULL;
}

void nft_stop_on(struct nft *n, const atomic_int *stop, unsigned wait_ms)
{
	struct timeval tv = { .tv_sec = wait_ms / 1000, .tv_usec = wait_ms % 1000 * 1000 };

	n->stop = stop;
	setsockopt(mnl_socket_get_fd(n->nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

void nft_close(struct nft *n)
{
	if (!n)
		return;
	if (n->nl)
		mnl_socket_close(n->nl);
	free(n->buf);
	free(n);
}

/* Close the message being built: its length is known now. */
static void seal(struct nft *n)
{
	if (n->open) {
		n->len += NLMSG_ALIGN(n->open->nlmsg_len);
		n->open = NULL;
	}
}

static int gen_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nftnl_gen *g = nftnl_gen_alloc();
	uint32_t *gen = arg;

	if (g && nftnl_gen_nlmsg_parse(nlh, g) == 0 && nftnl_gen_is_set(g, NFTNL_GEN_ID))
		*gen = nftnl_gen_get_u32(g, NFTNL_GEN_ID);
	nftnl_gen_free(g);
	return MNL_CB_OK;
}

/* A commit that changed something echoes its generation. Each commit
 * adds exactly one (skipping 0), so any other step means someone else
 * committed in between. */
static int batch_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nft *n = arg;
	uint32_t got = 0, next = n->gen + 1 ? n->gen + 1 : 1;

	if (NFNL_MSG_TYPE(nlh->nlmsg_type) == NFT_MSG_NEWGEN && n->tracking) {
		gen_cb(nlh, &got);
		n->tracking = got == next;
		n->gen = got;
	}
	return MNL_CB_OK;
}

/* Read replies until the one for seq; 0 or the first error. Replies to
 * messages before n->floor belong to a request whose wait ran out: the
 * kernel may still answer it, late, and that answer is not this one's. */
static int wait_for(struct nft *n, uint32_t seq, mnl_cb_t cb, void *arg)
{
	int first = 0;

	for (;;) {
		ssize_t got = mnl_socket_recvfrom(n->nl, n->rbuf, sizeof(n->rbuf));
		const struct nlmsghdr *nlh;
		int len, rc;

		if (got < 0)
			return first ? first : -errno;
		if (n->stop && atomic_load(n->stop))
			return -ECANCELED;
		/* Errors of earlier messages come first; remember the first. */
		len = (int)got;
		for (nlh = (const struct nlmsghdr *)n->rbuf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			if ((int32_t)(nlh->nlmsg_seq - n->floor) < 0)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

				if (e->error && !first)
					first = e->error;
				if (nlh->nlmsg_seq == seq)
					return first;
				continue;
			}
			rc = mnl_cb_run(nlh, nlh->nlmsg_len, nlh->nlmsg_seq, n->portid, cb, arg);
			if (rc == MNL_CB_ERROR)
				return first ? first : -errno;
			if (rc == MNL_CB_STOP && nlh->nlmsg_seq == seq)
				return first;
		}
	}
}

static int send_batch(struct nft *n)
{
	uint32_t last;
	int rc;

	seal(n);
	if (!n->first_seq)
		return 0;
	last = n->seq - 1;
	n->floor = n->first_seq;
	nftnl_batch_end(n->buf + n->len, n->seq++);
	n->len += NLMSG_ALIGN(((struct nlmsghdr *)(n->buf + n->len))->nlmsg_len);
	/* ECHO on the first message after the batch's begin (the one the
	 * kernel's commit sees as its header): the commit reports its
	 * generation. That message's own echo is ignored. */
	if (n->tracking)
		((struct nlmsghdr *)(n->buf + NLMSG_ALIGN(((struct nlmsghdr *)n->buf)->nlmsg_len)))
			->nlmsg_flags |= NLM_F_ECHO;
	rc = mnl_socket_sendto(n->nl, n->buf, n->len) < 0 ? -errno : 0;
	n->len = n->last = 0;
	n->first_seq = 0;
	if (!rc)
		rc = wait_for(n, last, batch_cb, n);
	/* What of a failed batch reached the kernel is not known for sure. */
	if (rc)
		n->tracking = false;
	return rc;
}

struct nlmsghdr *nft_msg(struct nft *n, uint16_t type, uint16_t family, uint16_t flags)
{
	struct nlmsghdr *nlh;
	bool full;

	seal(n);
	full = n->len + MSG_MAX > n->limit;
	/* A held batch may outgrow the limit (the kernel then says so); only
	 * when memory runs out is it split after all. */
	if (full && n->held)
		grow(&n->buf, &n->cap, n->len + 2 * MSG_MAX, 1, 0);
	if (n->first_seq && full && (!n->held || n->len + 2 * MSG_MAX > n->cap)) {
		int rc = send_batch(n);

		if (rc && !n->early_err)
			n->early_err = rc;
	}
	if (!n->first_seq) {
		nftnl_batch_begin(n->buf, n->seq);
		n->first_seq = n->seq++;
		n->len = NLMSG_ALIGN(((struct nlmsghdr *)n->buf)->nlmsg_len);
	}
	/* Only the last message asks for an ack: send_batch waits for it, and
	 * errors come back unasked. An ack per message would overflow the
	 * receive buffer in a bulk load. */
	if (n->last)
		((struct nlmsghdr *)(n->buf + n->last))->nlmsg_flags &= ~NLM_F_ACK;
	n->last = n->len;
	nlh = nftnl_nlmsg_build_hdr(n->buf + n->len, type, family, flags | NLM_F_ACK, n->seq++);
	n->open = nlh;
	return nlh;
}

void nft_hold(struct nft *n)
{
	n->held++;
}

void nft_release(struct nft *n)
{
	n->held--;
}

void nft_discard(struct nft *n)
{
	n->open = NULL;
	n->len = n->last = 0;
	n->first_seq = 0;
	n->early_err = 0;
}

int nft_commit(struct nft *n)
{
	int rc = send_batch(n), early = n->early_err;

	n->early_err = 0;
	return early ? early : rc;
}

static void no_attrs(struct nlmsghdr *nlh, void *arg)
{
	(void)nlh, (void)arg;
}

int nft_genid(struct nft *n, uint32_t *gen)
{
	*gen = 0;
	return nft_request(n, NFT_MSG_GETGEN, NFPROTO_UNSPEC, NLM_F_ACK, no_attrs, gen_cb, gen);
}

void nft_track(struct nft *n, uint32_t gen)
{
	n->gen = gen;
	n->tracking = gen != 0;
}

uint32_t nft_tracked(struct nft *n)
{
	uint32_t now;

	if (n->tracking && (nft_genid(n, &now) < 0 || now != n->gen))
		n->tracking = false;
	return n->tracking ? n->gen : 0;
}

int nft_netns_cookie(struct nft *n, uint64_t *cookie)
{
	socklen_t len = sizeof(*cookie);

	return getsockopt(mnl_socket_get_fd(n->nl), SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len) < 0 ?
		-errno : 0;
}

int nft_request(struct nft *n, uint16_t type, uint16_t family, uint16_t flags,
		void (*build)(struct nlmsghdr *nlh, void *arg), mnl_cb_t cb, void *arg)
{
	char buf[MSG_MAX];
	uint32_t seq = n->seq++;
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, type, family, flags, seq);

	n->floor = seq;
	build(nlh, arg);
	if (mnl_socket_sendto(n->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return wait_for(n, seq, cb, arg);
}
