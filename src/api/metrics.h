// Prometheus /metrics (text exposition format 0.0.4) rendered from the same
// `show` answers the unix socket and the HTTP API return (CONTRACTS.md
// shapes), so the numbers cannot disagree with `vgwctl -j show counters`.
//   vgw_port_{rx,tx}_{packets,bytes,dropped}_total{port}
//   vgw_underlay_{rx,tx}_{packets,bytes,dropped}_total
//   vgw_network_{rx,tx}_{packets,bytes}_total{network,vni}
//   vgw_remote_vtep_{rx,tx}_{packets,bytes}_total{remote}
//   vgw_drops_total{reason}
//   vgw_worker_{rx,tx}_packets_total{worker}
//   vgw_fdb_entries{network} (gauge), vgw_fdb_entries_all (gauge)
//   vgw_fdb_{learned,moves,aged,dup_frozen,mac_limit_exceeded}_total
//   vgw_evpn_peer_state{peer} (gauge: 1 Idle, 2 Connect, 3 Active, 4 OpenSent,
//     5 OpenConfirm, 6 Established, RFC 4271 §8.2.2 order), vgw_evpn_peer_up{peer},
//   vgw_evpn_peers, vgw_evpn_peers_established (gauges),
//   vgw_evpn_peer_prefixes_{received,sent}{peer} (gauges),
//   vgw_evpn_peer_established_total{peer}, vgw_evpn_peer_updates_{received,sent}_total{peer}
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace vgw::api {

inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

// counters/drops/networks: the data of `show counters`, `show drops`, `show
// networks`. Missing or mistyped members are skipped, never thrown on.
// evpn: the data of `show evpn peers` (null: no EVPN speaker, no evpn families).
std::string render_metrics(const nlohmann::json& counters, const nlohmann::json& drops,
                           const nlohmann::json& networks,
                           const nlohmann::json& evpn = nlohmann::json());

// A label value escaped as the format asks (backslash, double quote, newline).
std::string escape_label(std::string_view v);

}  // namespace vgw::api
