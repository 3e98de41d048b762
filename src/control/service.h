// The control Service: the one place every control operation goes through
// (STYLE practice 2). The configuration file at start, vgwctl apply/diff/show
// over the unix socket, the HTTP API and EVPN later all call these functions.
//
// apply() is a transaction (SPEC "The configuration file"):
//   prepare  validate the whole configuration; build the new snapshot as a dry
//            run; when the set of ports (or the worker count) changes, open every
//            new Port for every worker — all before anything running changes;
//   persist  write the state file atomically (temp file, fsync, rename);
//   commit   publish the snapshot and sync the FDB (Dataplane::apply: statics
//            installed/removed, removed networks flushed); if ports changed, stop
//            the old workers and start new ones on the new ports.
// Any failure in prepare or persist returns an Error naming object, field and
// reason, and leaves everything running as it was.
//
// The control loop (the daemon's, or a test's) also calls tick() on a timer
// (learn rings drained, an ageing slice, unresolved next hops retried) and
// underlay_changed() when the resolver's fd is readable.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "control/controller_state.h"
#include "control/deps.h"
#include "control/operations.h"
#include "dataplane/dataplane.h"

namespace vgw::control {

struct ServiceOptions {
  // Where the applied configuration is persisted (<state_dir>/vgwd.yaml); empty:
  // not persisted.
  std::string state_dir;
  // Worker threads: this when non-zero, else config node.workers, else one per core.
  uint32_t workers = 0;
  dataplane::WorkerOptions worker;
  size_t age_slots_per_tick = 65536;  // ageing is done in bounded slices
  uint32_t resolve_retry_s = 1;       // unresolved next hops are retried this often
};

class Service final : public Operations {
 public:
  static constexpr const char* kStateFile = "vgwd.yaml";

  Service(dataplane::Dataplane& dp, PortFactory& ports, UnderlayResolver& underlay,
          WorkerRunner& runner, ServiceOptions options);
  ~Service() override;
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // The configuration persisted in state_dir by an earlier apply, if any (a
  // restarted vgwd comes back with it). Errors name the file.
  static Result<std::optional<config::Config>> load_state(const std::string& state_dir);
  std::string state_file() const;

  // ---- Operations ----
  Result<std::vector<std::string>> apply(const config::Config& next) override;
  Result<std::vector<std::string>> diff(const config::Config& next) const override;
  nlohmann::json show_vteps() const override;
  nlohmann::json show_networks() const override;
  Result<nlohmann::json> show_fdb(const FdbFilter& filter) const override;
  nlohmann::json show_counters() const override;
  nlohmann::json show_drops() const override;
  nlohmann::json show_config() const override;
  Result<nlohmann::json> show_routes(const RouterFilter& filter) const override;  // router_show.cc
  Result<nlohmann::json> show_arp(const RouterFilter& filter) const override;     // router_show.cc
  Result<BulkResult> add_remote_macs(const std::vector<RemoteMac>& entries,
                                     const Owner& owner) override;
  Result<BulkResult> remove_remote_macs(const std::vector<RemoteMac>& entries,
                                        const Owner& owner) override;
  Result<BulkResult> add_flood_members(const std::vector<FloodMember>& entries,
                                       const Owner& owner) override;
  Result<BulkResult> remove_flood_members(const std::vector<FloodMember>& entries,
                                          const Owner& owner) override;
  BulkResult withdraw_owner(const Owner& owner) override;
  Status start_trace(uint32_t count, const std::string& port) override;  // trace.cc
  nlohmann::json read_trace() const override;                            // trace.cc
  Status start_capture(const CaptureRequest& req) override;              // capture.cc
  nlohmann::json read_capture(size_t max) override;                      // capture.cc
  void stop_capture() override;                                          // capture.cc

  // ---- Control loop ----
  // Periodic work: drains learn rings, ages one slice, retries unresolved next
  // hops (every resolve_retry_s). Cheap enough to call every few tens of ms.
  void tick();
  // The resolver reported a change: re-resolve remote VTEPs and republish.
  void underlay_changed();
  // Stops the workers (clean shutdown).
  void shutdown();
  // Told after every apply that changed the running configuration (the EVPN
  // agent follows networks and the evpn section with it, no polling).
  void set_on_applied(std::function<void()> fn) { on_applied_ = std::move(fn); }

  const config::Config& config() const { return config_; }
  bool configured() const { return configured_; }
  uint32_t worker_count() const { return workers_; }

 private:
  dataplane::UnderlayInfo underlay_info(const config::Config& c);
  uint32_t workers_for(const config::Config& c) const;
  // True when the Ports must be reopened to run c.
  bool ports_change(const config::Config& c) const;
  // Opens every Port of every worker for c; nothing on failure.
  struct OpenedPorts {
    std::vector<std::vector<std::unique_ptr<Port>>> attachments;  // [worker][port]
    std::vector<std::unique_ptr<Port>> underlays;                 // [worker]
  };
  Result<OpenedPorts> open_ports(const config::Config& c, uint32_t workers);
  void start_workers(OpenedPorts ports);
  void forget_moved_ports(const config::Config& next);
  bool any_unresolved() const;

  dataplane::Dataplane& dp_;
  PortFactory& ports_;
  UnderlayResolver& underlay_;
  WorkerRunner& runner_;
  ServiceOptions opts_;
  config::Config config_;
  bool configured_ = false;
  uint32_t workers_ = 0;
  uint32_t last_resolve_ = 0;
  std::vector<uint32_t> worker_ids_;  // the running workers (retired ones keep counting)
  ControllerState controller_;        // what the controller API / EVPN installed
  std::function<void()> on_applied_;
};

}  // namespace vgw::control
