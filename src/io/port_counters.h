// Counters of one Port, written by its worker thread and read by the control
// plane. Single writer: the worker adds a whole batch with a relaxed load+store
// (a plain move on x86, no locked instruction); readers see a torn-free value.
#pragma once

#include <atomic>
#include <cstdint>

#include "io/port.h"

namespace vgw::io {

class PortCounters {
 public:
  struct Counter {
    std::atomic<uint64_t> v{0};
    void add(uint64_t n) {
      v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    // For counters also bumped from the control thread (e.g. kernel drop counts).
    void add_shared(uint64_t n) { v.fetch_add(n, std::memory_order_relaxed); }
    uint64_t get() const { return v.load(std::memory_order_relaxed); }
  };

  Counter rx_packets, rx_bytes, tx_packets, tx_bytes, rx_dropped, tx_dropped, rx_segmented;

  PortStats snapshot() const {
    PortStats s;
    s.rx_packets = rx_packets.get();
    s.rx_bytes = rx_bytes.get();
    s.tx_packets = tx_packets.get();
    s.tx_bytes = tx_bytes.get();
    s.rx_dropped = rx_dropped.get();
    s.tx_dropped = tx_dropped.get();
    s.rx_segmented = rx_segmented.get();
    return s;
  }
};

}  // namespace vgw::io
