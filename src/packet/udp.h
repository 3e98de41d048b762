// UDP header (RFC 768).
#pragma once

#include <cstdint>

#include "packet/byte_order.h"

namespace vgw::packet {

//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |          Source Port          |       Destination Port        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |            Length             |           Checksum            |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
struct [[gnu::packed]] UdpHeader {
  be16 src_port;
  be16 dst_port;
  be16 length;    // header + data
  be16 checksum;  // 0 = none (IPv4 only)
};
static_assert(sizeof(UdpHeader) == 8);

inline constexpr size_t kUdpHeaderSize = sizeof(UdpHeader);

}  // namespace vgw::packet
