// Software offloads for frames that Linux hands to AF_PACKET / UDP sockets
// unfinished: checksums left to the device (CHECKSUM_PARTIAL, seen as
// TP_STATUS_CSUMNOTREADY or a virtio-net header with NEEDS_CSUM) and TCP
// super-frames (TSO/GSO, up to 64 KB) that a veth peer passes on unsegmented.
// Segmentation follows what the kernel's tcp_gso_segment does (RFC 9293 §3.1
// fields): every segment carries a copy of the headers, the IPv4 identification
// advances by one per segment, the sequence number by the payload sent so far,
// FIN and PSH stay on the last segment only, CWR on the first only, and every
// length and checksum is rewritten. A VXLAN-encapsulated TCP super-frame (the
// kernel VXLAN device with UDP-tunnel GSO) is segmented by its inner TCP, the
// outer IP/UDP headers being replicated and fixed up (RFC 7348 §5).
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "packet/packet_buffer.h"

namespace vgw::gso {

// Where the headers of a frame are. For a VXLAN frame parsed with its UDP port
// given, l3/l4 describe the inner packet and outer_* the tunnel headers.
struct Layout {
  uint32_t l3 = 0;      // offset of the (inner) IP header
  uint32_t l4 = 0;      // offset of the (inner) TCP/UDP header
  uint32_t l3_end = 0;  // end of the (inner) IP datagram, by its length field
  uint8_t proto = 0;    // IPPROTO_TCP or IPPROTO_UDP (anything else: not parsed)
  bool v6 = false;
  bool tunnel = false;  // VXLAN-encapsulated; outer_* are valid
  bool outer_v6 = false;
  uint32_t outer_l3 = 0;  // offset of the outer IP header
  uint32_t outer_l4 = 0;  // offset of the outer UDP header
};

// Parses Ethernet [+ 802.1Q] + IPv4/IPv6 (without extension headers) + TCP/UDP.
// When vxlan_port is non-zero and the packet is UDP to that port, descends into
// the VXLAN payload (inner Ethernet + IP + L4). Lengths are checked against the
// buffer; nullopt when the frame is not IP with a TCP/UDP header, or truncated.
std::optional<Layout> parse(std::span<const uint8_t> frame, uint16_t vxlan_port = 0);

// Completes a checksum left to the device: the field at csum_start + csum_offset
// holds the pseudo-header sum, the device sums from csum_start to `end` and
// stores the complement (virtio-net NEEDS_CSUM semantics). False if out of range.
bool finish_partial_checksum(std::span<uint8_t> frame, uint32_t csum_start, uint32_t csum_offset,
                             uint32_t end);

// For paths that lost the kernel's "checksum not ready" flag (a UDP socket hands
// over the VXLAN payload only): a TCP/UDP checksum field that holds exactly the
// folded pseudo-header sum is what CHECKSUM_PARTIAL leaves; if the packet does not
// verify, the checksum is completed. Sums the packet only in that case, so it is
// cheap for finished checksums. Returns true if it completed one.
bool complete_if_partial(std::span<uint8_t> frame, const Layout& layout);

// Recomputes the (inner) TCP or UDP checksum from scratch over the pseudo-header;
// a UDP/IPv4 checksum that is zero stays zero (RFC 768: none sent).
void fill_l4_checksum(std::span<uint8_t> frame, const Layout& layout);

// Recomputes an IPv4 header checksum in place (header at `l3`, IHL from it).
void fill_ipv4_checksum(std::span<uint8_t> frame, uint32_t l3);

// Verifies a TCP/UDP checksum (for tests and debugging): true if it sums to 0xffff
// (or is a zero UDP/IPv4 checksum).
bool l4_checksum_ok(std::span<const uint8_t> frame, const Layout& layout);

enum class SegError : uint8_t { kNone, kNotTcp, kMalformed, kNoBuffer, kNoRoom, kTooLarge };

struct SegResult {
  uint32_t count = 0;  // segments written to out[0..count)
  SegError error = SegError::kNone;
};

// How many segments segment_tcp will produce (0 if the frame is not segmentable).
uint32_t segment_count(std::span<const uint8_t> frame, const Layout& layout, uint32_t mss);

// Splits a TCP super-frame into frames carrying at most `mss` payload bytes each,
// copied into buffers from pool (the input stays untouched, so it may live in a
// receive ring). Nothing is left allocated on failure.
SegResult segment_tcp(std::span<const uint8_t> frame, const Layout& layout, uint32_t mss,
                      PacketPool& pool, std::span<Packet*> out);

// The MSS that makes every segment's L3 packet (outer, for a tunnel) fit `mtu`.
uint32_t mss_for_mtu(std::span<const uint8_t> frame, const Layout& layout, uint32_t mtu);

}  // namespace vgw::gso
