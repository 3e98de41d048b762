// The underlay in `packet` mode (SPEC "Underlay"): the kernel keeps the address,
// ARP and routes; vgw reads only VXLAN to the VTEP with an AF_PACKET port per
// worker (classic BPF filter, fanout) and holds the UDP port with a VxlanPortGuard
// so that the kernel, which also sees every frame, answers no ICMP port unreachable.
#pragma once

#include <cstdint>
#include <string>

#include "common/addr.h"
#include "common/result.h"
#include "io/af_packet_port.h"

namespace vgw::io {

struct UnderlayPacketOptions {
  std::string ifname;
  IpAddress vtep;  // vtep.source
  uint16_t udp_port = 4789;
  uint32_t mtu = 0;           // underlay.mtu; 0 = the interface's
  uint16_t fanout_group = 0;  // fanout_group_for(ifindex) when there are several workers
};

// The AF_PACKET options for one worker's underlay port: VXLAN-to-VTEP filter, not
// promiscuous, VXLAN super-frames segmented by their inner TCP, runs of one flow's
// VXLAN datagrams sent as one UDP GSO frame (udp_gso).
AfPacketOptions underlay_port_options(const UnderlayPacketOptions& o);

// Holds vtep:port with a UDP socket whose filter drops everything, so the kernel
// has a listener (and sends no port unreachable) but queues nothing. Chosen over an
// nftables rule because it needs no external tool, no CAP_NET_ADMIN rule
// management, and cannot outlive vgwd: the kernel closes it when the process dies,
// however it dies. Costs: the kernel's copy still walks the UDP stack once and is
// counted in the UDP InErrors counter of `netstat -su`. Binding without
// SO_REUSEPORT also makes a second owner of the port (a kernel VXLAN device, another
// vgwd) an error at start instead of a silent split.
class VxlanPortGuard {
 public:
  static Result<VxlanPortGuard> open(const IpAddress& vtep, uint16_t udp_port);
  VxlanPortGuard(VxlanPortGuard&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  VxlanPortGuard& operator=(VxlanPortGuard&& o) noexcept;
  VxlanPortGuard(const VxlanPortGuard&) = delete;
  VxlanPortGuard& operator=(const VxlanPortGuard&) = delete;
  ~VxlanPortGuard();

 private:
  explicit VxlanPortGuard(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace vgw::io
