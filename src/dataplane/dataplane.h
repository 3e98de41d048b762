// The data plane as the control plane sees it: the published snapshot, the
// FDB, and the per-worker state (counters, learn rings, trace buffers). One
// object per vgwd; workers (worker.h) register with it.
//
// Threads: publish/apply/drain_learn/age/fdb() writes belong to ONE control
// thread. read_counters may run on any thread. Workers only call current(),
// fdb() lookups and their own WorkerContext.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "common/result.h"
#include "config/config.h"
#include "dataplane/capture.h"
#include "dataplane/counters.h"
#include "dataplane/fdb.h"
#include "dataplane/learn_ring.h"
#include "dataplane/neighbor.h"
#include "dataplane/router_api.h"
#include "dataplane/router_table.h"
#include "dataplane/snapshot.h"
#include "dataplane/trace.h"

namespace vgw::dataplane {

// Seconds on a monotonic clock; injectable for tests (ageing, dup windows).
using Clock = std::function<uint32_t()>;
uint32_t monotonic_seconds();

// start_trace's port filter: any port, or the underlay (attachment ports by index).
inline constexpr uint32_t kTraceAnyPort = 0xffffffffu;
inline constexpr uint32_t kTraceUnderlay = 0xfffffffeu;

// What one worker shares with the control thread.
struct WorkerContext {
  WorkerContext(uint32_t id, size_t n_ports, size_t ring_capacity)
      : id(id), counters(n_ports), learn(ring_capacity), neighbors(ring_capacity) {}
  uint32_t id;
  WorkerCounters counters;
  LearnRing learn;
  NeighborRing neighbors;  // ARP/ND bindings seen by the router stage
  TraceBuffer trace;
  std::atomic<uint32_t> trace_budget{0};            // mark this many more received packets kTrace
  std::atomic<uint32_t> trace_port{kTraceAnyPort};  // only packets received here
  std::atomic<CaptureRing*> capture{nullptr};       // copy matching frames here (capture.h)
};

struct DataplaneOptions {
  FdbOptions fdb;
  size_t learn_ring_capacity = 4096;
  Clock clock;  // empty = monotonic_seconds
};

class Dataplane {
 public:
  explicit Dataplane(DataplaneOptions opts = {});
  ~Dataplane();
  Dataplane(const Dataplane&) = delete;
  Dataplane& operator=(const Dataplane&) = delete;

  // ---- Control thread ----

  // Builds a snapshot from a validated config (indices kept stable against the
  // running one), publishes it, syncs the FDB: static MACs of the config
  // installed, statics no longer configured removed, learned entries of removed
  // networks flushed, dup-detection settings applied. All or nothing: on error
  // nothing running changes.
  // prebuilt: a caller's dry run, build_snapshot(cfg, underlay, base.get()); it is
  // published as is when base is still the running snapshot (a million networks
  // are not built twice), else apply builds anew.
  struct Prebuilt {
    std::shared_ptr<const Snapshot> snapshot;
    std::shared_ptr<const Snapshot> base;
  };
  Status apply(const config::Config& cfg, const UnderlayInfo& underlay, Prebuilt prebuilt = {});
  // Makes s the state every worker uses from its next batch on; the old
  // snapshot is freed after an RCU grace period (this call waits for it).
  void publish(std::shared_ptr<const Snapshot> s);
  // Re-resolves every remote (neighbour/route change) and publishes.
  void update_underlay(const UnderlayInfo& underlay);
  // The published snapshot (nullptr before the first publish). Any thread.
  std::shared_ptr<const Snapshot> snapshot() const {
    std::lock_guard lock(snap_mu_);
    return snapshot_;
  }
  Fdb& fdb() { return fdb_; }
  const Fdb& fdb() const { return fdb_; }

