#include "fib/fib.h"

#include <algorithm>
#include <tuple>

namespace vgw::fib {

namespace {

uint32_t v4_addr(const IpPrefix& p) {
  return p.addr.v4_host();
}

// The prefix's host bits, as a mask of the key.
uint32_t v4_host_mask(uint8_t len) {
  return len >= 32 ? 0 : ~uint32_t{0} >> len;
}
Uint128 v6_host_mask(uint8_t len) {
  return len >= 128 ? Uint128{0} : ~Uint128{0} >> len;
}

IpPrefix v4_prefix(uint64_t key) {
  return IpPrefix{IpAddress::v4(static_cast<uint32_t>(key >> 8)), static_cast<uint8_t>(key & 0xff)};
}

IpPrefix v6_prefix(Uint128 addr, uint8_t len) {
  uint8_t b[16];
  for (int i = 15; i >= 0; --i, addr >>= 8) b[i] = static_cast<uint8_t>(addr);
  return IpPrefix{IpAddress::from_v6_bytes(b), len};
}

}  // namespace

std::string NextHop::to_string() const {
  auto dev = [this] {
    return interface == kAnyInterface ? std::string() : " dev " + std::to_string(interface);
  };
  switch (kind) {
    case NextHopKind::kConnected:
      return "dev " + std::to_string(interface);
    case NextHopKind::kGateway:
      return "via " + gateway.to_string() + dev();
    case NextHopKind::kLocal:
      return "local";
    case NextHopKind::kDrop:
      return "blackhole";
  }
  return "?";
}

const char* to_string(RouteSource s) {
  switch (s) {
    case RouteSource::kConnected:
      return "connected";
    case RouteSource::kStatic:
      return "static";
    case RouteSource::kEvpn:
      return "evpn";
  }
  return "?";
}

FibTable::Stats FibTable::stats() const {
  Stats s;
  s.v4 = v4_.stats();
  s.v6 = v6_.stats();
  s.groups = groups_.size();
  s.next_hops = hops_.size();
  s.bytes = s.v4.bytes + s.v6.bytes + groups_.size() * sizeof(Slot) +
            hops_.size() * sizeof(NextHop) + sizeof(*this);
  return s;
}

size_t Fib::HopsHash::operator()(const std::vector<NextHop>& v) const {
  uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&h](uint64_t x) { h = (h ^ x) * 0x100000001b3ull; };
  for (const NextHop& n : v) {
    mix(static_cast<uint64_t>(n.kind) << 32 | n.interface);
    mix(std::hash<IpAddress>{}(n.gateway));
  }
  return h;
}

std::string Fib::what(const IpPrefix& prefix, RouteSource source) const {
  return "fib " + name_ + ": route " + prefix.to_string() + " (" + to_string(source) + ")";
}

Fib::Sources* Fib::find(const IpPrefix& prefix) {
  if (!prefix.addr.v6) {
    auto it = v4_.find(uint64_t{v4_addr(prefix)} << 8 | prefix.len);
    return it == v4_.end() ? nullptr : &it->second;
  }
  auto it = v6_.find(V6Key{FibTable::v6_key(prefix.addr.b.data()), prefix.len});
  return it == v6_.end() ? nullptr : &it->second;
}

Result<uint32_t> Fib::intern(std::vector<NextHop> hops) {
  // Order does not matter to the user; sorting makes {a,b} and {b,a} one group and
  // keeps a flow's next hop independent of the order routes were written in.
  std::sort(hops.begin(), hops.end());
  auto it = group_ids_.find(hops);
  if (it != group_ids_.end()) {
    ++groups_[it->second].refs;
    return it->second;
  }
  uint32_t id;
  if (!free_groups_.empty()) {
    id = free_groups_.back();
    free_groups_.pop_back();
  } else {
    if (groups_.size() >= kNoRoute) return make_error("fib " + name_ + ": too many groups");
    id = static_cast<uint32_t>(groups_.size());
    groups_.emplace_back();
  }
  groups_[id].hops = hops;
  groups_[id].refs = 1;
  group_ids_.emplace(std::move(hops), id);
  return id;
}

