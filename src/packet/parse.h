// Frame parsers: Ethernet [+ up to two VLAN tags] + IPv4/IPv6/ARP [+ TCP/UDP/ICMP],
// and the outer headers of a VXLAN frame (RFC 7348 §5). They return a value that
// says where each header starts and a status saying why parsing stopped; every
// offset they return has been checked against the buffer, so a caller may overlay
// the matching header struct at that offset without further length checks.
//
// Offsets are from the start of the frame. A frame longer than its IP packet
// (Ethernet padding) is fine: ip_end says where the IP packet ends.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "common/addr.h"
#include "packet/byte_order.h"
#include "packet/ethernet.h"
#include "packet/ipv4.h"
#include "packet/ipv6.h"
#include "packet/udp.h"
#include "packet/vlan.h"
#include "packet/vxlan.h"

namespace vgw::packet {

enum class ParseStatus : uint8_t {
  ok,
  truncated,        // the buffer ends before a header, or before the IP/UDP length says
  bad_ipv4_header,  // version != 4, IHL < 5, or total length < IHL*4
  bad_ipv6_header,  // version != 6, or an extension header chain we cannot walk
  bad_l4_header,    // TCP data offset < 5, UDP length < 8
};
std::string_view to_string(ParseStatus s);

enum class L3Kind : uint8_t { other, ipv4, ipv6, arp };

struct FrameInfo {
  ParseStatus status = ParseStatus::truncated;
  L3Kind l3 = L3Kind::other;
  bool vlan_tagged = false;  // at least one 802.1Q/802.1ad tag
  uint8_t vlan_count = 0;    // 0, 1 or 2 tags parsed
  uint16_t vlan_id = 0;      // VID of the outermost tag (0 if untagged)
  uint16_t ethertype = 0;    // EtherType after the VLAN tags
  uint16_t l3_offset = 0;    // start of IPv4/IPv6/ARP/other payload
  uint16_t ip_end = 0;       // IPv4/IPv6: end of the IP packet (l3_offset + total length)
  uint8_t l4_proto = 0;      // IPv4 protocol / IPv6 final next header (after extensions)
  bool fragment = false;     // IPv4 or IPv6 fragment (first one included)
  uint16_t l4_offset = 0;    // 0 if no L4 header is available (non-first fragment, other L3)

  bool ok() const { return status == ParseStatus::ok; }
  bool has_l4() const { return l4_offset != 0; }
};

// Parses an Ethernet frame. status == ok means: every header up to the L4 header
// (for TCP 20 bytes + options, UDP 8, ICMP/ICMPv6 8, ARP 28) is inside the buffer,
// and for IP the whole packet of the declared length is inside the buffer. An
// unknown EtherType or IP protocol is ok with l3 == other / has_l4() == false.
FrameInfo parse_frame(std::span<const uint8_t> frame);

enum class VxlanParseStatus : uint8_t {
  ok,
  truncated,        // a header, the IP packet, the UDP datagram or the inner Ethernet header is cut
  not_ip,           // the outer EtherType is neither IPv4 nor IPv6
  bad_ipv4_header,  // version, IHL < 5, total length < IHL*4
  bad_ipv6_header,  // version != 6
  ip_fragment,      // an IPv4 fragment (VXLAN is never fragmented by us; reassembly is not ours)
  not_udp,          // the IP protocol / IPv6 next header is not UDP (extension headers included)
  bad_udp_length,   // UDP length < 8 + 8 (no room for the VXLAN header)
};
std::string_view to_string(VxlanParseStatus s);

// Where the headers of an outer VXLAN frame are, and the fields decap needs. The
// UDP destination port, the I flag, the VNI and the checksums are reported, not
// judged: those checks (and their drop reasons) belong to decap.
struct VxlanFrameInfo {
  VxlanParseStatus status = VxlanParseStatus::truncated;
  bool ipv6 = false;
  bool vlan_tagged = false;
  uint16_t vlan_id = 0;
  uint16_t l3_offset = 0;     // outer IPv4/IPv6 header
  uint16_t udp_offset = 0;    // outer UDP header
  uint16_t vxlan_offset = 0;  // VXLAN header (udp_offset + 8)
  uint16_t inner_offset = 0;  // inner Ethernet header (vxlan_offset + 8)
  uint16_t inner_length = 0;  // UDP length - 16: the inner frame, without outer padding
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint16_t udp_checksum = 0;  // as received (0 = none, IPv4 only)
  uint8_t ttl = 0;            // TTL / hop limit
  uint8_t vxlan_flags = 0;
  uint32_t vni = 0;
  IpAddress src;  // outer source (the remote VTEP)
  IpAddress dst;  // outer destination (should be us)

