/* backend_nft.h - what the nft backend tells beyond the backend ops: the
 * CLI's status shows where the table's chain hooks in. */
#ifndef RG_BACKEND_NFT_H
#define RG_BACKEND_NFT_H

#include "backend.h"

/* "ingress" or "prerouting" for a store of backend_nft; NULL when the
 * chain is missing. */
const char *backend_nft_hook(void *ctx);

#endif
