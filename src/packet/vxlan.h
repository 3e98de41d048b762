// VXLAN header (RFC 7348 §5) and its UDP port.
//
// On send the flags byte is exactly 0x08 (I bit) and every reserved bit is zero;
// on receive RFC 7348 says reserved bits are ignored and only the I bit matters.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "packet/byte_order.h"

namespace vgw::packet {

inline constexpr uint16_t kVxlanPort = 4789;  // IANA, RFC 7348 §5
inline constexpr uint8_t kVxlanFlagI = 0x08;
inline constexpr uint32_t kVxlanVniMax = 0xffffff;

//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |R|R|R|R|I|R|R|R|            Reserved                           |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                VXLAN Network Identifier (VNI) |   Reserved    |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
struct [[gnu::packed]] VxlanHeader {
  uint8_t flags;
  uint8_t reserved1[3];
  uint8_t vni_bytes[3];
  uint8_t reserved2;

  bool i_flag() const { return flags & kVxlanFlagI; }
  uint32_t vni() const {
    return uint32_t{vni_bytes[0]} << 16 | uint32_t{vni_bytes[1]} << 8 | vni_bytes[2];
  }
  void set_vni(uint32_t vni) {
    vni_bytes[0] = static_cast<uint8_t>(vni >> 16);
    vni_bytes[1] = static_cast<uint8_t>(vni >> 8);
    vni_bytes[2] = static_cast<uint8_t>(vni);
  }
  // Writes the header as RFC 7348 requires on send: I flag, reserved zero.
  void init(uint32_t vni) {
    std::memset(this, 0, sizeof *this);
    flags = kVxlanFlagI;
    set_vni(vni);
  }
};
static_assert(sizeof(VxlanHeader) == 8);

inline constexpr size_t kVxlanHeaderSize = sizeof(VxlanHeader);

// Bytes encapsulation adds in front of the inner frame: outer Ethernet + IP + UDP +
// VXLAN (no outer VLAN tag). The inner frame must fit in underlay MTU - (IP + UDP + VXLAN).
inline constexpr size_t kVxlanOverheadIpv4 = 14 + 20 + 8 + 8;  // 50
inline constexpr size_t kVxlanOverheadIpv6 = 14 + 40 + 8 + 8;  // 70

}  // namespace vgw::packet
