/* test_flood.c - the flood generators' source rewrite (flood_src.h, run by
 * xdp_tx.bpf.c and by flood.c's AF_PACKET fallback): for random sources
 * and sequence numbers, the rewritten frame's IPv4 header is the one
 * built from scratch for the new source, the TCP checksum stays exactly
 * as valid as before, and every source is in the range asked for. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include "flood_src.h"
#include "packet.h"
#include "tap.h"

/* The TCP checksum over the pseudo-header and segment, folded: a frame
 * keeps its value when a rewrite fixed the checksum. */
static unsigned tcp_sum(const uint8_t *f, const struct pkt_layout *lay)
{
	uint32_t s = 6 + (uint32_t)(lay->end - lay->l4);

	for (size_t i = lay->l3 + 12; i < lay->l3 + 20; i += 2)
		s += (uint32_t)(f[i] << 8 | f[i + 1]);
	for (size_t i = lay->l4; i + 1 < lay->end; i += 2)
		s += (uint32_t)(f[i] << 8 | f[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

static void text(uint32_t a, char *buf)
{
	struct in_addr in = { .s_addr = htonl(a) };

	inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN);
}

int main(void)
{
	int bad_ip = 0, bad_tcp = 0, out = 0, n = 100000;

	srand(9);
	for (int i = 0; i < n; i++) {
		uint32_t from = (uint32_t)rand() << 1 ^ (uint32_t)rand(), base = (uint32_t)rand();
		uint32_t count = 1 + (uint32_t)rand() % (i & 1 ? 70000 : 3), to;
		char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
		uint8_t f[128], want[128];
		struct pkt_layout lay, wl;
		struct pkt_spec s = { .l4 = 6, .dport = 25, .dst = "10.88.0.1", .src = a };
		unsigned before;

		to = flood_src(base, count, (uint32_t)rand());
		out += to - base >= count;
		text(from, a);
		text(to, b);
		pkt_build(&s, f, sizeof(f), &lay);
		/* A TCP checksum that is right, and one that is not: both
		 * stay what they were. */
		f[lay.l4 + 16] = (uint8_t)rand();
		f[lay.l4 + 17] = (uint8_t)rand();
		before = tcp_sum(f, &lay);
		flood_set_src(f + lay.l3, f + lay.l4, htonl(to));
		s.src = b;
		pkt_build(&s, want, sizeof(want), &wl);
		bad_ip += memcmp(f + lay.l3, want + wl.l3, 20) != 0;
		bad_tcp += tcp_sum(f, &lay) != before;
	}
	ok(bad_ip == 0, "the IPv4 header after a rewrite is the one built for the new source (%d of %d differ)", bad_ip, n);
	ok(bad_tcp == 0, "a rewrite keeps the TCP checksum's validity (%d of %d changed)", bad_tcp, n);
	ok(out == 0, "every source is within base .. base + count - 1 (%d outside)", out);
	return tap_done();
}
