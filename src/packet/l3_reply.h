// Frames a router writes itself, into a caller's buffer (no allocation): ARP
// requests and replies (RFC 826), ICMPv4 errors (RFC 792, RFC 1812 §4.3.2.3:
// as much of the original as fits 576 bytes; RFC 1191 next-hop MTU), ICMPv6
// errors (RFC 4443 §2.4: as much as fits the minimum MTU of 1280), neighbour
// solicitations and advertisements (RFC 4861 §4.3, §4.4). Each returns the
// frame length, or 0 when the room is too small. Addresses are raw bytes as on
// the wire; MACs as MacAddress::to_u64 words.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "packet/byte_order.h"
#include "packet/checksum.h"
#include "packet/ethernet.h"
#include "packet/icmp.h"
#include "packet/ipv4.h"

namespace vgw::packet {

// A MAC as MacAddress::to_u64 packs it, to and from 6 wire bytes.
inline void store_mac(uint8_t* p, uint64_t mac) {
  store_be32(p, static_cast<uint32_t>(mac >> 16));
  store_be16(p + 4, static_cast<uint16_t>(mac));
}
inline uint64_t load_mac6(const uint8_t* p) {
  return uint64_t{load_be32(p)} << 16 | load_be16(p + 4);
}

inline uint32_t write_eth(uint8_t* out, uint64_t dst, uint64_t src, uint16_t type) {
  store_mac(out, dst);
  store_mac(out + 6, src);
  store_be16(out + 12, type);
  return 14;
}

// Ethernet + ARP (42 bytes). A request has tha zero.
inline uint32_t write_arp(uint8_t* out, uint32_t room, uint16_t op, uint64_t eth_dst, uint64_t sha,
                          const uint8_t* spa, uint64_t tha, const uint8_t* tpa) {
  if (room < 42) return 0;
  write_eth(out, eth_dst, sha, kEtherTypeArp);
  uint8_t* a = out + 14;
  store_be16(a, 1);
  store_be16(a + 2, kEtherTypeIpv4);
  a[4] = 6;
  a[5] = 4;
  store_be16(a + 6, op);
  store_mac(a + 8, sha);
  std::memcpy(a + 14, spa, 4);
  store_mac(a + 18, tha);
  std::memcpy(a + 24, tpa, 4);
  return 42;
}

// Ethernet + IPv4 (no options, TTL 64, DF clear) + ICMP type/code/rest + the
// quoted original IP packet (truncated so the IP packet is at most 576 bytes).
inline uint32_t write_icmp4(uint8_t* out, uint32_t room, uint64_t eth_dst, uint64_t eth_src,
                            const uint8_t* src4, const uint8_t* dst4, uint8_t type, uint8_t code,
                            uint32_t rest, const uint8_t* quote, uint32_t quote_len, uint16_t id) {
  quote_len = std::min<uint32_t>(quote_len, 576 - 28);
  const uint32_t ip_len = 20 + 8 + quote_len;
  if (room < 14 + ip_len) return 0;
  write_eth(out, eth_dst, eth_src, kEtherTypeIpv4);
  uint8_t* ip = out + 14;
  ip[0] = 0x45;
  ip[1] = 0;
  store_be16(ip + 2, static_cast<uint16_t>(ip_len));
  store_be16(ip + 4, id);
  store_be16(ip + 6, 0);
  ip[8] = 64;
  ip[9] = kIpProtoIcmp;
  store_be16(ip + 10, 0);
  std::memcpy(ip + 12, src4, 4);
  std::memcpy(ip + 16, dst4, 4);
  store_be16(ip + 10, csum_finish(csum_partial({ip, 20})));
  uint8_t* ic = ip + 20;
  ic[0] = type;
  ic[1] = code;
  store_be16(ic + 2, 0);
  store_be32(ic + 4, rest);
  std::memcpy(ic + 8, quote, quote_len);
  store_be16(ic + 2, csum_finish(csum_partial({ic, 8 + quote_len})));
  return 14 + ip_len;
}

// Ethernet + IPv6 (hop limit 255 for ND, else 64) + ICMPv6 type/code/rest +
// body (the quoted packet, or the ND target and options), checksum over the
// pseudo-header. Bodies are cut so the IPv6 packet is at most 1280 bytes.
inline uint32_t write_icmp6(uint8_t* out, uint32_t room, uint64_t eth_dst, uint64_t eth_src,
                            const uint8_t* src16, const uint8_t* dst16, uint8_t type, uint8_t code,
                            uint32_t rest, const uint8_t* body, uint32_t body_len,
                            uint8_t hop_limit = 64) {
  body_len = std::min<uint32_t>(body_len, 1280 - 48);
  const uint32_t payload = 8 + body_len;
  if (room < 14 + 40 + payload) return 0;
  write_eth(out, eth_dst, eth_src, kEtherTypeIpv6);
  uint8_t* ip = out + 14;
  store_be32(ip, 0x60000000u);
  store_be16(ip + 4, static_cast<uint16_t>(payload));
  ip[6] = kIpProtoIcmpv6;
  ip[7] = hop_limit;
  std::memcpy(ip + 8, src16, 16);
  std::memcpy(ip + 24, dst16, 16);
  uint8_t* ic = ip + 40;
  ic[0] = type;
  ic[1] = code;
  store_be16(ic + 2, 0);
  store_be32(ic + 4, rest);
  std::memcpy(ic + 8, body, body_len);
  uint32_t s = pseudo_header_sum_v6(src16, dst16, kIpProtoIcmpv6, payload);
  store_be16(ic + 2, csum_finish(csum_partial({ic, payload}, s)));
  return 14 + 40 + payload;
}

// Neighbour solicitation for target from (src16, mac) to the solicited-node
// multicast address ff02::1:ffXX:XXXX (RFC 4291 §2.7.1), with the source
// link-layer address option.
inline uint32_t write_ns(uint8_t* out, uint32_t room, uint64_t mac, const uint8_t* src16,
                         const uint8_t* target16) {
  uint8_t dst[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};
  std::memcpy(dst + 13, target16 + 13, 3);
  uint64_t eth_dst =
      0x3333ff000000ull | uint64_t{target16[13]} << 16 | uint64_t{target16[14]} << 8 | target16[15];
  uint8_t body[24];
  std::memcpy(body, target16, 16);
  body[16] = kNdpOptSourceLinkAddr;
  body[17] = 1;
  store_mac(body + 18, mac);
  return write_icmp6(out, room, eth_dst, mac, src16, dst, kIcmpv6NeighborSolicit, 0, 0, body, 24,
                     255);
}

// Solicited neighbour advertisement for target (ours or a suppressed binding)
// to the soliciting host, with the target link-layer address option.
inline uint32_t write_na(uint8_t* out, uint32_t room, uint64_t eth_dst, uint64_t target_mac,
                         const uint8_t* target16, const uint8_t* dst16, bool router) {
  uint8_t body[24];
  std::memcpy(body, target16, 16);
  body[16] = kNdpOptTargetLinkAddr;
  body[17] = 1;
  store_mac(body + 18, target_mac);
  uint32_t flags = NdpNeighborHeader::kFlagSolicited | NdpNeighborHeader::kFlagOverride |
                   (router ? NdpNeighborHeader::kFlagRouter : 0);
  return write_icmp6(out, room, eth_dst, target_mac, target16, dst16, kIcmpv6NeighborAdvert, 0,
                     flags, body, 24, 255);
}

}  // namespace vgw::packet
