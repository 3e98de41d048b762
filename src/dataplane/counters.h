// Data-plane counters: per worker, written only by their worker with plain
// (relaxed load + store, never read-modify-write) stores, read by the control
// thread without tearing and summed on read (STYLE practice 4: counters are per
// worker). Indexed by stable ids (port index, network index, remote index), so
// they survive snapshot swaps.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "dataplane/router_api.h"

namespace vgw::dataplane {

enum class Drop : uint16_t {
#define VGW_DROP(name, text) name,
#include "dataplane/drop_reasons.def"
#undef VGW_DROP
};
inline constexpr size_t kDropCount = 0
#define VGW_DROP(name, text) +1
#include "dataplane/drop_reasons.def"
#undef VGW_DROP
    ;

// "unknown_vni" etc., as `vgwctl show drops` prints it.
std::string_view drop_name(Drop d);
std::string_view drop_description(Drop d);

// One counter owned by one writer thread; any thread may read it.
class Counter {
 public:
  void add(uint64_t n) {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void inc() { add(1); }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

struct PortCounters {
  Counter rx_packets, rx_bytes, tx_packets, tx_bytes, rx_dropped, tx_dropped;
};

// For networks (frames into / out of the network, inner length) and remote VTEPs
// (frames decapsulated from / encapsulated to it, inner length).
struct TrafficCounters {
  Counter rx_packets, rx_bytes, tx_packets, tx_bytes;
};

// Counters indexed by a stable id that may grow to 16M (networks, remotes)
// while the control thread reads: chunks are allocated by the owning worker
// when it first sees a larger snapshot (per snapshot, not per packet) and never
// moved, so a reader never sees a dangling pointer.
template <typename T>
class ChunkedCounters {
 public:
  static constexpr size_t kChunk = 4096;
  static constexpr size_t kMaxChunks = (1u << 24) / kChunk;

  ChunkedCounters() : chunks_(new std::atomic<T*>[kMaxChunks]) {
    for (size_t i = 0; i < kMaxChunks; ++i) chunks_[i].store(nullptr, std::memory_order_relaxed);
  }
  ~ChunkedCounters() {
    for (size_t i = 0; i < kMaxChunks; ++i) delete[] chunks_[i].load(std::memory_order_relaxed);
  }
  ChunkedCounters(const ChunkedCounters&) = delete;
  ChunkedCounters& operator=(const ChunkedCounters&) = delete;

  // Owner only: makes ids [0, n) addressable.
  void ensure(size_t n) {
    size_t need = (n + kChunk - 1) / kChunk;
    if (need > kMaxChunks) need = kMaxChunks;
    for (size_t c = chunks_used_; c < need; ++c)
      chunks_[c].store(new T[kChunk], std::memory_order_release);
    if (need > chunks_used_) chunks_used_ = need;
  }
  size_t capacity() const { return chunks_used_ * kChunk; }
  // Owner: the id must be below capacity().
  T& operator[](size_t id) {
    return chunks_[id / kChunk].load(std::memory_order_relaxed)[id % kChunk];
  }
  // Any thread: nullptr when that id was never touched (reads as zero).
  const T* find(size_t id) const {
    if (id / kChunk >= kMaxChunks) return nullptr;
    const T* c = chunks_[id / kChunk].load(std::memory_order_acquire);
    return c ? &c[id % kChunk] : nullptr;
  }

 private:
  std::unique_ptr<std::atomic<T*>[]> chunks_;
  size_t chunks_used_ = 0;
};

// Everything one worker counts.
struct WorkerCounters {
  explicit WorkerCounters(size_t n_ports) : ports(n_ports) {}

  std::array<Counter, kDropCount> drops;
  std::vector<PortCounters> ports;  // by attachment port index (fixed per worker)
  PortCounters underlay;
  ChunkedCounters<TrafficCounters> networks;  // by network index
  ChunkedCounters<TrafficCounters> remotes;   // by remote index
  Counter rx_packets, tx_packets;             // everything the worker received / sent
  // Router stage (router.h): routed, icmp_sent, arp_requests_sent, arp_replies_sent,
  // suppressed, fragments (IPv4 fragments made for an egress MTU).
  Counter routed, icmp_sent, arp_requests_sent, arp_replies_sent, suppressed, fragments;

  void drop(Drop d) { drops[static_cast<size_t>(d)].inc(); }
};

// Sums over workers, as the control plane reads them (plain values).
struct PortTotals {
  uint64_t rx_packets = 0, rx_bytes = 0, tx_packets = 0, tx_bytes = 0, rx_dropped = 0,
           tx_dropped = 0;
};
struct TrafficTotals {
  uint64_t rx_packets = 0, rx_bytes = 0, tx_packets = 0, tx_bytes = 0;
};
struct WorkerTotals {
  uint32_t id = 0;
  uint64_t rx_packets = 0, tx_packets = 0;
};
struct FdbTotals {
  uint64_t entries = 0, learned = 0, moves = 0, mac_limit_exceeded = 0, dup_frozen = 0, aged = 0;
};
struct CounterTotals {
  std::array<uint64_t, kDropCount> drops{};  // by Drop
  std::vector<PortTotals> ports;             // by attachment port index
  PortTotals underlay;
  std::vector<TrafficTotals> networks;  // by network index (snapshot size)
  std::vector<TrafficTotals> remotes;   // by remote index (snapshot size)
  std::vector<WorkerTotals> workers;
  FdbTotals fdb;
  RouterTotals router;

  uint64_t drop(Drop d) const { return drops[static_cast<size_t>(d)]; }
};

}  // namespace vgw::dataplane