void Fib::unref(uint32_t group) {
  Group& g = groups_[group];
  if (--g.refs) return;
  group_ids_.erase(g.hops);
  g.hops.clear();
  g.hops.shrink_to_fit();
  free_groups_.push_back(group);
}

Status Fib::add_route(const IpPrefix& prefix, RouteSource source, std::vector<NextHop> hops) {
  auto src = static_cast<size_t>(source);
  if (src >= kRouteSources) return make_error("fib " + name_ + ": unknown route source");
  if (prefix.addr.v6 ? prefix.len > 128 : prefix.len > 32)
    return make_error(what(prefix, source) + ": length " + std::to_string(prefix.len) +
                      " is too long");
  bool host_bits = prefix.addr.v6
                       ? (FibTable::v6_key(prefix.addr.b.data()) & v6_host_mask(prefix.len)) != 0
                       : (v4_addr(prefix) & v4_host_mask(prefix.len)) != 0;
  if (host_bits) return make_error(what(prefix, source) + ": host bits set");
  if (hops.empty()) return make_error(what(prefix, source) + ": no next hops");
  if (hops.size() > kMaxNextHops)
    return make_error(what(prefix, source) + ": " + std::to_string(hops.size()) +
                      " next hops, at most " + std::to_string(kMaxNextHops));
  for (const NextHop& n : hops) {
    if (n.kind == NextHopKind::kGateway && n.gateway.is_unspecified())
      return make_error(what(prefix, source) + ": next hop via has no gateway address");
    if ((n.kind == NextHopKind::kLocal || n.kind == NextHopKind::kDrop) && hops.size() > 1)
      return make_error(what(prefix, source) + ": " + n.to_string() +
                        " cannot share a group with other next hops");
    if (n.kind > NextHopKind::kDrop) return make_error(what(prefix, source) + ": bad next hop");
  }
  auto group = intern(std::move(hops));
  if (!group) return group.error();

  Sources* s = find(prefix);
  if (!s) {
    Sources empty;
    empty.fill(kNoGroup);
    s = prefix.addr.v6
            ? &v6_.emplace(V6Key{FibTable::v6_key(prefix.addr.b.data()), prefix.len}, empty)
                   .first->second
            : &v4_.emplace(uint64_t{v4_addr(prefix)} << 8 | prefix.len, empty).first->second;
  }
  if ((*s)[src] != kNoGroup) unref((*s)[src]);
  (*s)[src] = *group;
  return {};
}

Status Fib::remove_route(const IpPrefix& prefix, RouteSource source) {
  auto src = static_cast<size_t>(source);
  Sources* s = src < kRouteSources ? find(prefix) : nullptr;
  if (!s || (*s)[src] == kNoGroup) return make_error(what(prefix, source) + ": no such route");
  unref((*s)[src]);
  (*s)[src] = kNoGroup;
  if (std::all_of(s->begin(), s->end(), [](uint32_t g) { return g == kNoGroup; })) {
    if (prefix.addr.v6)
      v6_.erase(V6Key{FibTable::v6_key(prefix.addr.b.data()), prefix.len});
    else
      v4_.erase(uint64_t{v4_addr(prefix)} << 8 | prefix.len);
  }
  return {};
}

size_t Fib::remove_source(RouteSource source) {
  auto src = static_cast<size_t>(source);
  if (src >= kRouteSources) return 0;
  size_t n = 0;
  auto sweep = [&](auto& map) {
    for (auto it = map.begin(); it != map.end();) {
      Sources& s = it->second;
      if (s[src] != kNoGroup) {
        unref(s[src]);
        s[src] = kNoGroup;
        ++n;
      }
      if (std::all_of(s.begin(), s.end(), [](uint32_t g) { return g == kNoGroup; }))
        it = map.erase(it);
      else
        ++it;
    }
  };
  sweep(v4_);
  sweep(v6_);
  return n;
}

