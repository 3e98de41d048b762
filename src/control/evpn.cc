#include "control/evpn.h"

#include <arpa/inet.h>

#include <algorithm>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

namespace vgw::control {

using nlohmann::json;

namespace {

Result<std::vector<bgp::RouteTarget>> parse_rts(const std::vector<std::string>& texts,
                                                const std::string& path) {
  std::vector<bgp::RouteTarget> out;
  for (size_t i = 0; i < texts.size(); ++i) {
    auto rt = bgp::RouteTarget::parse(texts[i]);
    if (!rt)
      return make_error(path + "[" + std::to_string(i) + "]: '" + texts[i] +
                        "' is not a route target");
    out.push_back(*rt);
  }
  return out;
}

std::string ipv4_text(uint32_t host) {
  return IpAddress::v4(host).to_string();
}

// The VNI a route belongs to, as `show evpn routes --vni` filters it.
std::optional<uint32_t> route_vni(const bgp::EvpnRoute& r, const bgp::PathInfo* path,
                                  std::optional<uint32_t> local_vni) {
  if (local_vni) return local_vni;
  if (const auto* m = std::get_if<bgp::MacIpRoute>(&r)) return m->label1;
  if (std::holds_alternative<bgp::ImetRoute>(r) && path && path->pmsi_endpoint)
    return path->pmsi_label;
  if (const auto* p = std::get_if<bgp::IpPrefixRoute>(&r)) return p->label;
  return std::nullopt;
}

// A MAC we advertise: learned or configured on a local attachment. Router
// interface MACs are not (like FRR without advertise-default-gw: the anycast
// gateway MAC is local on every gateway and must not point at any one VTEP).
bool is_host_entry(dataplane::Location loc, dataplane::FdbType type) {
  return !loc.is_remote() && loc != dataplane::kRouterLocation &&
         (type == dataplane::FdbType::kLearned || type == dataplane::FdbType::kStatic);
}

json route_json(const bgp::EvpnRoute& r) {
  json j;
  j["type"] = bgp::evpn_route_type(r);
  j["prefix"] = bgp::to_string(r);
  if (const auto* rd = bgp::evpn_route_rd(r)) j["rd"] = rd->to_string();
  if (const auto* m = std::get_if<bgp::MacIpRoute>(&r)) {
    j["mac"] = m->mac.to_string();
    j["ip"] = m->ip ? json(m->ip->to_string()) : json(nullptr);
    j["ethernet_tag"] = m->ethernet_tag;
    j["l3_vni"] = m->label2 ? json(*m->label2) : json(nullptr);
  } else if (const auto* i = std::get_if<bgp::ImetRoute>(&r)) {
    j["originator"] = i->originator.to_string();
    j["ethernet_tag"] = i->ethernet_tag;
  } else if (const auto* p = std::get_if<bgp::IpPrefixRoute>(&r)) {
    j["ip_prefix"] = p->prefix.to_string();
    j["gateway"] = p->gateway.to_string();
    j["ethernet_tag"] = p->ethernet_tag;
  }
  return j;
}

}  // namespace

EvpnAgent::EvpnAgent(Operations& ops, dataplane::Dataplane& dp,
                     std::function<const config::Config*()> config, EvpnAgentOptions options)
    : ops_(ops),
      dp_(dp),
      config_(std::move(config)),
      opts_(std::move(options)),
      clock_(opts_.clock ? opts_.clock : bgp::MsClock(bgp::monotonic_ms)),
      speaker_(*this, clock_) {
  dp_.fdb().set_change_listener([this](uint32_t n, uint64_t mac) { fdb_changed(n, mac); });
}

EvpnAgent::~EvpnAgent() {
  dp_.fdb().set_change_listener(nullptr);
}

void EvpnAgent::fdb_changed(uint32_t network, uint64_t mac) {
  if (!running_) return;  // reconcile scans everything when EVPN starts
  if (mac == 0)
    fdb_flushed_ = true;
  else if (!fdb_flushed_)
    fdb_pending_.emplace_back(network, mac);
}

Result<std::optional<bgp::SpeakerConfig>> EvpnAgent::speaker_config(const config::Config& c) {
  if (!c.evpn) return std::optional<bgp::SpeakerConfig>();
  const config::Evpn& e = *c.evpn;
  bgp::SpeakerConfig s;
  s.asn = e.asn;
  s.router_id = e.router_id ? *e.router_id : c.vtep.source;
  if (s.router_id.v6 || s.router_id.is_unspecified())
    return make_error("evpn.router-id: needed (vtep.source '" + c.vtep.source.to_string() +
                      "' is not an IPv4 address to default to)");
  s.local_address = c.vtep.source;
  s.hold_time = e.hold_time;
  s.connect_retry_s = e.connect_retry;
  for (const auto& nb : e.neighbors) s.neighbors.push_back({nb.address, nb.remote_as});
  std::map<uint32_t, size_t> configured;
  for (size_t i = 0; i < e.vnis.size(); ++i) configured[e.vnis[i].vni] = i;
  // FRR's values unless evpn.vnis sets them: RD router-id:index, RT asn:vni.
  uint16_t index = 0;
  auto settings = [&](uint32_t vni, bgp::RouteDistinguisher& rd,
                      std::vector<bgp::RouteTarget>& import_rts,
                      std::vector<bgp::RouteTarget>& export_rts) -> Status {
    rd = bgp::derive_rd(s.router_id, ++index);
    import_rts = export_rts = {bgp::derive_rt(e.asn, vni)};
    auto it = configured.find(vni);
    if (it == configured.end()) return {};
    const config::EvpnVni& cv = e.vnis[it->second];
    std::string path = "evpn.vnis[" + std::to_string(it->second) + "]";
    if (!cv.rd.empty()) {
      auto parsed = bgp::RouteDistinguisher::parse(cv.rd);
      if (!parsed) return make_error(path + ".rd: '" + cv.rd + "' is not a route distinguisher");
      rd = *parsed;
    }
    auto both = parse_rts(cv.route_targets, path + ".route-targets");
    if (!both) return both.error();
    auto imp = parse_rts(cv.import_route_targets, path + ".import-route-targets");
    if (!imp) return imp.error();
    auto exp = parse_rts(cv.export_route_targets, path + ".export-route-targets");
    if (!exp) return exp.error();
    if (!both->empty() || !imp->empty()) {
      import_rts = *both;
      import_rts.insert(import_rts.end(), imp->begin(), imp->end());
    }
    if (!both->empty() || !exp->empty()) {
      export_rts = *both;
      export_rts.insert(export_rts.end(), exp->begin(), exp->end());
    }
    return {};
  };
  // The L3 VNI of the router with an interface in each network.
  std::map<std::string, uint32_t> l3_of_network;
  for (const auto& r : c.routers)
    if (r.l3_vni)
      for (const auto& i : r.interfaces) l3_of_network[i.network] = *r.l3_vni;
  for (const auto& n : c.networks) {
    if (!n.vni) continue;
    bgp::VniConfig v;
    v.vni = *n.vni;
    if (auto st = settings(v.vni, v.rd, v.import_rts, v.export_rts); !st) return st.error();
    if (auto it = l3_of_network.find(n.name); it != l3_of_network.end()) v.l3vni = it->second;
    s.vnis.push_back(std::move(v));
  }
  for (const auto& r : c.routers) {
    if (!r.l3_vni) continue;
    bgp::L3VniConfig v;
    v.vni = *r.l3_vni;
    if (auto st = settings(v.vni, v.rd, v.import_rts, v.export_rts); !st) return st.error();
    v.router_mac = dataplane::l3vni_router_mac(r, c);
    if (r.advertise_connected) {
      std::set<IpPrefix> prefixes;
      for (const auto& i : r.interfaces) prefixes.insert(i.address.masked());
      v.advertise.assign(prefixes.begin(), prefixes.end());
    }
    s.l3vnis.push_back(std::move(v));
  }
  return std::optional<bgp::SpeakerConfig>(std::move(s));
}

Status EvpnAgent::reconcile() {
  const config::Config* c = config_ ? config_() : nullptr;
  if (!c) return {};
  auto want = speaker_config(*c);
  if (!want) {
    last_error_ = want.error().message;
    return want.error();
  }
  if (*want) (*want)->bind_address = opts_.bind_address;
  if (*want == applied_) return {};
  if (!*want) {
    if (running_) {
      spdlog::info("event=evpn_stop");
      bgp::SpeakerConfig off = *applied_;
      off.neighbors.clear();
      off.vnis.clear();
      off.listen = false;
      (void)speaker_.configure(off);
    }
    running_ = false;
    applied_ = std::nullopt;
    return {};
  }
  auto s = speaker_.configure(**want);
  if (!s) {
    last_error_ = s.error().message;
    return s;
  }
  if (!running_)
    spdlog::info("event=evpn_start asn={} router_id={} neighbors={} vnis={}", (*want)->asn,
                 (*want)->router_id.to_string(), (*want)->neighbors.size(), (*want)->vnis.size());
  running_ = true;
  applied_ = *want;
  last_error_.clear();
  scan_local_macs();
  ++scans_;
  return {};
}

void EvpnAgent::poll() {
  if (reconcile_pending_) {
    reconcile_pending_ = false;
    uint64_t scans = scans_;
    if (auto s = reconcile(); !s) spdlog::warn("event=evpn_config error=\"{}\"", s.error().message);
    // reconcile re-read every local MAC when the speaker configuration changed;
    // a configuration that left EVPN alone may still have changed attachments.
    if (running_ && scans == scans_) scan_local_macs();
  }
  if (running_) {
    follow_fdb_changes();
    // The neighbour table has no change events: local bindings are re-read every
    // second (only the networks of routers, so a few thousand entries at most).
    uint64_t now = clock_();
    if (now - bindings_scanned_at_ >= 1000) {
      bindings_scanned_at_ = now;
      scan_local_bindings();
    }
  }
  // Always: the speaker's wake timer must be read even with EVPN off, or its fd stays
  // readable and the control loop spins on it.
  speaker_.poll();
}

void EvpnAgent::follow_fdb_changes() {
  if (fdb_flushed_) {
    scan_local_macs();
    return;
  }
  if (fdb_pending_.empty()) return;
  // Taken first: what these changes install in the FDB reports back here and is
  // handled on the next poll.
  auto pending = std::move(fdb_pending_);
  fdb_pending_.clear();
  auto snap = dp_.snapshot();
  if (!snap) return;
  std::sort(pending.begin(), pending.end());
  pending.erase(std::unique(pending.begin(), pending.end()), pending.end());
  std::vector<bgp::Speaker::LocalMacChange> changes;
  for (const auto& [network, mac_bits] : pending) {
    if (network >= snap->network_count()) continue;
    const auto& net = snap->network(network);
    if (!net.present || net.vni == dataplane::kNone) continue;
    MacAddress mac = MacAddress::from_u64(mac_bits);
    auto e = dp_.fdb().get(network, mac);
    bool local = e && is_host_entry(e->location, e->type);
    std::optional<bool> advertised = speaker_.rib().local_mac_advertised(net.vni, mac);
    if (local && advertised == false && e->type == dataplane::FdbType::kLearned) {
      // Learned here again after a remote path outbid us (and before its EVPN
      // entry's own change event was handled): a new local learn, with a new
      // sequence above the winner's (RFC 7432 §15).
      changes.push_back({net.vni, mac, false});
      changes.push_back({net.vni, mac, true});
    } else if (local != advertised.has_value()) {
      changes.push_back({net.vni, mac, local});
    }
  }
  if (!changes.empty()) speaker_.update_local_macs(changes);
}

void EvpnAgent::shutdown() {
  if (running_) speaker_.shutdown();
}

void EvpnAgent::scan_local_macs() {
  // Everything is read now: what was pending is covered.
  fdb_pending_.clear();
  fdb_flushed_ = false;
  auto snap = dp_.snapshot();
  if (!snap) return;
  std::set<std::pair<uint32_t, MacAddress>> local;
  dp_.fdb().for_each(std::nullopt, [&](const dataplane::FdbEntryView& e) {
    if (!is_host_entry(e.location, e.type) || e.network >= snap->network_count()) return;
    const auto& net = snap->network(e.network);
    if (!net.present || net.vni == dataplane::kNone) return;
    local.insert({net.vni, e.mac});
  });
  speaker_.set_local_macs(local);
}

void EvpnAgent::scan_local_bindings() {
  auto snap = dp_.snapshot();
  if (!snap || !applied_) return;
  const dataplane::RouterTable* rt = dp_.router().current();
  if (!rt) return;
  std::set<bgp::EvpnRib::MacIp> bindings;
  for (const dataplane::NeighborView& v : dp_.router().neighbors().entries()) {
    if (v.origin == dataplane::NeighborOrigin::kEvpn || v.network >= snap->network_count())
      continue;
    if (!rt->interface(v.network)) continue;
    const auto& net = snap->network(v.network);
    if (!net.present || net.vni == dataplane::kNone) continue;
    auto e = dp_.fdb().get(v.network, v.mac);
    if (!e || !is_host_entry(e->location, e->type)) continue;
    bindings.emplace(net.vni, v.mac, v.ip);
  }
  speaker_.set_local_macips(bindings);
}

void EvpnAgent::apply_ip_routes(const bgp::ImportChanges& changes) {
  if (changes.routes_added.empty() && changes.routes_removed.empty() &&
      changes.bindings_added.empty() && changes.bindings_removed.empty())
    return;
  const config::Config* c = config_ ? config_() : nullptr;
  auto snap = dp_.snapshot();
  if (!c || !snap) return;
  auto router_of = [&](uint32_t l3vni) -> const config::Router* {
    for (const auto& r : c->routers)
      if (r.l3_vni == l3vni) return &r;
    return nullptr;
  };
  // The router MAC of a VTEP in an L3 VNI: a neighbour binding (the EVPN
  // gateway resolves to it) and an FDB entry (the MAC is at the VTEP).
  const Owner rmac_owner{Origin::kEvpn, "router-mac"};
  auto rmac_ref = [&](uint32_t l3vni, const IpAddress& vtep, const MacAddress& mac, bool add) {
    const config::Router* r = router_of(l3vni);
    auto& macs = router_macs_[{l3vni, vtep}];
    if (add) {
      if (macs[mac]++ == 0 && r) {
        (void)dp_.neighbor_add(config::l3vni_network_name(r->name), vtep, mac, "evpn");
        auto st = ops_.add_remote_macs({RemoteMac{NetworkRef{"", l3vni}, mac, vtep}}, rmac_owner);
        if (!st)
          spdlog::warn("event=evpn_import op=router_mac vni={} vtep={} error=\"{}\"", l3vni,
                       vtep.to_string(), st.error().message);
      }
      return;
    }
    auto it = macs.find(mac);
    if (it == macs.end() || --it->second) return;
    macs.erase(it);
    if (r) {
      (void)ops_.remove_remote_macs({RemoteMac{NetworkRef{"", l3vni}, mac, vtep}}, rmac_owner);
      if (macs.empty())
        (void)dp_.neighbor_remove(config::l3vni_network_name(r->name), vtep);
      else  // another router MAC for the same VTEP (a change in flight): use it
        (void)dp_.neighbor_add(config::l3vni_network_name(r->name), vtep, macs.begin()->first,
                               "evpn");
    }
    if (macs.empty()) router_macs_.erase({l3vni, vtep});
  };
  std::set<std::pair<uint32_t, IpPrefix>> touched;
  for (const auto& ch : changes.routes_removed) {
    auto it = ip_paths_.find({ch.l3vni, ch.prefix});
    if (it == ip_paths_.end()) continue;
    auto p = it->second.find({ch.vtep, ch.router_mac});
    if (p == it->second.end()) continue;
    it->second.erase(p);
    rmac_ref(ch.l3vni, ch.vtep, ch.router_mac, false);
    touched.insert(it->first);
  }
  for (const auto& ch : changes.routes_added) {
    // An IPv6 prefix through an IPv4 VTEP (or the reverse) would need a gateway of
    // the other family: not supported by the router stage, left out.
    if (ch.prefix.addr.v6 != ch.vtep.v6) continue;
    ip_paths_[{ch.l3vni, ch.prefix}].insert({ch.vtep, ch.router_mac});
    rmac_ref(ch.l3vni, ch.vtep, ch.router_mac, true);
    touched.insert({ch.l3vni, ch.prefix});
  }
  for (const auto& key : touched) {
    const config::Router* r = router_of(key.first);
    auto it = ip_paths_.find(key);
    std::vector<IpAddress> vteps;
    if (it != ip_paths_.end())
      for (const auto& [vtep, mac] : it->second) vteps.push_back(vtep);
    if (it != ip_paths_.end() && it->second.empty()) ip_paths_.erase(it);
    if (r) dp_.set_evpn_route(r->name, key.second, std::move(vteps));
  }
  if (!touched.empty()) dp_.flush_evpn_routes();

  // Bindings for ARP/ND suppression in the L2 networks.
  auto network_name = [&](uint32_t vni) -> std::string {
    uint32_t n = snap->network_by_vni(vni);
    return n == dataplane::kNone ? std::string() : snap->network(n).name;
  };
  for (const auto& b : changes.bindings_removed) {
    auto it = bindings_.find({b.vni, b.ip});
    if (it == bindings_.end()) continue;
    auto m = it->second.find(b.mac);
    if (m == it->second.end() || --m->second) continue;
    it->second.erase(m);
    std::string name = network_name(b.vni);
    if (name.empty()) continue;
    if (it->second.empty()) {
      (void)dp_.neighbor_remove(name, b.ip);
      bindings_.erase(it);
    } else {
      (void)dp_.neighbor_add(name, b.ip, it->second.begin()->first, "evpn");
    }
  }
  for (const auto& b : changes.bindings_added) {
    if (bindings_[{b.vni, b.ip}][b.mac]++ != 0) continue;
    std::string name = network_name(b.vni);
    if (!name.empty()) (void)dp_.neighbor_add(name, b.ip, b.mac, "evpn");
  }
}

void EvpnAgent::apply(const bgp::ImportChanges& changes) {
  // Grouped by owner (the peer whose route it is): one bulk call each.
  struct Batch {
    std::vector<RemoteMac> macs_add, macs_remove;
    std::vector<FloodMember> flood_add, flood_remove;
  };
  std::map<bgp::PeerId, Batch> by_peer;
  auto net = [](uint32_t vni) { return NetworkRef{"", vni}; };
  for (const auto& m : changes.macs_removed)
    by_peer[m.peer].macs_remove.push_back({net(m.vni), m.mac, m.vtep});
  for (const auto& m : changes.macs_installed)
    by_peer[m.peer].macs_add.push_back({net(m.vni), m.mac, m.vtep});
  for (const auto& f : changes.flood_removed)
    by_peer[f.peer].flood_remove.push_back({net(f.vni), f.vtep});
  for (const auto& f : changes.flood_added)
    by_peer[f.peer].flood_add.push_back({net(f.vni), f.vtep});

  for (auto& [peer, b] : by_peer) {
    Owner owner{Origin::kEvpn, speaker_.peer_address(peer).to_string()};
    // A bulk call is all or nothing; when one entry is refused (say a network that
    // was just removed), the others still go in one by one.
    auto run = [&](auto& entries, auto&& call, const char* what) {
      if (entries.empty()) return;
      auto r = call(entries);
      if (r) return;
      for (const auto& e : entries) {
        std::remove_reference_t<decltype(entries)> one{e};
        auto r1 = call(one);
        if (!r1)
          spdlog::warn("event=evpn_import op={} peer={} error=\"{}\"", what, owner.id,
                       r1.error().message);
      }
    };
    run(
        b.macs_remove, [&](const auto& e) { return ops_.remove_remote_macs(e, owner); },
        "remove_mac");
    run(
        b.flood_remove, [&](const auto& e) { return ops_.remove_flood_members(e, owner); },
        "remove_flood");
    run(
        b.flood_add, [&](const auto& e) { return ops_.add_flood_members(e, owner); }, "add_flood");
    run(
        b.macs_add, [&](const auto& e) { return ops_.add_remote_macs(e, owner); }, "add_mac");
  }
  apply_ip_routes(changes);
}

json EvpnAgent::show_peers() const {
  json peers = json::array();
  for (const auto& p : speaker_.peers()) {
    const auto& c = p.counters;
    peers.push_back(
        {{"address", p.address.to_string()},
         {"remote_as", p.remote_as},
         {"type", p.ebgp ? "ebgp" : "ibgp"},
         {"state", bgp::state_name(p.state)},
         {"peer_router_id", p.peer_router_id ? json(ipv4_text(p.peer_router_id)) : json(nullptr)},
         {"hold_time", p.hold_time},
         {"uptime_s", p.uptime_s},
         {"routes_received", p.routes_received},
         {"routes_sent", p.routes_sent},
         {"last_error", p.last_error},
         {"messages",
          {{"opens_in", c.opens_in},
           {"opens_out", c.opens_out},
           {"updates_in", c.updates_in},
           {"updates_out", c.updates_out},
           {"keepalives_in", c.keepalives_in},
           {"keepalives_out", c.keepalives_out},
           {"notifications_in", c.notifications_in},
           {"notifications_out", c.notifications_out},
           {"route_refresh_in", c.route_refresh_in}}},
         {"established_count", c.established_count},
         {"dropped_count", c.dropped_count},
         {"treat_as_withdraw", c.treat_as_withdraw},
         {"attribute_discard", c.attribute_discard}});
  }
  const auto& cfg = speaker_.config();
  return {{"running", running_},
          {"asn", running_ ? json(cfg.asn) : json(nullptr)},
          {"router_id", running_ ? json(cfg.router_id.to_string()) : json(nullptr)},
          {"local_address", running_ ? json(cfg.local_address.to_string()) : json(nullptr)},
          {"listening", speaker_.listening()},
          {"listen_error", speaker_.listen_error()},
          {"error", last_error_},
          {"peers", std::move(peers)}};
}

json EvpnAgent::show_routes(const EvpnRouteFilter& filter) const {
  json out = json::array();
  const bgp::EvpnRib& rib = speaker_.rib();
  auto keep = [&](const bgp::EvpnRoute& r, std::optional<uint32_t> vni) {
    if (filter.type && bgp::evpn_route_type(r) != *filter.type) return false;
    if (filter.vni && vni != filter.vni) return false;
    return true;
  };
  for (const auto& [r, local] : rib.local_routes()) {
    std::optional<uint32_t> vni = route_vni(r, nullptr, local.vni);
    if (!keep(r, vni)) continue;
    json j = route_json(r);
    bgp::PathAttributes a = rib.export_attributes(r, local);
    j["vni"] = local.vni;
    j["source"] = "local";
    j["next_hop"] = rib.local_vtep().to_string();
    json ext = json::array();
    if (a.ext_communities)
      for (const auto& c : *a.ext_communities) ext.push_back(bgp::to_string(c));
    j["ext_communities"] = std::move(ext);
    j["sequence"] = local.mac_mobility ? json(local.mac_mobility->sequence) : json(nullptr);
    j["imported"] = nullptr;
    out.push_back(std::move(j));
  }
  for (const auto& [peer, routes] : rib.all_adj_in()) {
    std::string from = speaker_.peer_address(peer).to_string();
    for (const auto& [r, path] : routes) {
      std::optional<uint32_t> vni = route_vni(r, &path, std::nullopt);
      if (!keep(r, vni)) continue;
      json j = route_json(r);
      j["vni"] = vni ? json(*vni) : json(nullptr);
      j["source"] = from;
      j["next_hop"] = path.next_hop ? json(path.next_hop->to_string()) : json(nullptr);
      json ext = json::array();
      for (const auto& rt : path.route_targets) ext.push_back("RT:" + rt.to_string());
      if (path.encapsulation) ext.push_back("ET:" + std::to_string(*path.encapsulation));
      if (path.router_mac) ext.push_back("Rmac:" + path.router_mac->to_string());
      if (path.mac_mobility)
        ext.push_back("MM:" + std::to_string(path.mac_mobility->sequence) +
                      (path.mac_mobility->sticky ? ", sticky MAC" : ""));
      j["ext_communities"] = std::move(ext);
      j["sequence"] = path.mac_mobility ? json(path.mac_mobility->sequence) : json(nullptr);
      j["as_path"] = path.as_path;
      j["local_pref"] = path.local_pref;
      j["pmsi_endpoint"] =
          path.pmsi_endpoint ? json(path.pmsi_endpoint->to_string()) : json(nullptr);
      j["imported"] = rib.import_vnis(path);
      j["imported_l3"] = rib.import_l3vnis(path);
      out.push_back(std::move(j));
    }
  }
  return out;
}

}  // namespace vgw::control
