/* rst_ref.h - the RST the XDP program must send for a frame, built here
 * from the rules (rst.bpf.h's header comment) with a checksum routine of
 * its own, for byte-exact comparison with BPF_PROG_TEST_RUN's output. */
#ifndef RG_TEST_RST_REF_H
#define RG_TEST_RST_REF_H

#include <stddef.h>
#include <stdint.h>

/* The RST answering frame f (a banned client's packet to a protected
 * port) into out (room for len bytes): its length, or 0 when the frame
 * is only dropped (not an answerable SYN, or a bad checksum). */
size_t rst_ref(const uint8_t *f, size_t len, uint8_t *out);

#endif
