/* names.h - one name per ABI code, the same in logs, CLI tables and JSON. */
#ifndef RG_NAMES_H
#define RG_NAMES_H

#include "rcptguard.h"

const char *reason_name(unsigned reason);
/* The code of a reason's name; 0 when it names none. */
unsigned reason_code(const char *name);
const char *counter_name(unsigned counter);

#endif
