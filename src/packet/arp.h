// ARP for IPv4 over Ethernet (RFC 826): the only ARP variant vgw builds or reads.
#pragma once

#include <cstdint>
#include <cstring>

#include "common/addr.h"
#include "packet/byte_order.h"

namespace vgw::packet {

inline constexpr uint16_t kArpHwEthernet = 1;
inline constexpr uint16_t kArpOpRequest = 1;
inline constexpr uint16_t kArpOpReply = 2;

//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |       Hardware type (1)       |     Protocol type (0x0800)    |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  HLEN (6)     |   PLEN (4)    |          Operation            |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Sender hardware address (6)  |  Sender protocol address (4)  |
// |  Target hardware address (6)  |  Target protocol address (4)  |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
struct [[gnu::packed]] ArpHeader {
  be16 htype;
  be16 ptype;
  uint8_t hlen;
  uint8_t plen;
  be16 oper;
  uint8_t sha[6];
  uint8_t spa[4];
  uint8_t tha[6];
  uint8_t tpa[4];

  // True for Ethernet/IPv4 ARP, the only kind the other accessors make sense for.
  bool is_ethernet_ipv4() const {
    return htype.get() == kArpHwEthernet && ptype.get() == 0x0800 && hlen == 6 && plen == 4;
  }
  MacAddress sender_mac() const { return MacAddress::from_bytes(sha); }
  MacAddress target_mac() const { return MacAddress::from_bytes(tha); }
  IpAddress sender_ip() const { return IpAddress::from_v4_bytes(spa); }
  IpAddress target_ip() const { return IpAddress::from_v4_bytes(tpa); }
};
static_assert(sizeof(ArpHeader) == 28);

}  // namespace vgw::packet
