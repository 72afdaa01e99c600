/* nft.h - a netlink session with nf_tables (libmnl + libnftnl): batches
 * that split themselves to fit the socket buffer, and dumps. */
#ifndef RG_NFT_H
#define RG_NFT_H

#include <libmnl/libmnl.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct nft;

/* Open the socket, sized for bulk batches and fast dumps. */
struct nft *nft_open(char *err, size_t errlen);
void nft_close(struct nft *n);
/* A session of a thread of its own (a background read): every reply may
 * take up to wait_ms, and a request returns -ECANCELED at the first reply
 * after *stop turns non-zero. The kernel builds each reply of a dump when
 * it is read, so that is soon: the session must be closed then, as the
 * dump it left is still open. */
void nft_stop_on(struct nft *n, const atomic_int *stop, unsigned wait_ms);

/* Room for one more message in the current batch (begun on demand; when
 * the batch is full it is committed first, so a bulk load splits into
 * batches that fit the socket buffer). Build the message at the returned
 * header. Messages that must reach the kernel in one batch (a chain
 * rebuilt with its rules) go between nft_hold() and nft_release(). */
struct nlmsghdr *nft_msg(struct nft *n, uint16_t type, uint16_t family, uint16_t flags);
void nft_hold(struct nft *n);
void nft_release(struct nft *n);
/* Send the batch and wait for the kernel's verdict on it: 0 or -errno.
 * A batch is applied whole or not at all. Nothing queued: 0. */
int nft_commit(struct nft *n);

/* Drop what is queued and not sent yet: a batch that lost a message it
 * needed (an allocation failed) must not reach the kernel. */
void nft_discard(struct nft *n);

/* One request: a dump (flags NLM_F_DUMP), or a get (NLM_F_ACK); cb sees
 * each reply. 0 or -errno (-ENOENT: no such object). */
int nft_request(struct nft *n, uint16_t type, uint16_t family, uint16_t flags,
		void (*build)(struct nlmsghdr *nlh, void *arg), mnl_cb_t cb, void *arg);

/* The netns's nf_tables generation: every commit that changes anything
 * in any table adds one. 0 or -errno. */
int nft_genid(struct nft *n, uint32_t *gen);
/* The socket's network namespace, unique within a boot (Linux 5.14). */
int nft_netns_cookie(struct nft *n, uint64_t *cookie);
/* Follow the generation from gen (read before our first change) through
 * our own commits. */
void nft_track(struct nft *n, uint32_t gen);
/* The current generation if every commit since nft_track() was ours and
 * succeeded, else 0 (and 0 from then on). Asks the kernel. */
uint32_t nft_tracked(struct nft *n);

#endif
