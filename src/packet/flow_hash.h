// Flow hash over the inner L2/L3/L4 headers, and its mapping to a VXLAN UDP source
// port (RFC 7348 §5: "a hash of fields from the inner packet" in the dynamic range,
// so underlay ECMP/LAG spread tunnels' flows).
//
// Hashed, for an IP packet (as the kernel's flow dissector keys skb_get_hash):
// IPv4/IPv6 source and destination, the protocol, TCP/UDP ports unless the packet
// is a fragment (fragments of one flow must hash alike), and the VIDs of up to two
// VLAN tags; for anything else: destination and source MAC, the EtherType after
// the tags, and the VIDs. Whatever the buffer lacks is simply not hashed: the
// function never reads past the span and never fails. Deterministic across runs
// and processes (no seed), so tests can predict it.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>

#include "packet/byte_order.h"
#include "packet/ethernet.h"
#include "packet/ipv4.h"

namespace vgw::packet {

namespace detail {

inline uint64_t load_u64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint16_t load_u16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
// One multiply-xorshift round (the mixing step of splitmix64 / wyhash-style hashes).
inline uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v;
  h *= 0x9e3779b97f4a7c15ull;
  return h ^ (h >> 29);
}
// wyhash's "mum": the 128-bit product folded to 64 bits; every input bit reaches
// the middle bits of the result.
inline uint64_t mum(uint64_t a, uint64_t b) {
  __extension__ typedef unsigned __int128 u128;
  u128 r = static_cast<u128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}
// An IP packet reduced to two words (L3 addresses; protocol + ports + VLAN IDs),
// combined with one 64x64->128-bit multiplication, whose fold is spread over the
// high bits (which the source port mapping uses) by a second one.
inline uint32_t finish_ip(uint64_t l3, uint64_t l4) {
  const uint64_t h = mum(l3 ^ 0xa4093822299f31d0ull, l4 ^ 0x082efa98ec4e6c89ull);
  return static_cast<uint32_t>((h * 0x9e3779b97f4a7c15ull) >> 32);
}
// Any other frame: bytes 0..7 and bytes 8..11 + EtherType, plus the VLAN IDs.
inline uint32_t finish_l2(uint64_t l2a, uint64_t l2b, uint64_t vids) {
  const uint64_t h = mum(l2a ^ 0x243f6a8885a308d3ull, l2b ^ 0x13198a2e03707344ull) ^ vids;
  return static_cast<uint32_t>((h * 0x9e3779b97f4a7c15ull) >> 32);
}

// Any frame (flow_hash below inlines only the common case).
[[gnu::noinline]] inline uint32_t flow_hash_general(std::span<const uint8_t> frame) {
  using detail::load_u16;
  using detail::load_u32;
  using detail::load_u64;
  using detail::mix;
  const uint8_t* p = frame.data();
  const size_t n = frame.size();
  if (n < kEthernetHeaderSize) [[unlikely]] {
    uint64_t h = 0;
    for (size_t i = 0; i < n; ++i) h = mix(h, p[i]);
    return static_cast<uint32_t>(h ^ (h >> 32));
  }
  uint16_t type = load_be16(p + 12);
  size_t off = 14;
  uint64_t vids = 0;
  for (int tags = 0; tags < 2 && is_vlan_ethertype(type) && off + 4 <= n; ++tags) {
    vids = (vids << 12) | (load_be16(p + off) & 0x0fff);
    type = load_be16(p + off + 2);
    off += 4;
  }
  bool ip = false;
  uint64_t l3 = 0;
  uint8_t proto = 0;
  size_t l4 = 0;
  if (type == kEtherTypeIpv4 && off + 20 <= n) {
    const uint8_t* h = p + off;
    ip = true;
    l3 = load_u64(h + 12);  // src + dst
    size_t ihl = size_t{h[0] & 0x0fu} * 4;
    bool frag = load_be16(h + 6) & (Ipv4Header::kFlagMf | Ipv4Header::kOffsetMask);
    if (!frag && ihl >= 20) {
      proto = h[9];
      l4 = off + ihl;
    }
  } else if (type == kEtherTypeIpv6 && off + 40 <= n) [[unlikely]] {
    const uint8_t* h = p + off;
    ip = true;
    l3 = mix(mix(mix(mix(0, load_u64(h + 8)), load_u64(h + 16)), load_u64(h + 24)),
             load_u64(h + 32));
    proto = h[6];  // extension headers: hash addresses only
    l4 = off + 40;
  }
  if (!ip) {
    // Not IP (or an IP header the buffer cuts): bytes 0..11 are both MACs.
    const uint64_t l2a = load_u64(p);
    const uint64_t l2b = load_u32(p + 8) | uint64_t{load_u16(p + off - 2)} << 32;
    return detail::finish_l2(l2a, l2b, vids);
  }
  uint64_t ports = uint64_t{proto} << 32;
  if ((proto == kIpProtoTcp || proto == kIpProtoUdp) && l4 + 4 <= n) ports |= load_u32(p + l4);
  return detail::finish_ip(l3, ports | vids << 40);
}

}  // namespace detail

