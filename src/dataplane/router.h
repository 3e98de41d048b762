// The router stage of a worker (issue 3): what happens to a frame addressed to
// a router interface MAC, and to ARP/ND broadcasts on their way to flooding.
// The stage functions are Pipeline members (pipeline.h, defined in router.cc) so
// they hand packets to the same outputs as bridging; this file holds the
// worker's own router state.
//
//   route (frame to a router MAC, from local ingress or decap alike):
//     ARP for a router address -> reply; ARP reply -> binding, parked released
//     IPv4/IPv6: header checks (RFC 1812 §5.2.2; RFC 8200 §3) -> addressed to
//     the router? ICMP/ICMPv6 echo reply, NS -> NA, NA -> binding : LPM in the
//     tenant's FIB (ECMP by flow hash) -> TTL/hop limit (RFC 1624 incremental
//     checksum) -> MTU -> neighbour of the next hop in the egress network ->
//     Ethernet rewritten (router MAC of the egress network, neighbour MAC) ->
//     bridge: FDB -> local port | encap in the egress VNI (asymmetric IRB) | flood
//     unresolved: ARP request / NS flooded in the egress network, packet parked
//     errors: ICMP time exceeded, unreachable (net / host), fragmentation
//     needed / packet too big, rate-limited per worker like icmp_ratelimit.
//   broadcast hook (before flooding an ARP request or NS): snoop the sender's
//     binding; a request for a router address is answered; with suppression on,
//     a local request for a known binding is answered and not flooded.
#pragma once

#include <array>
#include <cstdint>

#include <cstring>

#include "dataplane/neighbor.h"
#include "packet/byte_order.h"
#include "packet/ipv4.h"
#include "packet/packet_buffer.h"

namespace vgw::dataplane {

struct RouterWorker {
  // Packets waiting for their next hop's MAC (bounded, per worker).
  static constexpr uint32_t kParkCapacity = 64;
  static constexpr uint32_t kResolveTimeout = 3;  // seconds before arp_unresolved
  struct Parked {
    Packet* pkt = nullptr;
    NeighborKey key{};
    uint32_t since = 0;
    uint32_t in_network = 0;  // for the host-unreachable error
  };
  std::array<Parked, kParkCapacity> parked{};
  uint32_t n_parked = 0;

  // Next-hop cache (the router's "last tunnel"): route -> neighbour MAC and
  // FDB location, so a run of packets to the same next hop skips the neighbour
  // and FDB lookups. It also holds what is constant per egress network (VPP's
  // adjacency), so the fast path (Pipeline::route_v4_fast) rewrites a packet
  // from the entry alone. Kept across batches while nothing it was filled from
  // changed: begin() empties it when the router table, the FDB, the neighbour
  // table (their versions) or the snapshot changed.
  struct alignas(64) HopCache {  // a power of two: the index is a shift
    const void* hop = nullptr;
    uint32_t dst = 0;  // destination for a connected route, 0 for a gateway
    uint64_t mac = 0;
    uint32_t location = 0;  // Location::raw: remote, or a local port of the egress network
    uint32_t out_network = 0;
    uint32_t mtu = 0;   // the egress interface's IP MTU
    uint8_t eth[12]{};  // the rewritten Ethernet addresses: neighbour MAC, router MAC
  };
  static constexpr uint32_t kHopCacheSize = 8;
  std::array<HopCache, kHopCacheSize> hop_cache{};
  // The versions the cache was filled under (router table, FDB, neighbours).
  uint64_t cache_router_version = ~0ull, cache_fdb_version = ~0ull, cache_neighbor_version = ~0ull;

  // ICMP errors: a token bucket refilled every second (icmp_ratelimit-like:
  // kIcmpPerSecond per worker, bursts up to that).
  static constexpr uint32_t kIcmpPerSecond = 1000;
  uint32_t icmp_tokens = kIcmpPerSecond;
  uint32_t icmp_refill_at = 0;
  uint16_t ip_id = 0;

  bool take_icmp_token(uint32_t now) {
    if (now != icmp_refill_at) {
      icmp_refill_at = now;
      icmp_tokens = kIcmpPerSecond;
    }
    if (!icmp_tokens) return false;
    --icmp_tokens;
    return true;
  }
};

}  // namespace vgw::dataplane
