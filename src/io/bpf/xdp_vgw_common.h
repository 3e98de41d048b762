/* Shared by vgw's XDP programs (af_xdp_port.h explains the design): the XSK map
 * that user space fills with one AF_XDP socket per receive queue. */
#pragma once

/* linux/bpf.h defines the types bpf_helpers.h uses: keep this order. */
#include <linux/bpf.h>

#include <bpf/bpf_helpers.h>

/* Key: receive queue index; value: the AF_XDP socket of that queue's worker. */
struct {
  __uint(type, BPF_MAP_TYPE_XSKMAP);
  __uint(max_entries, 256);
  __type(key, __u32);
  __type(value, __u32);
} vgw_xsks SEC(".maps");

/* A queue without a socket (not yet bound, or no worker on it) passes its frames
 * to the kernel instead of dropping them. */
static __always_inline int vgw_to_xsk(struct xdp_md* ctx) {
  return bpf_redirect_map(&vgw_xsks, ctx->rx_queue_index, XDP_PASS);
}
