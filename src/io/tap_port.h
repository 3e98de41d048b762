// The underlay in `tap` mode (SPEC "Underlay"): vgwd sends VXLAN through a TAP
// device that the operator bridges with the uplink, as a hypervisor plumbs a VM's
// vNIC, and receives VXLAN to the VTEP with AF_PACKET on the interface that holds
// the VTEP address, as in `packet` mode (the kernel keeps that address, its ARP and
// routes). Why a TAP: Linux 6.16+ takes a UDP-tunnelled TSO frame from a TAP
// (virtio-net header with gso_type TCPV4|UDP_TUNNEL_IPV4 and the tunnel offsets,
// TUN_F_UDP_TUNNEL_GSO), which AF_PACKET refuses. A run of VXLAN-encapsulated TCP
// segments of one flow then leaves as ONE tunnelled super-frame (SKB_GSO_UDP_TUNNEL),
// which a kernel VTEP on the far side decapsulates whole, as it does for its own
// kernel peers, instead of re-segmenting a UDP GSO frame and decapsulating each
// datagram (RFC 7348 §5 frames; the kernel cuts the super-frame back into exactly
// the frames given only if some device on the way cannot carry it). Frames in no
// run leave by the AF_PACKET port (sendmmsg: one system call per batch, where a TAP
// takes one write per frame), in order with the runs.
//
// The TAP is opened multi-queue (one queue per worker) with virtio-net headers both
// ways; it is created, brought up and given the underlay MTU when it does not
// exist, and lives while vgwd holds it (create it persistent with `ip tuntap add
// ... mode tap multi_queue vnet_hdr` so the operator's bridge membership survives
// restarts). Frames the kernel hands to the TAP (floods of the bridge) are read
// too: VXLAN to the VTEP is taken, tunnelled super-frames being cut by their inner
// TCP; anything else is ignored as the AF_PACKET filter ignores it.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "common/addr.h"
#include "common/result.h"
#include "io/af_packet_port.h"
#include "io/port.h"

