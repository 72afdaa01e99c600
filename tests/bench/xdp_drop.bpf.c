/* xdp_drop.bpf.c - the floor: a bare XDP_DROP, no parse, no lookup. What
 * any XDP program costs at least on a path, measured beside rcptguard's
 * own: through BPF_PROG_TEST_RUN by bench_xdp.c, and attached in native
 * mode to the receiving veth by flood.sh. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
