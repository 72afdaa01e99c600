/* names.h - one name per ABI code, the same in logs, CLI tables and JSON. */
#ifndef RG_NAMES_H
#define RG_NAMES_H

#include "rcptguard.h"

const char *reason_name(unsigned reason);
const char *counter_name(unsigned counter);

#endif
