// Packet trace (issue 5, VPP-style): a packet whose meta has PacketMeta::kTrace
// set is recorded by each stage as (stage, decision) into its worker's trace
// buffer. The worker marks the next N received packets when asked
// (Dataplane::start_trace); costs one predictable branch per stage otherwise.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "dataplane/counters.h"

namespace vgw::dataplane {

// Append-only: stages and decisions are named by value in control/trace.cc.
// kLookup: kHit/kMiss of the destination MAC; kLearn: kLearned (source MAC new or moved).
enum class Stage : uint8_t {
  kLocalIngress,
  kEncap,
  kDecap,
  kFlood,
  kOutput,
  kRoute,
  kLookup,
  kLearn
};
enum class Decision : uint8_t {
  kToPort,
  kEncap,
  kFlood,
  kToUnderlay,
  kDrop,
  kRouted,
  kHit,
  kMiss,
  kLearned
};

struct TraceRecord {
  uint64_t packet = 0;  // per-worker packet sequence number (same for one packet's records)
  Stage stage{};
  Decision decision{};
  Drop drop{};        // when decision == kDrop
  uint32_t port = 0;  // input or output port index, as the stage saw it
  uint32_t network = 0;
  uint32_t remote = 0;
  uint32_t length = 0;
  uint32_t in_port = 0xffffffffu;  // where the packet came in (kNone: the underlay)
  uint16_t vlan = 0;               // as received
  uint64_t mac = 0;                // kLookup: destination, kLearn: source (MacAddress::to_u64)
  uint32_t worker = 0;             // filled by Dataplane::read_trace
};

// Written by its worker; read by the control thread once the worker has
// published the count (records below count() are complete).
class TraceBuffer {
 public:
  static constexpr size_t kCapacity = 1024;
  TraceBuffer() : records_(kCapacity) {}

  void record(const TraceRecord& r) {
    size_t n = count_.load(std::memory_order_relaxed);
    if (n >= kCapacity) return;
    records_[n] = r;
    count_.store(n + 1, std::memory_order_release);
  }
  size_t count() const { return count_.load(std::memory_order_acquire); }
  const TraceRecord& operator[](size_t i) const { return records_[i]; }
  // Control thread, while no packet is being traced (budget zero).
  void clear() { count_.store(0, std::memory_order_release); }

 private:
  std::vector<TraceRecord> records_;
  std::atomic<size_t> count_{0};
};

}  // namespace vgw::dataplane
