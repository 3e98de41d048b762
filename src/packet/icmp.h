// ICMPv4 (RFC 792, RFC 1191 for "fragmentation needed") and ICMPv6 (RFC 4443)
// basics, plus the NDP neighbour solicitation/advertisement body (RFC 4861 §4.3-4.4).
#pragma once

#include <cstdint>
#include <cstring>

#include "common/addr.h"
#include "packet/byte_order.h"

namespace vgw::packet {

// ICMPv4 types and codes.
inline constexpr uint8_t kIcmpEchoReply = 0;
inline constexpr uint8_t kIcmpDestUnreachable = 3;
inline constexpr uint8_t kIcmpCodeFragNeeded = 4;  // with kIcmpDestUnreachable
inline constexpr uint8_t kIcmpEchoRequest = 8;
inline constexpr uint8_t kIcmpTimeExceeded = 11;

// ICMPv6 types.
inline constexpr uint8_t kIcmpv6DestUnreachable = 1;
inline constexpr uint8_t kIcmpv6PacketTooBig = 2;
inline constexpr uint8_t kIcmpv6TimeExceeded = 3;
inline constexpr uint8_t kIcmpv6EchoRequest = 128;
inline constexpr uint8_t kIcmpv6EchoReply = 129;
inline constexpr uint8_t kIcmpv6NeighborSolicit = 135;
inline constexpr uint8_t kIcmpv6NeighborAdvert = 136;

//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     Type      |     Code      |          Checksum             |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |   echo: Identifier | Sequence;  frag needed: unused | Next-hop MTU;
// |   packet too big: MTU (32 bits);  time exceeded: unused         |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// Same layout for ICMPv4 and ICMPv6; the checksum of ICMPv6 covers a pseudo-header.
struct [[gnu::packed]] IcmpHeader {
  uint8_t type;
  uint8_t code;
  be16 checksum;
  be32 rest;

  uint16_t echo_id() const { return static_cast<uint16_t>(rest.get() >> 16); }
  uint16_t echo_seq() const { return static_cast<uint16_t>(rest.get()); }
  void set_echo(uint16_t id, uint16_t seq) { rest.set(uint32_t{id} << 16 | seq); }
  // ICMPv4 fragmentation needed (RFC 1191 §4): next-hop MTU in the low 16 bits.
  uint16_t next_hop_mtu() const { return static_cast<uint16_t>(rest.get()); }
  // ICMPv6 packet too big: the whole 32 bits.
  uint32_t mtu() const { return rest.get(); }
};
static_assert(sizeof(IcmpHeader) == 8);

inline constexpr size_t kIcmpHeaderSize = sizeof(IcmpHeader);

//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     Type      |     Code      |          Checksum             |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |R|S|O|                     Reserved                            |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                   Target Address (16 bytes)                   |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |   Options (e.g. source/target link-layer address) ...
// R/S/O flags are only meaningful in an advertisement.
struct [[gnu::packed]] NdpNeighborHeader {
  static constexpr uint32_t kFlagRouter = 0x80000000u;
  static constexpr uint32_t kFlagSolicited = 0x40000000u;
  static constexpr uint32_t kFlagOverride = 0x20000000u;

  uint8_t type;
  uint8_t code;
  be16 checksum;
  be32 flags;
  uint8_t target[16];

  IpAddress target_addr() const { return IpAddress::from_v6_bytes(target); }
};
static_assert(sizeof(NdpNeighborHeader) == 24);

// NDP option types for link-layer addresses (RFC 4861 §4.6.1); length in 8-byte units.
inline constexpr uint8_t kNdpOptSourceLinkAddr = 1;
inline constexpr uint8_t kNdpOptTargetLinkAddr = 2;

}  // namespace vgw::packet