inline uint32_t flow_hash(std::span<const uint8_t> frame) {
  using detail::load_u16;
  using detail::load_u32;
  using detail::load_u64;
  const uint8_t* p = frame.data();
  const size_t n = frame.size();
  // The common case inline, hashing exactly what flow_hash_general would:
  // untagged IPv4 without options, not a fragment, TCP or UDP.
  if (n >= 14 + 20 + 4 && load_be16(p + 12) == kEtherTypeIpv4 && p[14] == 0x45 &&
      !(load_be16(p + 20) & (Ipv4Header::kFlagMf | Ipv4Header::kOffsetMask)) &&
      (p[23] == kIpProtoTcp || p[23] == kIpProtoUdp)) [[likely]]
    return detail::finish_ip(load_u64(p + 26), uint64_t{p[23]} << 32 | load_u32(p + 34));
  return detail::flow_hash_general(frame);
}

// flow_hash of an untagged IPv4 frame of length 14 + total whose header (at ip,
// frame + 14) has no options, total >= 20: the same value from the header
// alone, the protocol and fragment tests in one masked word (the router's fast
// path, which hashes once for ECMP and the VXLAN source port).
inline uint32_t flow_hash_ipv4_20(const uint8_t* ip, uint32_t total) {
  using detail::load_u32;
  using detail::load_u64;
  if constexpr (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) {
    // Bytes 6..9: MF + fragment offset (flag bits 0..1 masked out), TTL
    // masked out, protocol.
    const uint32_t w = load_u32(ip + 6) & 0xff00ff3fu;
    uint64_t l4 = 0;
    if ((w & 0xffffu) == 0) {  // not a fragment: the protocol, and TCP/UDP ports
      l4 = uint64_t{w >> 24} << 32;
      if ((w == uint32_t{kIpProtoTcp} << 24 || w == uint32_t{kIpProtoUdp} << 24) && total >= 24)
        l4 |= load_u32(ip + 20);
    }
    return detail::finish_ip(load_u64(ip + 12), l4);
  } else {
    uint64_t l4 = 0;
    if (!(load_be16(ip + 6) & (Ipv4Header::kFlagMf | Ipv4Header::kOffsetMask))) {
      l4 = uint64_t{ip[9]} << 32;
      if ((ip[9] == kIpProtoTcp || ip[9] == kIpProtoUdp) && total >= 24) l4 |= load_u32(ip + 20);
    }
    return detail::finish_ip(load_u64(ip + 12), l4);
  }
}

// Maps a hash into [min, max] (inclusive) without division (Lemire's multiply-shift);
// min > max is treated as the swapped range.
inline uint16_t vxlan_source_port(uint32_t hash, uint16_t min, uint16_t max) {
  if (min > max) {
    uint16_t t = min;
    min = max;
    max = t;
  }
  uint64_t span = uint64_t{max} - min + 1;
  return static_cast<uint16_t>(min + ((uint64_t{hash} * span) >> 32));
}

}  // namespace vgw::packet
