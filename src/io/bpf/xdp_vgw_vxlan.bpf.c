/* XDP program for the underlay in `xdp` mode (SPEC "Underlay"): only VXLAN for
 * this VTEP goes to vgw's AF_XDP sockets — untagged IPv4 (not a fragment, any
 * header length) or IPv6 (UDP as the first next header) UDP to the VTEP address
 * and VXLAN port. Everything else (ARP, ND, ICMP, BGP's TCP, other UDP, fragments,
 * VLAN-tagged frames) is passed to the kernel, which keeps the underlay.
 * User space writes the address and port into vgw_vtep (key 0) after loading and
 * may change them at any time; until then nothing matches and all is passed. */
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>

#include "xdp_vgw_common.h"

/* Mirrored by XdpVtepConfig in af_xdp_port.cc: addresses and port in network order. */
struct vgw_vtep_config {
  __u32 v4;        /* IPv4 VTEP address, or 0 */
  __u32 v6[4];     /* IPv6 VTEP address, or all zero */
  __u16 port;      /* VXLAN UDP port; 0: take nothing */
  __u8 has_v4;
  __u8 has_v6;
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct vgw_vtep_config);
} vgw_vtep SEC(".maps");

SEC("xdp")
int vgw_xdp_vxlan(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *end = (void *)(long)ctx->data_end;
  __u32 key = 0;
  struct vgw_vtep_config *cfg = bpf_map_lookup_elem(&vgw_vtep, &key);
  if (!cfg || !cfg->port) return XDP_PASS;

  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > end) return XDP_PASS;
  struct udphdr *udp;
  if (eth->h_proto == bpf_htons(ETH_P_IP)) {
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > end) return XDP_PASS;
    if (!cfg->has_v4 || ip->protocol != IPPROTO_UDP || ip->daddr != cfg->v4) return XDP_PASS;
    if (ip->frag_off & bpf_htons(0x3fff)) return XDP_PASS; /* MF or offset: the kernel reassembles */
    if (ip->ihl < 5) return XDP_PASS;
    udp = (void *)ip + ip->ihl * 4;
  } else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
    struct ipv6hdr *ip6 = (void *)(eth + 1);
    if ((void *)(ip6 + 1) > end) return XDP_PASS;
    if (!cfg->has_v6 || ip6->nexthdr != IPPROTO_UDP) return XDP_PASS;
    const __u32 *d = ip6->daddr.in6_u.u6_addr32;
    if (d[0] != cfg->v6[0] || d[1] != cfg->v6[1] || d[2] != cfg->v6[2] || d[3] != cfg->v6[3])
      return XDP_PASS;
    udp = (void *)(ip6 + 1);
  } else {
    return XDP_PASS;
  }
  if ((void *)(udp + 1) > end) return XDP_PASS;
  if (udp->dest != cfg->port) return XDP_PASS;
  return vgw_to_xsk(ctx);
}

char _license[] SEC("license") = "Dual BSD/GPL";
