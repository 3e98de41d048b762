#include "dataplane/router_table.h"

#include <algorithm>

#include <fmt/format.h>

#include "dataplane/rcu.h"

namespace vgw::dataplane {

MacAddress default_router_mac(const std::string& router, const std::string& network) {
  // FNV-1a over "router/network": stable across versions and machines.
  uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&h](const std::string& s) {
    for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  };
  mix(router);
  mix("/");
  mix(network);
  MacAddress m = MacAddress::from_u64(h & 0xffffffffffull);
  m.b[0] = 0x02;  // locally administered, unicast
  return m;
}

MacAddress l3vni_router_mac(const std::string& router, const std::optional<MacAddress>& configured,
                            const IpAddress& vtep_source) {
  if (configured) return *configured;
  return default_router_mac(router, "l3vni@" + vtep_source.to_string());
}

namespace {

// IP MTU of a network: what fits the underlay after VXLAN encapsulation, or
// Ethernet's 1500 for a local-only segment.
uint32_t network_mtu(const Snapshot& snap, uint32_t net) {
  if (snap.fast(net).vni == kNone) return 1500;
  const VtepState& v = snap.vtep();
  uint32_t overhead = (v.source.v6 ? 40 : 20) + 8 + 8 + 14;
  return v.underlay_mtu > overhead ? v.underlay_mtu - overhead : 0;
}

// An EVPN route through the L3 VNI interface: a gateway per VTEP, resolved to
// the VTEP's router MAC by the EVPN neighbour binding in that network. A route
// the RIB refuses (a prefix a connected route already owns is fine: the
// better source wins) is left out; EVPN may send anything.
void add_evpn_route(fib::Fib& rib, const IpPrefix& prefix, const std::vector<IpAddress>& vteps,
                    uint32_t l3) {
  std::vector<fib::NextHop> hops;
  for (const IpAddress& v : vteps) hops.push_back(fib::NextHop::via(v, l3));
  if (hops.empty()) return;
  (void)rib.add_route(prefix.masked(), fib::RouteSource::kEvpn, std::move(hops));
}

}  // namespace

