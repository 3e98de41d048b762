// The forwarding database: (network, MAC) -> where that MAC lives, for every
// network at once (one table for a million networks).
//
// Concurrency: ONE writer (the control thread) and lock-free readers (workers).
// Open addressing with linear probing over 32-byte slots whose key and value
// are single atomic words: a slot's key is written once (value first, key last
// with release) and never changes until a rebuild, which copies the live
// entries into a new table, publishes it (RCU) and frees the old one after a
// grace period. Deleting marks the value dead; the slot is reused only for the
// same key. Workers never write an entry except a relaxed last-seen refresh,
// stored only when the second changed (no cache-line ping-pong).
//
// Learning: workers push LearnEvents into their ring (learn_ring.h); the
// control thread applies them with learn(): new entries (unless the network is
// at its mac-limit), moves (counted; dup_max_moves moves within dup_window
// seconds freeze the entry, like FRR's dup-addr-detection), static entries never
// overwritten. Flushing a network is O(1): each network has a generation and an
// entry of an older generation is dead. Ageing runs in bounded slices.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "common/addr.h"
#include "common/result.h"
#include "dataplane/counters.h"

namespace vgw::dataplane {

class Snapshot;

__extension__ typedef unsigned __int128 fdb_u128;  // for multiply-shift indexing

// Where a MAC lives: a local attachment (port, VLAN) or a remote VTEP index.
// Packed into 32 bits: bit 31 set = remote (index in bits 0..30); clear = local,
// port index in bits 12..27, VLAN in bits 0..11.
struct Location {
  uint32_t raw = kInvalid;
  static constexpr uint32_t kInvalid = 0xffffffffu;
  static constexpr uint32_t kRemoteBit = 0x80000000u;

  static constexpr Location local(uint32_t port, uint16_t vlan) {
    return Location{(port & 0xffffu) << 12 | (vlan & 0xfffu)};
  }
  static constexpr Location remote(uint32_t index) { return Location{kRemoteBit | index}; }
  constexpr bool valid() const { return raw != kInvalid; }
  constexpr bool is_remote() const { return raw & kRemoteBit; }
  constexpr uint32_t port() const { return (raw >> 12) & 0xffffu; }
  constexpr uint16_t vlan() const { return raw & 0xfffu; }
  constexpr uint32_t remote_index() const { return raw & ~kRemoteBit; }
  constexpr bool operator==(const Location&) const = default;
};

// kApi: installed by a controller through the API (control::Service::add_remote_macs);
// like kStatic it is never aged nor overwritten by learning. kEvpn is never aged
// either, but a local learn takes it over: the host moved behind this gateway
// (RFC 7432 §15; the EVPN agent then advertises it with a higher sequence).
enum class FdbType : uint8_t { kLearned = 0, kStatic = 1, kEvpn = 2, kApi = 3 };

// What a learn event says: "mac was seen in network at location at time". When
// the source is a remote VTEP the workers do not know yet (allow-unknown-sources),
// location is invalid and source carries its address.
struct LearnEvent {
  uint64_t mac = 0;  // MacAddress::to_u64
  uint32_t network = 0;
  Location location;
  uint32_t time = 0;
  IpAddress source;  // only when !location.valid()
};

// The packed entry value (one atomic word, so readers never see half a move).
struct FdbValue {
  uint64_t raw = 0;
  // bits 0..31 location, 32..47 generation, 48..49 type, 50 frozen, 51 live,
  // 52..59 a copy of the slot's network bits 16..23 (Slot::net_hi), so that a
  // worker's hit test (key word, then one masked compare of this word) covers
  // the whole network index; a value without it is only slower to find.
  Location location() const { return Location{static_cast<uint32_t>(raw)}; }
  uint16_t generation() const { return static_cast<uint16_t>(raw >> 32); }
  FdbType type() const { return static_cast<FdbType>((raw >> 48) & 3); }
  bool frozen() const { return raw & (1ull << 50); }
  bool live() const { return raw & (1ull << 51); }
  static FdbValue make(Location l, uint16_t gen, FdbType t, bool frozen, uint8_t net_hi) {
    return FdbValue{uint64_t{l.raw} | uint64_t{gen} << 32 | uint64_t(t) << 48 |
                    (frozen ? 1ull << 50 : 0) | 1ull << 51 | uint64_t{net_hi} << 52};
  }
};

// One entry as `show fdb` sees it.
struct FdbEntryView {
  uint32_t network;
  MacAddress mac;
  Location location;
  FdbType type;
  bool frozen;
  uint32_t last_seen;  // clock seconds
  uint32_t moves;
};

struct FdbOptions {
  size_t initial_capacity = 1024;  // slots; grows as needed
  uint32_t dup_max_moves = 5;      // config fdb.dup_max_moves; 0 = no detection
  uint32_t dup_window = 180;       // seconds
};

enum class LearnResult : uint8_t {
  kLearned,    // new entry
  kRefreshed,  // already there, same location
  kMoved,      // location changed
  kFrozen,     // moved, and that move froze it (dup detection)
  kIgnored,    // static/API/frozen entry (or EVPN, from the overlay): never overwritten
  kLimit,      // network at its mac-limit: not learned
};

class Fdb {
 public:
  explicit Fdb(FdbOptions opts = {});
  ~Fdb();
  Fdb(const Fdb&) = delete;
  Fdb& operator=(const Fdb&) = delete;