  // Applies up to max pending learn events from every worker's ring; returns
  // how many. Events from an unknown source VTEP (allow_unknown_sources) add a
  // learned remote through the underlay given here (then publish).
  size_t drain_learn(size_t max = SIZE_MAX);
  void set_underlay_for_learned_remotes(UnderlayInfo u) { learned_underlay_ = std::move(u); }
  // One ageing slice over up to max_slots FDB slots at the clock's now.
  size_t age_slice(size_t max_slots = 65536);
  // Marks the next n packets each worker receives (on `port` only, unless
  // kTraceAnyPort; kTraceUnderlay: from the underlay) for tracing; clears the
  // previous trace. n = 0 stops tracing.
  void start_trace(uint32_t n, uint32_t port = kTraceAnyPort);
  // Capture (capture.h; capture.cc): gives every worker a ring of `slots`
  // frames cut to `snaplen` bytes for the frames matching f; stops any
  // previous capture first.
  void start_capture(CaptureFilter f, uint32_t slots, uint32_t snaplen);
  // Workers stop copying; the rings are freed after an RCU grace period.
  void stop_capture();
  // Hands up to max waiting frames (every worker) to fn; returns how many.
  size_t drain_capture(
      size_t max,
      const std::function<void(const CaptureRing::Slot&, std::span<const uint8_t>)>& fn);
  struct CaptureStats {
    bool active = false;
    uint64_t copied = 0;    // frames copied by the workers
    uint64_t overruns = 0;  // frames not copied: a ring was full
  };
  CaptureStats capture_stats() const;

  // ---- Any thread ----

  CounterTotals read_counters() const;
  std::vector<TraceRecord> read_trace() const;

  // ---- Router (issue 3; router_control.cc) ----

  // Workers: the routers' published state and neighbour table.
  const RouterPlane& router() const { return router_; }
  // Control thread: applies pending neighbour events from every worker (also
  // done by drain_learn); returns how many.
  size_t drain_neighbors(size_t max = SIZE_MAX);

  // Every route of every router (connected, static, evpn), by router then prefix.
  std::vector<RouteEntry> read_routes() const;
  // Every neighbour binding (IP -> MAC) of every network.
  std::vector<NeighborEntry> read_neighbors() const;
  // Control thread: adds or replaces a binding; origin "evpn" | "static" |
  // "snooped" | "router". Error names the unknown network or origin.
  Status neighbor_add(std::string_view network, IpAddress ip, MacAddress mac,
                      std::string_view origin);
  // Control thread: removes a binding; error if the network or binding is unknown.
  Status neighbor_remove(std::string_view network, IpAddress ip);
  // Control thread: a router's EVPN route to these VTEPs (empty: removed), then
  // flush_evpn_routes publishes every change in one swap (RouterPlane::flush_evpn).
  void set_evpn_route(const std::string& router, const IpPrefix& prefix,
                      std::vector<IpAddress> vteps) {
    router_.set_evpn_route(router, prefix, std::move(vteps));
  }
  size_t flush_evpn_routes();
  uint32_t now() const { return clock_(); }

  // ---- Workers ----

  // The published snapshot, for the current batch (valid until the worker's
  // next RCU quiescent state).
  const Snapshot* current() const { return current_.load(std::memory_order_acquire); }
  // Registers a worker with n attachment ports; the context lives as long as
  // the Dataplane.
  WorkerContext& add_worker(size_t n_ports);

 private:
  DataplaneOptions opts_;
  Clock clock_;
  Fdb fdb_;
  mutable std::mutex snap_mu_;  // snapshot_ written by the control thread, read by any
  std::shared_ptr<const Snapshot> snapshot_;
  std::atomic<const Snapshot*> current_{nullptr};
  mutable std::mutex workers_mu_;  // add_worker vs read_counters (control plane only)
  std::vector<std::unique_ptr<WorkerContext>> workers_;
  std::vector<std::unique_ptr<CaptureRing>> capture_rings_;  // the running capture's
  UnderlayInfo learned_underlay_;
  // (network, mac) of the static entries installed from configuration.
  std::vector<std::pair<uint32_t, uint64_t>> statics_;
  RouterPlane router_;
  uint32_t last_neighbor_age_ = 0;
};

}  // namespace vgw::dataplane
