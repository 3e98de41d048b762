#include "bgp/rib.h"

#include <algorithm>

namespace vgw::bgp {

PathInfo path_info_from(const PathAttributes& attrs) {
  PathInfo p;
  if (attrs.mp_reach && !attrs.mp_reach->next_hops.empty())
    p.next_hop = attrs.mp_reach->next_hops.front();
  p.route_targets = attrs.route_targets();
  p.mac_mobility = attrs.mac_mobility();
  p.encapsulation = attrs.encapsulation();
  if (attrs.pmsi_tunnel) {
    p.pmsi_endpoint = attrs.pmsi_tunnel->endpoint();
    p.pmsi_label = attrs.pmsi_tunnel->label;
  }
  p.router_mac = attrs.router_mac();
  if (attrs.as_path) p.as_path = attrs.as_path->to_string();
  if (attrs.local_pref) p.local_pref = *attrs.local_pref;
  return p;
}

const VniConfig* EvpnRib::vni(uint32_t vni) const {
  auto it = vni_index_.find(vni);
  return it == vni_index_.end() ? nullptr : &vnis_[it->second];
}

const L3VniConfig* EvpnRib::l3vni(uint32_t vni) const {
  for (const auto& v : l3vnis_)
    if (v.vni == vni) return &v;
  return nullptr;
}

namespace {

template <class Vnis>
std::vector<uint32_t> matching(const Vnis& vnis, const PathInfo& path) {
  std::vector<uint32_t> out;
  for (const auto& v : vnis) {
    bool match = std::any_of(
        path.route_targets.begin(), path.route_targets.end(), [&](const RouteTarget& rt) {
          return std::find(v.import_rts.begin(), v.import_rts.end(), rt) != v.import_rts.end();
        });
    if (match) out.push_back(v.vni);
  }
  return out;
}

// Reports the difference between two counted sets as added / removed.
template <class T>
void diff_counted(const std::map<T, uint32_t>& before, const std::map<T, uint32_t>& after,
                  std::vector<T>& added, std::vector<T>& removed) {
  for (const auto& [k, n] : before)
    if (!after.count(k)) removed.push_back(k);
  for (const auto& [k, n] : after)
    if (!before.count(k)) added.push_back(k);
}

// Counts one more (add) or one less reference to k; reports the first and last.
template <class T>
void count_ref(std::map<T, uint32_t>& refs, const T& k, bool add, std::vector<T>& added,
               std::vector<T>& removed) {
  if (add) {
    if (refs[k]++ == 0) added.push_back(k);
    return;
  }
  auto it = refs.find(k);
  if (it == refs.end()) return;
  if (--it->second == 0) {
    refs.erase(it);
    removed.push_back(k);
  }
}

}  // namespace

std::vector<uint32_t> EvpnRib::import_vnis(const PathInfo& path) const {
  return matching(vnis_, path);
}

std::vector<uint32_t> EvpnRib::import_l3vnis(const PathInfo& path) const {
  return matching(l3vnis_, path);
}

void EvpnRib::configure(std::vector<VniConfig> vnis, IpAddress local_vtep,
                        std::vector<L3VniConfig> l3vnis) {
  // Import again from scratch, then report only the difference to what was installed.
  auto old_installed = std::move(mac_installed_);
  auto old_ip = std::move(ip_installed_);
  auto old_bind = std::move(bind_installed_);
  ip_installed_.clear();
  bind_installed_.clear();
  std::set<FloodKey> old_flood;
  for (const auto& [k, n] : flood_refs_) old_flood.insert(k);
  ImportChanges pending = std::move(changes_);
  changes_ = {};
  mac_installed_.clear();
  mac_candidates_.clear();
  flood_refs_.clear();

  vnis_ = std::move(vnis);
  vni_index_.clear();
  for (size_t i = 0; i < vnis_.size(); ++i) vni_index_[vnis_[i].vni] = i;
  l3vnis_ = std::move(l3vnis);
  local_vtep_ = local_vtep;

  // Our own routes: every one is rebuilt (RDs and RTs may have changed).
  std::vector<EvpnRoute> old_local;
  for (const auto& [r, l] : local_) old_local.push_back(r);
  for (const auto& r : old_local) set_local_route(r, std::nullopt);
  for (auto it = local_macs_.begin(); it != local_macs_.end();) {
    if (!vni(it->first.vni))
      it = local_macs_.erase(it);
    else
      (it++)->second.advertised = false;
  }
  for (auto it = local_ips_.begin(); it != local_ips_.end();)
    it = vni(it->first.vni) ? std::next(it) : local_ips_.erase(it);
  rebuild_local_imet();
  rebuild_local_prefixes();

  for (const auto& [peer, routes] : adj_in_)
    for (const auto& [route, path] : routes) import_path(peer, route, path, true);
  for (const auto& [key, local] : local_macs_) reselect(key);

  // What re-import reported is replaced by the difference to what was installed.
  changes_ = std::move(pending);
  diff_counted(old_ip, ip_installed_, changes_.routes_added, changes_.routes_removed);
  diff_counted(old_bind, bind_installed_, changes_.bindings_added, changes_.bindings_removed);
  for (const auto& [key, inst] : old_installed) {
    auto it = mac_installed_.find(key);
    if (it == mac_installed_.end())
      changes_.macs_removed.push_back(
          {inst.peer, key.vni, MacAddress::from_u64(key.mac), inst.vtep, inst.sequence});
  }
  for (const auto& [key, inst] : mac_installed_) {
    auto it = old_installed.find(key);
    if (it == old_installed.end() || !(it->second.vtep == inst.vtep) ||
        it->second.sequence != inst.sequence || it->second.peer != inst.peer)
      changes_.macs_installed.push_back(
          {inst.peer, key.vni, MacAddress::from_u64(key.mac), inst.vtep, inst.sequence});
  }
  for (const auto& k : old_flood)
    if (!flood_refs_.count(k)) changes_.flood_removed.push_back({k.peer, k.vni, k.vtep});
  for (const auto& [k, n] : flood_refs_)
    if (!old_flood.count(k)) changes_.flood_added.push_back({k.peer, k.vni, k.vtep});
}

void EvpnRib::rebuild_local_imet() {
  for (const auto& v : vnis_) {
    if (local_vtep_.is_unspecified()) break;
    ImetRoute r{v.rd, 0, local_vtep_};
    set_local_route(r, LocalRoute{v.vni, std::nullopt});
  }
}

void EvpnRib::rebuild_local_prefixes() {
  if (local_vtep_.is_unspecified()) return;
  for (const auto& v : l3vnis_)
    for (const IpPrefix& p : v.advertise) {
      IpPrefixRoute r;
      r.rd = v.rd;
      r.prefix = p.masked();
      r.gateway = IpAddress{};
      r.gateway.v6 = p.addr.v6;
      r.label = v.vni;
      set_local_route(r, LocalRoute{v.vni, std::nullopt});
    }
}

void EvpnRib::update(PeerId peer, const EvpnRoute& route, const PathInfo& path) {
  auto& routes = adj_in_[peer];
  auto it = routes.find(route);
  if (it != routes.end()) {
    if (it->second == path) return;
    import_path(peer, route, it->second, false);
    it->second = path;
  } else {
    routes.emplace(route, path);
  }
  import_path(peer, route, path, true);
}

void EvpnRib::withdraw(PeerId peer, const EvpnRoute& route) {
  auto pit = adj_in_.find(peer);
  if (pit == adj_in_.end()) return;
  auto it = pit->second.find(route);
  if (it == pit->second.end()) return;
  PathInfo old = std::move(it->second);
  pit->second.erase(it);
  import_path(peer, route, old, false);
}

void EvpnRib::remove_peer(PeerId peer) {
  auto pit = adj_in_.find(peer);
  if (pit == adj_in_.end()) return;
  auto routes = std::move(pit->second);
  adj_in_.erase(pit);
  for (const auto& [route, path] : routes) import_path(peer, route, path, false);
}

size_t EvpnRib::received_count(PeerId peer) const {
  auto it = adj_in_.find(peer);
  return it == adj_in_.end() ? 0 : it->second.size();
}

const std::map<EvpnRoute, PathInfo>* EvpnRib::adj_in(PeerId peer) const {
  auto it = adj_in_.find(peer);
  return it == adj_in_.end() ? nullptr : &it->second;
}

void EvpnRib::import_path(PeerId peer, const EvpnRoute& route, const PathInfo& path, bool add) {
  if (const auto* imet = std::get_if<ImetRoute>(&route)) {
    IpAddress vtep = path.pmsi_endpoint ? *path.pmsi_endpoint : imet->originator;
    if (vtep == local_vtep_ || vtep.is_unspecified()) return;
    for (uint32_t v : import_vnis(path)) {
      FloodKey key{v, vtep, peer};
      if (add) {
        if (flood_refs_[key]++ == 0) changes_.flood_added.push_back({peer, v, vtep});
      } else {
        auto it = flood_refs_.find(key);
        if (it == flood_refs_.end()) continue;
        if (--it->second == 0) {
          flood_refs_.erase(it);
          changes_.flood_removed.push_back({peer, v, vtep});
        }
      }
    }
    return;
  }
  if (std::holds_alternative<IpPrefixRoute>(route)) {
    import_ip(peer, route, path, add);
    return;
  }
  if (const auto* mac = std::get_if<MacIpRoute>(&route)) {
    if (!path.next_hop || *path.next_hop == local_vtep_) return;
    if (mac->ip) import_ip(peer, route, path, add);
    uint32_t seq = path.mac_mobility ? path.mac_mobility->sequence : 0;
    bool sticky = path.mac_mobility && path.mac_mobility->sticky;
    for (uint32_t v : import_vnis(path)) {
      MacKey key{v, mac->mac.to_u64()};
      Candidate c{peer, route, *path.next_hop, seq, sticky};
      auto& list = mac_candidates_[key];
      if (add) {
        list.push_back(std::move(c));
      } else {
        list.erase(std::remove(list.begin(), list.end(), c), list.end());
        if (list.empty()) mac_candidates_.erase(key);
      }
      reselect(key);
    }
  }
}

void EvpnRib::import_ip(PeerId peer, const EvpnRoute& route, const PathInfo& path, bool add) {
  if (!path.next_hop || *path.next_hop == local_vtep_ || path.next_hop->is_unspecified()) return;
  const IpAddress vtep = *path.next_hop;
  if (const auto* m = std::get_if<MacIpRoute>(&route)) {
    // The binding, for ARP/ND suppression in each L2 VNI the route is imported into.
    for (uint32_t v : import_vnis(path))
      count_ref(bind_installed_, BindingChange{peer, v, *m->ip, m->mac}, add,
                changes_.bindings_added, changes_.bindings_removed);
    // The host route: only with an L3 VNI label and the router MAC to send to.
    if (!m->label2 || !path.router_mac) return;
    IpPrefix host{*m->ip, static_cast<uint8_t>(m->ip->v6 ? 128 : 32)};
    for (uint32_t v : import_l3vnis(path))
      count_ref(ip_installed_, IpRouteChange{peer, v, host, vtep, *path.router_mac}, add,
                changes_.routes_added, changes_.routes_removed);
    return;
  }
  const auto& p = std::get<IpPrefixRoute>(route);
  // A gateway address or an ESI (recursive resolution, RFC 9136 §4.4) is not
  // followed: only prefixes reached directly at the next hop's router MAC.
  if (!path.router_mac || !p.gateway.is_unspecified()) return;
  for (uint32_t v : import_l3vnis(path))
    count_ref(ip_installed_, IpRouteChange{peer, v, p.prefix.masked(), vtep, *path.router_mac}, add,
              changes_.routes_added, changes_.routes_removed);
}

void EvpnRib::reselect(const MacKey& key) {
  const Candidate* best = nullptr;
  if (auto it = mac_candidates_.find(key); it != mac_candidates_.end()) {
    for (const auto& c : it->second) {
      if (!best || c.sticky > best->sticky ||
          (c.sticky == best->sticky &&
           (c.sequence > best->sequence || (c.sequence == best->sequence && c.vtep < best->vtep))))
        best = &c;
    }
  }
  bool remote_wins = best != nullptr;
  if (auto lit = local_macs_.find(key); lit != local_macs_.end()) {
    LocalMac& local = lit->second;
    remote_wins = best && (best->sticky || best->sequence > local.sequence);
    if (remote_wins && local.advertised) {
      set_local_route(local_mac_route(key), std::nullopt);
      local.advertised = false;
      sync_local_macips(key);
    } else if (!remote_wins && !local.advertised) {
      LocalRoute lr{key.vni, std::nullopt};
      if (local.sequence > 0) lr.mac_mobility = MacMobility{false, local.sequence};
      set_local_route(local_mac_route(key), lr);
      local.advertised = true;
      sync_local_macips(key);
    }
  }
  auto inst = mac_installed_.find(key);
  if (remote_wins) {
    if (inst == mac_installed_.end() || !(inst->second.vtep == best->vtep) ||
        inst->second.sequence != best->sequence || inst->second.peer != best->peer) {
      mac_installed_[key] = Installed{best->peer, best->vtep, best->sequence};
      changes_.macs_installed.push_back(
          {best->peer, key.vni, MacAddress::from_u64(key.mac), best->vtep, best->sequence});
    }
  } else if (inst != mac_installed_.end()) {
    changes_.macs_removed.push_back({inst->second.peer, key.vni, MacAddress::from_u64(key.mac),
                                     inst->second.vtep, inst->second.sequence});
    mac_installed_.erase(inst);
  }
}

EvpnRoute EvpnRib::local_mac_route(const MacKey& key) const {
  MacIpRoute r;
  if (const VniConfig* v = vni(key.vni)) r.rd = v->rd;
  r.mac = MacAddress::from_u64(key.mac);
  r.label1 = key.vni;
  return r;
}

void EvpnRib::set_local_route(const EvpnRoute& route, std::optional<LocalRoute> value) {
  if (value) {
    auto it = local_.find(route);
    if (it != local_.end() && it->second == *value) return;
    local_[route] = *value;
    export_pending_[route] = true;
  } else if (local_.erase(route)) {
    export_pending_[route] = false;
  }
}

void EvpnRib::set_local_macs(const std::set<std::pair<uint32_t, MacAddress>>& macs) {
  std::set<MacKey> wanted;
  for (const auto& [v, mac] : macs)
    if (vni(v)) wanted.insert(MacKey{v, mac.to_u64()});
  std::vector<MacKey> gone;
  for (const auto& [key, local] : local_macs_)
    if (!wanted.count(key)) gone.push_back(key);
  for (const auto& key : gone) remove_local_mac(key);
  for (const auto& key : wanted) add_local_mac(key);
}

void EvpnRib::set_local_mac(uint32_t vni_id, MacAddress mac, bool present) {
  MacKey key{vni_id, mac.to_u64()};
  if (!present)
    remove_local_mac(key);
  else if (vni(vni_id))
    add_local_mac(key);
}

void EvpnRib::add_local_mac(const MacKey& key) {
  if (local_macs_.count(key)) return;
  // RFC 7432 §15.1: a MAC learned locally that a remote path advertises has
  // moved here; announce it with a sequence above every remote one.
  uint32_t seq = 0;
  if (auto it = mac_candidates_.find(key); it != mac_candidates_.end())
    for (const auto& c : it->second) seq = std::max(seq, c.sequence + 1);
  local_macs_[key] = LocalMac{seq, false};
  reselect(key);
}

void EvpnRib::remove_local_mac(const MacKey& key) {
  auto it = local_macs_.find(key);
  if (it == local_macs_.end()) return;
  if (it->second.advertised) set_local_route(local_mac_route(key), std::nullopt);
  local_macs_.erase(it);
  sync_local_macips(key);
  reselect(key);
}

void EvpnRib::withdraw_local_macip(const MacKey& key, const IpAddress& ip) {
  // Both forms: with the VNI's L3 VNI label and without (configure() rebuilds
  // every local route, so no older label can be left).
  MacIpRoute r = std::get<MacIpRoute>(local_mac_route(key));
  r.ip = ip;
  set_local_route(r, std::nullopt);
  if (const VniConfig* v = vni(key.vni); v && v->l3vni) {
    r.label2 = *v->l3vni;
    set_local_route(r, std::nullopt);
  }
}

void EvpnRib::sync_local_macips(const MacKey& key) {
  auto ips = local_ips_.find(key);
  if (ips == local_ips_.end()) return;
  auto lm = local_macs_.find(key);
  const bool on = lm != local_macs_.end() && lm->second.advertised;
  const VniConfig* v = vni(key.vni);
  for (const IpAddress& ip : ips->second) {
    if (!on) {
      withdraw_local_macip(key, ip);
      continue;
    }
    MacIpRoute r = std::get<MacIpRoute>(local_mac_route(key));
    r.ip = ip;
    if (v && v->l3vni && l3vni(*v->l3vni)) r.label2 = *v->l3vni;
    LocalRoute lr{key.vni, std::nullopt};
    if (lm->second.sequence > 0) lr.mac_mobility = MacMobility{false, lm->second.sequence};
    set_local_route(r, lr);
  }
}

void EvpnRib::set_local_macips(const std::set<MacIp>& bindings) {
  std::map<MacKey, std::set<IpAddress>> want;
  for (const auto& [v, mac, ip] : bindings)
    if (vni(v)) want[MacKey{v, mac.to_u64()}].insert(ip);
  if (want == local_ips_) return;
  // Withdraw what is no longer bound, then advertise the new set.
  for (const auto& [key, ips] : local_ips_) {
    auto w = want.find(key);
    for (const IpAddress& ip : ips)
      if (w == want.end() || !w->second.count(ip)) withdraw_local_macip(key, ip);
  }
  local_ips_ = std::move(want);
  for (const auto& [key, ips] : local_ips_) sync_local_macips(key);
}

PathAttributes EvpnRib::export_attributes(const EvpnRoute& route, const LocalRoute& local) const {
  PathAttributes a;
  a.origin = Origin::kIgp;
  std::vector<ExtCommunity> ext;
  // The IP-VRF whose RTs and router MAC the route carries: a type-5 route's own,
  // a MAC+IP route's second label (RFC 9135 §5.1.1).
  const L3VniConfig* l3 = nullptr;
  if (const auto* p = std::get_if<IpPrefixRoute>(&route)) {
    l3 = l3vni(p->label);
  } else {
    if (const VniConfig* v = vni(local.vni))
      for (const auto& rt : v->export_rts) ext.push_back(rt.to_ext_community());
    if (const auto* m = std::get_if<MacIpRoute>(&route); m && m->label2) l3 = l3vni(*m->label2);
  }
  if (l3)
    for (const auto& rt : l3->export_rts) ext.push_back(rt.to_ext_community());
  ext.push_back(encapsulation_community(kTunnelTypeVxlan));
  if (l3) ext.push_back(router_mac_community(l3->router_mac));
  if (local.mac_mobility) ext.push_back(mac_mobility_community(*local.mac_mobility));
  a.ext_communities = std::move(ext);
  if (std::holds_alternative<ImetRoute>(route))
    a.pmsi_tunnel = PmsiTunnel::ingress_replication(local.vni, local_vtep_);
  return a;
}

ImportChanges EvpnRib::take_changes() {
  ImportChanges out = std::move(changes_);
  changes_ = {};
  return out;
}

ExportChanges EvpnRib::take_export_changes() {
  ExportChanges out;
  for (const auto& [route, adv] : export_pending_) {
    if (local_.count(route))
      out.advertise.push_back(route);
    else
      out.withdraw.push_back(route);
  }
  export_pending_.clear();
  return out;
}

}  // namespace vgw::bgp
