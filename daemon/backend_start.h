/* backend_start.h - pick, set up and tear down the daemon's backend;
 * backend = auto tries XDP (native, then generic), then nft, then none. */
#ifndef RG_BACKEND_START_H
#define RG_BACKEND_START_H

#include <stdbool.h>
#include <stddef.h>
#include "backend.h"
#include "config.h"

struct backend_run {
	const struct backend_ops *ops;
	void *ctx;
	enum backend_cfg kind;          /* which one started */
	bool fresh;                     /* its store was made now: restore the state */
	bool adopt;                     /* its store is as saved: adopt the saved bans */
};

/* saved_proof: the store's proof saved with the state file ("": none). */
int backend_start(struct backend_run *b, const struct config *c, const char *saved_proof,
		  char *err, size_t errlen);
/* A reload's ports. */
int backend_apply(struct backend_run *b, const struct config *c, char *err, size_t errlen);
/* Free userspace state; bans stay enforced in the kernel. */
void backend_stop(struct backend_run *b);
/* How the started backend enforces, for rcptguard_backend_info: xdp
 * "native", "generic" or "mixed" (by interface); nft its hook; none
 * "log-only". */
void backend_mode(const struct backend_run *b, const struct config *c, char *buf, size_t len);

#endif
