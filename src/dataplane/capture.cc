// Dataplane's capture functions (capture.h): rings handed to workers, drained
// and freed by the control thread.
#include "dataplane/capture.h"

#include <algorithm>

#include "dataplane/dataplane.h"
#include "dataplane/rcu.h"

namespace vgw::dataplane {

void Dataplane::start_capture(CaptureFilter f, uint32_t slots, uint32_t snaplen) {
  stop_capture();
  std::lock_guard lock(workers_mu_);
  for (auto& w : workers_) {
    capture_rings_.push_back(std::make_unique<CaptureRing>(slots, snaplen, f));
    w->capture.store(capture_rings_.back().get(), std::memory_order_release);
  }
}

void Dataplane::stop_capture() {
  {
    std::lock_guard lock(workers_mu_);
    for (auto& w : workers_) w->capture.store(nullptr, std::memory_order_release);
  }
  if (capture_rings_.empty()) return;
  rcu::synchronize();  // no worker still copies into a ring after this
  capture_rings_.clear();
}

size_t Dataplane::drain_capture(
    size_t max, const std::function<void(const CaptureRing::Slot&, std::span<const uint8_t>)>& fn) {
  // A fair share per worker first, so one busy worker's ring cannot starve
  // the others' (each worker sees other ports), then whatever room is left.
  size_t n = 0;
  const size_t share =
      capture_rings_.empty() ? 0 : (max + capture_rings_.size() - 1) / capture_rings_.size();
  for (auto& r : capture_rings_) n += r->drain(std::min(share, max - n), fn);
  for (auto& r : capture_rings_) n += r->drain(max - n, fn);
  return n;
}

Dataplane::CaptureStats Dataplane::capture_stats() const {
  CaptureStats s;
  s.active = !capture_rings_.empty();
  for (auto& r : capture_rings_) {
    s.copied += r->copied();
    s.overruns += r->overruns();
  }
  return s;
}

}  // namespace vgw::dataplane