Result<std::shared_ptr<const RouterTable>> build_router_table(const config::Config& cfg,
                                                              const Snapshot& snap,
                                                              std::vector<fib::Fib>* ribs,
                                                              const EvpnRoutes* evpn) {
  auto t = std::make_shared<RouterTable>();
  size_t n_nets = snap.network_count();
  t->iface_by_network.assign(n_nets, kNone);
  t->suppress.assign(n_nets, 0);
  t->ageing.assign(n_nets, 300);
  for (const config::Network& cn : cfg.networks) {
    uint32_t net = snap.network_by_name(cn.name);
    if (net == kNone) continue;
    t->suppress[net] = cn.arp_suppression;
    t->ageing[net] = cn.ageing;
  }
  std::vector<fib::Fib> out;
  for (size_t r = 0; r < cfg.routers.size(); ++r) {
    const config::Router& cr = cfg.routers[r];
    fib::Fib rib(cr.name);
    for (size_t i = 0; i < cr.interfaces.size(); ++i) {
      const config::RouterInterface& ci = cr.interfaces[i];
      auto where = [&](const char* field) {
        return fmt::format("routers[{}].interfaces[{}].{}", cr.name, i, field);
      };
      uint32_t net = snap.network_by_name(ci.network);
      if (net == kNone)
        return make_error(fmt::format("{}: no network named {}", where("network"), ci.network));
      if (snap.network(net).tenant != cr.tenant)
        return make_error(fmt::format("{}: network {} belongs to tenant {}, not {}",
                                      where("network"), ci.network, snap.network(net).tenant,
                                      cr.tenant));
      uint32_t idx = t->iface_by_network[net];
      if (idx == kNone) {
        idx = static_cast<uint32_t>(t->interfaces.size());
        t->interfaces.emplace_back();
        t->iface_by_network[net] = idx;
        RouterInterfaceState& s = t->interfaces.back();
        s.router = static_cast<uint32_t>(r);
        s.mtu = network_mtu(snap, net);
        s.mac = (ci.mac ? *ci.mac : default_router_mac(cr.name, ci.network)).to_u64();
      }
      RouterInterfaceState& s = t->interfaces[idx];
      if (s.router != r)
        return make_error(fmt::format("{}: network {} already has an interface of router {}",
                                      where("network"), ci.network, cfg.routers[s.router].name));
      if (ci.mac && ci.mac->to_u64() != s.mac)
        return make_error(fmt::format("{}: a router has one MAC per network", where("mac")));
      if (ci.address.addr.v6) {
        if (s.has_v6)
          return make_error(fmt::format("{}: one IPv6 address per network", where("address")));
        s.has_v6 = true;
        std::copy_n(ci.address.addr.b.begin(), 16, s.v6);
        s.v6_len = ci.address.len;
      } else {
        if (s.has_v4)
          return make_error(fmt::format("{}: one IPv4 address per network", where("address")));
        s.has_v4 = true;
        std::copy_n(ci.address.addr.b.begin(), 4, s.v4);
        s.v4_len = ci.address.len;
      }
      Status st = rib.add_route(ci.address.masked(), fib::RouteSource::kConnected,
                                {fib::NextHop::connected(net)});
      if (st) {
        IpPrefix host{ci.address.addr, static_cast<uint8_t>(ci.address.addr.v6 ? 128 : 32)};
        if (host.len != ci.address.len)
          st = rib.add_route(host, fib::RouteSource::kConnected, {fib::NextHop::local()});
      }
      if (!st) return make_error(fmt::format("{}: {}", where("address"), st.error().message));
    }
    if (cr.l3_vni) {
      // The L3 VNI interface: the router MAC, no address; EVPN routes point here.
      uint32_t net = snap.network_by_name(config::l3vni_network_name(cr.name));
      if (net == kNone)
        return make_error(fmt::format("routers[{}].l3-vni: not in the snapshot", cr.name));
      t->iface_by_network[net] = static_cast<uint32_t>(t->interfaces.size());
      RouterInterfaceState& s = t->interfaces.emplace_back();
      s.router = static_cast<uint32_t>(r);
      s.mtu = network_mtu(snap, net);
      s.mac = l3vni_router_mac(cr, cfg).to_u64();
      t->suppress[net] = 0;
    }
    for (size_t i = 0; i < cr.routes.size(); ++i) {
      const config::Route& route = cr.routes[i];
      std::vector<fib::NextHop> hops;
      for (const IpAddress& via : route.via) hops.push_back(fib::NextHop::via(via));
      Status st = rib.add_route(route.prefix.masked(), fib::RouteSource::kStatic, std::move(hops));
      if (!st)
        return make_error(fmt::format("routers[{}].routes[{}].prefix: {}", cr.name,
                                      route.prefix.to_string(), st.error().message));
    }
    if (cr.l3_vni && evpn) {
      uint32_t l3 = snap.network_by_name(config::l3vni_network_name(cr.name));
      if (auto it = evpn->find(cr.name); it != evpn->end())
        for (const auto& [prefix, vteps] : it->second) add_evpn_route(rib, prefix, vteps, l3);
    }
    auto built = rib.build();
    if (!built) return make_error(fmt::format("routers[{}]: {}", cr.name, built.error().message));
    t->routers.push_back(RouterState{cr.name, cr.tenant, std::move(*built)});
    out.push_back(std::move(rib));
  }
  if (ribs) *ribs = std::move(out);
  return std::shared_ptr<const RouterTable>(std::move(t));
}

RouterPlane::~RouterPlane() = default;

