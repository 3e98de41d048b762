// Frame parsers (see parse.h). Each step checks the bytes it is about to read
// against the buffer first; offsets are size_t until they are known to fit.
#include "packet/parse.h"

#include "packet/arp.h"
#include "packet/byte_order.h"
#include "packet/ethernet.h"
#include "packet/icmp.h"
#include "packet/ipv4.h"
#include "packet/ipv6.h"
#include "packet/tcp.h"
#include "packet/udp.h"
#include "packet/vlan.h"
#include "packet/vxlan.h"

namespace vgw::packet {

std::string_view to_string(ParseStatus s) {
  switch (s) {
    case ParseStatus::ok:
      return "ok";
    case ParseStatus::truncated:
      return "truncated";
    case ParseStatus::bad_ipv4_header:
      return "bad_ipv4_header";
    case ParseStatus::bad_ipv6_header:
      return "bad_ipv6_header";
    case ParseStatus::bad_l4_header:
      return "bad_l4_header";
  }
  return "unknown";
}

std::string_view to_string(VxlanParseStatus s) {
  switch (s) {
    case VxlanParseStatus::ok:
      return "ok";
    case VxlanParseStatus::truncated:
      return "truncated";
    case VxlanParseStatus::not_ip:
      return "not_ip";
    case VxlanParseStatus::bad_ipv4_header:
      return "bad_ipv4_header";
    case VxlanParseStatus::bad_ipv6_header:
      return "bad_ipv6_header";
    case VxlanParseStatus::ip_fragment:
      return "ip_fragment";
    case VxlanParseStatus::not_udp:
      return "not_udp";
    case VxlanParseStatus::bad_udp_length:
      return "bad_udp_length";
  }
  return "unknown";
}

namespace {

// whole: the IP packet holds the whole L4 datagram (not a first fragment), so the
// UDP length can be checked against it.
inline ParseStatus parse_l4(const uint8_t* p, size_t l4, size_t end, uint8_t proto, bool whole) {
  size_t avail = end - l4;
  switch (proto) {
    case kIpProtoTcp: {
      if (avail < kTcpHeaderSize) return ParseStatus::truncated;
      size_t hl = reinterpret_cast<const TcpHeader*>(p + l4)->header_length();
      if (hl < kTcpHeaderSize) return ParseStatus::bad_l4_header;
      if (hl > avail) return ParseStatus::truncated;
      return ParseStatus::ok;
    }
    case kIpProtoUdp: {
      if (avail < kUdpHeaderSize) return ParseStatus::truncated;
      size_t ul = reinterpret_cast<const UdpHeader*>(p + l4)->length.get();
      if (ul < kUdpHeaderSize) return ParseStatus::bad_l4_header;
      if (whole && ul > avail) return ParseStatus::truncated;
      return ParseStatus::ok;
    }
    case kIpProtoIcmp:
    case kIpProtoIcmpv6:
      return avail < kIcmpHeaderSize ? ParseStatus::truncated : ParseStatus::ok;
    default:
      return ParseStatus::ok;
  }
}

inline bool is_l4_known(uint8_t proto) {
  return proto == kIpProtoTcp || proto == kIpProtoUdp || proto == kIpProtoIcmp ||
         proto == kIpProtoIcmpv6;
}

}  // namespace

FrameInfo parse_frame(std::span<const uint8_t> frame) {
  FrameInfo r;
  const uint8_t* p = frame.data();
  const size_t n = frame.size() > detail::kMaxFrame ? detail::kMaxFrame : frame.size();
  detail::L2 l2 = detail::parse_l2(p, n);
  r.vlan_count = l2.tags;
  r.vlan_tagged = l2.tags != 0;
  r.vlan_id = l2.vid;
  r.ethertype = l2.type;
  if (!l2.ok) return r;  // truncated
  const size_t l3 = l2.off;
  r.l3_offset = static_cast<uint16_t>(l3);

  switch (l2.type) {
    case kEtherTypeArp:
      r.l3 = L3Kind::arp;
      r.status = l3 + sizeof(ArpHeader) <= n ? ParseStatus::ok : ParseStatus::truncated;
      return r;

    case kEtherTypeIpv4: {
      r.l3 = L3Kind::ipv4;
      if (l3 + kIpv4HeaderSize > n) return r;
      auto* ip = reinterpret_cast<const Ipv4Header*>(p + l3);
      size_t hl = ip->header_length();
      size_t total = ip->total_length.get();
      if (ip->version() != 4 || hl < kIpv4HeaderSize || total < hl) {
        r.status = ParseStatus::bad_ipv4_header;
        return r;
      }
      if (l3 + total > n) return r;  // truncated
      r.ip_end = static_cast<uint16_t>(l3 + total);
      r.l4_proto = ip->protocol;
      r.fragment = ip->is_fragment();
      if (ip->fragment_offset() != 0 || !is_l4_known(ip->protocol)) {
        r.status = ParseStatus::ok;
        return r;
      }
      r.status = parse_l4(p, l3 + hl, l3 + total, ip->protocol, !r.fragment);
      if (r.status == ParseStatus::ok) r.l4_offset = static_cast<uint16_t>(l3 + hl);
      return r;
    }

    case kEtherTypeIpv6: {
      r.l3 = L3Kind::ipv6;
      if (l3 + kIpv6HeaderSize > n) return r;
      auto* ip = reinterpret_cast<const Ipv6Header*>(p + l3);
      if (ip->version() != 6) {
        r.status = ParseStatus::bad_ipv6_header;
        return r;
      }
      size_t end = l3 + kIpv6HeaderSize + ip->payload_length.get();
      if (end > n) return r;  // truncated (jumbograms, payload length 0, are not supported)
      r.ip_end = static_cast<uint16_t>(end);
      uint8_t nh = ip->next_header;
      size_t off = l3 + kIpv6HeaderSize;
      // Walk a bounded number of extension headers (RFC 8200 §4.1 order).
      bool first_fragment = true;
      for (int i = 0; i < 8 && is_ipv6_extension(nh); ++i) {
        if (off + 8 > end) return r;  // truncated
        if (nh == kIpProtoFragment) {
          auto* fh = reinterpret_cast<const Ipv6FragmentHeader*>(p + off);
          r.fragment = true;
          first_fragment = fh->fragment_offset() == 0;
          nh = fh->next_header;
          off += sizeof(Ipv6FragmentHeader);
        } else {
          auto* eh = reinterpret_cast<const Ipv6ExtHeader*>(p + off);
          nh = eh->next_header;
          off += eh->length();
          if (off > end) return r;  // truncated
        }
      }
      if (is_ipv6_extension(nh)) {
        r.status = ParseStatus::bad_ipv6_header;  // chain longer than we walk
        return r;
      }
      r.l4_proto = nh;
      if (!first_fragment || !is_l4_known(nh)) {
        r.status = ParseStatus::ok;
        return r;
      }
      r.status = parse_l4(p, off, end, nh, !r.fragment);
      if (r.status == ParseStatus::ok) r.l4_offset = static_cast<uint16_t>(off);
      return r;
    }

    default:
      r.status = ParseStatus::ok;
      return r;
  }
}

}  // namespace vgw::packet
