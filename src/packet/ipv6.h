// IPv6 fixed header (RFC 8200 §3) and the generic extension header prefix (§4).
#pragma once

#include <cstdint>
#include <cstring>

#include "common/addr.h"
#include "packet/byte_order.h"
#include "packet/ipv4.h"  // kIpProto* values are shared

namespace vgw::packet {

//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |Version| Traffic Class |           Flow Label                  |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |         Payload Length        |  Next Header  |   Hop Limit   |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Source Address (16 bytes)                  |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                 Destination Address (16 bytes)                |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
struct [[gnu::packed]] Ipv6Header {
  be32 ver_tc_flow;
  be16 payload_length;
  uint8_t next_header;
  uint8_t hop_limit;
  uint8_t src[16];
  uint8_t dst[16];

  uint8_t version() const { return ver_tc_flow.bytes[0] >> 4; }
  uint8_t traffic_class() const { return static_cast<uint8_t>(ver_tc_flow.get() >> 20); }
  uint32_t flow_label() const { return ver_tc_flow.get() & 0xfffff; }
  void set_version_tc_flow(uint8_t tc, uint32_t flow) {
    ver_tc_flow.set(6u << 28 | uint32_t{tc} << 20 | (flow & 0xfffff));
  }
  IpAddress src_addr() const { return IpAddress::from_v6_bytes(src); }
  IpAddress dst_addr() const { return IpAddress::from_v6_bytes(dst); }
  void set_src(const IpAddress& a) { std::memcpy(src, a.b.data(), 16); }
  void set_dst(const IpAddress& a) { std::memcpy(dst, a.b.data(), 16); }
};
static_assert(sizeof(Ipv6Header) == 40);

inline constexpr size_t kIpv6HeaderSize = sizeof(Ipv6Header);

// Hop-by-hop, routing and destination options headers start like this; their
// length is (hdr_ext_len + 1) * 8 bytes.
struct [[gnu::packed]] Ipv6ExtHeader {
  uint8_t next_header;
  uint8_t hdr_ext_len;
  uint8_t data[6];

  size_t length() const { return (size_t{hdr_ext_len} + 1) * 8; }
};
static_assert(sizeof(Ipv6ExtHeader) == 8);

// RFC 8200 §4.5 fragment header.
struct [[gnu::packed]] Ipv6FragmentHeader {
  uint8_t next_header;
  uint8_t reserved;
  be16 offset_flags;  // offset (13 bits, 8-byte units) | res (2) | M
  be32 id;

  uint16_t fragment_offset() const { return offset_flags.get() >> 3; }
  bool more_fragments() const { return offset_flags.get() & 1; }
};
static_assert(sizeof(Ipv6FragmentHeader) == 8);

inline constexpr bool is_ipv6_extension(uint8_t nh) {
  return nh == kIpProtoHopByHop || nh == kIpProtoRouting || nh == kIpProtoDstOpts ||
         nh == kIpProtoFragment;
}

}  // namespace vgw::packet