  // ---- Workers (any thread inside an RCU read-side section; lock-free) ----

  // The live entry's value for (network, mac), or nullopt. `touch` refreshes
  // last-seen to now when found at the same location (source check).
  struct Hit {
    FdbValue value;
    bool found = false;
  };
  [[gnu::always_inline]] Hit lookup(uint32_t network, uint64_t mac) const {
    return lookup(view(network), mac);
  }
  // Source check: refreshes last-seen when (network, mac) is live at `loc`;
  // returns whether a learn event is needed (absent, elsewhere and not pinned).
  [[gnu::always_inline]] bool source_check(uint32_t network, uint64_t mac, Location loc,
                                           uint32_t now) const {
    return source_check(view(network), mac, loc, now);
  }

 private:
  struct Table;

 public:
  // One network as a worker sees it for a run of packets (one batch): the
  // table and the network's generation read once, so each probe is a hash, a
  // slot read and a compare. Valid inside the RCU read-side section it was
  // made in; a flush or rebuild shows from the next view on.
  class View {
   public:
    View() = default;
    uint32_t network() const { return network_; }

   private:
    friend class Fdb;
    const Table* t_ = nullptr;
    uint64_t key_bits_ = 0;    // pack_key(network, 0)
    uint64_t hash_bits_ = 0;   // what Table::index mixes into a MAC: key_bits_ ^ net_hi << 40
    uint64_t alive_word_ = 0;  // FdbValue bits of a live learned entry of this generation
    uint32_t network_ = 0xffffffffu;
    uint16_t gen_ = 0;
    uint8_t hi_ = 0;
  };
  // The FdbValue bits View::alive_word_ holds (generation, type, live, network
  // bits 16..23): a live learned entry of the view's generation and network
  // is told with one mask and compare.
  static constexpr uint64_t kAliveMask = 0xffffull << 32 | 3ull << 48 | 1ull << 51 | 0xffull << 52;
  [[gnu::always_inline]] View view(uint32_t network) const {
    View v;
    v.t_ = table_.load(std::memory_order_acquire);
    v.key_bits_ = pack_key(network, 0);
    v.hi_ = static_cast<uint8_t>(network >> 16);
    v.hash_bits_ = v.key_bits_ ^ (uint64_t{v.hi_} << 40);
    v.network_ = network;
    v.gen_ = v.t_->gen_of(network);
    v.alive_word_ = uint64_t{v.gen_} << 32 | 1ull << 51 | uint64_t{v.hi_} << 52;
    return v;
  }
  [[gnu::always_inline]] Hit lookup(const View& n, uint64_t mac) const {
    return n.t_->probe(n, mac, Hit{}, [&](const Slot&, FdbValue v, bool alive_word) -> Hit {
      if (!alive_word && !alive(v, n.gen_)) return {};
      return {v, true};
    });
  }
  [[gnu::always_inline]] bool source_check(const View& n, uint64_t mac, Location loc,
                                           uint32_t now) const {
    return n.t_->probe(n, mac, true, [&](const Slot& s, FdbValue v, bool alive_word) {
      if (!alive_word && !alive(v, n.gen_)) return true;
      if (v.location() == loc) {
        if (s.last_seen.load(std::memory_order_relaxed) != now)
          s.last_seen.store(now, std::memory_order_relaxed);
        return false;
      }
      return (v.type() == FdbType::kLearned || (v.type() == FdbType::kEvpn && !loc.is_remote())) &&
             !v.frozen();
    });
  }

