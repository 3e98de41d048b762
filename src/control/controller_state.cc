#include "control/controller_state.h"

#include <algorithm>
#include <unordered_set>

#include <fmt/format.h>

namespace vgw::control {

namespace {

dataplane::RemoteOrigin remote_origin(Origin o) {
  return o == Origin::kEvpn ? dataplane::RemoteOrigin::kEvpn : dataplane::RemoteOrigin::kApi;
}

}  // namespace

uint32_t ControllerState::owner_index(const Owner& owner) {
  for (size_t i = 0; i < owners_.size(); ++i)
    if (owners_[i] == owner) return static_cast<uint32_t>(i);
  owners_.push_back(owner);
  return static_cast<uint32_t>(owners_.size() - 1);
}

dataplane::FdbType ControllerState::fdb_type(uint32_t owner) const {
  return owners_[owner].origin == Origin::kEvpn ? dataplane::FdbType::kEvpn
                                                : dataplane::FdbType::kApi;
}

size_t ControllerState::flood_member_count() const {
  size_t n = 0;
  for (const auto& [net, f] : flood_) n += f.members.size();
  return n;
}

Result<uint32_t> ControllerState::network_of(const dataplane::Snapshot& snap, const NetworkRef& ref,
                                             size_t i) const {
  if (!ref.name.empty()) {
    uint32_t idx = snap.network_by_name(ref.name);
    if (idx == dataplane::kNone)
      return make_error(fmt::format("entries[{}].network: no such network '{}'", i, ref.name));
    return idx;
  }
  if (ref.vni == 0) return make_error(fmt::format("entries[{}].network: missing (name or vni)", i));
  uint32_t idx = snap.network_by_vni(ref.vni);
  if (idx == dataplane::kNone)
    return make_error(fmt::format("entries[{}].vni: no network with VNI {}", i, ref.vni));
  return idx;
}

Status ControllerState::check_remote(const dataplane::Snapshot& snap, const IpAddress& a,
                                     size_t i) const {
  const IpAddress& source = snap.vtep().source;
  if (a.is_unspecified())
    return make_error(
        fmt::format("entries[{}].remote: {} is not a VTEP address", i, a.to_string()));
  if (a.v6 != source.v6)
    return make_error(
        fmt::format("entries[{}].remote: address family of {} differs from "
                    "vtep.source {}",
                    i, a.to_string(), source.to_string()));
  if (a == source)
    return make_error(
        fmt::format("entries[{}].remote: {} is this gateway's own vtep.source", i, a.to_string()));
  return {};
}

void ControllerState::ensure_remotes(const std::vector<IpAddress>& addresses,
                                     dataplane::RemoteOrigin origin,
                                     const dataplane::UnderlayInfo& underlay) {
  auto snap = dp_.snapshot();
  std::vector<IpAddress> missing;
  std::unordered_set<IpAddress> seen;
  for (const IpAddress& a : addresses)
    if (snap->remotes().find(a) == dataplane::kNone && seen.insert(a).second) missing.push_back(a);
  if (missing.empty()) return;
  auto [set, indices] = dataplane::add_remotes(*snap, missing, origin, underlay);
  dp_.publish(snap->with_remotes(set));
}

void ControllerState::forget_mac(const MacKey& key, const MacState& state) {
  MacAddress mac = MacAddress::from_u64(key.mac);
  auto e = dp_.fdb().get(key.network, mac);
  if (e && e->type == fdb_type(state.owner) &&
      e->location == dataplane::Location::remote(state.remote_index))
    dp_.fdb().remove(key.network, mac);
}

Result<BulkResult> ControllerState::add_macs(const std::vector<RemoteMac>& entries,
                                             const Owner& owner,
                                             const dataplane::UnderlayInfo& underlay) {
  auto snap = dp_.snapshot();
  if (!snap) return make_error("controller: no configuration applied yet");
  // ---- check every entry; nothing changes on error ----
  std::vector<uint32_t> nets(entries.size());
  std::vector<IpAddress> remotes;
  remotes.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const RemoteMac& e = entries[i];
    auto net = network_of(*snap, e.network, i);
    if (!net) return net.error();
    nets[i] = *net;
    if (e.mac.is_zero() || e.mac.is_multicast())
      return make_error(
          fmt::format("entries[{}].mac: {} is not a unicast MAC", i, e.mac.to_string()));
    if (auto st = check_remote(*snap, e.remote, i); !st) return st.error();
    auto cur = dp_.fdb().get(*net, e.mac);
    if (cur && cur->type == dataplane::FdbType::kStatic)
      return make_error(
          fmt::format("entries[{}].mac: {} is a static MAC of network {} in the configuration", i,
                      e.mac.to_string(), snap->network(*net).name));
    remotes.push_back(e.remote);
  }

