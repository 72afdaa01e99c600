/* rst_ref.c - the expected RST, byte by byte (see rst_ref.h). */
#include <string.h>
#include "rst_ref.h"

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* RFC 1071 over the concatenation of two byte runs, 32-bit accumulator,
 * the high byte first: written apart from the program's and packet.c's. */
static unsigned sum2(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
	uint64_t s = 0;
	size_t i = 0;

	for (; i < na + nb; i++) {
		uint8_t byte = i < na ? a[i] : b[i - na];

		s += i % 2 ? byte : (uint64_t)byte << 8;
	}
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (unsigned)s;
}

/* The pseudo-header (addresses, then zero, TCP, length) and a segment. */
static unsigned tcp_sum(const uint8_t *addrs, size_t alen, const uint8_t *seg, size_t n)
{
	uint8_t ph[36];

	memcpy(ph, addrs, alen);
	ph[alen] = 0;
	ph[alen + 1] = 6;
	put16(ph + alen + 2, (unsigned)n);
	return sum2(ph, alen + 4, seg, n);
}

/* The inputs of an answerable SYN: its TCP segment at seg, n bytes. */
static int pure_syn(const uint8_t *seg, size_t n, uint32_t *ack)
{
	size_t hl;

	if (n < 20 || n > 512)
		return 0;
	hl = (size_t)(seg[12] >> 4) * 4;
	if (hl < 20 || hl > n || (seg[13] & 0x17) != 0x02)
		return 0;
	*ack = be32(seg + 4) + 1 + (uint32_t)(n - hl);
	return 1;
}

static void tcp_rst(uint8_t *t, const uint8_t *syn, uint32_t ack)
{
	memset(t, 0, 20);
	memcpy(t, syn + 2, 2);
	memcpy(t + 2, syn, 2);
	t[8] = (uint8_t)(ack >> 24);
	t[9] = (uint8_t)(ack >> 16);
	t[10] = (uint8_t)(ack >> 8);
	t[11] = (uint8_t)ack;
	t[12] = 5 << 4;
	t[13] = 0x14;                   /* RST, ACK */
}

size_t rst_ref(const uint8_t *f, size_t len, uint8_t *out)
{
	size_t l3 = 14;
	unsigned type;
	uint32_t ack;

	if (len < 14 || f[6] & 1)       /* no answer to a group source MAC */
		return 0;
	type = be16(f + 12);
	for (int i = 0; i < 2 && (type == 0x8100 || type == 0x88a8) && l3 + 4 <= len; i++) {
		type = be16(f + l3 + 2);
		l3 += 4;
	}
	memcpy(out, f + 6, 6);
	memcpy(out + 6, f, 6);
	memcpy(out + 12, f + 12, l3 - 12);
	if (type == 0x0800) {
		const uint8_t *ip = f + l3;
		size_t ihl, tot;
		uint8_t *o = out + l3;

		if (l3 + 20 > len || ip[0] >> 4 != 4)
			return 0;
		ihl = (ip[0] & 15) * 4u;
		tot = be16(ip + 2);
		if (ihl < 20 || tot < ihl + 20 || l3 + tot > len || be16(ip + 6) & 0x3fff ||
		    ip[9] != 6 || sum2(ip, ihl, NULL, 0) != 0xffff ||
		    tcp_sum(ip + 12, 8, ip + ihl, tot - ihl) != 0xffff ||
		    !pure_syn(ip + ihl, tot - ihl, &ack))
			return 0;
		memset(o, 0, 20);
		o[0] = 0x45;
		o[3] = 40;
		o[6] = 0x40;            /* DF */
		o[8] = 64;
		o[9] = 6;
		memcpy(o + 12, ip + 16, 4);
		memcpy(o + 16, ip + 12, 4);
		put16(o + 10, ~sum2(o, 20, NULL, 0) & 0xffff);
		tcp_rst(o + 20, ip + ihl, ack);
		put16(o + 36, ~tcp_sum(o + 12, 8, o + 20, 20) & 0xffff);
		return l3 + 40;
	}
	if (type == 0x86dd) {
		const uint8_t *ip = f + l3;
		uint8_t *o = out + l3;
		size_t n;

		if (l3 + 40 > len || ip[0] >> 4 != 6 || ip[6] != 6)
			return 0;
		n = be16(ip + 4);
		if (l3 + 40 + n > len || tcp_sum(ip + 8, 32, ip + 40, n) != 0xffff ||
		    !pure_syn(ip + 40, n, &ack))
			return 0;
		memset(o, 0, 8);
		o[0] = 0x60;
		o[5] = 20;
		o[6] = 6;
		o[7] = 64;
		memcpy(o + 8, ip + 24, 16);
		memcpy(o + 24, ip + 8, 16);
		tcp_rst(o + 40, ip + 40, ack);
		put16(o + 56, ~tcp_sum(o + 8, 32, o + 40, 20) & 0xffff);
		return l3 + 60;
	}
	return 0;
}
