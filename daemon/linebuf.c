/* linebuf.c - a head, and a ring for the end, in one buffer. */
#include <string.h>
#include "linebuf.h"

#define HEAD (LOGLINE_MAX / 2)
#define RING (LOGLINE_MAX - HEAD - 1)      /* after the head and the newline */

void linebuf_clear(struct linebuf *b)
{
	b->skipping = false;
	b->have = 0;
	b->ring_pos = b->ring_fill = 0;
}

bool linebuf_long(const struct linebuf *b)
{
	return b->skipping;
}

static void reverse(char *a, size_t n)
{
	for (size_t i = 0; i < n / 2; i++) {
		char c = a[i];

		a[i] = a[n - 1 - i];
		a[n - 1 - i] = c;
	}
}

static void ring_put(struct linebuf *b, const char *p, size_t n)
{
	char *r = b->buf + HEAD + 1;

	if (n >= RING) {
		memcpy(r, p + n - RING, RING);
		b->ring_pos = 0;
		b->ring_fill = RING;
		return;
	}
	for (size_t done = 0, k; done < n; done += k) {
		k = n - done < RING - b->ring_pos ? n - done : RING - b->ring_pos;
		memcpy(r + b->ring_pos, p + done, k);
		b->ring_pos = (b->ring_pos + k) % RING;
	}
	b->ring_fill = b->ring_fill + n < RING ? b->ring_fill + n : RING;
}

void linebuf_add(struct linebuf *b, const char *p, size_t n)
{
	if (!b->skipping && b->have + n <= sizeof(b->buf)) {
		memcpy(b->buf + b->have, p, n);
		b->have += n;
		return;
	}
	if (!b->skipping) {
		/* Fill the head; the bytes past it so far start the ring. */
		size_t h = b->have < HEAD ? HEAD - b->have : 0, m, k;

		memcpy(b->buf + b->have, p, h);
		b->have += h;
		p += h;
		n -= h;
		m = b->have - HEAD;
		k = m < RING ? m : RING;
		memmove(b->buf + HEAD + 1, b->buf + b->have - k, k);
		b->ring_pos = k % RING;
		b->ring_fill = k;
		b->skipping = true;
	}
	ring_put(b, p, n);
}

size_t linebuf_end(struct linebuf *b)
{
	char *r = b->buf + HEAD + 1;

	if (!b->skipping)
		return b->have;
	if (b->ring_fill == RING) {     /* rotate the oldest byte to the front */
		reverse(r, b->ring_pos);
		reverse(r + b->ring_pos, RING - b->ring_pos);
		reverse(r, RING);
		b->ring_pos = 0;
	}
	b->buf[HEAD] = '\n';
	return HEAD + 1 + b->ring_fill;
}
