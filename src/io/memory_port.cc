// In-memory Port (see memory_port.h).
#include "io/memory_port.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace vgw::io {

MemoryPort::MemoryPort(std::string name, TxMode mode) : name_(std::move(name)), mode_(mode) {}

void MemoryPort::inject(std::span<const uint8_t> frame) {
  rx_.emplace_back(frame.begin(), frame.end());
}

void MemoryPort::replay(std::vector<std::vector<uint8_t>> frames, uint64_t count) {
  rx_.clear();
  size_t stride = kChunk;
  for (const auto& f : frames)
    if (f.size() <= Packet::kDataRoom)
      stride = std::max(stride, (f.size() + kChunk - 1) & ~(kChunk - 1));
  replay_stride_ = stride;
  replay_data_.reset(new uint8_t[frames.size() * stride]());
  replay_len_.clear();
  for (size_t i = 0; i < frames.size(); ++i) {
    // Too large for a packet: kept as a length only and counted as rx_dropped when received.
    replay_len_.push_back(static_cast<uint32_t>(frames[i].size()));
    if (frames[i].size() <= Packet::kDataRoom)
      std::memcpy(replay_data_.get() + i * stride, frames[i].data(), frames[i].size());
  }
  replay_fits_ = std::all_of(replay_len_.begin(), replay_len_.end(),
                             [](uint32_t len) { return len <= Packet::kDataRoom; });
  replay_left_ = frames.empty() ? 0 : count;
  replay_next_ = 0;
}

size_t MemoryPort::pending() const {
  return rx_.size() + static_cast<size_t>(replay_left_);
}

std::vector<std::vector<uint8_t>> MemoryPort::take_sent() {
  sent_meta_.clear();
  return std::exchange(sent_, {});
}

void MemoryPort::clear_sent() {
  sent_.clear();
  sent_meta_.clear();
}

uint32_t MemoryPort::receive(PacketPool& pool, std::span<Packet*> out) {
  uint32_t n = 0;
  uint64_t bytes = 0, dropped = 0;
  while (n < out.size() && !rx_.empty()) {
    Packet* p = pool.alloc();
    if (!p) break;  // the frame stays queued, as in a full NIC ring
    const std::vector<uint8_t>& src = rx_.front();
    if (p->assign(src)) {
      bytes += src.size();
      out[n++] = p;
    } else {
      p->release();
      ++dropped;
    }
    rx_.pop_front();
  }
  if (replay_left_ && rx_.empty()) n = receive_replay(pool, out, n, bytes, dropped);
  counters_.rx_packets.add(n);
  counters_.rx_bytes.add(bytes);
  if (dropped) counters_.rx_dropped.add(dropped);
  return n;
}

namespace {

// Copies one replay slot: kStride bytes in straight-line moves when the slot
// size is a known constant, else whole chunks up to len.
template <size_t kStride, size_t kChunk>
inline void copy_slot(uint8_t* d, const uint8_t* from, uint32_t len) {
  if constexpr (kStride != 0) {
    std::memcpy(d, from, kStride);
  } else {
    uint32_t off = 0;
    do {
      std::memcpy(d + off, from + off, kChunk);
      off += kChunk;
    } while (off < len);
  }
}

}  // namespace

// Fills out[n..] from the replay set. A slot is a whole number of chunks and a
// packet's data room too (kDataRoom is a multiple of kChunk), so copying whole
// chunks (or the whole slot) never reads or writes out of bounds.
uint32_t MemoryPort::receive_replay(PacketPool& pool, std::span<Packet*> out, uint32_t n,
                                    uint64_t& bytes, uint64_t& dropped) {
  switch (replay_stride_) {
    case kChunk:
      return receive_replay<kChunk>(pool, out, n, bytes, dropped);
    case 2 * kChunk:
      return receive_replay<2 * kChunk>(pool, out, n, bytes, dropped);
    default:
      return receive_replay<0>(pool, out, n, bytes, dropped);
  }
}

