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
// With `partial`, the (inner) TCP checksum is left to whoever sends the segment, as
// the kernel's CHECKSUM_PARTIAL: the field holds the segment's pseudo-header sum and
// the segment is marked PacketMeta::kCsumPartial with csum_start at the TCP header
// and csum_offset 16. The payload is then never summed here, which pays when the
// segments are merged again (TSO) or the device finishes them. A tunnel's outer UDP
// checksum is then zero (IPv4 outer only: RFC 7348 §5; an IPv6 outer, whose UDP
// checksum covers the inner bytes, gets full checksums as without `partial`).
SegResult segment_tcp(std::span<const uint8_t> frame, const Layout& layout, uint32_t mss,
                      PacketPool& pool, std::span<Packet*> out, bool partial = false);

// Splits a UDP GSO frame (gso_type UDP_L4: the payload of one UDP header cut every
// `size` bytes, as coalesce_udp or a UDP_SEGMENT sender makes it) into datagrams,
// each with a copy of the headers, IP and UDP lengths rewritten, IPv4 ids advancing
// by one and the UDP checksum computed (a zero one stays zero). `layout` is the
// frame's outer parse (parse(frame) without a VXLAN port). Nothing is left allocated
// on failure.
SegResult segment_udp(std::span<const uint8_t> frame, const Layout& layout, uint32_t size,
                      PacketPool& pool, std::span<Packet*> out);

// The MSS that makes every segment's L3 packet (outer, for a tunnel) fit `mtu`.
uint32_t mss_for_mtu(std::span<const uint8_t> frame, const Layout& layout, uint32_t mtu);

// Transmit-side coalescing, the reverse of segment_tcp (what GRO does in the kernel):
// a run of consecutive TCP segments of one flow, as segment_tcp or a TSO sender
// cuts them, is handed to the kernel as one TSO super-frame (a virtio-net header
// with gso_type TCPV4/TCPV6 on AF_PACKET), so the receiving stack takes one frame
// instead of dozens. The kernel cuts it back into exactly the segments given:
// headers equal but for the IP length/id/checksum and the TCP sequence, flags and
// checksum; payloads of `mss` bytes with a shorter last one; IPv4 ids advancing by
// one; sequence numbers contiguous; PSH/FIN on the last segment only; no SYN, RST,
// URG or CWR. Untagged Ethernet + IPv4/IPv6 (no extension headers) + TCP only.
struct Run {
  static constexpr uint32_t kMaxHeader = 14 + 60 + 60;  // Ethernet + IPv4 options + TCP options
  uint32_t count = 0;       // segments merged; below 2: send them one by one
  uint32_t header_len = 0;  // the merged frame's headers, Ethernet through TCP
  uint32_t mss = 0;         // payload bytes per segment, the last one excepted
  uint32_t last_payload = 0;
  uint32_t l4 = 0;  // the TCP header's offset (checksum start)
  bool v6 = false;
};

// Finds the run at the head of `pkts` (at most `max_count` segments) and writes the
// super-frame's headers into `header` (TcpRun::kMaxHeader bytes): lengths for the
// whole payload, the first segment's IPv4 id and sequence number, the last
// segment's PSH/FIN, the IPv4 header checksum, and the TCP checksum field holding
// the pseudo-header sum for the whole length (CHECKSUM_PARTIAL, as the kernel's
// TSO path leaves it). The payload of segment i is pkts[i]->data() + header_len,
// `mss` bytes (last_payload for the last one).
Run coalesce_tcp(std::span<Packet* const> pkts, uint32_t max_count,
                 std::span<uint8_t, Run::kMaxHeader> header);

// The same for UDP datagrams (UDP GSO, gso_type UDP_L4): a run of datagrams of one
// flow with equal payload sizes (the last may be shorter) and IPv4 ids advancing by
// one, as the VXLAN encapsulation of a TCP flow's segments makes them. The merged
// UDP checksum field holds the pseudo-header sum (CHECKSUM_PARTIAL): the kernel
// cuts the datagrams back out and has each one's checksum computed, so a datagram
// sent with checksum zero leaves with a valid non-zero one (RFC 7348 §5 allows it;
// receivers must accept both).
Run coalesce_udp(std::span<Packet* const> pkts, uint32_t max_count,
                 std::span<uint8_t, Run::kMaxHeader> header);

}  // namespace vgw::gso
