#include "dataplane/neighbor.h"

#include "dataplane/rcu.h"

namespace vgw::dataplane {

const char* neighbor_origin_name(NeighborOrigin o) {
  switch (o) {
    case NeighborOrigin::kSnooped:
      return "snooped";
    case NeighborOrigin::kRouter:
      return "router";
    case NeighborOrigin::kEvpn:
      return "evpn";
    case NeighborOrigin::kStatic:
      return "static";
  }
  return "snooped";
}

std::optional<NeighborOrigin> parse_neighbor_origin(std::string_view s) {
  if (s == "snooped") return NeighborOrigin::kSnooped;
  if (s == "router") return NeighborOrigin::kRouter;
  if (s == "evpn") return NeighborOrigin::kEvpn;
  if (s == "static") return NeighborOrigin::kStatic;
  return std::nullopt;
}

NeighborTable::NeighborTable(size_t initial_capacity) {
  size_t n = 16;
  while (n < initial_capacity) n <<= 1;
  table_.store(new Table(n), std::memory_order_relaxed);
}

NeighborTable::~NeighborTable() {
  delete table_.load(std::memory_order_relaxed);
}

NeighborTable::Slot* NeighborTable::find(const NeighborKey& k) const {
  Table* t = table_.load(std::memory_order_relaxed);
  for (size_t i = k.hash() & t->mask, n = 0; n <= t->mask; i = (i + 1) & t->mask, ++n) {
    Slot& s = t->slots[i];
    if (!s.used.load(std::memory_order_relaxed)) return nullptr;
    if (s.key == k) return &s;
  }
  return nullptr;
}

// Copies the live bindings into a table twice as big (or as big, when mostly
// dead slots filled it), publishes it, frees the old one after a grace period.
void NeighborTable::grow() {
  Table* old = table_.load(std::memory_order_relaxed);
  size_t n = old->mask + 1;
  if (live_ * 4 >= n) n *= 2;
  auto* t = new Table(n);
  for (size_t i = 0; i <= old->mask; ++i) {
    Slot& s = old->slots[i];
    if (!s.used.load(std::memory_order_relaxed)) continue;
    uint64_t v = s.value.load(std::memory_order_relaxed);
    if (!(v & kLive)) continue;
    for (size_t j = s.key.hash() & t->mask;; j = (j + 1) & t->mask) {
      Slot& d = t->slots[j];
      if (d.used.load(std::memory_order_relaxed)) continue;
      d.key = s.key;
      d.value.store(v, std::memory_order_relaxed);
      d.origin = s.origin;
      d.updated = s.updated;
      d.used.store(1, std::memory_order_relaxed);
      ++t->used;
      break;
    }
  }
  table_.store(t, std::memory_order_release);
  rcu::synchronize();
  delete old;
}

bool NeighborTable::set(const NeighborKey& k, MacAddress mac, NeighborOrigin origin, uint32_t now) {
  const uint64_t v = mac.to_u64() | kLive;
  if (Slot* s = find(k)) {
    uint64_t old = s->value.load(std::memory_order_relaxed);
    bool live = old & kLive;
    // Learning (snooped/router) never overwrites what EVPN or the operator said.
    if (live && s->origin >= NeighborOrigin::kEvpn && origin < NeighborOrigin::kEvpn) return false;
    s->updated = now;
    s->origin = origin;
    if (old == v) return false;
    s->value.store(v, std::memory_order_relaxed);
    if (!live) ++live_;
    changed();
    return true;
  }
  Table* t = table_.load(std::memory_order_relaxed);
  if ((t->used + 1) * 2 > t->mask + 1) {
    grow();
    t = table_.load(std::memory_order_relaxed);
  }
  for (size_t i = k.hash() & t->mask;; i = (i + 1) & t->mask) {
    Slot& s = t->slots[i];
    if (s.used.load(std::memory_order_relaxed)) continue;
    s.key = k;
    s.value.store(v, std::memory_order_relaxed);
    s.origin = origin;
    s.updated = now;
    s.used.store(1, std::memory_order_release);  // key and value visible first
    ++t->used;
    ++live_;
    changed();
    return true;
  }
}

bool NeighborTable::remove(const NeighborKey& k) {
  Slot* s = find(k);
  if (!s) return false;
  uint64_t v = s->value.load(std::memory_order_relaxed);
  if (!(v & kLive)) return false;
  s->value.store(v & ~kLive, std::memory_order_relaxed);
  --live_;
  changed();
  return true;
}

std::optional<NeighborView> NeighborTable::get(const NeighborKey& k) const {
  const Slot* s = find(k);
  if (!s) return std::nullopt;
  uint64_t v = s->value.load(std::memory_order_relaxed);
  if (!(v & kLive)) return std::nullopt;
  return NeighborView{k.network, k.address(), MacAddress::from_u64(v & kMacMask), s->origin,
                      s->updated};
}

size_t NeighborTable::flush_network(uint32_t network) {
  size_t n = 0;
  Table* t = table_.load(std::memory_order_relaxed);
  for (size_t i = 0; i <= t->mask; ++i) {
    Slot& s = t->slots[i];
    if (!s.used.load(std::memory_order_relaxed) || s.key.network != network) continue;
    uint64_t v = s.value.load(std::memory_order_relaxed);
    if (!(v & kLive)) continue;
    s.value.store(v & ~kLive, std::memory_order_relaxed);
    --live_;
    ++n;
  }
  if (n) changed();
  return n;
}

std::vector<NeighborView> NeighborTable::entries() const {
  std::vector<NeighborView> out;
  const Table* t = table_.load(std::memory_order_relaxed);
  for (size_t i = 0; i <= t->mask; ++i) {
    const Slot& s = t->slots[i];
    if (!s.used.load(std::memory_order_relaxed)) continue;
    uint64_t v = s.value.load(std::memory_order_relaxed);
    if (!(v & kLive)) continue;
    out.push_back(NeighborView{s.key.network, s.key.address(), MacAddress::from_u64(v & kMacMask),
                               s.origin, s.updated});
  }
  return out;
}

}  // namespace vgw::dataplane
