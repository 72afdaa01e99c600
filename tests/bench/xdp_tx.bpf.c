/* xdp_tx.bpf.c - the flood's sender: BPF_PROG_TEST_RUN with live frames
 * runs this on the sender's veth, and XDP_TX puts every frame on the wire
 * to the receiver (platform.md item 7: the only generator that keeps up). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_tx(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
