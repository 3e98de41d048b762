// A data-plane worker: the loop one vgwd thread runs. It owns its attachment
// Ports (index = attachment port index), its underlay Port, its PacketPool and
// its pipeline; each iteration receives a batch from every port, runs the
// stages (pipeline.h) and sends. When nothing arrived it polls the ports' file
// descriptors with a short timeout (never spins idle: the CI machine has two
// cores shared with the traffic generators). Between iterations it announces an
// RCU quiescent state; while polling it is RCU-offline. Frames the kernel dropped
// before vgw saw them (a full AF_PACKET ring: PACKET_STATISTICS tp_drops; AF_XDP
// rx_dropped/rx_ring_full) are copied from Port::stats() into the port's
// rx_dropped counter every kDropPublishIterations busy iterations and when idle,
// so `show counters` accounts for every frame the interface received.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "dataplane/dataplane.h"
#include "dataplane/pipeline.h"
#include "io/port.h"
#include "packet/packet_buffer.h"

namespace vgw::dataplane {

struct WorkerOptions {
  size_t pool_packets = 8192;
  int idle_poll_ms = 10;
};

class Worker {
 public:
  Worker(Dataplane& dp, std::vector<std::unique_ptr<Port>> ports, std::unique_ptr<Port> underlay,
         WorkerOptions opts = {});
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Thread body: registers with RCU, loops until stop(), unregisters.
  void run();
  void stop() { stop_.store(true, std::memory_order_relaxed); }
  // One iteration without RCU calls or polling (tests, benchmarks, and run()).
  // Returns how many packets were received.
  size_t run_once();
  // Copies each port's own drop count (Port::stats().rx_dropped: ring full, no
  // buffer) into its rx_dropped counter. One system call per port: per many
  // batches, never per packet. run() calls it; tests may too.
  void publish_port_drops();

  static constexpr uint32_t kDropPublishIterations = 4096;

  uint32_t id() const { return ctx_.id; }
  WorkerContext& context() { return ctx_; }
  PacketPool& pool() { return pool_; }
  Port& port(size_t i) { return *ports_[i]; }
  Port& underlay() { return *underlay_; }
  size_t port_count() const { return ports_.size(); }

 private:
  Dataplane& dp_;
  WorkerContext& ctx_;
  WorkerOptions opts_;
  std::vector<std::unique_ptr<Port>> ports_;
  std::unique_ptr<Port> underlay_;
  PacketPool pool_;
  Pipeline pipeline_;
  std::atomic<bool> stop_{false};
};

}  // namespace vgw::dataplane