  // ---- Control thread only ----

  // Applies one learn event; network limits come from the snapshot.
  LearnResult learn(const LearnEvent& ev, const Snapshot& snap);
  // Adds or replaces a static entry (never aged, never overwritten by learning).
  Status add_static(uint32_t network, MacAddress mac, Location loc);
  // Adds or replaces an entry of any type (EVPN later uses kEvpn).
  Status add(uint32_t network, MacAddress mac, Location loc, FdbType type, uint32_t now);
  // Removes one entry; false if there was none.
  bool remove(uint32_t network, MacAddress mac);
  // Clears the frozen flag (and the move window) of an entry; false if none.
  bool unfreeze(uint32_t network, MacAddress mac);
  // Every learned entry of the network dies at once (generation bump); static
  // and EVPN entries stay (remove them one by one).
  void flush_network(uint32_t network);
  // Removes learned entries whose location matches (port gone, remote gone).
  size_t remove_location(Location loc);
  // Looks at up to max_slots slots (continuing where the last call stopped) and
  // removes learned entries idle longer than their network's ageing time, and
  // dead ones. Returns how many entries aged out.
  size_t age_slice(uint32_t now, size_t max_slots, const Snapshot& snap);
  // Copies the live entries into a right-sized table and publishes it (waits
  // an RCU grace period before freeing the old one). Called automatically when
  // dead slots pile up; callable explicitly.
  void rebuild();
  // Visits live entries, optionally of one network only.
  void for_each(std::optional<uint32_t> network,
                const std::function<void(const FdbEntryView&)>& fn) const;
  std::optional<FdbEntryView> get(uint32_t network, MacAddress mac) const;

  void set_dup_detection(uint32_t max_moves, uint32_t window);
  // Told (network, mac) after each change this object makes to an entry (learn,
  // move, add, remove, ageing) and (network, 0) when a network is flushed, on
  // the control thread; the EVPN agent follows local MACs with it.
  using ChangeListener = std::function<void(uint32_t network, uint64_t mac)>;
  void set_change_listener(ChangeListener fn) { on_change_ = std::move(fn); }
  size_t size() const { return live_; }       // live entries
  size_t capacity() const;                    // slots
  size_t memory_bytes() const;                // slots + per-network arrays
  size_t entries_in(uint32_t network) const;  // live entries of one network
  FdbTotals totals() const;                   // counters.fdb of `show counters`
  // Bumped after every change a lookup can see (each change_listener call): a
  // worker's caches of lookups (the router's hop cache) stay valid while it is
  // unchanged.
  uint64_t version() const { return version_.load(std::memory_order_acquire); }

  // Key word: MAC in bits 0..47, network bits 0..15 in 48..63 (network bits
  // 16..23 sit in Slot::net_hi). Zero means an empty slot, so a zero MAC is never
  // stored.
  static uint64_t pack_key(uint32_t network, uint64_t mac) {
    return (uint64_t{network & 0xffffu} << 48) | (mac & 0xffffffffffffull);
  }
  // A learned entry of an older generation was flushed; others never are.
  static bool alive(FdbValue v, uint16_t current_gen) {
    return v.live() && (v.generation() == current_gen || v.type() != FdbType::kLearned);
  }