  // ---- apply ----
  const uint32_t who = owner_index(owner);
  const dataplane::FdbType type = fdb_type(who);
  ensure_remotes(remotes, remote_origin(owner.origin), underlay);
  snap = dp_.snapshot();
  const uint32_t now = dp_.now();
  BulkResult r;
  macs_.reserve(macs_.size() + entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const RemoteMac& e = entries[i];
    const uint32_t ri = snap->remotes().find(e.remote);
    const MacKey key{nets[i], e.mac.to_u64()};
    const dataplane::Location loc = dataplane::Location::remote(ri);
    auto [it, fresh] = macs_.try_emplace(key, MacState{e.remote, ri, who});
    if (!fresh) {
      MacState& s = it->second;
      auto cur = dp_.fdb().get(key.network, e.mac);
      if (s.owner == who && s.remote_index == ri && cur && cur->type == type &&
          cur->location == loc) {
        ++r.unchanged;
        continue;
      }
      s = MacState{e.remote, ri, who};
      ++r.replaced;
    } else {
      ++r.added;
    }
    Status st = dp_.fdb().add(key.network, e.mac, loc, type, now);
    if (!st) return st.error();  // not expected: network and MAC were checked
  }
  return r;
}

template <typename Entry>
Result<std::vector<uint32_t>> ControllerState::networks_of(
    const dataplane::Snapshot& snap, const std::vector<Entry>& entries) const {
  std::vector<uint32_t> nets(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    auto net = network_of(snap, entries[i].network, i);
    if (!net) return net.error();
    nets[i] = *net;
  }
  return nets;
}

Result<BulkResult> ControllerState::remove_macs(const std::vector<RemoteMac>& entries,
                                                const Owner& owner) {
  auto snap = dp_.snapshot();
  if (!snap) return make_error("controller: no configuration applied yet");
  auto resolved = networks_of(*snap, entries);
  if (!resolved) return resolved.error();
  const std::vector<uint32_t>& nets = *resolved;
  const uint32_t who = owner_index(owner);
  BulkResult r;
  for (size_t i = 0; i < entries.size(); ++i) {
    auto it = macs_.find(MacKey{nets[i], entries[i].mac.to_u64()});
    if (it == macs_.end()) {
      ++r.absent;
    } else if (it->second.owner != who) {
      ++r.not_owned;
    } else {
      forget_mac(it->first, it->second);
      macs_.erase(it);
      ++r.removed;
    }
  }
  return r;
}

void ControllerState::publish_flood(const std::vector<uint32_t>& networks) {
  auto snap = dp_.snapshot();
  if (!snap || networks.empty()) return;
  std::vector<std::pair<uint32_t, std::vector<uint32_t>>> lists;
  for (uint32_t n : networks) {
    if (n >= snap->network_count() || !snap->network(n).present) continue;
    auto base = base_flood_.find(n);
    if (base == base_flood_.end())
      base = base_flood_.emplace(n, snap->network(n).flood_remotes).first;
    std::vector<uint32_t> list = base->second;
    auto f = flood_.find(n);
    if (f == flood_.end() || f->second.members.empty()) {
      // Back to the configured list alone.
      lists.emplace_back(n, std::move(list));
      base_flood_.erase(base);
      if (f != flood_.end()) flood_.erase(f);
      continue;
    }
    if (snap->network(n).flood != config::FloodMode::kNone) {
      std::vector<std::pair<uint64_t, uint32_t>> installed;  // (seq, remote index)
      for (const auto& [addr, m] : f->second.members) {
        uint32_t ri = snap->remotes().find(addr);
        if (ri != dataplane::kNone) installed.emplace_back(m.seq, ri);
      }
      std::sort(installed.begin(), installed.end());
      std::unordered_set<uint32_t> have(list.begin(), list.end());
      for (auto [seq, ri] : installed)
        if (have.insert(ri).second) list.push_back(ri);
    }
    lists.emplace_back(n, std::move(list));
  }
  if (lists.empty()) return;
  auto next = dataplane::with_flood_lists(*snap, lists);
  if (next) dp_.publish(std::move(*next));  // checked above: cannot fail
}

Result<BulkResult> ControllerState::add_flood(const std::vector<FloodMember>& entries,
                                              const Owner& owner,
                                              const dataplane::UnderlayInfo& underlay) {
  auto snap = dp_.snapshot();
  if (!snap) return make_error("controller: no configuration applied yet");
  std::vector<uint32_t> nets(entries.size());
  std::vector<IpAddress> remotes;
  remotes.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    auto net = network_of(*snap, entries[i].network, i);
    if (!net) return net.error();
    nets[i] = *net;
    if (auto st = check_remote(*snap, entries[i].remote, i); !st) return st.error();
    remotes.push_back(entries[i].remote);
  }
  const uint32_t who = owner_index(owner);
  ensure_remotes(remotes, remote_origin(owner.origin), underlay);
  BulkResult r;
  std::vector<uint32_t> touched;
  for (size_t i = 0; i < entries.size(); ++i) {
    NetworkFlood& f = flood_[nets[i]];
    auto [it, fresh] = f.members.try_emplace(entries[i].remote, Member{{}, f.next_seq});
    if (fresh) {
      ++f.next_seq;
      ++r.added;
      touched.push_back(nets[i]);
    }
    auto& owners = it->second.owners;
    if (std::find(owners.begin(), owners.end(), who) == owners.end()) {
      owners.push_back(who);
      if (!fresh) ++r.replaced;
    } else if (!fresh) {
      ++r.unchanged;
    }
  }
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  publish_flood(touched);
  return r;
}

