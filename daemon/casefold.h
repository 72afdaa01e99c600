/* casefold.h - full Unicode case folding of addresses, the way Postfix 3.x
 * folds lookup keys with SMTPUTF8 (ICU's default folding: "STRASSE" and
 * "straße" both fold to "strasse"). The recipients compiler folds keys and
 * the daemon folds Postfix's recipients with this one function. */
#ifndef RG_CASEFOLD_H
#define RG_CASEFOLD_H

#include <stddef.h>
#include <sys/types.h>

/* Fold the n bytes of in (UTF-8) into out (outlen bytes, NUL-terminated).
 * Returns the folded length, or -1 if in is not valid UTF-8 (overlong
 * forms, surrogates and code points past U+10FFFF included) or the result
 * does not fit. ASCII input is lower-cased without ICU. */
ssize_t casefold_utf8(const char *in, size_t n, char *out, size_t outlen);

#endif
