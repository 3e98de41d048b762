// An index over the items of a vector the caller owns (networks by name), for the
// checks of a whole configuration: open addressing over 32-bit positions tagged
// with 32 bits of the key's hash (an item is compared only when the tags match),
// one allocation for the whole index, keys never copied (the caller hashes and
// compares its own items). A million networks are indexed without a million heap
// nodes or name copies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace vgw::config {

class FlatIndex {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  explicit FlatIndex(size_t n) {
    size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    slots_.assign(cap, 0);
    mask_ = cap - 1;
  }

  // The position already recorded with an equal key (same_as(that position) true),
  // or kNone after recording pos.
  template <typename SameAs>
  uint32_t claim(uint64_t hash, uint32_t pos, SameAs same_as) {
    const uint64_t tag = hash & kTagMask;
    for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
      uint64_t e = slots_[i];
      if (e == 0) {
        slots_[i] = tag | (uint64_t{pos} + 1);
        return kNone;
      }
      if ((e & kTagMask) == tag && same_as(position(e))) return position(e);
    }
  }

  // The position recorded with an equal key, or kNone.
  template <typename SameAs>
  uint32_t find(uint64_t hash, SameAs same_as) const {
    const uint64_t tag = hash & kTagMask;
    for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
      uint64_t e = slots_[i];
      if (e == 0) return kNone;
      if ((e & kTagMask) == tag && same_as(position(e))) return position(e);
    }
  }

  // Starts loading the slot where a key of this hash goes: a caller walking a large
  // list asks for the item a few places ahead, so the cache misses of the (random)
  // slots overlap instead of coming one after another.
  void prefetch(uint64_t hash) const { __builtin_prefetch(&slots_[hash & mask_]); }

  static uint64_t hash(std::string_view s) { return std::hash<std::string_view>{}(s); }

 private:
  // The slot index comes from the low bits, the tag from the high ones.
  static constexpr uint64_t kTagMask = 0xffffffff00000000ull;
  static uint32_t position(uint64_t e) { return static_cast<uint32_t>(e) - 1; }
  std::vector<uint64_t> slots_;  // tag | (position + 1); 0 = empty
  size_t mask_ = 0;
};

}  // namespace vgw::config
