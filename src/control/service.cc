#include "control/service.h"

#include <time.h>

#include <exception>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <thread>

#include <spdlog/spdlog.h>

#include "config/diff.h"
#include "config/load.h"
#include "config/persist.h"
#include "config/validate.h"

namespace vgw::control {
namespace {

// Wall and thread-CPU milliseconds per phase of an apply, logged at debug level:
// where a large apply spends its time, and how much of it is waiting (fsync, a
// lost CPU) rather than work.
class PhaseTimer {
 public:
  PhaseTimer() : wall_(now(CLOCK_MONOTONIC)), cpu_(now(CLOCK_THREAD_CPUTIME_ID)) {}
  void mark(const char* phase) {
    if (!spdlog::should_log(spdlog::level::debug)) return;
    double w = now(CLOCK_MONOTONIC), c = now(CLOCK_THREAD_CPUTIME_ID);
    text_ += fmt::format(" {}={:.0f}/{:.0f}", phase, w - wall_, c - cpu_);
    wall_ = w;
    cpu_ = c;
  }
  const std::string& text() const { return text_; }

 private:
  static double now(clockid_t clock) {
    timespec ts;
    clock_gettime(clock, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
  }
  double wall_, cpu_;
  std::string text_;
};

}  // namespace

Service::Service(dataplane::Dataplane& dp, PortFactory& ports, UnderlayResolver& underlay,
                 WorkerRunner& runner, ServiceOptions options)
    : dp_(dp),
      ports_(ports),
      underlay_(underlay),
      runner_(runner),
      opts_(std::move(options)),
      controller_(dp) {}

Service::~Service() {
  shutdown();
}

std::string Service::state_file() const {
  return (std::filesystem::path(opts_.state_dir) / kStateFile).string();
}

Result<std::optional<config::Config>> Service::load_state(const std::string& state_dir) {
  std::filesystem::path path = std::filesystem::path(state_dir) / kStateFile;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<config::Config>();
  auto c = config::load_file(path.string());
  if (!c) return c.error();
  return std::optional<config::Config>(std::move(*c));
}

dataplane::UnderlayInfo Service::underlay_info(const config::Config& c) {
  dataplane::UnderlayInfo info;
  // In socket mode the kernel routes our datagrams: no next-hop MACs needed.
  if (c.underlay.io != config::UnderlayIo::kSocket)
    info.resolve = [this](const IpAddress& remote) { return underlay_.resolve(remote); };
  uint32_t mtu = underlay_.interface_mtu(c.underlay.interface);
  if (mtu != 0) info.interface_mtu = mtu;
  return info;
}

uint32_t Service::workers_for(const config::Config& c) const {
  if (opts_.workers) return opts_.workers;
  if (c.node.workers) return c.node.workers;
  unsigned cores = std::thread::hardware_concurrency();
  return cores ? cores : 1;
}

bool Service::ports_change(const config::Config& c) const {
  return !configured_ || c.ports != config_.ports || c.underlay != config_.underlay ||
         c.vtep.source != config_.vtep.source || c.vtep.udp_port != config_.vtep.udp_port ||
         c.vtep.ttl != config_.vtep.ttl || c.vtep.df != config_.vtep.df ||
         workers_for(c) != workers_;
}

Result<Service::OpenedPorts> Service::open_ports(const config::Config& c, uint32_t workers) {
  OpenedPorts o;
  o.attachments.resize(workers);
  for (uint32_t w = 0; w < workers; ++w) {
    for (const auto& p : c.ports) {
      auto port = ports_.open_attachment(p, w, workers);
      if (!port) return port.error();
      o.attachments[w].push_back(std::move(*port));
    }
    auto u = ports_.open_underlay(c.underlay, c.vtep, w, workers);
    if (!u) return u.error();
    o.underlays.push_back(std::move(*u));
  }
  return o;
}

void Service::start_workers(OpenedPorts ports) {
  std::vector<std::unique_ptr<dataplane::Worker>> workers;
  worker_ids_.clear();
  for (size_t w = 0; w < ports.underlays.size(); ++w) {
    workers.push_back(std::make_unique<dataplane::Worker>(
        dp_, std::move(ports.attachments[w]), std::move(ports.underlays[w]), opts_.worker));
    worker_ids_.push_back(workers.back()->id());
  }
  runner_.start(std::move(workers));
}

// Port indices follow config.ports order, so removing or reordering ports moves
// them: learned entries that point at a moved or removed index are forgotten
// (static ones are reinstalled by Dataplane::apply with their new index).
void Service::forget_moved_ports(const config::Config& next) {
  auto snap = dp_.snapshot();
  if (!snap) return;
  const auto& old_names = snap->table().port_names;
  std::vector<bool> moved(old_names.size(), true);
  for (size_t i = 0; i < old_names.size(); ++i)
    moved[i] = !(i < next.ports.size() && next.ports[i].name == old_names[i]);
  std::vector<std::pair<uint32_t, MacAddress>> gone;
  dp_.fdb().for_each(std::nullopt, [&](const dataplane::FdbEntryView& e) {
    if (e.type != dataplane::FdbType::kLearned || e.location.is_remote()) return;
    uint32_t port = e.location.port();
    if (port >= moved.size() || moved[port]) gone.emplace_back(e.network, e.mac);
  });
  for (const auto& [network, mac] : gone) dp_.fdb().remove(network, mac);
}

Result<std::vector<std::string>> Service::diff(const config::Config& next) const {
  auto valid = config::validate(next);
  if (!valid) return valid.error();
  return config::diff(config_, next);
}

Result<std::vector<std::string>> Service::apply(const config::Config& next) {
  // ---- prepare: nothing running changes ----
  PhaseTimer timer;
  auto valid = config::validate(next);
  if (!valid) return valid.error();
  timer.mark("validate");
  std::vector<std::string> changes = config::diff(config_, next);
  if (configured_ && next == config_) return changes;
  timer.mark("diff");

  // The state file is written and fsynced on another thread while the snapshot is
  // built and ports are opened (a million networks: ~70 MB to format, write and
  // fsync, about a second of wall time off the critical path); it replaces the old
  // file only in the persist step below. On every early return the thread is joined
  // first and the temp file removed. Without a thread it is staged here.
  std::optional<Result<config::StagedFile>> staged;
  auto stage = [this, &next, &staged] {
    try {
      staged.emplace(config::StagedFile::stage_config(state_file(), next));
    } catch (const std::exception& e) {
      staged.emplace(make_error(state_file() + ": " + e.what()));
    }
  };
  std::thread stager;
  if (!opts_.state_dir.empty()) {
    try {
      stager = std::thread(stage);
    } catch (const std::system_error&) {
      stage();
    }
  }
  struct Join {
    std::thread& t;
    ~Join() {
      if (t.joinable()) t.join();
    }
  } join_stager{stager};

  dataplane::UnderlayInfo info = underlay_info(next);
  std::shared_ptr<const dataplane::Snapshot> base = dp_.snapshot();
  auto dry = dataplane::build_snapshot(next, info, base.get());
  if (!dry) return dry.error();
  timer.mark("snapshot");
  const bool reopen = ports_change(next);
  const uint32_t workers = workers_for(next);
  std::optional<OpenedPorts> opened;
  if (reopen) {
    auto o = open_ports(next, workers);
    if (!o) return o.error();
    opened = std::move(*o);
  }

  // ---- persist: after this the new configuration is the one we come back with ----
  if (stager.joinable()) stager.join();
  if (staged) {
    Status saved = *staged ? (*staged)->commit() : Status(staged->error());
    if (!saved) return make_error("state: " + saved.error().message + " (nothing was applied)");
  }
  timer.mark("persist");

  // ---- commit ----
  if (reopen) {
    runner_.stop();
    dp_.drain_learn();
    forget_moved_ports(next);
  }
  // The dry run's snapshot is the one published (unless the running one changed since).
  auto applied = dp_.apply(next, info, {std::move(*dry), std::move(base)});
  if (!applied) {
    // Not expected: the dry run built the same snapshot. Put the old state back.
    spdlog::error("apply failed after a successful dry run: {}", applied.error().message);
    if (configured_ && !opts_.state_dir.empty()) (void)config::save_config(state_file(), config_);
    if (reopen && configured_) {
      auto old = open_ports(config_, workers_);
      if (old) start_workers(std::move(*old));
    }
    return applied.error();
  }
  timer.mark("dataplane");
  dp_.set_underlay_for_learned_remotes(info);
  controller_.reconcile(info);  // the snapshot was rebuilt from configuration alone
  if (reopen) {
    start_workers(std::move(*opened));
    workers_ = workers;
  }
  config_ = next;
  configured_ = true;
  last_resolve_ = dp_.now();
  timer.mark("commit");
  spdlog::debug("event=apply_timing networks={} ms_wall/cpu:{}", next.networks.size(),
                timer.text());
  // A bulk change (a million networks) would be a million log lines: the first
  // kMaxLoggedChanges, then a count (the full list is in the apply reply).
  constexpr size_t kMaxLoggedChanges = 100;
  for (size_t i = 0; i < changes.size() && i < kMaxLoggedChanges; ++i)
    spdlog::info("applied: {}", changes[i]);
  if (changes.size() > kMaxLoggedChanges)
    spdlog::info("applied: ... and {} more changes", changes.size() - kMaxLoggedChanges);
  if (on_applied_) on_applied_();
  return changes;
}

bool Service::any_unresolved() const {
  auto snap = dp_.snapshot();
  if (!snap || config_.underlay.io == config::UnderlayIo::kSocket) return false;
  for (const auto& r : snap->remotes().remotes())
    if (r.present && !r.resolved) return true;
  return false;
}

void Service::tick() {
  if (!configured_) return;
  dp_.drain_learn();
  dp_.age_slice(opts_.age_slots_per_tick);
  uint32_t now = dp_.now();
  if (now - last_resolve_ >= opts_.resolve_retry_s && any_unresolved()) {
    last_resolve_ = now;
    dp_.update_underlay(underlay_info(config_));
  }
}

void Service::underlay_changed() {
  if (!configured_) return;
  last_resolve_ = dp_.now();
  dp_.update_underlay(underlay_info(config_));
}

// ---- Controller API: one call each, shared by the API and (later) EVPN ----

Result<BulkResult> Service::add_remote_macs(const std::vector<RemoteMac>& entries,
                                            const Owner& owner) {
  if (!configured_) return make_error("controller: no configuration applied yet");
  return controller_.add_macs(entries, owner, underlay_info(config_));
}

Result<BulkResult> Service::remove_remote_macs(const std::vector<RemoteMac>& entries,
                                               const Owner& owner) {
  if (!configured_) return make_error("controller: no configuration applied yet");
  return controller_.remove_macs(entries, owner);
}

Result<BulkResult> Service::add_flood_members(const std::vector<FloodMember>& entries,
                                              const Owner& owner) {
  if (!configured_) return make_error("controller: no configuration applied yet");
  return controller_.add_flood(entries, owner, underlay_info(config_));
}

Result<BulkResult> Service::remove_flood_members(const std::vector<FloodMember>& entries,
                                                 const Owner& owner) {
  if (!configured_) return make_error("controller: no configuration applied yet");
  return controller_.remove_flood(entries, owner);
}

BulkResult Service::withdraw_owner(const Owner& owner) {
  return controller_.withdraw(owner);
}

void Service::shutdown() {
  runner_.stop();
}

}  // namespace vgw::control
