// AF_XDP backend (SPEC "I/O backends", "Underlay" `xdp` mode). An XdpProgram is
// the XDP program of one interface, attached once and shared by that interface's
// ports; an AfXdpPort is one AF_XDP socket on one receive queue for one worker.
//
// Programs (src/io/bpf/, built with clang -target bpf and embedded in vgwd):
//  - kAll, for attachment ports (vgw owns the port): every frame to the socket of
//    its receive queue;
//  - kVxlan, for the underlay: only untagged IPv4/IPv6 UDP to the VTEP address and
//    VXLAN port goes to vgw; ARP, ND, ICMP, BGP's TCP, other UDP and IPv4 fragments
//    go on to the kernel, which keeps the underlay. The kernel never sees the
//    VXLAN packets, so it answers no port unreachable for them.
// Loaded with libxdp: native (driver) mode where the driver has it (veth does),
// else generic (SKB) mode; through libxdp's dispatcher when bpffs is mounted
// (mounted at /sys/fs/bpf here if it is not), so other libxdp programs can share
// the interface. Programs left by a vgw that died are removed on attach; detached
// when the XdpProgram is destroyed. A queue without a socket passes to the kernel.
//
// Each port has its own UMEM (no sharing between workers): half of its frames
// cycle between the fill and receive rings, the other half are for sending.
// receive() copies each frame into a Packet from the caller's pool and returns the
// UMEM frame to the fill ring at once (the pipeline works on Packets with
// headroom for encapsulation; a frame copy of 64..1500 bytes is cheap next to the
// per-frame kernel work of copy mode, which is all veth offers).
// Sending has two paths (AfXdpOptions::send). Through AF_XDP, send() copies into
// free send frames, then one sendto kick per batch when the ring asks for it
// (need-wakeup); completions are reclaimed on the next send(); checksums a packet
// leaves to the device (PacketMeta::kCsumPartial) are finished in software, as
// AF_XDP has no offload metadata on this kernel. But in copy mode the kernel
// builds one skb per AF_XDP frame anyway, so there (kAuto) frames go out through a
// send-only AF_PACKET socket instead (AfPacketPort with virtio-net headers): a run
// of one flow's VXLAN datagrams leaves as one UDP GSO frame on the underlay, a run
// of TCP segments as one TSO frame on an attachment, and partial checksums are left
// to the kernel. Behind a veth that is what decides the rate: the peer handles one
// skb per run instead of one per frame (bench/e2e.sh: 64-byte frames h1->h2).
// Zero-copy binding is tried first where asked and falls back to copy mode.
// Limits: a received frame (and one sent through AF_XDP) must fit one UMEM frame
// (frame_size minus XDP headroom, so no jumbo frames with 4 KB frames); several
// queues need one port per queue.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/addr.h"
#include "common/result.h"
#include "io/port.h"

namespace vgw::io {

enum class XdpProgramKind { kAll, kVxlan };
enum class XdpAttachMode { kAuto, kNative, kGeneric };

struct XdpProgramOptions {
  std::string ifname;
  XdpProgramKind kind = XdpProgramKind::kAll;
  IpAddress vtep;                             // kVxlan: the VTEP address (vtep.source)
  uint16_t udp_port = 4789;                   // kVxlan: the VXLAN port
  XdpAttachMode mode = XdpAttachMode::kAuto;  // kAuto: native, else generic
};

// The XDP program on one interface. Thread-safe to read; set_vtep() is for the
// control thread.
class XdpProgram {
 public:
  static Result<std::shared_ptr<XdpProgram>> attach(const XdpProgramOptions& options);
  ~XdpProgram();  // detaches
  XdpProgram(const XdpProgram&) = delete;
  XdpProgram& operator=(const XdpProgram&) = delete;

  // kVxlan: changes the address and port vgw takes (takes effect at once).
  Status set_vtep(const IpAddress& vtep, uint16_t udp_port);

  const std::string& ifname() const { return ifname_; }
  int ifindex() const { return ifindex_; }
  XdpProgramKind kind() const { return kind_; }
  bool native() const { return native_; }  // driver mode (else generic/SKB)
  int xsks_map_fd() const;

 private:
  struct Impl;
  XdpProgram() = default;
  std::string ifname_;
  int ifindex_ = 0;
  XdpProgramKind kind_ = XdpProgramKind::kAll;
  bool native_ = false;
  std::unique_ptr<Impl> impl_;
};

enum class XdpBindMode { kAuto, kCopy, kZeroCopy };
// kAuto: kPacket in copy mode, kXdp with zero-copy (see the file comment).
enum class XdpSendPath { kAuto, kXdp, kPacket };

struct AfXdpOptions {
  std::string ifname;
  uint32_t queue = 0;                     // receive/send queue of this worker
  std::shared_ptr<XdpProgram> program;    // the interface's program (required)
  uint32_t frame_count = 4096;            // UMEM frames: half receive, half send
  uint32_t frame_size = 4096;             // 2048 or 4096 (page-aligned mode)
  uint32_t ring_size = 2048;              // rx/tx/fill/completion entries (power of 2)
  XdpBindMode bind = XdpBindMode::kAuto;  // kAuto: zero-copy where allowed, else copy
  XdpSendPath send = XdpSendPath::kAuto;
  bool finish_checksums = true;  // complete checksums a local sender left to the device
  uint16_t vxlan_port = 0;  // underlay: also finish the inner frame's checksum; kPacket: UDP GSO
};

class AfXdpPort final : public Port {
 public:
  static Result<std::unique_ptr<AfXdpPort>> open(const AfXdpOptions& options);
  ~AfXdpPort() override;
  AfXdpPort(const AfXdpPort&) = delete;
  AfXdpPort& operator=(const AfXdpPort&) = delete;

  uint32_t receive(PacketPool& pool, std::span<Packet*> out) override;
  uint32_t send(std::span<Packet* const> pkts) override;
  int poll_fd() const override;
  const std::string& name() const override { return name_; }
  PortStats stats() const override;

  bool zero_copy() const { return zero_copy_; }
  bool sends_through_packet() const;  // the AF_PACKET send path was chosen
  uint32_t queue() const { return queue_; }

 private:
  struct Impl;
  explicit AfXdpPort(std::string name);
  void reclaim_completions();

  std::string name_;
  uint32_t queue_ = 0;
  bool zero_copy_ = false;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vgw::io
