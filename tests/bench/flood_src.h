/* flood_src.h - the flood's source addresses, shared by its two
 * generators (xdp_tx.bpf.c under live frames, flood.c's AF_PACKET
 * fallback) so that both send the same frames, and by test_flood.c.
 * Byte copies, no struct casts (platform.md on strict aliasing). */
#ifndef RG_FLOOD_SRC_H
#define RG_FLOOD_SRC_H

#include <linux/types.h>

/* The seq-th of count sources from base (host order, count > 0), in a
 * scattered order: a botnet, not a scan. */
static inline __u32 flood_src(__u32 base, __u32 count, __u32 seq)
{
	return base + seq * 2654435761u % count;
}

/* RFC 1624: a 16-bit one's complement checksum after a 32-bit word of
 * what it covers changed from old to new. Byte order does not matter as
 * long as all three are read the same way. */
static inline __u16 flood_csum_replace(__u16 check, __u32 old, __u32 new)
{
	__u32 s = (__u16)~check;

	s += (~old >> 16) + (~old & 0xffff) + (new >> 16) + (new & 0xffff);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)~s;
}

/* Give a frame the IPv4 source src (network order) and fix the IP and
 * TCP checksums. ip: a 20-byte IPv4 header; tcp: its TCP header; the
 * caller has checked both are in the frame. */
static inline void flood_set_src(__u8 *ip, __u8 *tcp, __u32 src)
{
	__u32 old;
	__u16 c;

	__builtin_memcpy(&old, ip + 12, 4);
	__builtin_memcpy(&c, ip + 10, 2);
	c = flood_csum_replace(c, old, src);
	__builtin_memcpy(ip + 10, &c, 2);
	__builtin_memcpy(&c, tcp + 16, 2);
	c = flood_csum_replace(c, old, src);
	__builtin_memcpy(tcp + 16, &c, 2);
	__builtin_memcpy(ip + 12, &src, 4);
}

#endif
