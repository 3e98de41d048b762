// The consistency checker (`vgwctl check`, GET /api/v1/check; issue 5): compares
// what should be installed — the configuration, what the controller API added
// (remote origin "api"), the EVPN RIB — with what is installed in the data plane
// (the published networks and flood lists, the FDB), and reports every
// difference both ways. None of FRR, VPP or OVS has one; the model is an
// auditor that reads the same `show` answers an operator reads, so a finding
// can be verified by hand with `vgwctl -j show ...`.
//
// Checks (kind: what it means):
//   network_missing / network_unexpected   configured network not installed / the reverse
//   network_vni_mismatch                   installed VNI differs from the configured one
//   attachment_missing / attachment_unexpected
//   flood_member_missing                   a configured remote, or the originator of an
//                                          imported EVPN type-3 route, not in the flood list
//   flood_member_unexplained               a flood-list member that no configuration,
//                                          controller (origin api) or type-3 route explains
//   static_mac_missing / static_mac_unexpected / static_mac_wrong_location
//   fdb_network_unknown                    an entry of a network that is not installed
//   fdb_remote_unknown                     an entry pointing at a remote VTEP that is not
//                                          in the remote list (or a dangling index)
//   fdb_port_not_attached                  a local entry on a (port, VLAN) that is not an
//                                          attachment of its network
//   evpn_mac_without_route                 an EVPN-owned MAC with no type-2 route in the
//                                          RIB for its VNI and remote VTEP
//   evpn_route_not_installed               an imported type-2 route whose MAC is absent
//                                          from the FDB of its network
//   router_mac_missing / router_mac_unexpected
//                                          a configured router interface whose MAC is not in
//                                          its network's FDB as a router entry / the reverse
//   route_missing / route_unexpected       a connected (interface subnet) or static route of
//                                          the configuration not in the router's table / an
//                                          installed connected or static route no
//                                          configuration explains
//   route_next_hops_mismatch               a static route installed with other next hops
//   neighbor_network_unknown               a neighbour (ARP/ND) entry of a network that is
//                                          not installed
//
// Answer: {"consistent":bool,"findings":[{"kind","network"|null,"object","message"}],
//          "checked":{"networks":N,"fdb_entries":N,"flood_members":N,"evpn_routes":N,
//                     "routes":N,"neighbors":N}}
#pragma once

#include <nlohmann/json.hpp>

namespace vgw::control {

struct CheckInput {
  nlohmann::json config;       // show config (config::to_json)
  nlohmann::json networks;     // show networks
  nlohmann::json vteps;        // show vteps
  nlohmann::json fdb;          // show fdb
  nlohmann::json evpn_routes;  // show evpn routes; null when no EVPN speaker runs
  nlohmann::json routes;       // show routes
  nlohmann::json arp;          // show arp
};

// Pure: the findings of comparing the inputs (missing or mistyped members are
// treated as empty, never thrown on).
nlohmann::json check(const CheckInput& in);

}  // namespace vgw::control