 private:
  struct Slot {
    std::atomic<uint64_t> key{0};    // 0 = empty; immutable once set
    std::atomic<uint64_t> value{0};  // FdbValue
    mutable std::atomic<uint32_t> last_seen{0};
    uint32_t dup_start = 0;  // control only: start of the current move window
    uint16_t moves = 0;      // control only: total moves
    uint8_t dup_count = 0;   // control only: moves in the current window
    uint8_t net_hi = 0;      // network bits 16..23; immutable once key is set
    uint32_t spare = 0;
  };
  static_assert(sizeof(Slot) == 32, "FDB slot must stay 32 bytes (1M entries in ~50 MiB)");

  struct Table {
    size_t cap = 0;  // slots (any size: indexed by multiply-shift)
    std::unique_ptr<Slot[]> slots;
    uint32_t gen_count = 0;                         // networks with a generation
    std::unique_ptr<std::atomic<uint16_t>[]> gens;  // by network index
    // Multiply-shift: the product's high bits depend on every key bit, and
    // scaling by cap maps them onto any table size without a division.
    size_t index(uint64_t key, uint8_t hi) const {
      uint64_t h = (key ^ (uint64_t{hi} << 40)) * 0x9e3779b97f4a7c15ull;
      return static_cast<size_t>((static_cast<fdb_u128>(h) * cap) >> 64);
    }
    size_t next(size_t i) const { return i + 1 == cap ? 0 : i + 1; }
    uint16_t gen_of(uint32_t network) const {
      return network < gen_count ? gens[network].load(std::memory_order_relaxed) : 0;
    }
    // hit(slot, value, alive_word) for the slot of (view's network, mac), its
    // value read after the key (acquire); `miss` when there is none (workers:
    // lock-free). The hit test comes first: a key word match whose value is a
    // live learned entry of the view's generation and network bits 16..23
    // (kAliveMask; alive_word true: alive, no further test) is the slot; any
    // other key match is the slot when its net_hi is the view's. A zero key
    // (zero MAC) may then "hit" an empty slot, whose value is not live, which
    // callers treat exactly as absent.
    template <typename R, typename Hit>
    [[gnu::always_inline]] R probe(const View& n, uint64_t mac, R miss, Hit&& hit) const {
      mac &= 0xffffffffffffull;
      const uint64_t key = n.key_bits_ | mac;  // == n.key_bits_ ^ mac
      // index(key, hi), with the network's part folded in once per view.
      const uint64_t h = (mac ^ n.hash_bits_) * 0x9e3779b97f4a7c15ull;
      for (size_t i = static_cast<size_t>((static_cast<fdb_u128>(h) * cap) >> 64);; i = next(i)) {
        const Slot& s = slots[i];
        uint64_t k = s.key.load(std::memory_order_acquire);
        if (k == key) [[likely]] {
          const FdbValue v{s.value.load(std::memory_order_acquire)};
          if ((v.raw & kAliveMask) == n.alive_word_) [[likely]]
            return hit(s, v, true);
          if (s.net_hi == n.hi_) return hit(s, v, false);
        }
        if (k == 0) return miss;
      }
    }
  };

  Slot* find_slot(const Table& t, uint32_t network, uint64_t mac) const;
  Slot* insert_slot(uint32_t network, uint64_t mac);  // finds or claims (may rebuild)
  void ensure_network(uint32_t network);
  void rebuild_to(size_t cap, uint32_t gen_count);
  bool entry_live(const Table& t, const Slot& s) const;
  uint32_t network_of(const Slot& s) const;

  std::atomic<Table*> table_;
  FdbOptions opts_;
  size_t used_ = 0;              // slots with a key (live or dead)
  std::atomic<size_t> live_{0};  // read by totals() from any thread
  size_t age_cursor_ = 0;
  std::vector<uint32_t> per_network_;         // live learned entries by network (mac-limit)
  std::vector<uint32_t> per_network_pinned_;  // live static/EVPN entries by network
  struct Stats {
    std::atomic<uint64_t> learned{0}, moves{0}, mac_limit_exceeded{0}, dup_frozen{0}, aged{0};
  } stats_;
  ChangeListener on_change_;
  std::atomic<uint64_t> version_{0};
  void changed(uint32_t network, uint64_t mac) {
    version_.store(version_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    if (on_change_) on_change_(network, mac);
  }
};

}  // namespace vgw::dataplane
