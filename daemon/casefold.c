/* casefold.c - ICU's u_strFoldCase over UTF-8, as Postfix's casefold(). */
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/ustring.h>
#include "casefold.h"
#include "recipients.h"

/* Apart from the ASCII path, so that its buffers cost nothing there. */
static __attribute__((noinline)) ssize_t fold_icu(const char *in, size_t n, char *out,
						   size_t outlen)
{
	/* Folding at most triples a string (U+0390 is two bytes, its folding
	 * six): input longer than any address judged is refused first. */
	UChar src[RCPT_INPUT_MAX + 1], dst[RCPT_INPUT_MAX + 1];
	UErrorCode e = U_ZERO_ERROR;
	int32_t ns, nd, no;

	if (n > RCPT_INPUT_MAX || outlen > INT32_MAX)
		return -1;
	u_strFromUTF8(src, RCPT_INPUT_MAX + 1, &ns, in, (int32_t)n, &e);
	nd = U_SUCCESS(e) ? u_strFoldCase(dst, RCPT_INPUT_MAX + 1, src, ns, U_FOLD_CASE_DEFAULT,
					  &e) : 0;
	/* Exactly filled (no room for the terminator) counts as too long. */
	if (U_SUCCESS(e) && e != U_STRING_NOT_TERMINATED_WARNING)
		u_strToUTF8(out, (int32_t)outlen, &no, dst, nd, &e);
	if (U_FAILURE(e) || e == U_STRING_NOT_TERMINATED_WARNING)
		return -1;
	return no;
}

ssize_t casefold_utf8(const char *in, size_t n, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; i < n && !((unsigned char)in[i] & 0x80); i++)
		;
	if (i < n)
		return fold_icu(in, n, out, outlen);
	if (n >= outlen)
		return -1;
	for (i = 0; i < n; i++)
		out[i] = (char)((in[i] >= 'A' && in[i] <= 'Z') ? in[i] + 32 : in[i]);
	out[n] = '\0';
	return (ssize_t)n;
}
