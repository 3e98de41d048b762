#include "dataplane/worker.h"

#include <poll.h>

#include "dataplane/rcu.h"

namespace vgw::dataplane {

namespace {
std::vector<Port*> raw_ports(const std::vector<std::unique_ptr<Port>>& ports) {
  std::vector<Port*> v;
  for (auto& p : ports) v.push_back(p.get());
  return v;
}

// Copies the frames of a received batch that the capture wants (never blocks).
void capture(CaptureRing& ring, const Snapshot* snap, uint32_t port, std::span<Packet*> pkts) {
  for (Packet* p : pkts)
    if (capture_matches(ring.filter(), snap, port, p->data(), p->size()))
      ring.offer(p->data(), p->size());
}
}  // namespace

Worker::Worker(Dataplane& dp, std::vector<std::unique_ptr<Port>> ports,
               std::unique_ptr<Port> underlay, WorkerOptions opts)
    : dp_(dp),
      ctx_(dp.add_worker(ports.size())),
      opts_(opts),
      ports_(std::move(ports)),
      underlay_(std::move(underlay)),
      pool_(opts.pool_packets),
      pipeline_(dp, ctx_, pool_, raw_ports(ports_), underlay_.get()) {}

Worker::~Worker() = default;

size_t Worker::run_once() {
  std::array<Packet*, kBatchSize> batch;
  size_t got = 0;
  const Snapshot* snap = dp_.current();
  pipeline_.begin(snap, dp_.now());
  // A running capture (capture.h): one load per iteration when there is none.
  CaptureRing* const cap = ctx_.capture.load(std::memory_order_acquire);
  for (uint32_t i = 0; i < ports_.size(); ++i) {
    uint32_t n = ports_[i]->receive(pool_, batch);
    if (n) {
      if (cap) [[unlikely]]
        capture(*cap, snap, i, {batch.data(), n});
      pipeline_.local_ingress(i, {batch.data(), n});
      got += n;
    }
  }
  if (underlay_) {
    uint32_t n = underlay_->receive(pool_, batch);
    if (n) {
      if (cap) [[unlikely]]
        capture(*cap, snap, kCaptureUnderlay, {batch.data(), n});
      pipeline_.underlay_ingress({batch.data(), n});
      got += n;
    }
  }
  pipeline_.flush();
  return got;
}

namespace {
// The worker is the counter's only writer, so raising it to the port's figure is a
// plain add of the difference (Port counts only grow).
void raise_to(Counter& c, uint64_t v) {
  uint64_t cur = c.get();
  if (v > cur) c.add(v - cur);
}
}  // namespace

void Worker::publish_port_drops() {
  for (size_t i = 0; i < ports_.size() && i < ctx_.counters.ports.size(); ++i)
    raise_to(ctx_.counters.ports[i].rx_dropped, ports_[i]->stats().rx_dropped);
  if (underlay_) raise_to(ctx_.counters.underlay.rx_dropped, underlay_->stats().rx_dropped);
}

void Worker::run() {
  rcu::register_thread();
  std::vector<pollfd> fds;
  for (auto& p : ports_)
    if (p->poll_fd() >= 0) fds.push_back(pollfd{p->poll_fd(), POLLIN, 0});
  if (underlay_ && underlay_->poll_fd() >= 0)
    fds.push_back(pollfd{underlay_->poll_fd(), POLLIN, 0});
  uint32_t since_publish = 0;
  while (!stop_.load(std::memory_order_relaxed)) {
    size_t got = run_once();
    rcu::quiescent();
    if (got == 0 || ++since_publish >= kDropPublishIterations) {
      publish_port_drops();
      since_publish = 0;
    }
    if (got == 0) {
      // Idle: block instead of spinning; offline so grace periods need not wait.
      rcu::offline();
      ::poll(fds.data(), fds.size(), opts_.idle_poll_ms);
      rcu::online();
    }
  }
  rcu::unregister_thread();
}

}  // namespace vgw::dataplane