namespace vgw::io {

// struct virtio_net_hdr_v1_hash_tunnel (Linux 6.16+ UAPI, <linux/virtio_net.h>; the
// installed headers predate it and that header is not valid C++). Little-endian,
// the TAP's byte order on x86 (legacy header, host order).
struct [[gnu::packed]] TunnelVnetHdr {
  static constexpr uint8_t kNeedsCsum = 1;          // VIRTIO_NET_HDR_F_NEEDS_CSUM
  static constexpr uint8_t kGsoNone = 0;            // VIRTIO_NET_HDR_GSO_NONE
  static constexpr uint8_t kGsoTcpV4 = 1;           // VIRTIO_NET_HDR_GSO_TCPV4
  static constexpr uint8_t kGsoTcpV6 = 4;           // VIRTIO_NET_HDR_GSO_TCPV6
  static constexpr uint8_t kGsoUdpL4 = 5;           // VIRTIO_NET_HDR_GSO_UDP_L4
  static constexpr uint8_t kGsoUdpTunnelV4 = 0x20;  // VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV4
  static constexpr uint8_t kGsoUdpTunnelV6 = 0x40;  // VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV6
  static constexpr uint8_t kGsoEcn = 0x80;          // VIRTIO_NET_HDR_GSO_ECN
  uint8_t flags = 0;
  uint8_t gso_type = 0;
  uint16_t hdr_len = 0;  // tunnelled: every header through the inner TCP header
  uint16_t gso_size = 0;
  uint16_t csum_start = 0;
  uint16_t csum_offset = 0;
  uint16_t num_buffers = 0;
  uint32_t hash_value = 0;
  uint16_t hash_report = 0;
  uint16_t padding = 0;
  uint16_t outer_th_offset = 0;  // the outer UDP header
  uint16_t inner_nh_offset = 0;  // the inner IP header (the inner Ethernet counts as tunnel)
};
static_assert(sizeof(TunnelVnetHdr) == 24);

// A run of VXLAN-encapsulated TCP segments merged into one tunnelled TSO frame.
struct TunnelRun {
  // Outer Ethernet + IPv6 + UDP + VXLAN + inner Ethernet + IPv4 options + TCP options.
  static constexpr uint32_t kMaxHeader = 14 + 40 + 8 + 8 + 14 + 60 + 60;
  uint32_t count = 0;       // frames merged; below 2: send them one by one
  uint32_t header_len = 0;  // the merged frame's headers, outer Ethernet through inner TCP
  uint32_t mss = 0;         // inner TCP payload per segment, the last one excepted
  uint32_t last_payload = 0;
  uint32_t outer_l4 = 0;  // the outer UDP header
  uint32_t inner_l3 = 0;  // the inner IP header
  uint32_t inner_l4 = 0;  // the inner TCP header (checksum start)
  bool inner_v6 = false;
};

// Finds the run at the head of `pkts` (at most max_count frames): outer Ethernet
// (untagged) + IPv4 + UDP to vxlan_port + VXLAN + inner Ethernet + IPv4/IPv6 + TCP,
// every frame's headers equal but for the outer and inner IP lengths, ids (each
// advancing by one) and checksums, the outer UDP length and checksum, and the TCP
// sequence (contiguous), flags (PSH/FIN on the last only; no SYN, RST, URG, CWR) and
// checksum; payloads of `mss` bytes, the last one maybe shorter. Writes the merged
// headers into `header`: lengths for the whole payload, the first frame's ids and
// sequence, the last frame's PSH/FIN, both IPv4 header checksums, a zero outer UDP
// checksum (RFC 7348 §5) and the inner TCP checksum field holding the pseudo-header
// sum for the whole length (CHECKSUM_PARTIAL: the kernel sums the payload, vgwd
// never does). The payload of frame i is pkts[i]->data() + header_len. The merged
// outer IPv4 datagram stays within 65535 bytes.
TunnelRun coalesce_vxlan_tcp(std::span<Packet* const> pkts, uint16_t vxlan_port, uint32_t max_count,
                             std::span<uint8_t, TunnelRun::kMaxHeader> header);

// The virtio-net header that hands a run to the kernel as one tunnelled TSO frame.
TunnelVnetHdr tunnel_vnet_header(const TunnelRun& run);

struct TapOptions {
  std::string name;       // the TAP (underlay.interface); created when absent
  std::string rx_ifname;  // receive VXLAN here with AF_PACKET; empty: the interface
                          // that holds vtep (found with getifaddrs)
  IpAddress vtep;         // vtep.source
  uint16_t udp_port = 4789;
  uint32_t mtu = 0;     // underlay.mtu; 0: the receive interface's. The TAP gets it when created
  bool shared = false;  // several workers' ports receive there: one fanout group
  bool af_packet_rx = true;  // false: receive from the TAP only (tests)
};

// The name of the interface that holds `address`, or an error naming it.
Result<std::string> interface_with_address(const IpAddress& address);

class TapPort final : public Port {
 public:
  static Result<std::unique_ptr<TapPort>> open(const TapOptions& options);
  ~TapPort() override;
  TapPort(const TapPort&) = delete;
  TapPort& operator=(const TapPort&) = delete;

  uint32_t receive(PacketPool& pool, std::span<Packet*> out) override;
  uint32_t send(std::span<Packet* const> pkts) override;
  // Readable when the AF_PACKET receive port or the TAP has frames (an epoll set).
  int poll_fd() const override { return epoll_fd_; }
  const std::string& name() const override { return name_; }
  PortStats stats() const override;

  uint32_t mtu() const { return mtu_; }
  // Whether the kernel took TUN_F_UDP_TUNNEL_GSO (else runs go out one by one).
  bool tunnel_gso() const { return tunnel_gso_; }
  int tap_fd() const { return tap_fd_; }

 private:
  struct Impl;
  explicit TapPort(std::string name);
  uint32_t receive_tap(PacketPool& pool, std::span<Packet*> out);
  // One frame read from the TAP into out; how many packets it gave, -1 if out has
  // no room for its segments.
  int take_tap_frame(const TunnelVnetHdr& vh, std::span<uint8_t> frame, PacketPool& pool,
                     std::span<Packet*> out);
  bool vxlan_to_us(std::span<const uint8_t> frame) const;

  std::string name_;
  int tap_fd_ = -1;
  int epoll_fd_ = -1;
  uint32_t mtu_ = 0;
  uint16_t udp_port_ = 4789;
  IpAddress vtep_;
  bool tunnel_gso_ = false;
  std::unique_ptr<AfPacketPort> rx_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vgw::io
