/* XDP program for attachment ports (SPEC "Attachment ports are vgw's alone"):
 * every frame goes to the worker's AF_XDP socket of the receive queue. */
#include "xdp_vgw_common.h"

SEC("xdp")
int vgw_xdp_all(struct xdp_md *ctx) { return vgw_to_xsk(ctx); }

char _license[] SEC("license") = "Dual BSD/GPL";
