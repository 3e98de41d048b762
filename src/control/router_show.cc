// `show routes` and `show arp` (issue 3): the virtual routers' tables as the
// data plane reports them (Dataplane::read_routes / read_neighbors), narrowed by
// tenant and network, in a stable order, as JSON for vgwctl -j and the HTTP API.
#include <algorithm>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "control/service.h"

namespace vgw::control {

namespace {

using nlohmann::json;

// The filter's tenant and network must exist, like `show fdb --network`.
Status check_filter(const config::Config& c, const RouterFilter& f) {
  if (!f.tenant.empty() &&
      std::none_of(c.tenants.begin(), c.tenants.end(),
                   [&](const config::Tenant& t) { return t.name == f.tenant; }))
    return make_error(fmt::format("tenant {}: no such tenant", f.tenant));
  if (!f.network.empty() &&
      std::none_of(c.networks.begin(), c.networks.end(),
                   [&](const config::Network& n) { return n.name == f.network; }))
    return make_error(fmt::format("network {}: no such network", f.network));
  return {};
}

// A route without a network is placed through the router's connected subnets
// (longest match), the way the FIB resolves it: a gateway route where its first
// next hop is, a local address where it is configured. So `show routes` says
// where traffic leaves (an ECMP route: through its first next hop).
void fill_networks(std::vector<dataplane::RouteEntry>& routes) {
  // Each router's connected subnets, longest first (a router has few).
  std::unordered_map<std::string, std::vector<const dataplane::RouteEntry*>> connected;
  for (const auto& c : routes)
    if (c.source == "connected" && !c.network.empty()) connected[c.router].push_back(&c);
  for (auto& [router, list] : connected)
    std::sort(list.begin(), list.end(),
              [](const auto* a, const auto* b) { return a->prefix.len > b->prefix.len; });
  std::vector<std::pair<size_t, std::string>> found;
  for (size_t i = 0; i < routes.size(); ++i) {
    const auto& r = routes[i];
    if (!r.network.empty() || r.source == "connected") continue;
    auto it = connected.find(r.router);
    if (it == connected.end()) continue;
    const IpAddress& at = r.via.empty() ? r.prefix.addr : r.via.front();
    for (const auto* c : it->second)
      if (c->prefix.contains(at)) {
        found.emplace_back(i, c->network);
        break;
      }
  }
  for (auto& [i, network] : found) routes[i].network = std::move(network);
}

}  // namespace

Result<json> Service::show_routes(const RouterFilter& filter) const {
  if (Status s = check_filter(config_, filter); !s) return s.error();
  std::vector<dataplane::RouteEntry> routes = dp_.read_routes();
  fill_networks(routes);
  // By tenant and router, then IPv4 before IPv6, then numerically by prefix.
  std::sort(routes.begin(), routes.end(), [](const auto& a, const auto& b) {
    return std::tie(a.tenant, a.router, a.prefix.addr.v6, a.prefix.addr.b, a.prefix.len) <
           std::tie(b.tenant, b.router, b.prefix.addr.v6, b.prefix.addr.b, b.prefix.len);
  });
  json out = json::array();
  for (const auto& r : routes) {
    if (!filter.tenant.empty() && r.tenant != filter.tenant) continue;
    if (!filter.network.empty() && r.network != filter.network) continue;
    json via = json::array();
    for (const auto& h : r.via) via.push_back(h.to_string());
    out.push_back({{"router", r.router},
                   {"tenant", r.tenant},
                   {"prefix", r.prefix.to_string()},
                   {"source", r.source},
                   {"via", std::move(via)},
                   {"network", r.network.empty() ? json(nullptr) : json(r.network)}});
  }
  return out;
}

Result<json> Service::show_arp(const RouterFilter& filter) const {
  if (Status s = check_filter(config_, filter); !s) return s.error();
  std::vector<dataplane::NeighborEntry> entries = dp_.read_neighbors();
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return std::tie(a.tenant, a.network, a.ip.v6, a.ip.b) <
           std::tie(b.tenant, b.network, b.ip.v6, b.ip.b);
  });
  json out = json::array();
  for (const auto& e : entries) {
    if (!filter.tenant.empty() && e.tenant != filter.tenant) continue;
    if (!filter.network.empty() && e.network != filter.network) continue;
    out.push_back({{"tenant", e.tenant},
                   {"network", e.network},
                   {"ip", e.ip.to_string()},
                   {"mac", e.mac.to_string()},
                   {"state", e.state},
                   {"origin", e.origin},
                   {"age", e.age}});
  }
  return out;
}

}  // namespace vgw::control
