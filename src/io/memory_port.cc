// In-memory Port (see memory_port.h).
#include "io/memory_port.h"

#include <utility>

namespace vgw::io {

MemoryPort::MemoryPort(std::string name, TxMode mode) : name_(std::move(name)), mode_(mode) {}

void MemoryPort::inject(std::span<const uint8_t> frame) {
  rx_.emplace_back(frame.begin(), frame.end());
}

void MemoryPort::replay(std::vector<std::vector<uint8_t>> frames, uint64_t count) {
  rx_.clear();
  replay_ = std::move(frames);
  replay_left_ = replay_.empty() ? 0 : count;
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
  while (n < out.size()) {
    const std::vector<uint8_t>* src;
    if (!rx_.empty()) {
      src = &rx_.front();
    } else if (replay_left_) {
      src = &replay_[replay_next_];
    } else {
      break;
    }
    Packet* p = pool.alloc();
    if (!p) break;  // the frame stays queued, as in a full NIC ring
    bool ok = p->assign(*src);
    if (ok) {
      bytes += src->size();
      out[n++] = p;
    } else {
      p->release();
      ++dropped;
    }
    if (!rx_.empty()) {
      rx_.pop_front();
    } else {
      if (replay_left_ != UINT64_MAX) --replay_left_;
      if (++replay_next_ == replay_.size()) replay_next_ = 0;
    }
  }
  counters_.rx_packets.add(n);
  counters_.rx_bytes.add(bytes);
  if (dropped) counters_.rx_dropped.add(dropped);
  return n;
}

uint32_t MemoryPort::send(std::span<Packet* const> pkts) {
  uint64_t bytes = 0;
  for (Packet* p : pkts) {
    bytes += p->size();
    if (mode_ == TxMode::kCollect) {
      sent_.emplace_back(p->bytes().begin(), p->bytes().end());
      sent_meta_.push_back(p->meta);
    }
    p->release();
  }
  counters_.tx_packets.add(pkts.size());
  counters_.tx_bytes.add(bytes);
  return static_cast<uint32_t>(pkts.size());
}

}  // namespace vgw::io
