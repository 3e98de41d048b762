// TCP header (RFC 9293 §3.1): what flow hashing, checksums and segmentation need.
#pragma once

#include <cstdint>

#include "packet/byte_order.h"

namespace vgw::packet {

inline constexpr uint8_t kTcpFin = 0x01;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpRst = 0x04;
inline constexpr uint8_t kTcpPsh = 0x08;
inline constexpr uint8_t kTcpAck = 0x10;
inline constexpr uint8_t kTcpUrg = 0x20;
inline constexpr uint8_t kTcpEce = 0x40;
inline constexpr uint8_t kTcpCwr = 0x80;

//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |          Source Port          |       Destination Port        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                        Sequence Number                        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Acknowledgment Number                      |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Data |       |C|E|U|A|P|R|S|F|                               |
// | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |           Checksum            |         Urgent Pointer        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Options (data offset > 5)                  |
struct [[gnu::packed]] TcpHeader {
  be16 src_port;
  be16 dst_port;
  be32 seq;
  be32 ack;
  uint8_t data_offset_reserved;  // data offset in 32-bit words, high nibble
  uint8_t flags;
  be16 window;
  be16 checksum;
  be16 urgent;

  size_t header_length() const { return static_cast<size_t>(data_offset_reserved >> 4) * 4; }
  void set_header_length(size_t bytes) {
    data_offset_reserved = static_cast<uint8_t>((bytes / 4) << 4);
  }
};
static_assert(sizeof(TcpHeader) == 20);

inline constexpr size_t kTcpHeaderSize = sizeof(TcpHeader);

}  // namespace vgw::packet
