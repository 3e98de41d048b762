// The I/O backend interface. A Port is one queue of one interface as seen by one
// worker: AF_PACKET (with fanout, several Ports share an interface), the VXLAN UDP
// socket, or an in-memory queue for tests and benchmarks. Calls are per batch,
// never per packet, and never block.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "packet/packet_buffer.h"

namespace vgw {

struct PortStats {
  uint64_t rx_packets = 0, rx_bytes = 0, tx_packets = 0, tx_bytes = 0;
  uint64_t rx_dropped = 0;    // lost before vgw saw them (ring full, no buffer)
  uint64_t tx_dropped = 0;    // could not be sent
  uint64_t rx_segmented = 0;  // TCP super-frames (TSO/GSO) split in software into MTU-sized frames

  // A port made of others (a receive and a send socket) counts them together.
  PortStats& operator+=(const PortStats& o) {
    rx_packets += o.rx_packets;
    rx_bytes += o.rx_bytes;
    tx_packets += o.tx_packets;
    tx_bytes += o.tx_bytes;
    rx_dropped += o.rx_dropped;
    tx_dropped += o.tx_dropped;
    rx_segmented += o.rx_segmented;
    return *this;
  }
};

class Port {
 public:
  virtual ~Port() = default;

  // Receives up to out.size() packets into buffers from pool; returns how many.
  virtual uint32_t receive(PacketPool& pool, std::span<Packet*> out) = 0;
  // Sends the packets and releases every one of them to its pool, sent or not;
  // returns how many were sent.
  virtual uint32_t send(std::span<Packet* const> pkts) = 0;
  // A file descriptor that polls readable when receive() may return packets, or -1.
  virtual int poll_fd() const { return -1; }
  virtual const std::string& name() const = 0;
  virtual PortStats stats() const = 0;
};

}  // namespace vgw
