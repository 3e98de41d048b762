// The neighbour table of the virtual routers (RFC 826 ARP, RFC 4861 ND): per
// network, IP -> MAC bindings that the router stage uses to rewrite the
// destination MAC of routed packets and that ARP/ND suppression answers from.
//
// Concurrency, as the FDB (fdb.h): ONE writer (the control thread) and lock-free
// readers (workers). Open addressing with linear probing; a slot's key is written
// once and published by a release store of `used`, then never changes until the
// table is rebuilt (grow), which copies the live entries into a new table, swaps
// the pointer and frees the old table after an RCU grace period. The binding
// itself (MAC, live bit) is one atomic word, so a reader never sees half of it.
// Workers never write: they push NeighborEvents (ARP/ND seen from a host, an
// answer to our request) into their ring; the control thread applies them.
//
// Origins: snooped (seen from a host), router (answer to the router's request),
// evpn (type-2 MAC+IP), static (operator). Snooped and router bindings age out;
// evpn and static ones stay until removed, and learning never overwrites them.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "common/addr.h"
#include "common/result.h"
#include "dataplane/learn_ring.h"

namespace vgw::dataplane {

enum class NeighborOrigin : uint8_t { kSnooped = 0, kRouter = 1, kEvpn = 2, kStatic = 3 };
const char* neighbor_origin_name(NeighborOrigin o);
std::optional<NeighborOrigin> parse_neighbor_origin(std::string_view s);

// What a worker tells the control thread: "ip is at mac in network" (a binding
// seen), origin kSnooped or kRouter.
struct NeighborEvent {
  uint32_t network = 0;
  IpAddress ip;
  MacAddress mac;
  NeighborOrigin origin = NeighborOrigin::kSnooped;
  uint32_t time = 0;
};
using NeighborRing = SpscRing<NeighborEvent>;

// A neighbour key as the workers build it from packet bytes: 16 address bytes
// (IPv4 in the first 4, the rest zero), the family, the network.
struct NeighborKey {
  uint8_t ip[16];
  uint32_t network;
  uint32_t v6;  // 0 | 1 (a word: the key compares as 24 bytes)

  static NeighborKey make(uint32_t network, const IpAddress& a) {
    NeighborKey k{};
    std::memcpy(k.ip, a.b.data(), 16);
    k.network = network;
    k.v6 = a.v6;
    return k;
  }
  static NeighborKey v4(uint32_t network, const uint8_t* addr4) {
    NeighborKey k{};
    std::memcpy(k.ip, addr4, 4);
    k.network = network;
    return k;
  }
  static NeighborKey v6_key(uint32_t network, const uint8_t* addr16) {
    NeighborKey k{};
    std::memcpy(k.ip, addr16, 16);
    k.network = network;
    k.v6 = 1;
    return k;
  }
  bool operator==(const NeighborKey& o) const { return std::memcmp(this, &o, sizeof o) == 0; }
  IpAddress address() const {
    return v6 ? IpAddress::from_v6_bytes(ip) : IpAddress::from_v4_bytes(ip);
  }
  uint64_t hash() const {
    uint64_t a, b;
    std::memcpy(&a, ip, 8);
    std::memcpy(&b, ip + 8, 8);
    uint64_t h =
        (a ^ (b * 0x9e3779b97f4a7c15ull) ^ (uint64_t{network} << 1 | v6)) * 0xff51afd7ed558ccdull;
    return h ^ (h >> 29);
  }
};
static_assert(sizeof(NeighborKey) == 24);

// One binding as `show arp` sees it.
struct NeighborView {
  uint32_t network;
  IpAddress ip;
  MacAddress mac;
  NeighborOrigin origin;
  uint32_t updated;  // clock seconds of the last confirmation
};

class NeighborTable {
 public:
  explicit NeighborTable(size_t initial_capacity = 1024);
  ~NeighborTable();
  NeighborTable(const NeighborTable&) = delete;
  NeighborTable& operator=(const NeighborTable&) = delete;

  // ---- Workers (lock-free; inside an RCU read-side section) ----

  // The MAC of a live binding (MacAddress::to_u64), or nullopt.
  std::optional<uint64_t> lookup(const NeighborKey& k) const {
    const Table* t = table_.load(std::memory_order_acquire);
    for (size_t i = k.hash() & t->mask, n = 0; n <= t->mask; i = (i + 1) & t->mask, ++n) {
      const Slot& s = t->slots[i];
      if (!s.used.load(std::memory_order_acquire)) return std::nullopt;
      if (s.key == k) {
        uint64_t v = s.value.load(std::memory_order_relaxed);
        if (!(v & kLive)) return std::nullopt;
        return v & kMacMask;
      }
    }
    return std::nullopt;
  }

  // ---- Control thread ----

  // Adds or replaces a binding. A snooped/router binding never replaces an evpn
  // or static one. Returns whether the table changed (new binding or new MAC).
  bool set(const NeighborKey& k, MacAddress mac, NeighborOrigin origin, uint32_t now);
  bool remove(const NeighborKey& k);
  std::optional<NeighborView> get(const NeighborKey& k) const;
  // Removes snooped/router bindings last confirmed more than max_age seconds
  // before now (per network: max_age(network), 0 = never). Returns how many.
  template <typename MaxAge>
  size_t age(uint32_t now, MaxAge&& max_age) {
    size_t n = 0;
    Table* t = table_.load(std::memory_order_relaxed);
    for (size_t i = 0; i <= t->mask; ++i) {
      Slot& s = t->slots[i];
      if (!s.used.load(std::memory_order_relaxed)) continue;
      uint64_t v = s.value.load(std::memory_order_relaxed);
      if (!(v & kLive) || s.origin >= NeighborOrigin::kEvpn) continue;
      uint32_t limit = max_age(s.key.network);
      if (limit && now - s.updated > limit) {
        s.value.store(v & ~kLive, std::memory_order_relaxed);
        --live_;
        ++n;
      }
    }
    if (n) changed();
    return n;
  }
  // Removes every binding of a network (the network was removed).
  size_t flush_network(uint32_t network);
  std::vector<NeighborView> entries() const;
  size_t size() const { return live_; }
  // Bumped after every change a lookup can see (a binding added, changed or
  // gone): a worker's caches of lookups (the router's hop cache) stay valid
  // while it is unchanged.
  uint64_t version() const { return version_.load(std::memory_order_acquire); }

 private:
  static constexpr uint64_t kMacMask = (1ull << 48) - 1;
  static constexpr uint64_t kLive = 1ull << 48;
  struct Slot {
    std::atomic<uint32_t> used{0};
    NeighborKey key{};
    std::atomic<uint64_t> value{0};  // MAC | kLive
    NeighborOrigin origin = NeighborOrigin::kSnooped;
    uint32_t updated = 0;
  };
  struct Table {
    explicit Table(size_t n) : slots(new Slot[n]), mask(n - 1) {}
    std::unique_ptr<Slot[]> slots;
    size_t mask;
    size_t used = 0;  // slots with a key (live or dead)
  };
  Slot* find(const NeighborKey& k) const;
  void grow();

  void changed() {
    version_.store(version_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }

  std::atomic<Table*> table_;
  size_t live_ = 0;
  std::atomic<uint64_t> version_{0};
};

}  // namespace vgw::dataplane
