/* route.c - Postfix's resolver loop, followed on a window of the address:
 * every rewrite it makes leaves the local part a part of the one before, so
 * nothing is copied until the mailbox is written. */
#include <string.h>
#include "recipients.h"
#include "route.h"

/* A byte that makes a local part a quoted string for quote_822_local()
 * (8-bit clean) and splits it into several tokens for tok822_scan(). */
static bool special(char c)
{
	return (unsigned char)c <= ' ' || c == 127 || strchr("()<>@,;:\\\"[]", c);
}

/* Where s (n bytes) stops being an RFC 822 dot-string when read from its
 * start: a special, a leading dot, or the second of two dots. */
static size_t dot_string_end(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (special(s[i]) || (s[i] == '.' && (i == 0 || s[i - 1] == '.')))
			return i;
	return n;
}

/* Whether quote_822_local() leaves the local part a[0..e) unquoted. */
static bool dot_string(const char *a, size_t e, size_t end)
{
	return e > 0 && end >= e && a[e - 1] != '.';
}

/* Whether s (n bytes) holds a byte tok822_scan() turns into something
 * other than atoms, operators and address literals ("[...]", whatever is
 * inside): a literal is read back as written, and where the tokens around one differ from the text
 * (a '!' inside it, an atom next to it) the domain is none of ours and the
 * mailbox none that exists. */
static bool any_special(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *close;

		if (s[i] == '[' && (close = memchr(s + i, ']', n - i)))
			i = (size_t)(close - s);
		else if (special(s[i]))
			return true;
	}
	return false;
}

enum route_result route_postfix(char *a, size_t *len, size_t cap, const struct route_rules *ru,
				route_ours_fn *ours, void *ctx)
{
	char dom[RCPT_MAX + 1];
	char *at = memrchr(a, '@', *len), *op;
	/* The local part is a[s..e); d (dl bytes) the domain to check next. */
	size_t s = 0, e, dl, dn, end;
	const char *d;
	bool quoted, no_at = false, no_pct = false, no_bang = false;

	if (!at)
		return ROUTE_NOT_OURS;
	e = (size_t)(at - a);
	d = at + 1;
	dl = *len - e - 1;
	/* Only a local part that starts where the address does is ever quoted
	 * (a bang path moves the start and leaves tokens): one scan serves. */
	end = dot_string_end(a, e);
	quoted = !dot_string(a, e, end);
	for (;;) {
		/* An empty domain is stripped as a local one is (Postfix's
		 * resolve_null_domain = no): only the mailbox's may not be. */
		dn = 0;
		if (dl && (!(dn = rcpt_domain(d, dl, dom)) || !ours(ctx, dom)))
			return ROUTE_NOT_OURS;
		/* The domain is ours: Postfix strips it, then routes what is left.
		 * Each search below looks in a part of what an earlier one
		 * searched, so a miss is remembered. */
		op = NULL;
		if (!quoted) {
			/* rewrite_tree(): site!user first (the first '!'), then
			 * user%site (the last '%'). */
			if (ru->swap_bangpath && !no_bang && !(op = memchr(a + s, '!', e - s)))
				no_bang = true;
			if (op) {
				d = a + s;
				dl = (size_t)(op - d);
				s = (size_t)(op - a) + 1;
				continue;
			}
			if (ru->percent_hack && !no_pct && !(op = memrchr(a + s, '%', e - s)))
				no_pct = true;
			if (!op)
				break;
		} else if (ru->resolve_dequoted) {
			/* A quoted local part is cracked open at its last '@',
			 * else its last '%', else at a '!'. */
			if (!no_at && !(op = memrchr(a + s, '@', e - s)))
				no_at = true;
			if (!op && ru->percent_hack && !no_pct && !(op = memrchr(a + s, '%', e - s)))
				no_pct = true;
			if (!op && ru->swap_bangpath && !no_bang) {
				if (!memchr(a + s, '!', e - s)) {
					no_bang = true;
					break;
				}
				/* Re-read as tokens and swapped at the first '!' (above,
				 * next time round): text with spaces, comments, quotes
				 * or other specials is put back together in ways not
				 * followed here. */
				if (any_special(a + s, e - s))
					return ROUTE_UNROUTABLE;
				quoted = false;
				continue;
			}
			if (!op)
				break;
		} else {
			break;
		}
		/* user%site (or user@site) is user@site: the local part before
		 * it, quoted again if it needs to be. */
		d = op + 1;
		dl = e - (size_t)(d - a);
		e = (size_t)(op - a);
		quoted = quoted && !dot_string(a, e, end);
	}
	if (!dn)
		return ROUTE_NOT_OURS;  /* Postfix refuses "user@" as malformed */
	/* An empty local part is Postfix's MAILER-DAEMON (empty_address_recipient). */
	if (s == e || e - s + dn + 2 > cap)
		return ROUTE_UNROUTABLE;
	memmove(a, a + s, e - s);
	a[e - s] = '@';
	memcpy(a + e - s + 1, dom, dn + 1);
	*len = e - s + 1 + dn;
	return ROUTE_OURS;
}
