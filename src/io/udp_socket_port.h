// The underlay in `socket` mode: a UDP socket bound to the VTEP address and port
// (SO_REUSEPORT: each worker opens its own and the kernel spreads flows), works
// without privileges. So that decap sees the same frame in every mode
// (CONTRACTS "Port numbering"), receive() puts a synthetic outer Ethernet (zero
// MACs) + IPv4/IPv6 + UDP header in front of each VXLAN payload, in the headroom:
// source address/port from the sender, destination our address/port, IPv4 header
// checksum valid, UDP checksum 0 over IPv4 (RFC 7348 §5) and computed over IPv6
// (RFC 8200 §8.1: decap checks it like any IPv6 frame; the kernel had already
// verified it). send() takes full outer frames (Ethernet + IP + UDP + VXLAN + inner),
// drops Ethernet and IP and sends the UDP datagram through a raw IPPROTO_UDP
// socket: the kernel adds the IP header (from the bound VTEP address, with the TTL
// and DF of the options) and routes it, and our UDP source port, the flow entropy
// of RFC 7348 §5, is kept. The IPv6 UDP checksum sent is the one encap computed.
// The kernel hands a UDP socket the VXLAN super-frames of a Linux VXLAN peer with
// UDP-tunnel GSO whole (up to 64 KB, seen on this kernel): those are cut by their
// inner TCP into frames that fit the underlay MTU (packet/gso.h), like the
// AF_PACKET underlay does, and counted in rx_segmented.
// Without CAP_NET_RAW it falls back to the bound UDP socket (source port fixed to
// the VTEP port) and says so once through options.warn.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/addr.h"
#include "common/result.h"
#include "io/port.h"

namespace vgw::io {

struct UdpSocketOptions {
  IpAddress local;       // the VTEP source address (must be one the kernel has)
  uint16_t port = 4789;  // the VXLAN UDP port
  uint8_t ttl = 64;      // outer TTL / hop limit of what we send
  bool df = false;       // IPv4: set DF on what we send
  int rcvbuf = 4 << 20;  // receive buffer per socket (bytes)
  uint32_t mtu = 0;      // underlay MTU (0: 1500): VXLAN super-datagrams are cut to fit it
  bool raw_send = true;  // send through a raw socket (keeps our source port)
  std::function<void(const std::string&)> warn;  // told once if raw sending is not possible
};

class UdpSocketPort final : public Port {
 public:
  static Result<std::unique_ptr<UdpSocketPort>> open(const UdpSocketOptions& options);
  ~UdpSocketPort() override;
  UdpSocketPort(const UdpSocketPort&) = delete;
  UdpSocketPort& operator=(const UdpSocketPort&) = delete;

  uint32_t receive(PacketPool& pool, std::span<Packet*> out) override;
  uint32_t send(std::span<Packet* const> pkts) override;
  int poll_fd() const override { return fd_; }
  const std::string& name() const override { return name_; }
  PortStats stats() const override;

  // True when sending keeps our UDP source port (raw socket); false in the fallback.
  bool raw_send() const { return raw_fd_ >= 0; }

 private:
  struct Impl;
  explicit UdpSocketPort(std::string name);
  uint32_t header_len() const;
  void write_header(uint8_t* d, uint32_t payload, const void* sender) const;
  void synthesise(Packet& p, const void* sender) const;
  bool segment_super(Packet* first, uint32_t len, const uint8_t* overflow, const void* sender,
                     std::span<Packet*> out, uint32_t& n, PacketPool& pool);

  std::string name_;
  IpAddress local_;
  uint16_t port_ = 0;
  uint32_t mtu_ = 1500;
  int fd_ = -1;
  int raw_fd_ = -1;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vgw::io
