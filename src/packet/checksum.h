// Internet checksum (RFC 1071) for IPv4 headers and TCP/UDP/ICMP, with the IPv4
// (RFC 768/793) and IPv6 (RFC 8200 §8.1) pseudo-headers, and incremental update
// (RFC 1624 eqn. 3) for rewriting one field without summing the packet again.
//
// Conventions: a "sum" is a 32-bit ones-complement accumulator of 16-bit words read
// big-endian (host-order values); combine sums with csum_add, never with +. csum_fold
// reduces a sum to 16 bits; csum_finish folds and inverts, giving the value to store
// in a checksum field (host order: write it with be16::set). Everything is inline
// because it runs per packet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "packet/byte_order.h"
#include "packet/ipv4.h"
#include "packet/ipv6.h"

namespace vgw::packet {

// Ones-complement addition of two sums (end-around carry).
inline constexpr uint32_t csum_add(uint32_t a, uint32_t b) {
  uint32_t r = a + b;
  return r + (r < b);
}

// Folds a sum to 16 bits (not inverted).
inline constexpr uint16_t csum_fold(uint32_t sum) {
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// The checksum to store: the inverted fold.
inline constexpr uint16_t csum_finish(uint32_t sum) {
  return static_cast<uint16_t>(~csum_fold(sum));
}

// Adds the bytes to sum, as 16-bit big-endian words; an odd last byte is padded
// with zero (RFC 1071). Only the last piece of a sum split over several calls may
// have an odd length.
//
// Sums native 64-bit words with end-around carry and swaps once at the end: by the
// byte-order independence of the ones-complement sum (RFC 1071 §2(B)) this equals
// the big-endian word sum.
inline uint32_t csum_partial(std::span<const uint8_t> data, uint32_t sum = 0) {
  const uint8_t* p = data.data();
  size_t n = data.size();
  uint64_t acc = 0;
  while (n >= 32) {
    uint64_t w[4];
    std::memcpy(w, p, 32);
    for (uint64_t x : w) {
      acc += x;
      acc += (acc < x);
    }
    p += 32;
    n -= 32;
  }
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    acc += w;
    acc += (acc < w);
    p += 8;
    n -= 8;
  }
  uint64_t tail = 0;
  if (n >= 4) {
    uint32_t w;
    std::memcpy(&w, p, 4);
    tail += w;
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    uint16_t w;
    std::memcpy(&w, p, 2);
    tail += w;
    p += 2;
    n -= 2;
  }
  if (n) {
    // A lone byte is the high half of a big-endian word: in memory order {b, 0}.
    uint8_t pad[2] = {p[0], 0};
    uint16_t w;
    std::memcpy(&w, pad, 2);
    tail += w;
  }
  acc += tail;
  acc += (acc < tail);
  uint32_t s = csum_add(static_cast<uint32_t>(acc), static_cast<uint32_t>(acc >> 32));
  uint16_t native = csum_fold(s);
  return csum_add(sum, to_be16(native));
}

// IPv4 pseudo-header (src, dst, zero, protocol, L4 length).
inline uint32_t pseudo_header_sum_v4(const uint8_t* src4, const uint8_t* dst4, uint8_t proto,
                                     uint16_t l4_length) {
  uint32_t s = uint32_t{load_be16(src4)} + load_be16(src4 + 2) + load_be16(dst4) +
               load_be16(dst4 + 2) + proto + l4_length;
  return s;
}

// IPv6 pseudo-header (src, dst, 32-bit upper-layer length, zero, next header).
inline uint32_t pseudo_header_sum_v6(const uint8_t* src16, const uint8_t* dst16, uint8_t proto,
                                     uint32_t l4_length) {
  uint32_t s = csum_partial({src16, 16});
  s = csum_partial({dst16, 16}, s);
  s = csum_add(s, (l4_length >> 16) + (l4_length & 0xffff) + proto);
  return s;
}

// The checksum of an IPv4 header (IHL*4 bytes), computed as if its checksum field
// were zero, whatever it holds.
inline uint16_t ipv4_header_checksum(std::span<const uint8_t> header) {
  uint32_t s = csum_partial(header);
  uint16_t field = load_be16(header.data() + 10);
  return csum_finish(csum_add(s, static_cast<uint16_t>(~field)));
}

// True if the header (IHL*4 bytes, checksum field included) sums to 0xffff.
inline bool ipv4_header_checksum_ok(std::span<const uint8_t> header) {
  return csum_fold(csum_partial(header)) == 0xffff;
}

// Sets the checksum field of an IPv4 header of ihl*4 bytes (the buffer must hold them).
inline void ipv4_set_checksum(Ipv4Header& ip) {
  ip.checksum.set(
      ipv4_header_checksum({reinterpret_cast<const uint8_t*>(&ip), ip.header_length()}));
}

// TCP/UDP/ICMPv6 checksum over an L4 segment (header + data) under an IPv4 or IPv6
// pseudo-header. The segment's own checksum field must be zero when computing.
// For UDP, a computed 0 must be sent as 0xffff (RFC 768): use udp_checksum_v4/v6.
inline uint16_t l4_checksum_v4(const Ipv4Header& ip, uint8_t proto,
                               std::span<const uint8_t> segment) {
  uint32_t s = pseudo_header_sum_v4(ip.src, ip.dst, proto, static_cast<uint16_t>(segment.size()));
  return csum_finish(csum_partial(segment, s));
}
inline uint16_t l4_checksum_v6(const Ipv6Header& ip, uint8_t proto,
                               std::span<const uint8_t> segment) {
  uint32_t s = pseudo_header_sum_v6(ip.src, ip.dst, proto, static_cast<uint32_t>(segment.size()));
  return csum_finish(csum_partial(segment, s));
}
inline uint16_t udp_checksum_v4(const Ipv4Header& ip, std::span<const uint8_t> segment) {
  uint16_t c = l4_checksum_v4(ip, kIpProtoUdp, segment);
  return c ? c : 0xffff;
}
inline uint16_t udp_checksum_v6(const Ipv6Header& ip, std::span<const uint8_t> segment) {
  uint16_t c = l4_checksum_v6(ip, kIpProtoUdp, segment);
  return c ? c : 0xffff;
}

// Verification: the segment with its checksum field in place sums to 0xffff.
// (A UDP-over-IPv4 checksum of 0 means "none"; the caller decides to accept it.)
inline bool l4_checksum_ok_v4(const Ipv4Header& ip, uint8_t proto,
                              std::span<const uint8_t> segment) {
  uint32_t s = pseudo_header_sum_v4(ip.src, ip.dst, proto, static_cast<uint16_t>(segment.size()));
  return csum_fold(csum_partial(segment, s)) == 0xffff;
}
inline bool l4_checksum_ok_v6(const Ipv6Header& ip, uint8_t proto,
                              std::span<const uint8_t> segment) {
  uint32_t s = pseudo_header_sum_v6(ip.src, ip.dst, proto, static_cast<uint32_t>(segment.size()));
  return csum_fold(csum_partial(segment, s)) == 0xffff;
}

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). The checksum and values are host order.
inline uint16_t csum_update16(uint16_t checksum, uint16_t old_value, uint16_t new_value) {
  uint32_t s = static_cast<uint16_t>(~checksum);
  s += static_cast<uint16_t>(~old_value);
  s += new_value;
  return csum_finish(s);
}
inline uint16_t csum_update32(uint16_t checksum, uint32_t old_value, uint32_t new_value) {
  uint32_t s = static_cast<uint16_t>(~checksum);
  s += static_cast<uint16_t>(~(old_value >> 16));
  s += static_cast<uint16_t>(~old_value);
  s += new_value >> 16;
  s += new_value & 0xffff;
  return csum_finish(s);
}

}  // namespace vgw::packet
