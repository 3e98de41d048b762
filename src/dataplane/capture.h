// Packet capture (`vgwctl capture`, issue 5): copies of the frames a worker
// receives on one port, or of one network, taken without stopping forwarding.
//
// Each worker owns one CaptureRing while a capture runs: a bounded
// single-producer single-consumer ring of fixed-size slots. The worker copies a
// matching frame (cut to the snap length) into the next free slot, or counts an
// overrun when the ring is full — it never blocks and never allocates. The
// control thread drains the slots (into pcap records for vgwctl). Frames are
// taken as received (before any stage changes them): an attachment port's
// frames with their VLAN tag, the underlay's with the outer headers, so
// Wireshark dissects VXLAN and the inner frame.
//
// Filters: a port (attachment index, or kCaptureUnderlay), or a network (index):
// frames of its attachments (port, VLAN) and VXLAN frames with its VNI.
#pragma once

#include <time.h>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>

#include "dataplane/snapshot.h"
#include "packet/byte_order.h"

namespace vgw::dataplane {

inline constexpr uint32_t kCaptureUnderlay = 0xfffffffeu;

struct CaptureFilter {
  uint32_t port = kNone;     // attachment port index, kCaptureUnderlay, or kNone
  uint32_t network = kNone;  // network index, or kNone
};

class CaptureRing {
 public:
  struct Slot {
    uint64_t time_ns;   // CLOCK_REALTIME when copied
    uint32_t length;    // bytes kept (<= snaplen)
    uint32_t original;  // the frame's length
  };

  CaptureRing(uint32_t slots, uint32_t snaplen, CaptureFilter filter)
      : slots_(slots),
        snaplen_(snaplen),
        filter_(filter),
        meta_(new Slot[slots]),
        data_(new uint8_t[size_t{slots} * snaplen]) {}

  const CaptureFilter& filter() const { return filter_; }

  // ---- Worker ----
  void offer(const uint8_t* frame, uint32_t len) {
    uint64_t head = head_.load(std::memory_order_relaxed);
    if (head - tail_.load(std::memory_order_acquire) >= slots_) {
      overruns_.store(overruns_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      return;
    }
    size_t i = head % slots_;
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint32_t keep = len < snaplen_ ? len : snaplen_;
    meta_[i] = Slot{uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec), keep, len};
    std::memcpy(data_.get() + i * snaplen_, frame, keep);
    head_.store(head + 1, std::memory_order_release);
    copied_.store(copied_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

  // ---- Control thread ----
  // Calls fn(const Slot&, std::span<const uint8_t>) for up to max waiting frames.
  template <typename Fn>
  size_t drain(size_t max, Fn&& fn) {
    uint64_t tail = tail_.load(std::memory_order_relaxed);
    const uint64_t head = head_.load(std::memory_order_acquire);
    size_t n = 0;
    for (; tail != head && n < max; ++tail, ++n) {
      size_t i = tail % slots_;
      fn(meta_[i], std::span<const uint8_t>(data_.get() + i * snaplen_, meta_[i].length));
    }
    tail_.store(tail, std::memory_order_release);
    return n;
  }
  uint64_t copied() const { return copied_.load(std::memory_order_relaxed); }
  uint64_t overruns() const { return overruns_.load(std::memory_order_relaxed); }

 private:
  const uint32_t slots_;
  const uint32_t snaplen_;
  const CaptureFilter filter_;
  std::unique_ptr<Slot[]> meta_;
  std::unique_ptr<uint8_t[]> data_;
  alignas(64) std::atomic<uint64_t> head_{0};  // written by the worker
  std::atomic<uint64_t> copied_{0};
  std::atomic<uint64_t> overruns_{0};
  alignas(64) std::atomic<uint64_t> tail_{0};  // written by the control thread
};

// True when a frame received on `port` (kCaptureUnderlay: the underlay) belongs
// to the filter. Reads only what the frame's length allows.
inline bool capture_matches(const CaptureFilter& f, const Snapshot* snap, uint32_t port,
                            const uint8_t* d, uint32_t len) {
  if (f.port != kNone) return f.port == port;
  if (f.network == kNone || !snap) return false;
  if (port != kCaptureUnderlay) {
    uint16_t vlan = 0;
    if (len >= 18 && packet::load_be16(d + 12) == 0x8100) vlan = packet::load_be16(d + 14) & 0xfff;
    uint32_t att = snap->attachment(port, vlan);
    return att != kNone && snap->attachment_state(att).network == f.network;
  }
  // Untagged outer IPv4 (any header length) or IPv6, UDP, VXLAN: the VNI.
  uint32_t vxlan;
  if (len >= 14 + 20 && packet::load_be16(d + 12) == 0x0800 && d[23] == 17)
    vxlan = 14 + (d[14] & 0x0fu) * 4 + 8;
  else if (len >= 14 + 40 && packet::load_be16(d + 12) == 0x86dd && d[20] == 17)
    vxlan = 14 + 40 + 8;
  else
    return false;
  if (len < vxlan + 8) return false;
  uint32_t vni = packet::load_be32(d + vxlan + 4) >> 8;
  return snap->network_by_vni(vni) == f.network;
}

}  // namespace vgw::dataplane
