/* backend_nft.h - what the nft backend tells beyond the backend ops: the
 * CLI's status shows where the table's chain hooks in. */
#ifndef RG_BACKEND_NFT_H
#define RG_BACKEND_NFT_H

#include "backend.h"

/* "ingress" or "prerouting" for a store of backend_nft; NULL when the
 * chain is missing. */
const char *backend_nft_hook(void *ctx);
/* Does the nft table drop (nftt_missing)? 0, or 1 with what is missing. */
int backend_nft_missing(void *ctx, char *buf, size_t len);

#endif
