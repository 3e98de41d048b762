// Ethernet II header (IEEE 802.3 / RFC 894) and the EtherType values vgw knows.
#pragma once

#include <cstdint>
#include <cstring>

#include "common/addr.h"
#include "packet/byte_order.h"

namespace vgw::packet {

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeVlan = 0x8100;  // 802.1Q C-tag
inline constexpr uint16_t kEtherTypeQinQ = 0x88a8;  // 802.1ad S-tag
inline constexpr uint16_t kEtherTypeIpv6 = 0x86dd;

inline constexpr bool is_vlan_ethertype(uint16_t t) {
  return t == kEtherTypeVlan || t == kEtherTypeQinQ;
}

//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                 Destination MAC (6 bytes) ...                 |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  ... Destination MAC         |      Source MAC (6 bytes) ...  |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    ... Source MAC                             |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |          EtherType            |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
struct [[gnu::packed]] EthernetHeader {
  uint8_t dst[6];
  uint8_t src[6];
  be16 type;

  MacAddress dst_mac() const { return MacAddress::from_bytes(dst); }
  MacAddress src_mac() const { return MacAddress::from_bytes(src); }
  void set_dst(const MacAddress& m) { std::memcpy(dst, m.b.data(), 6); }
  void set_src(const MacAddress& m) { std::memcpy(src, m.b.data(), 6); }
};
static_assert(sizeof(EthernetHeader) == 14);

inline constexpr size_t kEthernetHeaderSize = sizeof(EthernetHeader);
inline constexpr size_t kEthernetMinFrame = 60;  // without FCS

}  // namespace vgw::packet