std::vector<RouteInfo> Fib::routes() const {
  std::vector<RouteInfo> out;
  out.reserve(v4_.size() + v6_.size());
  auto add = [&](const IpPrefix& p, const Sources& s) {
    bool first = true;
    for (size_t i = 0; i < kRouteSources; ++i) {
      if (s[i] == kNoGroup) continue;
      out.push_back(RouteInfo{p, static_cast<RouteSource>(i), first, s[i], groups_[s[i]].hops});
      first = false;
    }
  };
  std::vector<uint64_t> keys4;
  keys4.reserve(v4_.size());
  for (const auto& [k, s] : v4_) keys4.push_back(k);
  std::sort(keys4.begin(), keys4.end());
  for (uint64_t k : keys4) add(v4_prefix(k), v4_.at(k));
  std::vector<V6Key> keys6;
  keys6.reserve(v6_.size());
  for (const auto& [k, s] : v6_) keys6.push_back(k);
  std::sort(keys6.begin(), keys6.end(), [](const V6Key& a, const V6Key& b) {
    return std::tie(a.addr, a.len) < std::tie(b.addr, b.len);
  });
  for (const V6Key& k : keys6) add(v6_prefix(k.addr, k.len), v6_.at(k));
  return out;
}

Result<std::unique_ptr<const FibTable>> Fib::build() const {
  auto best = [](const Sources& s) {
    for (uint32_t g : s)
      if (g != kNoGroup) return g;
    return kNoGroup;
  };
  auto t = std::make_unique<FibTable>();
  t->version_ = ++builds_;

  std::vector<Poptrie<uint32_t>::Entry> r4;
  r4.reserve(v4_.size());
  for (const auto& [k, s] : v4_)
    r4.push_back({static_cast<uint32_t>(k >> 8), static_cast<uint8_t>(k & 0xff), best(s)});
  auto p4 = Poptrie<uint32_t>::build(std::move(r4));
  if (!p4) return make_error("fib " + name_ + ": " + p4.error().message);
  t->v4_ = std::move(*p4);

  std::vector<Poptrie<Uint128>::Entry> r6;
  r6.reserve(v6_.size());
  for (const auto& [k, s] : v6_) r6.push_back({k.addr, k.len, best(s)});
  auto p6 = Poptrie<Uint128>::build(std::move(r6));
  if (!p6) return make_error("fib " + name_ + ": " + p6.error().message);
  t->v6_ = std::move(*p6);

  t->groups_.resize(groups_.size());
  size_t total = 0;
  for (const Group& g : groups_) total += g.hops.size();
  t->hops_.reserve(total);
  for (size_t i = 0; i < groups_.size(); ++i) {
    t->groups_[i] = FibTable::Slot{static_cast<uint32_t>(t->hops_.size()),
                                   static_cast<uint32_t>(groups_[i].hops.size())};
    t->hops_.insert(t->hops_.end(), groups_[i].hops.begin(), groups_[i].hops.end());
  }

  // A gateway with no interface takes the interface of the connected route that
  // covers it (one level, as the kernel requires an on-link gateway).
  for (NextHop& n : t->hops_) {
    if (n.kind != NextHopKind::kGateway || n.interface != kAnyInterface) continue;
    uint32_t g = n.gateway.v6 ? t->group_v6(n.gateway.b.data()) : t->group_v4(n.gateway.v4_host());
    if (g == kNoRoute) continue;
    const NextHop& first = t->hops_[t->groups_[g].first];
    if (first.kind == NextHopKind::kConnected) n.interface = first.interface;
  }
  return std::unique_ptr<const FibTable>(std::move(t));
}

}  // namespace vgw::fib
