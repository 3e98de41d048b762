// What the control plane reads from and writes to the virtual router's data
// plane (issue 3): route and neighbour listings for `vgwctl show routes|arp`, and
// neighbour bindings added from outside (EVPN type-2 MAC+IP, operator).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/addr.h"

namespace vgw::dataplane {

// One line of `show routes`: a route of a tenant's router.
struct RouteEntry {
  std::string router, tenant;
  IpPrefix prefix;
  std::string source;          // "connected" | "static" | "evpn"
  std::vector<IpAddress> via;  // next hops (empty for connected routes)
  std::string network;         // connected: the interface's network; else "" or the egress network
};

// One line of `show arp`: an IP -> MAC binding in a network.
struct NeighborEntry {
  std::string tenant, network;
  IpAddress ip;
  MacAddress mac;
  std::string state;   // "reachable" | "stale" | "incomplete" | "permanent"
  std::string origin;  // "snooped" | "router" | "evpn" | "static"
  uint32_t age = 0;    // seconds since last confirmed
};

// Router counters (summed over workers; CounterTotals::router) for `show counters`.
struct RouterTotals {
  uint64_t routed = 0;             // packets forwarded by a router stage
  uint64_t icmp_sent = 0;          // ICMP/ICMPv6 errors and echo replies generated
  uint64_t arp_requests_sent = 0;  // ARP requests + ND solicitations sent by routers
  uint64_t arp_replies_sent = 0;   // ARP replies + NAs generated (gateway + suppression)
  uint64_t suppressed = 0;         // ARP/NS answered by suppression instead of flooded
  uint64_t fragments = 0;          // IPv4 fragments made for an egress network's MTU
};

}  // namespace vgw::dataplane
