// Longest-prefix match for the router's data plane: a poptrie (Asai & Ohara,
// "Poptrie: A Compressed Trie with Population Count for Fast and Scalable Software IP
// Routing Table Lookup", SIGCOMM 2015), used for IPv4 (32-bit keys) and IPv6
// (128-bit keys) alike.
//
// Shape: a direct-pointing array indexed by the top `s` bits of the key (s adapts to
// the route count: 256 B for a tenant with a handful of routes, 1 MiB for a big
// table), then 6-bit strides. A node holds two 64-bit vectors: `vector` marks the
// slots that descend to a child, `leafvec` marks where a run of equal leaf values
// starts among the other slots. Children of a node are contiguous (base1), and so
// are its compressed leaves (base0), so the rank of a slot (popcount of the bits up
// to it) finds either. A lookup is a shift and a load, then per level a bit test and
// a popcount, and one more popcount for the leaf.
//
// Concurrency: a Poptrie is immutable once built. The control thread builds the
// next version from the whole route list (build()) off the fast path, and the
// owner publishes it (RCU pointer swap); readers never take a lock and never see a
// half-built table. There are no incremental updates.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace vgw::fib {

__extension__ typedef unsigned __int128 Uint128;

// The value a lookup returns when no prefix covers the key.
inline constexpr uint32_t kNoRoute = 0x7fffffffu;

// Key traits: the width of the key and how to take bits from its top.
template <typename K>
struct KeyTraits;

template <>
struct KeyTraits<uint32_t> {
  static constexpr unsigned kBits = 32;
  // The top `s` bits (1 <= s <= 18).
  static unsigned top(uint32_t k, unsigned s) { return k >> (32 - s); }
  // Six bits starting `off` bits from the top; bits past the end read as zero.
  static unsigned chunk(uint32_t k, unsigned off) { return head(window(k, off)); }
  // A lookup walks a window: the key shifted left past what it has consumed, in a
  // word wide enough that the last stride reads zeros past the end.
  using Window = uint64_t;
  static Window window(uint32_t k, unsigned off) { return (uint64_t{k} << 32) << off; }
  static unsigned head(Window w) { return static_cast<unsigned>(w >> 58); }
};

template <>
struct KeyTraits<Uint128> {
  static constexpr unsigned kBits = 128;
  static unsigned top(Uint128 k, unsigned s) { return static_cast<unsigned>(k >> (128 - s)); }
  static unsigned chunk(Uint128 k, unsigned off) { return head(window(k, off)); }
  using Window = Uint128;
  static Window window(Uint128 k, unsigned off) { return k << off; }
  static unsigned head(Window w) {
    return static_cast<unsigned>(static_cast<uint64_t>(w >> 64) >> 58);
  }
};

template <typename K>
class Poptrie {
 public:
  using Traits = KeyTraits<K>;
  static constexpr unsigned kStride = 6;

  // One route for build(): the prefix (host bits zero), its length, and the value a
  // lookup returns for keys it covers most specifically (< kNoRoute).
  struct Entry {
    K prefix;
    uint8_t len;
    uint32_t value;
  };

  struct Node {
    uint64_t vector;   // slot -> child node
    uint64_t leafvec;  // slot starts a run of leaf values
    uint32_t base0;    // first leaf of this node
    uint32_t base1;    // first child of this node
  };
  static_assert(sizeof(Node) == 24);

  struct Stats {
    unsigned direct_bits = 0;
    size_t nodes = 0;
    size_t leaves = 0;
    size_t bytes = 0;  // everything a lookup can touch
  };

  // An empty table: every lookup misses.
  Poptrie() : direct_bits_(1), direct_(2, kNoRoute) {}

  // Builds a table from routes in any order. direct_bits 0 chooses from the route
  // count. Errors: a length beyond the key, host bits set, a duplicate prefix, a
  // value >= kNoRoute.
  static Result<Poptrie> build(std::vector<Entry> routes, unsigned direct_bits = 0);

  // The value of the longest prefix covering `key`, or kNoRoute.
  uint32_t lookup(K key) const {
    uint32_t d = direct_[Traits::top(key, direct_bits_)];
    if (!(d & kNodeFlag)) return d;
    const Node* n = &nodes_[d & ~kNodeFlag];
    typename Traits::Window w = Traits::window(key, direct_bits_);
    unsigned v = Traits::head(w);
    while ((n->vector >> v) & 1) {
      n = &nodes_[n->base1 + std::popcount(n->vector << (63 - v)) - 1];
      w <<= kStride;
      v = Traits::head(w);
    }
    return leaves_[n->base0 + std::popcount(n->leafvec << (63 - v)) - 1];
  }

  Stats stats() const {
    return Stats{direct_bits_, nodes_.size(), leaves_.size(),
                 direct_.size() * sizeof(uint32_t) + nodes_.size() * sizeof(Node) +
                     leaves_.size() * sizeof(uint32_t)};
  }

 private:
  // A direct entry with this bit set is a node index; otherwise it is a value.
  static constexpr uint32_t kNodeFlag = 0x80000000u;

  struct Builder;