void RouterPlane::publish(std::shared_ptr<const RouterTable> t) {
  current_.store(t.get(), std::memory_order_release);
  version_.store(version_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  rcu::synchronize();
  table_ = std::move(t);
}

Result<RouterPlane::Prepared> RouterPlane::prepare(const config::Config& cfg,
                                                   const Snapshot& snap) const {
  Prepared p;
  auto built = build_router_table(cfg, snap, &p.ribs, &evpn_);
  if (!built) return built.error();
  p.table = std::move(*built);
  return p;
}

Status RouterPlane::commit(Prepared next, const Snapshot& snap, Fdb& fdb) {
  std::shared_ptr<const RouterTable> built = std::move(next.table);
  std::vector<std::pair<uint32_t, uint64_t>> macs;
  for (size_t n = 0; n < built->iface_by_network.size(); ++n)
    if (const RouterInterfaceState* s = built->interface(static_cast<uint32_t>(n)))
      macs.emplace_back(static_cast<uint32_t>(n), s->mac);
  std::sort(macs.begin(), macs.end());
  for (auto& [net, mac] : macs) {
    Status st = fdb.add_static(net, MacAddress::from_u64(mac), kRouterLocation);
    if (!st) return st;
  }
  publish(std::move(built));
  for (auto& old : macs_)
    if (!std::binary_search(macs.begin(), macs.end(), old)) {
      auto e = fdb.get(old.first, MacAddress::from_u64(old.second));
      if (e && e->location == kRouterLocation)
        fdb.remove(old.first, MacAddress::from_u64(old.second));
    }
  macs_ = std::move(macs);
  ribs_ = std::move(next.ribs);
  // EVPN routes of routers that are gone (or lost their l3-vni) go with them.
  for (auto it = evpn_.begin(); it != evpn_.end();) {
    bool kept = false;
    for (const RouterState& r : table_->routers) kept = kept || r.name == it->first;
    kept = kept && snap.network_by_name(config::l3vni_network_name(it->first)) != kNone;
    it = kept ? std::next(it) : evpn_.erase(it);
  }
  // Bindings of networks that are gone.
  for (const NeighborView& v : neighbors_.entries())
    if (v.network >= snap.network_count() || !snap.network(v.network).present)
      neighbors_.remove(NeighborKey::make(v.network, v.ip));
  return {};
}

void RouterPlane::set_evpn_route(const std::string& router, const IpPrefix& prefix,
                                 std::vector<IpAddress> vteps) {
  std::sort(vteps.begin(), vteps.end());
  vteps.erase(std::unique(vteps.begin(), vteps.end()), vteps.end());
  auto& routes = evpn_[router];
  auto it = routes.find(prefix);
  if (vteps.empty()) {
    if (it == routes.end()) return;
    routes.erase(it);
    if (routes.empty()) evpn_.erase(router);
  } else {
    if (it != routes.end() && it->second == vteps) return;
    routes[prefix] = std::move(vteps);
  }
  evpn_dirty_.insert(router);
}

size_t RouterPlane::flush_evpn(const Snapshot& snap) {
  if (evpn_dirty_.empty() || !table_) {
    evpn_dirty_.clear();
    return 0;
  }
  auto next = std::make_shared<RouterTable>(*table_);
  size_t rebuilt = 0;
  for (size_t r = 0; r < next->routers.size() && r < ribs_.size(); ++r) {
    const std::string& name = next->routers[r].name;
    if (!evpn_dirty_.count(name)) continue;
    uint32_t l3 = snap.network_by_name(config::l3vni_network_name(name));
    if (l3 == kNone) continue;  // no l3-vni: EVPN routes are not used
    fib::Fib& rib = ribs_[r];
    rib.remove_source(fib::RouteSource::kEvpn);
    if (auto it = evpn_.find(name); it != evpn_.end())
      for (const auto& [prefix, vteps] : it->second) add_evpn_route(rib, prefix, vteps, l3);
    auto built = rib.build();
    if (!built) continue;  // the previous table stays
    next->routers[r].fib = std::move(*built);
    ++rebuilt;
  }
  evpn_dirty_.clear();
  if (rebuilt) publish(std::move(next));
  return rebuilt;
}

size_t RouterPlane::age(uint32_t now) {
  const RouterTable* t = table_.get();
  return neighbors_.age(now, [t](uint32_t net) -> uint32_t {
    return t && net < t->ageing.size() ? t->ageing[net] : 300;
  });
}

std::vector<RouteEntry> RouterPlane::routes(const Snapshot& snap) const {
  std::vector<RouteEntry> out;
  for (size_t r = 0; r < ribs_.size(); ++r) {
    const std::string& tenant =
        table_ && r < table_->routers.size() ? table_->routers[r].tenant : std::string();
    for (const fib::RouteInfo& ri : ribs_[r].routes()) {
      RouteEntry e;
      e.router = ribs_[r].name();
      e.tenant = tenant;
      e.prefix = ri.prefix;
      e.source = fib::to_string(ri.source);
      for (const fib::NextHop& h : ri.hops) {
        if (h.kind == fib::NextHopKind::kGateway) e.via.push_back(h.gateway);
        if (h.kind == fib::NextHopKind::kConnected && h.interface < snap.network_count())
          e.network = snap.network(h.interface).name;
        if (h.kind == fib::NextHopKind::kLocal) e.source = "local";
      }
      out.push_back(std::move(e));
    }
  }
  return out;
}

std::vector<NeighborEntry> RouterPlane::neighbor_entries(const Snapshot& snap, uint32_t now) const {
  std::vector<NeighborEntry> out;
  for (const NeighborView& v : neighbors_.entries()) {
    if (v.network >= snap.network_count()) continue;
    NeighborEntry e;
    e.network = snap.network(v.network).name;
    e.tenant = snap.network(v.network).tenant;
    e.ip = v.ip;
    e.mac = v.mac;
    e.origin = neighbor_origin_name(v.origin);
    e.age = now >= v.updated ? now - v.updated : 0;
    // Reachable for 30 s after a confirmation (RFC 4861 REACHABLE_TIME), then stale.
    e.state = v.origin >= NeighborOrigin::kEvpn ? "permanent" : e.age < 30 ? "reachable" : "stale";
    out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(), [](const NeighborEntry& a, const NeighborEntry& b) {
    return std::tie(a.tenant, a.network, a.ip) < std::tie(b.tenant, b.network, b.ip);
  });
  return out;
}

}  // namespace vgw::dataplane
