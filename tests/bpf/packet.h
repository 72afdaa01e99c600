/* packet.h - build test frames byte by byte (no struct casts: see
 * platform.md on strict aliasing and checksums). */
#ifndef RG_TEST_PACKET_H
#define RG_TEST_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pkt_spec {
	const char *src, *dst;          /* IPv4 or IPv6 text; family follows src */
	uint8_t l4;                     /* IPPROTO_TCP (default when 0), _UDP, _ICMP, _ICMPV6 */
	uint16_t dport;
	int vlans;                      /* 0..3 tags */
	int ip_opt_words;               /* IPv4 options, 4-byte words */
	uint16_t frag_offset;           /* in 8-byte units */
	bool more_frags;
	const uint8_t *ext;             /* IPv6 extension header chain, by type */
	int n_ext;
	uint16_t ethertype;             /* nonzero: a non-IP frame of this type */
	uint8_t bad_ihl;                /* nonzero: IPv4 IHL to write instead */
	uint8_t bad_version;            /* nonzero: IP version to write instead */
	uint8_t tcp_doff;               /* nonzero: TCP data offset to write instead */
	size_t payload;                 /* bytes after the L4 header */
	uint8_t tcp_flags;              /* nonzero: instead of SYN */
	uint32_t seq;                   /* TCP sequence number */
	bool bad_tcp_csum;              /* a TCP checksum off by one */
	size_t pad_to;                  /* Ethernet padding up to this frame length */
};

/* Header boundaries of the last built frame (for truncation tests). */
struct pkt_layout {
	size_t l3, l4, end;
};

size_t pkt_build(const struct pkt_spec *s, uint8_t *buf, size_t cap, struct pkt_layout *lay);

#endif