  unsigned direct_bits_;
  std::vector<uint32_t> direct_;
  std::vector<Node> nodes_;
  std::vector<uint32_t> leaves_;
};

// Routes in (prefix, length) order: a covering prefix sorts before everything it
// covers, and prefixes that do not nest are disjoint, so painting slots in this
// order leaves each slot with its longest match; and the routes that fall below one
// slot are contiguous.
template <typename K>
struct Poptrie<K>::Builder {
  Poptrie& t;
  const std::vector<Entry>& r;

  struct Group {
    unsigned slot;
    size_t lo, hi;
  };

  // The node for the routes r[lo, hi) (all longer than `off`, all under one prefix
  // of `off` bits), whose slots default to `def`.
  Node node(size_t lo, size_t hi, unsigned off, uint32_t def) {
    std::array<uint32_t, 64> val;
    val.fill(def);
    std::array<Group, 64> groups;
    unsigned ngroups = 0;
    uint64_t vector = 0;
    for (size_t i = lo; i < hi;) {
      const Entry& e = r[i];
      unsigned slot = Traits::chunk(e.prefix, off);
      if (e.len <= off + kStride) {
        unsigned n = 1u << (off + kStride - e.len);
        std::fill_n(val.begin() + slot, n, e.value);
        ++i;
        continue;
      }
      size_t j = i + 1;
      while (j < hi && r[j].len > off + kStride && Traits::chunk(r[j].prefix, off) == slot) ++j;
      groups[ngroups++] = Group{slot, i, j};
      vector |= uint64_t{1} << slot;
      i = j;
    }
    Node n{vector, 0, static_cast<uint32_t>(t.leaves_.size()),
           static_cast<uint32_t>(t.nodes_.size())};
    bool first = true;
    uint32_t prev = 0;
    for (unsigned s = 0; s < 64; ++s) {
      if ((vector >> s) & 1) continue;
      if (first || val[s] != prev) {
        n.leafvec |= uint64_t{1} << s;
        t.leaves_.push_back(val[s]);
      }
      first = false;
      prev = val[s];
    }
    t.nodes_.resize(t.nodes_.size() + ngroups);
    for (unsigned g = 0; g < ngroups; ++g) {
      Node child = node(groups[g].lo, groups[g].hi, off + kStride, val[groups[g].slot]);
      t.nodes_[n.base1 + g] = child;
    }
    return n;
  }

  void root() {
    unsigned s = t.direct_bits_;
    for (size_t i = 0; i < r.size();) {
      const Entry& e = r[i];
      unsigned slot = Traits::top(e.prefix, s);
      if (e.len <= s) {
        std::fill_n(t.direct_.begin() + slot, size_t{1} << (s - e.len), e.value);
        ++i;
        continue;
      }
      size_t j = i + 1;
      while (j < r.size() && r[j].len > s && Traits::top(r[j].prefix, s) == slot) ++j;
      uint32_t index = static_cast<uint32_t>(t.nodes_.size());
      t.nodes_.emplace_back();
      Node n = node(i, j, s, t.direct_[slot]);
      t.nodes_[index] = n;
      t.direct_[slot] = index | kNodeFlag;
      i = j;
    }
  }
};

template <typename K>
Result<Poptrie<K>> Poptrie<K>::build(std::vector<Entry> routes, unsigned direct_bits) {
  constexpr unsigned kBits = Traits::kBits;
  for (const Entry& e : routes) {
    if (e.len > kBits)
      return make_error("route length " + std::to_string(e.len) + " exceeds " +
                        std::to_string(kBits) + " bits");
    K host = e.len == kBits ? K{0} : static_cast<K>(~K{0} >> e.len);
    if (e.prefix & host)
      return make_error("route of length " + std::to_string(e.len) + ": host bits set");
    if (e.value >= kNoRoute)
      return make_error("route value " + std::to_string(e.value) + " is out of range");
  }
  std::sort(routes.begin(), routes.end(), [](const Entry& a, const Entry& b) {
    return a.prefix != b.prefix ? a.prefix < b.prefix : a.len < b.len;
  });
  for (size_t i = 1; i < routes.size(); ++i)
    if (routes[i].prefix == routes[i - 1].prefix && routes[i].len == routes[i - 1].len)
      return make_error("duplicate route of length " + std::to_string(routes[i].len));

  Poptrie t;
  if (direct_bits == 0) {
    // Small tables stay small (many tenants); big ones (32K routes and more)
    // get 18 bits, the paper's choice for a full table: 1 MiB of direct
    // pointers, and a /24 is then one node below them.
    direct_bits = std::clamp<unsigned>(std::bit_width(routes.size()) + 2, 6, 18);
  }
  t.direct_bits_ = std::clamp<unsigned>(direct_bits, 1, 18);
  t.direct_.assign(size_t{1} << t.direct_bits_, kNoRoute);
  Builder{t, routes}.root();
  t.nodes_.shrink_to_fit();
  t.leaves_.shrink_to_fit();
  return t;
}

extern template class Poptrie<uint32_t>;
extern template class Poptrie<Uint128>;

}  // namespace vgw::fib
