// IPv4 header (RFC 791 §3.1).
#pragma once

#include <cstdint>

#include "common/addr.h"
#include "packet/byte_order.h"

namespace vgw::packet {

inline constexpr uint8_t kIpProtoHopByHop = 0;  // IPv6 extension header
inline constexpr uint8_t kIpProtoIcmp = 1;
inline constexpr uint8_t kIpProtoTcp = 6;
inline constexpr uint8_t kIpProtoUdp = 17;
inline constexpr uint8_t kIpProtoRouting = 43;   // IPv6 extension header
inline constexpr uint8_t kIpProtoFragment = 44;  // IPv6 extension header
inline constexpr uint8_t kIpProtoIcmpv6 = 58;
inline constexpr uint8_t kIpProtoNoNext = 59;
inline constexpr uint8_t kIpProtoDstOpts = 60;  // IPv6 extension header

//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |Version|  IHL  |Type of Service|          Total Length         |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |         Identification        |Flags|      Fragment Offset    |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Time to Live |    Protocol   |         Header Checksum       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                       Source Address                          |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Destination Address                        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Options (IHL > 5)                          |
struct [[gnu::packed]] Ipv4Header {
  static constexpr uint16_t kFlagDf = 0x4000;
  static constexpr uint16_t kFlagMf = 0x2000;
  static constexpr uint16_t kOffsetMask = 0x1fff;

  uint8_t version_ihl;
  uint8_t tos;
  be16 total_length;
  be16 id;
  be16 frag_off;  // flags (3 bits) + fragment offset in 8-byte units
  uint8_t ttl;
  uint8_t protocol;
  be16 checksum;
  uint8_t src[4];
  uint8_t dst[4];

  uint8_t version() const { return version_ihl >> 4; }
  uint8_t ihl() const { return version_ihl & 0x0f; }
  size_t header_length() const { return size_t{ihl()} * 4; }
  bool df() const { return frag_off.get() & kFlagDf; }
  bool mf() const { return frag_off.get() & kFlagMf; }
  uint16_t fragment_offset() const { return frag_off.get() & kOffsetMask; }
  // Any fragment, first included: its L4 ports are not usable for flow hashing.
  bool is_fragment() const { return frag_off.get() & (kFlagMf | kOffsetMask); }

  IpAddress src_addr() const { return IpAddress::from_v4_bytes(src); }
  IpAddress dst_addr() const { return IpAddress::from_v4_bytes(dst); }
  void set_src(const IpAddress& a) { std::memcpy(src, a.b.data(), 4); }
  void set_dst(const IpAddress& a) { std::memcpy(dst, a.b.data(), 4); }
};
static_assert(sizeof(Ipv4Header) == 20);

inline constexpr size_t kIpv4HeaderSize = sizeof(Ipv4Header);

}  // namespace vgw::packet
