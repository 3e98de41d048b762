// IEEE 802.1Q VLAN tag (also the 802.1ad S-tag, which has the same layout).
// The tag sits where the EtherType was: TPID (0x8100/0x88a8) is the EthernetHeader's
// type field; VlanTag is what follows it.
#pragma once

#include <cstdint>

#include "packet/byte_order.h"

namespace vgw::packet {

//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | PCP |D|        VLAN ID        |       inner EtherType         |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
struct [[gnu::packed]] VlanTag {
  be16 tci;
  be16 inner_type;

  uint16_t vid() const { return tci.get() & 0x0fff; }
  uint8_t pcp() const { return static_cast<uint8_t>(tci.get() >> 13); }
  bool dei() const { return tci.get() & 0x1000; }
  void set(uint16_t vid, uint8_t pcp = 0, bool dei = false) {
    tci.set(static_cast<uint16_t>((pcp & 7u) << 13 | (dei ? 0x1000u : 0u) | (vid & 0x0fffu)));
  }
};
static_assert(sizeof(VlanTag) == 4);

inline constexpr uint16_t kVlanIdMax = 4094;  // 0 = priority tag only, 4095 reserved

}  // namespace vgw::packet