  bool ok() const { return status == VxlanParseStatus::ok; }
  bool i_flag() const { return vxlan_flags & 0x08; }
};

namespace detail {

// Frames longer than this cannot be described with 16-bit offsets; no Ethernet
// frame is, so we only read the first 64 KiB of anything larger.
constexpr size_t kMaxFrame = 0xffff;

struct L2 {
  bool ok;
  uint16_t type;
  size_t off;
  uint8_t tags;
  uint16_t vid;
};

// Ethernet + up to two VLAN tags.
inline L2 parse_l2(const uint8_t* p, size_t n) {
  L2 r{false, 0, kEthernetHeaderSize, 0, 0};
  if (n < kEthernetHeaderSize) return r;
  r.type = load_be16(p + 12);
  while (r.tags < 2 && is_vlan_ethertype(r.type)) {
    if (r.off + sizeof(VlanTag) > n) return r;
    auto* tag = reinterpret_cast<const VlanTag*>(p + r.off);
    if (r.tags == 0) r.vid = tag->vid();
    r.type = tag->inner_type.get();
    r.off += sizeof(VlanTag);
    ++r.tags;
  }
  r.ok = true;
  return r;
}

}  // namespace detail

// Parses Ethernet [+ one or two VLAN tags] + IPv4 (options allowed) or IPv6 (no
// extension headers: RFC 7348 never needs them; they yield not_udp) + UDP + VXLAN,
// and requires at least a 14-byte inner Ethernet header inside the UDP datagram.
// Inline: it runs on every received tunnel packet, and inlined the compiler drops
// the work for fields the caller does not read.
[[gnu::always_inline]] inline VxlanFrameInfo parse_vxlan_frame(std::span<const uint8_t> frame) {
  VxlanFrameInfo r;
  const uint8_t* p = frame.data();
  const size_t n = frame.size() > detail::kMaxFrame ? detail::kMaxFrame : frame.size();
  detail::L2 l2 = detail::parse_l2(p, n);
  r.vlan_tagged = l2.tags != 0;
  r.vlan_id = l2.vid;
  if (!l2.ok) return r;
  const size_t l3 = l2.off;
  r.l3_offset = static_cast<uint16_t>(l3);

  size_t udp;  // UDP header offset
  size_t end;  // end of the IP packet
  if (l2.type == kEtherTypeIpv4) {
    if (l3 + kIpv4HeaderSize > n) return r;
    auto* ip = reinterpret_cast<const Ipv4Header*>(p + l3);
    size_t hl = ip->header_length();
    size_t total = ip->total_length.get();
    if (ip->version() != 4 || hl < kIpv4HeaderSize || total < hl) {
      r.status = VxlanParseStatus::bad_ipv4_header;
      return r;
    }
    if (l3 + total > n) return r;
    if (ip->is_fragment()) {
      r.status = VxlanParseStatus::ip_fragment;
      return r;
    }
    if (ip->protocol != kIpProtoUdp) {
      r.status = VxlanParseStatus::not_udp;
      return r;
    }
    r.src = ip->src_addr();
    r.dst = ip->dst_addr();
    r.ttl = ip->ttl;
    udp = l3 + hl;
    end = l3 + total;
  } else if (l2.type == kEtherTypeIpv6) {
    if (l3 + kIpv6HeaderSize > n) return r;
    auto* ip = reinterpret_cast<const Ipv6Header*>(p + l3);
    if (ip->version() != 6) {
      r.status = VxlanParseStatus::bad_ipv6_header;
      return r;
    }
    end = l3 + kIpv6HeaderSize + ip->payload_length.get();
    if (end > n) return r;
    if (ip->next_header != kIpProtoUdp) {
      r.status = VxlanParseStatus::not_udp;
      return r;
    }
    r.ipv6 = true;
    r.src = ip->src_addr();
    r.dst = ip->dst_addr();
    r.ttl = ip->hop_limit;
    udp = l3 + kIpv6HeaderSize;
  } else {
    r.status = VxlanParseStatus::not_ip;
    return r;
  }

  if (udp + kUdpHeaderSize > end) return r;
  auto* uh = reinterpret_cast<const UdpHeader*>(p + udp);
  size_t ulen = uh->length.get();
  r.udp_offset = static_cast<uint16_t>(udp);
  r.src_port = uh->src_port.get();
  r.dst_port = uh->dst_port.get();
  r.udp_checksum = uh->checksum.get();
  if (ulen < kUdpHeaderSize + kVxlanHeaderSize) {
    r.status = VxlanParseStatus::bad_udp_length;
    return r;
  }
  if (udp + ulen > end) return r;
  const size_t vx = udp + kUdpHeaderSize;
  const size_t inner = vx + kVxlanHeaderSize;
  auto* vh = reinterpret_cast<const VxlanHeader*>(p + vx);
  r.vxlan_offset = static_cast<uint16_t>(vx);
  r.vxlan_flags = vh->flags;
  r.vni = vh->vni();
  if (ulen - kUdpHeaderSize - kVxlanHeaderSize < kEthernetHeaderSize) return r;
  r.inner_offset = static_cast<uint16_t>(inner);
  r.inner_length = static_cast<uint16_t>(ulen - kUdpHeaderSize - kVxlanHeaderSize);
  r.status = VxlanParseStatus::ok;
  return r;
}

}  // namespace vgw::packet
