// AF_PACKET backend: one Port per worker on a Linux interface, receiving through a
// mapped ring and sending with sendmmsg (one syscall per batch). The ring is
// TPACKET_V3 by default (RxRing::kBlocks): frames packed densely in 256 KB blocks,
// 64K frames of slack, but a partly filled block is handed over only when its
// retire timer fires, which the kernel rounds up to a jiffy (4 ms at HZ=250):
// about 1 ms of added round trip under load, up to 3-6 ms. TPACKET_V2
// (RxRing::kFrames) hands each frame over the moment the kernel wrote it (RTT
// 0.15-0.4 ms through vgwd in bench/e2e.sh) but its 68 KB slots (a TCP
// super-frame fits one) give only frame_count frames of slack: on a loaded
// 2-core machine it dropped more 64-byte frames than V3, so it is not the
// default. Several
// workers share an interface through PACKET_FANOUT_HASH, so a flow stays on one
// worker. Frames the kernel leaves unfinished are finished here: checksums left
// to the device (TP_STATUS_CSUMNOTREADY / virtio-net NEEDS_CSUM) are completed and
// TCP super-frames from TSO/GSO peers (veth passes them unsegmented) are cut into
// MTU-sized segments straight from the ring (packet/gso.h), so the pipeline only
// sees frames that fit. With PACKET_VNET_HDR (supported with TPACKET_V3 receive
// on this kernel) the sender's gso_size and checksum offsets are used; without
// it, oversized frames are segmented to the MTU and checksums located by parsing;
// UDP GSO frames (gso_type UDP_L4) are cut at the sender's datagram size. On send,
// the reverse: a run of one TCP flow's segments leaves as one TSO super-frame and,
// with udp_gso (the underlay), a run of one flow's equal-size VXLAN datagrams as one
// UDP GSO frame (packet/gso.h coalesce_*), so the kernel behind a veth handles one
// frame instead of dozens (what its own VXLAN and TCP do); the kernel cuts them back
// into exactly the frames given, except that the outer UDP checksum of a UDP GSO
// datagram is computed instead of zero (RFC 7348 §5 allows either). A kernel that
// refuses a super-frame turns coalescing off for the port.
// The 802.1Q tag the kernel moves into metadata on receive (TP_STATUS_VLAN_VALID)
// is put back into the frame, so VLAN attachments see the wire format.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/addr.h"
#include "common/result.h"
#include "io/port.h"

namespace vgw::io {

// How the receive ring hands frames to vgw (see the file comment).
enum class RxRing { kFrames, kBlocks };

struct AfPacketOptions {
  std::string ifname;
  RxRing rx_ring = RxRing::kBlocks;
  uint32_t frame_count = 512;      // kFrames: slots of 68 KB (a 64 KB super-frame each)
  uint16_t fanout_group = 0;       // 0: no fanout; else the group (see fanout_group_for)
  uint32_t block_size = 1u << 18;  // kBlocks: ring block; must hold a 64 KB super-frame
  uint32_t block_count = 32;       // kBlocks
  uint32_t block_timeout_ms = 1;   // kBlocks: a partly filled block is handed over after this
  std::vector<sock_filter> bpf;    // classic BPF; empty: every frame
  bool promiscuous = true;         // attachment ports: yes; the underlay: no
  uint32_t mtu = 0;                // largest L3 packet handed on; 0: the interface MTU
  uint16_t vxlan_port = 0;         // underlay: segment VXLAN-in-UDP super-frames by inner TCP
  bool vnet_hdr = true;            // ask for virtio-net headers (falls back if refused)
  // Send: with virtio-net headers, consecutive TCP segments of one flow leave as one
  // TSO super-frame (attachments), or with udp_gso consecutive equal-size UDP
  // datagrams of one flow as one UDP GSO frame (the underlay: VXLAN of a TCP flow).
  bool udp_gso = false;
  // false: a send-only socket (no ring, bound to no protocol, so the kernel queues
  // nothing to it), e.g. the sender beside an AF_XDP receive queue (af_xdp_port.h).
  bool receive = true;
};

// A fanout group id for an interface, unique per process and interface (groups are
// per network namespace, so another process's group must not be joined by chance).
uint16_t fanout_group_for(int ifindex);

// The underlay filter: IPv4 or IPv6 UDP, not fragmented, to vtep:udp_port.
std::vector<sock_filter> vxlan_filter(const IpAddress& vtep, uint16_t udp_port);

class AfPacketPort final : public Port {
 public:
  static Result<std::unique_ptr<AfPacketPort>> open(const AfPacketOptions& options);
  ~AfPacketPort() override;
  AfPacketPort(const AfPacketPort&) = delete;
  AfPacketPort& operator=(const AfPacketPort&) = delete;

  uint32_t receive(PacketPool& pool, std::span<Packet*> out) override;
  uint32_t send(std::span<Packet* const> pkts) override;
  int poll_fd() const override { return ring_ ? fd_ : -1; }
  const std::string& name() const override { return name_; }
  PortStats stats() const override;

  int ifindex() const { return ifindex_; }
  uint32_t mtu() const { return mtu_; }
  bool has_vnet_hdr() const { return vnet_hdr_; }

 private:
  struct Impl;
  struct RingFrame;  // one received frame, whichever ring version holds it
  explicit AfPacketPort(std::string name);
  // Hands one ring frame to out; returns how many packets it produced, or -1 when
  // out has no room for its segments (the frame stays for the next call).
  int take_frame(const RingFrame& f, PacketPool& pool, std::span<Packet*> out);
  // take_frame into out[n..], n advanced; false when the frame must wait for the
  // next call (its segments do not fit behind the n packets already taken).
  bool take_into(const RingFrame& f, PacketPool& pool, std::span<Packet*> out, uint32_t& n);
  int take_udp_gso(std::span<const uint8_t> frame, uint32_t size, PacketPool& pool,
                   std::span<Packet*> out);
  uint32_t receive_blocks(PacketPool& pool, std::span<Packet*> out);
  uint32_t receive_frames(PacketPool& pool, std::span<Packet*> out);

  std::string name_;
  int fd_ = -1;
  int ifindex_ = 0;
  uint32_t mtu_ = 0;
  uint16_t vxlan_port_ = 0;
  bool vnet_hdr_ = false;
  bool udp_gso_ = false;
  uint8_t* ring_ = nullptr;
  size_t ring_len_ = 0;
  bool blocks_ = false;  // TPACKET_V3 (else V2)
  uint32_t block_size_ = 0, block_count_ = 0;
  uint32_t frame_size_ = 0, frame_count_ = 0;  // TPACKET_V2
  // Ring walk state, kept across receive() calls.
  uint32_t frame_ = 0;  // TPACKET_V2: the next slot
  uint32_t block_ = 0;
  uint8_t* cur_block_ = nullptr;
  uint8_t* cur_frame_ = nullptr;
  uint32_t frames_left_ = 0;
  std::unique_ptr<Impl> impl_;  // counters and sendmmsg arrays
};

}  // namespace vgw::io