Result<BulkResult> ControllerState::remove_flood(const std::vector<FloodMember>& entries,
                                                 const Owner& owner) {
  auto snap = dp_.snapshot();
  if (!snap) return make_error("controller: no configuration applied yet");
  auto resolved = networks_of(*snap, entries);
  if (!resolved) return resolved.error();
  const std::vector<uint32_t>& nets = *resolved;
  const uint32_t who = owner_index(owner);
  BulkResult r;
  std::vector<uint32_t> touched;
  for (size_t i = 0; i < entries.size(); ++i) {
    auto f = flood_.find(nets[i]);
    auto it = f == flood_.end() ? decltype(f->second.members.end()){}
                                : f->second.members.find(entries[i].remote);
    if (f == flood_.end() || it == f->second.members.end()) {
      ++r.absent;
      continue;
    }
    auto& owners = it->second.owners;
    auto o = std::find(owners.begin(), owners.end(), who);
    if (o == owners.end()) {
      ++r.not_owned;
      continue;
    }
    owners.erase(o);
    ++r.removed;
    if (owners.empty()) {
      f->second.members.erase(it);
      touched.push_back(nets[i]);
    }
  }
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  publish_flood(touched);
  return r;
}

BulkResult ControllerState::withdraw(const Owner& owner) {
  BulkResult r;
  auto o = std::find(owners_.begin(), owners_.end(), owner);
  if (o == owners_.end()) return r;
  const auto who = static_cast<uint32_t>(o - owners_.begin());
  for (auto it = macs_.begin(); it != macs_.end();) {
    if (it->second.owner != who) {
      ++it;
      continue;
    }
    forget_mac(it->first, it->second);
    it = macs_.erase(it);
    ++r.removed;
  }
  std::vector<uint32_t> touched;
  for (auto& [net, f] : flood_) {
    for (auto it = f.members.begin(); it != f.members.end();) {
      auto& owners = it->second.owners;
      auto w = std::find(owners.begin(), owners.end(), who);
      if (w == owners.end()) {
        ++it;
        continue;
      }
      owners.erase(w);
      ++r.removed;
      if (owners.empty()) {
        it = f.members.erase(it);
        touched.push_back(net);
      } else {
        ++it;
      }
    }
  }
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  publish_flood(touched);
  return r;
}

void ControllerState::reconcile(const dataplane::UnderlayInfo& underlay) {
  auto snap = dp_.snapshot();
  if (!snap) return;
  base_flood_.clear();  // the new snapshot's lists are the configured ones
  auto gone = [&](uint32_t n) { return n >= snap->network_count() || !snap->network(n).present; };

  // Entries of removed networks go; the FDB entries behind them too.
  std::vector<IpAddress> remotes;
  for (auto it = macs_.begin(); it != macs_.end();) {
    if (gone(it->first.network)) {
      forget_mac(it->first, it->second);
      it = macs_.erase(it);
      continue;
    }
    remotes.push_back(it->second.remote);
    ++it;
  }
  for (auto it = flood_.begin(); it != flood_.end();) {
    if (gone(it->first)) {
      it = flood_.erase(it);
      continue;
    }
    for (const auto& [addr, m] : it->second.members) remotes.push_back(addr);
    ++it;
  }

  // Remotes only the configuration had named come back as controller remotes.
  ensure_remotes(remotes, dataplane::RemoteOrigin::kApi, underlay);
  snap = dp_.snapshot();
  const uint32_t now = dp_.now();
  for (auto it = macs_.begin(); it != macs_.end();) {
    MacState& s = it->second;
    MacAddress mac = MacAddress::from_u64(it->first.mac);
    auto cur = dp_.fdb().get(it->first.network, mac);
    if (cur && cur->type == dataplane::FdbType::kStatic) {
      it = macs_.erase(it);  // the configuration now pins this MAC: it wins
      continue;
    }
    uint32_t ri = snap->remotes().find(s.remote);
    if (ri != s.remote_index || !cur || cur->type != fdb_type(s.owner)) {
      s.remote_index = ri;
      (void)dp_.fdb().add(it->first.network, mac, dataplane::Location::remote(ri),
                          fdb_type(s.owner), now);
    }
    ++it;
  }
  std::vector<uint32_t> nets;
  for (const auto& [net, f] : flood_) nets.push_back(net);
  std::sort(nets.begin(), nets.end());
  publish_flood(nets);
}

}  // namespace vgw::control
