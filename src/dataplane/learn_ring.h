// A bounded single-producer single-consumer ring: a worker pushes learn events,
// the control thread pops them. Full means the event is lost (counted as
// learn_queue_full by the worker; the frame itself is still forwarded).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "dataplane/fdb.h"

namespace vgw::dataplane {

template <typename T>
class SpscRing {
 public:
  // capacity is rounded up to a power of two.
  explicit SpscRing(size_t capacity) {
    size_t c = 1;
    while (c < capacity) c <<= 1;
    mask_ = c - 1;
    items_.reset(new T[c]);
  }
  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  // Producer only.
  bool push(const T& v) {
    uint64_t h = head_.load(std::memory_order_relaxed);
    if (h - tail_cache_ > mask_) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      if (h - tail_cache_ > mask_) return false;
    }
    items_[h & mask_] = v;
    head_.store(h + 1, std::memory_order_release);
    return true;
  }
  // Consumer only.
  bool pop(T& out) {
    uint64_t t = tail_.load(std::memory_order_relaxed);
    if (t == head_.load(std::memory_order_acquire)) return false;
    out = items_[t & mask_];
    tail_.store(t + 1, std::memory_order_release);
    return true;
  }
  size_t capacity() const { return mask_ + 1; }

 private:
  std::unique_ptr<T[]> items_;
  size_t mask_ = 0;
  alignas(64) std::atomic<uint64_t> head_{0};
  uint64_t tail_cache_ = 0;  // producer's view of tail_
  alignas(64) std::atomic<uint64_t> tail_{0};
};

using LearnRing = SpscRing<LearnEvent>;

}  // namespace vgw::dataplane