template <size_t kStride>
uint32_t MemoryPort::receive_replay(PacketPool& pool, std::span<Packet*> out, uint32_t n,
                                    uint64_t& bytes, uint64_t& dropped) {
  static_assert(Packet::kDataRoom % kChunk == 0);
  if (replay_fits_) [[likely]] {
    // Every frame fits a packet: the buffers come from the pool in one go (a
    // NIC driver refilling its ring), then each is filled from its slot.
    size_t got = 0;
    Packet* const* const bufs =
        pool.get_bulk(static_cast<size_t>(std::min<uint64_t>(out.size() - n, replay_left_)), got);
    // Locals: stores into packet bytes may alias any member.
    Packet** const slots = out.data() + n;
    const size_t frames = replay_len_.size(), stride = replay_stride_;
    const uint32_t* const lens = replay_len_.data();
    const uint8_t* const first = replay_data_.get();
    size_t next = replay_next_;
    uint64_t got_bytes = 0;
    // Runs of consecutive slots up to the end of the replay set, then from its start.
    for (size_t i = 0; i < got;) {
      const size_t run_end = std::min(got, i + (frames - next));
      const uint8_t* src = first + next * stride;
      for (; i < run_end; ++i, ++next, src += stride) {
        Packet* p = bufs[i];
        const uint32_t len = lens[next];
        p->reset();
        copy_slot<kStride, kChunk>(p->append(len), src, len);
        got_bytes += len;
        slots[i] = p;
      }
      if (next == frames) next = 0;
    }
    replay_next_ = next;
    if (replay_left_ != UINT64_MAX) replay_left_ -= got;
    bytes += got_bytes;
    return n + static_cast<uint32_t>(got);
  }
  const bool bounded = replay_left_ != UINT64_MAX;
  uint32_t end = n + static_cast<uint32_t>(std::min<uint64_t>(out.size() - n, replay_left_));
  const uint32_t start = n;
  // Locals: stores into packet bytes may alias any member.
  const size_t frames = replay_len_.size(), stride = replay_stride_;
  const uint32_t* const lens = replay_len_.data();
  const uint8_t* src = replay_data_.get() + replay_next_ * stride;
  const uint8_t* const first = replay_data_.get();
  Packet** const slots = out.data();
  size_t next = replay_next_;
  uint64_t dropped_here = 0, got_bytes = 0;
  while (n < end) {
    Packet* p = pool.alloc();
    if (!p) break;  // the frame stays queued, as in a full NIC ring
    const uint32_t len = lens[next];
    const uint8_t* const from = src;
    src += stride;
    if (++next == frames) {
      next = 0;
      src = first;
    }
    uint8_t* d = p->append(len);
    if (!d) [[unlikely]] {
      p->release();
      // A dropped frame uses up the count too.
      if (bounded) {
        if (++dropped_here >= replay_left_) break;
        end = static_cast<uint32_t>(std::min<uint64_t>(end, start + replay_left_ - dropped_here));
      } else {
        ++dropped_here;
      }
      continue;
    }
    copy_slot<kStride, kChunk>(d, from, len);
    got_bytes += len;
    slots[n++] = p;
  }
  replay_next_ = next;
  if (bounded) replay_left_ -= (n - start) + dropped_here;
  dropped += dropped_here;
  bytes += got_bytes;
  return n;
}

uint32_t MemoryPort::send(std::span<Packet* const> pkts) {
  uint64_t bytes = 0;
  if (mode_ == TxMode::kCollect) {
    for (Packet* p : pkts) {
      bytes += p->size();
      sent_.emplace_back(p->bytes().begin(), p->bytes().end());
      sent_meta_.push_back(p->meta);
      p->release();
    }
  } else if (!pkts.empty()) {
    PacketPool* const pool = pkts[0]->pool();
    bool one_pool = true;
    for (Packet* p : pkts) {
      bytes += p->size();
      one_pool &= p->pool() == pool;
    }
    if (one_pool) [[likely]]
      pool->free_bulk(pkts.data(), pkts.size());
    else
      release_all(pkts);
  }
  counters_.tx_packets.add(pkts.size());
  counters_.tx_bytes.add(bytes);
  return static_cast<uint32_t>(pkts.size());
}

}  // namespace vgw::io
