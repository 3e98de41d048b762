// An in-memory Port for tests and benchmarks. Frames to be received are queued
// with inject() (or replayed from a fixed set, for benchmarks, without any
// allocation) and copied into pool buffers by receive(), as a NIC would DMA them.
// Replayed frames sit in one flat array with 64-byte-aligned slots, so receive()
// copies each one with whole 64-byte moves (the cost of a DMA'd or zero-copy ring
// slot, not of a general-purpose queue).
// Sent frames are either collected as byte vectors (tests assert on them) or only
// counted and released (benchmarks: zero-copy, no allocation per packet).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "io/port.h"
#include "io/port_counters.h"

namespace vgw::io {

class MemoryPort final : public Port {
 public:
  enum class TxMode : uint8_t {
    kCollect,  // keep a copy of every sent frame (sent(), take_sent())
    kCount,    // count and release only
  };

  explicit MemoryPort(std::string name, TxMode mode = TxMode::kCollect);

  // Queues one frame for receive() (copied now; frames beyond kDataRoom are
  // counted as rx_dropped when received).
  void inject(std::span<const uint8_t> frame);
  // Benchmark source: receive() cycles through `frames` until `count` frames have
  // been received in total (UINT64_MAX: forever). Replaces injected frames.
  void replay(std::vector<std::vector<uint8_t>> frames, uint64_t count);
  // Frames waiting to be received.
  size_t pending() const;

  const std::vector<std::vector<uint8_t>>& sent() const { return sent_; }
  std::vector<std::vector<uint8_t>> take_sent();
  // The metadata of the collected frames, index for index with sent().
  const std::vector<PacketMeta>& sent_meta() const { return sent_meta_; }
  void clear_sent();

  uint32_t receive(PacketPool& pool, std::span<Packet*> out) override;
  uint32_t send(std::span<Packet* const> pkts) override;
  const std::string& name() const override { return name_; }
  PortStats stats() const override { return counters_.snapshot(); }

 private:
  std::string name_;
  TxMode mode_;
  uint32_t receive_replay(PacketPool& pool, std::span<Packet*> out, uint32_t n, uint64_t& bytes,
                          uint64_t& dropped);
  template <size_t kStride>  // the slot size, or 0: any
  uint32_t receive_replay(PacketPool& pool, std::span<Packet*> out, uint32_t n, uint64_t& bytes,
                          uint64_t& dropped);

  static constexpr size_t kChunk = 64;  // replay slots and copies are whole chunks
  std::deque<std::vector<uint8_t>> rx_;
  std::unique_ptr<uint8_t[]> replay_data_;  // frame i at i * replay_stride_
  std::vector<uint32_t> replay_len_;
  size_t replay_stride_ = 0;
  bool replay_fits_ = true;  // every replay frame fits a packet (no rx_dropped)
  uint64_t replay_left_ = 0;
  size_t replay_next_ = 0;
  std::vector<std::vector<uint8_t>> sent_;
  std::vector<PacketMeta> sent_meta_;
  PortCounters counters_;
};

}  // namespace vgw::io
