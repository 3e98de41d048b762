#include "dataplane/fdb.h"

#include <algorithm>

#include <fmt/format.h>

#include "dataplane/rcu.h"
#include "dataplane/snapshot.h"

namespace vgw::dataplane {

namespace {
constexpr uint64_t kLiveBit = 1ull << 51;
constexpr uint64_t kMacMask = 0xffffffffffffull;
}  // namespace

Fdb::Fdb(FdbOptions opts) : opts_(opts) {
  auto* t = new Table;
  t->cap = std::max<size_t>(opts.initial_capacity, 16);
  t->slots.reset(new Slot[t->cap]);
  table_.store(t, std::memory_order_release);
}

Fdb::~Fdb() {
  delete table_.load(std::memory_order_acquire);
}

size_t Fdb::capacity() const {
  return table_.load(std::memory_order_acquire)->cap;
}

size_t Fdb::memory_bytes() const {
  const Table* t = table_.load(std::memory_order_acquire);
  return t->cap * sizeof(Slot) + size_t{t->gen_count} * sizeof(uint16_t) +
         (per_network_.capacity() + per_network_pinned_.capacity()) * sizeof(uint32_t);
}

size_t Fdb::entries_in(uint32_t network) const {
  if (network >= per_network_.size()) return 0;
  return size_t{per_network_[network]} + per_network_pinned_[network];
}

FdbTotals Fdb::totals() const {
  FdbTotals t;
  t.entries = live_;
  t.learned = stats_.learned.load(std::memory_order_relaxed);
  t.moves = stats_.moves.load(std::memory_order_relaxed);
  t.mac_limit_exceeded = stats_.mac_limit_exceeded.load(std::memory_order_relaxed);
  t.dup_frozen = stats_.dup_frozen.load(std::memory_order_relaxed);
  t.aged = stats_.aged.load(std::memory_order_relaxed);
  return t;
}

void Fdb::set_dup_detection(uint32_t max_moves, uint32_t window) {
  opts_.dup_max_moves = max_moves;
  opts_.dup_window = window;
}

uint32_t Fdb::network_of(const Slot& s) const {
  return static_cast<uint32_t>(s.key.load(std::memory_order_relaxed) >> 48) | uint32_t{s.net_hi}
                                                                                  << 16;
}

bool Fdb::entry_live(const Table& t, const Slot& s) const {
  if (s.key.load(std::memory_order_relaxed) == 0) return false;
  return alive(FdbValue{s.value.load(std::memory_order_relaxed)}, t.gen_of(network_of(s)));
}

Fdb::Slot* Fdb::find_slot(const Table& t, uint32_t network, uint64_t mac) const {
  uint64_t key = pack_key(network, mac);
  auto hi = static_cast<uint8_t>(network >> 16);
  for (size_t i = t.index(key, hi), n = 0; n < t.cap; i = t.next(i), ++n) {
    Slot& s = t.slots[i];
    uint64_t k = s.key.load(std::memory_order_relaxed);
    if (k == 0) return nullptr;
    if (k == key && s.net_hi == hi) return &s;
  }
  return nullptr;
}

void Fdb::ensure_network(uint32_t network) {
  if (per_network_.size() <= network) {
    per_network_.resize(size_t{network} + 1, 0);
    per_network_pinned_.resize(size_t{network} + 1, 0);
  }
  const Table* t = table_.load(std::memory_order_relaxed);
  if (network < t->gen_count) return;
  uint32_t gens = std::max<uint32_t>({network + 1, t->gen_count * 2, 1024});
  gens = std::min(gens, kMaxNetworks);
  rebuild_to(t->cap, gens);
}

void Fdb::rebuild() {
  const Table* t = table_.load(std::memory_order_relaxed);
  rebuild_to(live_ * 9 / 5 + 16, t->gen_count);
}

void Fdb::rebuild_to(size_t cap, uint32_t gen_count) {
  Table* old = table_.load(std::memory_order_relaxed);
  cap = std::max(cap, live_ * 4 / 3 + 16);
  auto* t = new Table;
  t->cap = cap;
  t->slots.reset(new Slot[cap]);
  t->gen_count = gen_count;
  t->gens.reset(new std::atomic<uint16_t>[gen_count]);
  for (uint32_t i = 0; i < gen_count; ++i)
    t->gens[i].store(i < old->gen_count ? old->gens[i].load(std::memory_order_relaxed) : 0,
                     std::memory_order_relaxed);
  size_t used = 0;
  for (size_t i = 0; i < old->cap; ++i) {
    const Slot& s = old->slots[i];
    if (!entry_live(*old, s)) continue;
    uint64_t key = s.key.load(std::memory_order_relaxed);
    size_t j = t->index(key, s.net_hi);
    while (t->slots[j].key.load(std::memory_order_relaxed) != 0) j = t->next(j);
    Slot& d = t->slots[j];
    d.value.store(s.value.load(std::memory_order_relaxed), std::memory_order_relaxed);
    d.last_seen.store(s.last_seen.load(std::memory_order_relaxed), std::memory_order_relaxed);
    d.dup_start = s.dup_start;
    d.moves = s.moves;
    d.dup_count = s.dup_count;
    d.net_hi = s.net_hi;
    d.key.store(key, std::memory_order_relaxed);
    ++used;
  }
  used_ = used;
  age_cursor_ = 0;
  // Readers that still hold the old table finish with it before it is freed.
  table_.store(t, std::memory_order_release);
  rcu::synchronize();
  delete old;
}

// Finds the slot of (network, mac) or claims an empty one for it (the key is
// published only after the value, by the caller via publish_key).
Fdb::Slot* Fdb::insert_slot(uint32_t network, uint64_t mac) {
  ensure_network(network);
  for (;;) {
    Table* t = table_.load(std::memory_order_relaxed);
    uint64_t key = pack_key(network, mac);
    auto hi = static_cast<uint8_t>(network >> 16);
    size_t i = t->index(key, hi);
    for (;; i = t->next(i)) {
      Slot& s = t->slots[i];
      uint64_t k = s.key.load(std::memory_order_relaxed);
      if (k == 0) break;
      if (k == key && s.net_hi == hi) return &s;
    }
    if ((used_ + 1) * 4 > t->cap * 3) {
      // Too full: grow (dead slots are dropped on the way).
      rebuild_to((live_ + 1) * 9 / 5 + 16, t->gen_count);
      continue;
    }
    Slot& s = t->slots[i];
    s.value.store(0, std::memory_order_relaxed);  // dead until the caller stores a value
    s.net_hi = hi;
    s.moves = 0;
    s.dup_count = 0;
    s.dup_start = 0;
    s.key.store(key, std::memory_order_release);
    ++used_;
    return &s;
  }
}

LearnResult Fdb::learn(const LearnEvent& ev, const Snapshot& snap) {
  uint64_t mac = ev.mac & kMacMask;
  uint32_t net = ev.network;
  if (!ev.location.valid() || mac == 0 || net >= snap.network_count() || !snap.network(net).present)
    return LearnResult::kIgnored;
  ensure_network(net);
  const Table* t = table_.load(std::memory_order_relaxed);
  uint16_t gen = t->gen_of(net);
  Slot* s = find_slot(*t, net, mac);
  if (s) {
    FdbValue v{s->value.load(std::memory_order_relaxed)};
    if (alive(v, gen)) {
      if (v.location() == ev.location) {
        if (static_cast<int32_t>(ev.time - s->last_seen.load(std::memory_order_relaxed)) > 0)
          s->last_seen.store(ev.time, std::memory_order_relaxed);
        return LearnResult::kRefreshed;
      }
      // RFC 7432 §15: a MAC that EVPN placed at a remote VTEP and that now shows
      // up on a local attachment has moved here; the learn takes the entry over
      // (a move like any other) and the EVPN agent re-advertises it with a higher
      // sequence. The overlay never moves an EVPN entry: BGP decides those.
      const bool evpn_takeover = v.type() == FdbType::kEvpn && !ev.location.is_remote();
      if ((v.type() != FdbType::kLearned && !evpn_takeover) || v.frozen())
        return LearnResult::kIgnored;
      if (evpn_takeover) {
        --per_network_pinned_[net];
        ++per_network_[net];
      }
      bool frozen = false;
      if (opts_.dup_max_moves) {
        if (s->dup_count == 0 || ev.time - s->dup_start > opts_.dup_window) {
          s->dup_start = ev.time;
          s->dup_count = 0;
        }
        if (s->dup_count < 255) ++s->dup_count;
        frozen = s->dup_count >= opts_.dup_max_moves;
      }
      if (s->moves < 0xffff) ++s->moves;
      stats_.moves.fetch_add(1, std::memory_order_relaxed);
      s->last_seen.store(ev.time, std::memory_order_relaxed);
      s->value.store(FdbValue::make(ev.location, gen, FdbType::kLearned, frozen, s->net_hi).raw,
                     std::memory_order_release);
      changed(net, mac);
      if (frozen) {
        stats_.dup_frozen.fetch_add(1, std::memory_order_relaxed);
        return LearnResult::kFrozen;
      }
      return LearnResult::kMoved;
    }
  }
  uint32_t limit = snap.network(net).mac_limit;
  if (limit && per_network_[net] >= limit) {
    stats_.mac_limit_exceeded.fetch_add(1, std::memory_order_relaxed);
    return LearnResult::kLimit;
  }
  s = insert_slot(net, mac);
  gen = table_.load(std::memory_order_relaxed)->gen_of(net);
  s->moves = 0;
  s->dup_count = 0;
  s->last_seen.store(ev.time, std::memory_order_relaxed);
  s->value.store(FdbValue::make(ev.location, gen, FdbType::kLearned, false, s->net_hi).raw,
                 std::memory_order_release);
  ++per_network_[net];
  ++live_;
  stats_.learned.fetch_add(1, std::memory_order_relaxed);
  changed(net, mac);
  return LearnResult::kLearned;
}

Status Fdb::add_static(uint32_t network, MacAddress mac, Location loc) {
  return add(network, mac, loc, FdbType::kStatic, 0);
}

Status Fdb::add(uint32_t network, MacAddress mac, Location loc, FdbType type, uint32_t now) {
  if (mac.is_zero() || mac.is_multicast())
    return make_error(fmt::format("fdb[{}].mac: must be a unicast, non-zero MAC", mac.to_string()));
  if (network >= kMaxNetworks)
    return make_error(
        fmt::format("fdb[{}].network: index {} out of range", mac.to_string(), network));
  if (!loc.valid()) return make_error(fmt::format("fdb[{}].location: invalid", mac.to_string()));
  Slot* s = insert_slot(network, mac.to_u64());
  const Table* t = table_.load(std::memory_order_relaxed);
  uint16_t gen = t->gen_of(network);
  FdbValue old{s->value.load(std::memory_order_relaxed)};
  bool was_alive = alive(old, gen);
  if (was_alive) --(old.type() == FdbType::kLearned ? per_network_ : per_network_pinned_)[network];
  if (!was_alive) {
    ++live_;
    s->moves = 0;
    s->dup_count = 0;
  }
  ++(type == FdbType::kLearned ? per_network_ : per_network_pinned_)[network];
  s->last_seen.store(now, std::memory_order_relaxed);
  s->value.store(FdbValue::make(loc, gen, type, false, s->net_hi).raw, std::memory_order_release);
  changed(network, mac.to_u64());
  return {};
}

bool Fdb::remove(uint32_t network, MacAddress mac) {
  const Table* t = table_.load(std::memory_order_relaxed);
  Slot* s = find_slot(*t, network, mac.to_u64());
  if (!s || !entry_live(*t, *s)) return false;
  uint64_t v = s->value.load(std::memory_order_relaxed);
  --(FdbValue{v}.type() == FdbType::kLearned ? per_network_ : per_network_pinned_)[network];
  --live_;
  s->value.store(v & ~kLiveBit, std::memory_order_release);
  changed(network, mac.to_u64());
  return true;
}

bool Fdb::unfreeze(uint32_t network, MacAddress mac) {
  const Table* t = table_.load(std::memory_order_relaxed);
  Slot* s = find_slot(*t, network, mac.to_u64());
  if (!s || !entry_live(*t, *s)) return false;
  uint64_t v = s->value.load(std::memory_order_relaxed);
  s->dup_count = 0;
  s->value.store(v & ~(1ull << 50), std::memory_order_release);
  return true;
}

void Fdb::flush_network(uint32_t network) {
  Table* t = table_.load(std::memory_order_relaxed);
  if (network >= t->gen_count) return;
  t->gens[network].store(
      static_cast<uint16_t>(t->gens[network].load(std::memory_order_relaxed) + 1),
      std::memory_order_release);
  live_ -= per_network_[network];
  per_network_[network] = 0;
  changed(network, 0);
}

size_t Fdb::remove_location(Location loc) {
  const Table* t = table_.load(std::memory_order_relaxed);
  size_t n = 0;
  for (size_t i = 0; i < t->cap; ++i) {
    Slot& s = t->slots[i];
    if (!entry_live(*t, s)) continue;
    uint64_t v = s.value.load(std::memory_order_relaxed);
    if (FdbValue{v}.type() != FdbType::kLearned || FdbValue{v}.location() != loc) continue;
    --per_network_[network_of(s)];
    --live_;
    s.value.store(v & ~kLiveBit, std::memory_order_release);
    changed(network_of(s), s.key.load(std::memory_order_relaxed) & kMacMask);
    ++n;
  }
  return n;
}

size_t Fdb::age_slice(uint32_t now, size_t max_slots, const Snapshot& snap) {
  const Table* t = table_.load(std::memory_order_relaxed);
  size_t aged = 0;
  bool wrapped = false;
  for (size_t n = 0; n < max_slots && n < t->cap; ++n) {
    if (age_cursor_ >= t->cap) {
      age_cursor_ = 0;
      wrapped = true;
    }
    Slot& s = t->slots[age_cursor_++];
    if (s.key.load(std::memory_order_relaxed) == 0) continue;
    uint64_t v = s.value.load(std::memory_order_relaxed);
    FdbValue fv{v};
    if (!fv.live() || fv.type() != FdbType::kLearned) continue;
    uint32_t net = network_of(s);
    if (!alive(fv, t->gen_of(net))) {
      // Flushed: already uncounted; mark dead so a generation wrap never revives it.
      s.value.store(v & ~kLiveBit, std::memory_order_release);
      continue;
    }
    uint32_t ageing = net < snap.network_count() ? snap.network(net).ageing : 1;
    if (ageing == 0) continue;
    uint32_t seen = s.last_seen.load(std::memory_order_relaxed);
    if (static_cast<int32_t>(now - seen) <= static_cast<int32_t>(ageing)) continue;
    s.value.store(v & ~kLiveBit, std::memory_order_release);
    --per_network_[net];
    --live_;
    ++aged;
    changed(net, s.key.load(std::memory_order_relaxed) & kMacMask);
  }
  stats_.aged.fetch_add(aged, std::memory_order_relaxed);
  // Many dead slots make probes long: compact once per sweep.
  if (wrapped && (used_ - live_) * 4 > t->cap) rebuild();
  return aged;
}

void Fdb::for_each(std::optional<uint32_t> network,
                   const std::function<void(const FdbEntryView&)>& fn) const {
  const Table* t = table_.load(std::memory_order_acquire);
  for (size_t i = 0; i < t->cap; ++i) {
    const Slot& s = t->slots[i];
    if (!entry_live(*t, s)) continue;
    uint32_t net = network_of(s);
    if (network && *network != net) continue;
    FdbValue v{s.value.load(std::memory_order_relaxed)};
    fn(FdbEntryView{net, MacAddress::from_u64(s.key.load(std::memory_order_relaxed) & kMacMask),
                    v.location(), v.type(), v.frozen(), s.last_seen.load(std::memory_order_relaxed),
                    s.moves});
  }
}

std::optional<FdbEntryView> Fdb::get(uint32_t network, MacAddress mac) const {
  const Table* t = table_.load(std::memory_order_acquire);
  const Slot* s = find_slot(*t, network, mac.to_u64());
  if (!s || !entry_live(*t, *s)) return std::nullopt;
  FdbValue v{s->value.load(std::memory_order_relaxed)};
  return FdbEntryView{network,  mac,        v.location(),
                      v.type(), v.frozen(), s->last_seen.load(std::memory_order_relaxed),
                      s->moves};
}

}  // namespace vgw::dataplane
