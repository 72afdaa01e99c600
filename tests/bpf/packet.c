/* packet.c - Ethernet/VLAN/IPv4/IPv6/TCP/UDP/ICMP frames for BPF tests. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include "packet.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)(p[n - 1] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* The TCP checksum over the pseudo-header (addresses at addr, alen bytes)
 * and the segment. */
static void tcp_csum(const struct pkt_spec *s, const uint8_t *addr, size_t alen, uint8_t *seg,
		     size_t n)
{
	uint8_t pseudo[36 + 4] = { 0 };
	uint32_t sum;

	memcpy(pseudo, addr, alen);
	pseudo[alen + 1] = IPPROTO_TCP;
	put16(pseudo + alen + 2, (uint16_t)n);
	sum = (uint16_t)~csum(pseudo, alen + 4);
	sum += (uint16_t)~csum(seg, n);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16(seg + 16, (uint16_t)(~sum + (s->bad_tcp_csum ? 1 : 0)));
}

static size_t l4(const struct pkt_spec *s, uint8_t *p)
{
	uint8_t proto = s->l4 ? s->l4 : IPPROTO_TCP;

	if (proto == IPPROTO_TCP) {
		size_t hl = 4 * (size_t)(s->tcp_doff > 5 ? s->tcp_doff : 5);

		memset(p, 0, hl);
		put16(p, 40000);
		put16(p + 2, s->dport);
		put16(p + 4, (uint16_t)(s->seq >> 16));
		put16(p + 6, (uint16_t)s->seq);
		p[12] = (uint8_t)((s->tcp_doff ? s->tcp_doff : 5) << 4);
		p[13] = s->tcp_flags ? s->tcp_flags : 0x02;     /* SYN */
		put16(p + 14, 65535);
		for (size_t i = 20; i < hl; i++)
			p[i] = 1;               /* NOP options */
		for (size_t i = 0; i < s->payload; i++)
			p[hl + i] = (uint8_t)(i * 7 + 1);
		return hl + s->payload;
	}
	if (proto == IPPROTO_UDP) {
		memset(p, 0, 8);
		put16(p, 40000);
		put16(p + 2, s->dport);
		put16(p + 4, (uint16_t)(8 + s->payload));
		return 8 + s->payload;
	}
	memset(p, 0, 8);                        /* ICMP / ICMPv6 echo request */
	p[0] = proto == IPPROTO_ICMP ? 8 : 128;
	return 8 + s->payload;
}

/* The frame's length with its Ethernet padding (zeros: memset below). */
static size_t pad(const struct pkt_spec *s, size_t end)
{
	return s->pad_to > end ? s->pad_to : end;
}

size_t pkt_build(const struct pkt_spec *s, uint8_t *buf, size_t cap, struct pkt_layout *lay)
{
	static const uint16_t tpid[3] = { 0x88a8, 0x8100, 0x8100 };
	uint8_t src6[16], dst6[16], *p = buf;
	struct in_addr src4, dst4;
	bool v4 = inet_pton(AF_INET, s->src, &src4) == 1;
	uint8_t proto = s->l4 ? s->l4 : IPPROTO_TCP;

	memset(buf, 0, cap);
	memcpy(p, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
	p += 12;
	for (int i = 0; i < s->vlans; i++) {
		put16(p, s->vlans == 1 ? 0x8100 : tpid[i]);
		put16(p + 2, (uint16_t)(100 + i));
		p += 4;
	}
	if (s->ethertype) {
		put16(p, s->ethertype);
		p += 2;
		lay->l3 = lay->l4 = (size_t)(p - buf);
		memset(p, 0xaa, 28);            /* an ARP-sized body */
		lay->end = lay->l3 + 28;
		return lay->end;
	}
	put16(p, v4 ? 0x0800 : 0x86dd);
	p += 2;
	lay->l3 = (size_t)(p - buf);
	if (v4) {
		size_t hl = 20 + 4 * (size_t)s->ip_opt_words, n;

		inet_pton(AF_INET, s->dst, &dst4);
		p[0] = (uint8_t)((s->bad_version ? s->bad_version : 4) << 4 |
				 (s->bad_ihl ? s->bad_ihl : hl / 4));
		put16(p + 6, (uint16_t)((s->more_frags ? 0x2000 : 0) | s->frag_offset));
		p[8] = 64;
		p[9] = proto;
		memcpy(p + 12, &src4, 4);
		memcpy(p + 16, &dst4, 4);
		memset(p + 20, 1, hl - 20);     /* NOP options */
		lay->l4 = lay->l3 + hl;
		n = l4(s, p + hl);
		if (proto == IPPROTO_TCP)
			tcp_csum(s, p + 12, 8, p + hl, n);
		put16(p + 2, (uint16_t)(hl + n));
		put16(p + 10, csum(p, hl));
		lay->end = lay->l4 + n;
		return pad(s, lay->end);
	}
	inet_pton(AF_INET6, s->src, src6);
	inet_pton(AF_INET6, s->dst, dst6);
	p[0] = (uint8_t)((s->bad_version ? s->bad_version : 6) << 4);
	p[7] = 64;
	memcpy(p + 8, src6, 16);
	memcpy(p + 24, dst6, 16);
	{
		uint8_t *nh = p + 6, *q = p + 40;
		size_t n;

		for (int i = 0; i < s->n_ext; i++) {
			*nh = s->ext[i];
			nh = q;
			if (s->ext[i] == IPPROTO_FRAGMENT) {
				put16(q + 2, (uint16_t)(s->frag_offset << 3 | (s->more_frags ? 1 : 0)));
				q += 8;
			} else {
				q[1] = 0;               /* 8 bytes, padded options */
				q[2] = 1;               /* PadN */
				q[3] = 4;
				q += 8;
			}
		}
		*nh = proto;
		lay->l4 = (size_t)(q - buf);
		n = l4(s, q);
		if (proto == IPPROTO_TCP)
			tcp_csum(s, p + 8, 32, q, n);
		put16(p + 4, (uint16_t)(lay->l4 - lay->l3 - 40 + n));
		lay->end = lay->l4 + n;
	}
	return pad(s, lay->end);
}
