#include "dataplane/snapshot.h"

#include <algorithm>
#include <functional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "packet/checksum.h"
#include "packet/ethernet.h"
#include "packet/ipv4.h"
#include "packet/ipv6.h"
#include "packet/udp.h"
#include "packet/vxlan.h"

namespace vgw::dataplane {

using namespace vgw::packet;

const char* origin_name(RemoteOrigin o) {
  switch (o) {
    case RemoteOrigin::kStatic:
      return "static";
    case RemoteOrigin::kLearned:
      return "learned";
    case RemoteOrigin::kEvpn:
      return "evpn";
    case RemoteOrigin::kApi:
      return "api";
  }
  return "static";
}

uint32_t RemoteSet::find(const IpAddress& a) const {
  if (!a.v6) {
    uint32_t w;
    std::memcpy(&w, a.b.data(), 4);
    return find_v4(w);
  }
  for (size_t i = 0; i < remotes_.size(); ++i)
    if (remotes_[i].present && remotes_[i].address == a) return static_cast<uint32_t>(i);
  return kNone;
}

OuterTemplate make_outer_template(const VtepState& vtep, const Remote& r) {
  OuterTemplate t;
  uint8_t* p = t.bytes.data();
  auto* eth = reinterpret_cast<EthernetHeader*>(p);
  eth->set_dst(r.next_hop_mac);
  eth->set_src(r.source_mac);
  t.v6 = r.address.v6;
  if (!t.v6) {
    eth->type.set(kEtherTypeIpv4);
    auto* ip = reinterpret_cast<Ipv4Header*>(p + 14);
    ip->version_ihl = 0x45;
    ip->ttl = vtep.ttl;
    ip->protocol = kIpProtoUdp;
    ip->frag_off.set(vtep.df ? Ipv4Header::kFlagDf : 0);
    ip->set_src(vtep.source);
    ip->set_dst(r.address);
    t.ip_sum = csum_fold(csum_partial({p + 14, 20}));
    auto* udp = reinterpret_cast<UdpHeader*>(p + 34);
    udp->dst_port.set(vtep.udp_port);
    auto* vx = reinterpret_cast<VxlanHeader*>(p + 42);
    vx->init(0);
    t.size = OuterTemplate::kV4Size;
  } else {
    eth->type.set(kEtherTypeIpv6);
    auto* ip = reinterpret_cast<Ipv6Header*>(p + 14);
    ip->set_version_tc_flow(0, 0);
    ip->next_header = kIpProtoUdp;
    ip->hop_limit = vtep.ttl;
    ip->set_src(vtep.source);
    ip->set_dst(r.address);
    auto* udp = reinterpret_cast<UdpHeader*>(p + 54);
    udp->dst_port.set(vtep.udp_port);
    auto* vx = reinterpret_cast<VxlanHeader*>(p + 62);
    vx->init(0);
    uint32_t s = csum_partial({ip->src, 32});
    s = csum_add(s, kIpProtoUdp);
    s = csum_add(s, vtep.udp_port);
    s = csum_add(s, uint32_t{kVxlanFlagI} << 8);
    t.udp_sum = csum_fold(s);
    t.size = OuterTemplate::kV6Size;
  }
  return t;
}

std::shared_ptr<const RemoteSet> RemoteSet::make(std::vector<Remote> remotes,
                                                 const VtepState& vtep) {
  auto set = std::make_shared<RemoteSet>();
  size_t n4 = 0;
  for (Remote& r : remotes) {
    if (r.present && r.resolved) r.outer = make_outer_template(vtep, r);
    if (r.present && !r.address.v6) ++n4;
  }
  if (n4) {
    size_t cap = 8;
    while (cap < n4 * 2) cap <<= 1;
    set->v4_.assign(cap, 0);
    set->v4_mask_ = cap - 1;
    for (size_t i = 0; i < remotes.size(); ++i) {
      const Remote& r = remotes[i];
      if (!r.present || r.address.v6) continue;
      uint32_t w;
      std::memcpy(&w, r.address.b.data(), 4);
      size_t j = hash32(w) & set->v4_mask_;
      while (set->v4_[j] != 0) j = (j + 1) & set->v4_mask_;
      set->v4_[j] = (uint64_t{i} + 1) << 32 | w;
    }
  }
  set->remotes_ = std::move(remotes);
  set->count_ = static_cast<uint32_t>(set->remotes_.size());
  return set;
}

void VniMap::build(const std::vector<std::pair<uint32_t, uint32_t>>& vni_to_index) {
  size_t cap = 16;
  while (cap < vni_to_index.size() * 2) cap <<= 1;
  slots_.assign(cap, 0);
  mask_ = cap - 1;
  for (auto [vni, index] : vni_to_index) {
    size_t i = hash(vni) & mask_;
    while (slots_[i] != 0) i = (i + 1) & mask_;
    slots_[i] = (uint64_t{vni} + 1) << 32 | index;
  }
}

uint32_t NetworkTable::find_network(const std::string& name) const {
  if (by_name.empty()) return kNone;
  for (size_t i = std::hash<std::string_view>{}(name)&by_name_mask;; i = (i + 1) & by_name_mask) {
    uint32_t e = by_name[i];
    if (e == 0) return kNone;
    if (networks[e - 1].name == name) return e - 1;
  }
}

void NetworkTable::index_names(const std::vector<uint32_t>& present) {
  size_t cap = 16;
  while (cap < present.size() * 2) cap <<= 1;
  by_name.assign(cap, 0);
  by_name_mask = cap - 1;
  constexpr size_t kAhead = 8;  // slots are random: overlap their cache misses
  for (size_t k = 0; k < present.size(); ++k) {
    if (k + kAhead < present.size())
      __builtin_prefetch(
          &by_name[std::hash<std::string_view>{}(networks[present[k + kAhead]].name) &
                   by_name_mask]);
    uint32_t idx = present[k];
    size_t i = std::hash<std::string_view>{}(networks[idx].name) & by_name_mask;
    while (by_name[i] != 0) i = (i + 1) & by_name_mask;
    by_name[i] = idx + 1;
  }
}

namespace {

NextHop resolve_one(const VtepState& vtep, const UnderlayInfo& u, const IpAddress& a) {
  if (vtep.io == config::UnderlayIo::kSocket) return NextHop{true, {}, {}};
  if (!u.resolve) return NextHop{};
  return u.resolve(a);
}

void fill_next_hop(Remote& r, const VtepState& vtep, const UnderlayInfo& u) {
  NextHop nh = resolve_one(vtep, u, r.address);
  r.resolved = nh.resolved;
  r.next_hop_mac = nh.next_hop_mac;
  r.source_mac = nh.source_mac;
}

}  // namespace

Result<std::shared_ptr<const Snapshot>> build_snapshot(const config::Config& cfg,
                                                       const UnderlayInfo& underlay,
                                                       const Snapshot* previous) {
  auto vtep = std::make_shared<VtepState>();
  vtep->source = cfg.vtep.source;
  vtep->udp_port = cfg.vtep.udp_port;
  vtep->source_port_min = std::min(cfg.vtep.source_port_min, cfg.vtep.source_port_max);
  vtep->source_port_max = std::max(cfg.vtep.source_port_min, cfg.vtep.source_port_max);
  vtep->allow_unknown_sources = cfg.vtep.allow_unknown_sources;
  vtep->ttl = cfg.vtep.ttl;
  vtep->df = cfg.vtep.df;
  vtep->underlay_mtu = cfg.underlay.mtu ? cfg.underlay.mtu : underlay.interface_mtu;
  vtep->io = cfg.underlay.io;
  vtep->underlay_interface = cfg.underlay.interface;
  std::memcpy(&vtep->source_v4, vtep->source.b.data(), 4);

  auto table = std::make_shared<NetworkTable>();
  NetworkTable& t = *table;

  // Ports, by configuration order.
  std::unordered_map<std::string, uint32_t> port_index;
  for (size_t i = 0; i < cfg.ports.size(); ++i) {
    t.port_names.push_back(cfg.ports[i].name);
    port_index.emplace(cfg.ports[i].name, static_cast<uint32_t>(i));
  }
  t.port_vlan.assign(cfg.ports.size() * 4096, kNone);
  t.port_count = static_cast<uint32_t>(cfg.ports.size());

  // Remotes: previous indices kept; learned/EVPN remotes of the previous set kept.
  std::vector<Remote> remotes;
  std::unordered_map<IpAddress, uint32_t> remote_index;
  if (previous) {
    remotes = previous->remotes().remotes();
    for (size_t i = 0; i < remotes.size(); ++i) {
      Remote& r = remotes[i];
      if (!r.present) continue;
      remote_index.emplace(r.address, static_cast<uint32_t>(i));
      if (r.origin == RemoteOrigin::kStatic) r.present = false;  // until configured again
    }
  }
  std::vector<bool> remote_seen_static(remotes.size(), false);
  auto static_remote = [&](const IpAddress& a) -> Result<uint32_t> {
    if (a.v6 != vtep->source.v6)
      return make_error(fmt::format("address family of {} differs from vtep.source {}",
                                    a.to_string(), vtep->source.to_string()));
    auto it = remote_index.find(a);
    uint32_t idx;
    if (it != remote_index.end()) {
      idx = it->second;
    } else {
      idx = static_cast<uint32_t>(remotes.size());
      remotes.push_back(Remote{});
      remote_seen_static.push_back(false);
      remote_index.emplace(a, idx);
    }
    Remote& r = remotes[idx];
    r.address = a;
    r.present = true;
    r.origin = RemoteOrigin::kStatic;
    remote_seen_static[idx] = true;
    return idx;
  };

  // Networks: previous indices kept by name, new ones appended.
  size_t n_slots = previous ? previous->network_count() : 0;
  t.networks.reserve(n_slots + cfg.networks.size());  // address space only until used
  t.networks.resize(n_slots);
  for (auto& n : t.networks) n.present = false;
  std::vector<std::pair<uint32_t, uint32_t>> vnis;
  vnis.reserve(cfg.networks.size());
  std::vector<uint32_t> indices(cfg.networks.size());
  for (size_t ci = 0; ci < cfg.networks.size(); ++ci) {
    const config::Network& cn = cfg.networks[ci];
    uint32_t idx = previous ? previous->network_by_name(cn.name) : kNone;
    if (idx == kNone) {
      idx = static_cast<uint32_t>(t.networks.size());
      t.networks.emplace_back().present = false;
    }
    if (idx >= kMaxNetworks)
      return make_error(fmt::format("networks[{}]: more than {} networks", cn.name, kMaxNetworks));
    if (t.networks[idx].present)
      return make_error(fmt::format("networks[{}].name: defined twice", cn.name));
    indices[ci] = idx;
    NetworkState& n = t.networks[idx];
    n.present = true;
    n.name = cn.name;
    n.tenant = cn.tenant;
    n.flood = cn.flood;
    n.mac_limit = cn.mac_limit;
    n.ageing = cn.ageing;
    if (cn.vni) {
      if (*cn.vni == 0 || *cn.vni > config::kMaxVni)
        return make_error(
            fmt::format("networks[{}].vni: {} is not in 1..{}", cn.name, *cn.vni, config::kMaxVni));
      n.vni = *cn.vni;
      vnis.emplace_back(*cn.vni, idx);
    }
    for (const IpAddress& a : cn.remotes) {
      auto r = static_remote(a);
      if (!r)
        return make_error(fmt::format("networks[{}].remotes: {}", cn.name, r.error().message));
      if (std::find(n.flood_remotes.begin(), n.flood_remotes.end(), *r) == n.flood_remotes.end())
        n.flood_remotes.push_back(*r);
    }
    for (const config::StaticMac& m : cn.static_macs) {
      if (!m.remote) continue;
      auto r = static_remote(*m.remote);
      if (!r)
        return make_error(fmt::format("networks[{}].macs[{}].remote: {}", cn.name,
                                      m.mac.to_string(), r.error().message));
    }
    if (cn.flood == config::FloodMode::kNone) n.flood_remotes.clear();
    for (size_t ai = 0; ai < cn.attachments.size(); ++ai) {
      const config::Attachment& ca = cn.attachments[ai];
      auto pit = port_index.find(ca.port);
      if (pit == port_index.end())
        return make_error(fmt::format("networks[{}].attachments[{}].port: no port named {}",
                                      cn.name, ai, ca.port));
      if (ca.vlan > 4094)
        return make_error(fmt::format("networks[{}].attachments[{}].vlan: {} is not in 0..4094",
                                      cn.name, ai, ca.vlan));
      uint32_t& slot = t.port_vlan[size_t{pit->second} * 4096 + ca.vlan];
      if (slot != kNone)
        return make_error(fmt::format(
            "networks[{}].attachments[{}]: port {} vlan {} is already attached to network {}",
            cn.name, ai, ca.port, ca.vlan, t.networks[t.attachments[slot].network].name));
      slot = static_cast<uint32_t>(t.attachments.size());
      n.attachments.push_back(slot);
      t.attachments.push_back(AttachmentState{pit->second, ca.vlan, idx});
    }
  }

  // Each router's L3 VNI (symmetric IRB): a network of its own, flooding nothing.
  for (const config::Router& cr : cfg.routers) {
    if (!cr.l3_vni) continue;
    std::string name = config::l3vni_network_name(cr.name);
    uint32_t idx = previous ? previous->network_by_name(name) : kNone;
    if (idx == kNone) {
      idx = static_cast<uint32_t>(t.networks.size());
      t.networks.emplace_back().present = false;
    }
    if (idx >= kMaxNetworks)
      return make_error(
          fmt::format("routers[{}].l3-vni: more than {} networks", cr.name, kMaxNetworks));
    indices.push_back(idx);
    NetworkState& n = t.networks[idx];
    n.present = true;
    n.name = std::move(name);
    n.tenant = cr.tenant;
    n.flood = config::FloodMode::kNone;
    n.vni = *cr.l3_vni;
    vnis.emplace_back(*cr.l3_vni, idx);
  }

  // Static remotes no longer referenced stay holes; the rest get next hops.
  for (size_t i = 0; i < remotes.size(); ++i) {
    Remote& r = remotes[i];
    if (r.origin == RemoteOrigin::kStatic && !remote_seen_static[i]) r.present = false;
    if (r.present) fill_next_hop(r, *vtep, underlay);
  }

  // Fast per-network view.
  t.fast.resize(t.networks.size());
  for (size_t i = 0; i < t.networks.size(); ++i) {
    const NetworkState& n = t.networks[i];
    NetworkFast& f = t.fast[i];
    if (!n.present) continue;
    f.vni = n.vni;
    f.att_begin = static_cast<uint32_t>(t.flood_attachments.size());
    f.att_count = static_cast<uint16_t>(std::min<size_t>(n.attachments.size(), 0xffff));
    t.flood_attachments.insert(t.flood_attachments.end(), n.attachments.begin(),
                               n.attachments.begin() + f.att_count);
    f.flood_begin = static_cast<uint32_t>(t.flood_remote_list.size());
    f.flood_count = static_cast<uint16_t>(std::min<size_t>(n.flood_remotes.size(), 0xffff));
    t.flood_remote_list.insert(t.flood_remote_list.end(), n.flood_remotes.begin(),
                               n.flood_remotes.begin() + f.flood_count);
  }
  std::sort(vnis.begin(), vnis.end());
  for (size_t i = 1; i < vnis.size(); ++i)
    if (vnis[i].first == vnis[i - 1].first)
      return make_error(fmt::format("networks[{}].vni: {} is already used by network {}",
                                    t.networks[vnis[i].second].name, vnis[i].first,
                                    t.networks[vnis[i - 1].second].name));
  t.vni_map.build(vnis);
  t.index_names(indices);  // names are unique: validate() rejects a name listed twice

  auto remote_set = RemoteSet::make(std::move(remotes), *vtep);
  return std::make_shared<const Snapshot>(std::move(vtep), std::move(table), std::move(remote_set),
                                          cfg.fdb);
}

std::shared_ptr<const RemoteSet> resolve_remotes(const Snapshot& current,
                                                 const UnderlayInfo& underlay) {
  std::vector<Remote> remotes = current.remotes().remotes();
  for (Remote& r : remotes)
    if (r.present) fill_next_hop(r, current.vtep(), underlay);
  return RemoteSet::make(std::move(remotes), current.vtep());
}

std::pair<std::shared_ptr<const RemoteSet>, uint32_t> add_remote(const Snapshot& current,
                                                                 const IpAddress& address,
                                                                 RemoteOrigin origin,
                                                                 const UnderlayInfo& underlay) {
  uint32_t existing = current.remotes().find(address);
  if (existing != kNone) return {current.remotes_ptr(), existing};
  std::vector<Remote> remotes = current.remotes().remotes();
  Remote r;
  r.address = address;
  r.origin = origin;
  fill_next_hop(r, current.vtep(), underlay);
  remotes.push_back(r);
  auto idx = static_cast<uint32_t>(remotes.size() - 1);
  return {RemoteSet::make(std::move(remotes), current.vtep()), idx};
}

std::pair<std::shared_ptr<const RemoteSet>, std::vector<uint32_t>> add_remotes(
    const Snapshot& current, const std::vector<IpAddress>& addresses, RemoteOrigin origin,
    const UnderlayInfo& underlay) {
  std::vector<uint32_t> indices(addresses.size(), kNone);
  std::vector<Remote> remotes;
  std::unordered_map<IpAddress, uint32_t> added;
  for (size_t i = 0; i < addresses.size(); ++i) {
    indices[i] = current.remotes().find(addresses[i]);
    if (indices[i] != kNone) continue;
    if (remotes.empty()) remotes = current.remotes().remotes();
    auto [it, fresh] = added.emplace(addresses[i], static_cast<uint32_t>(remotes.size()));
    if (fresh) {
      Remote r;
      r.address = addresses[i];
      r.origin = origin;
      fill_next_hop(r, current.vtep(), underlay);
      remotes.push_back(r);
    }
    indices[i] = it->second;
  }
  if (added.empty()) return {current.remotes_ptr(), std::move(indices)};
  return {RemoteSet::make(std::move(remotes), current.vtep()), std::move(indices)};
}

Result<std::shared_ptr<const Snapshot>> with_flood_lists(
    const Snapshot& current, const std::vector<std::pair<uint32_t, std::vector<uint32_t>>>& lists) {
  auto table = std::make_shared<NetworkTable>(current.table());
  NetworkTable& t = *table;
  for (const auto& [net, remotes] : lists) {
    if (net >= t.networks.size() || !t.networks[net].present)
      return make_error(fmt::format("network index {}: no such network", net));
    for (uint32_t r : remotes)
      if (r >= current.remotes().size() || !current.remotes()[r].present)
        return make_error(fmt::format("networks[{}]: remote index {} is not a present remote",
                                      t.networks[net].name, r));
    t.networks[net].flood_remotes = remotes;
  }
  t.flood_remote_list.clear();
  for (size_t i = 0; i < t.networks.size(); ++i) {
    const NetworkState& n = t.networks[i];
    NetworkFast& f = t.fast[i];
    if (!n.present) continue;
    f.flood_begin = static_cast<uint32_t>(t.flood_remote_list.size());
    f.flood_count = static_cast<uint16_t>(std::min<size_t>(n.flood_remotes.size(), 0xffff));
    t.flood_remote_list.insert(t.flood_remote_list.end(), n.flood_remotes.begin(),
                               n.flood_remotes.begin() + f.flood_count);
  }
  return std::make_shared<const Snapshot>(current.vtep_ptr(), std::move(table),
                                          current.remotes_ptr(), current.fdb_config());
}

}  // namespace vgw::dataplane
