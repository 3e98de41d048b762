#include "dataplane/dataplane.h"

#include <time.h>

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "dataplane/rcu.h"

namespace vgw::dataplane {

uint32_t monotonic_seconds() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<uint32_t>(ts.tv_sec);
}

Dataplane::Dataplane(DataplaneOptions opts)
    : opts_(std::move(opts)),
      clock_(opts_.clock ? opts_.clock : Clock(monotonic_seconds)),
      fdb_(opts_.fdb) {}

Dataplane::~Dataplane() = default;

void Dataplane::publish(std::shared_ptr<const Snapshot> s) {
  current_.store(s.get(), std::memory_order_release);
  rcu::synchronize();  // no worker still uses the old one after this
  std::shared_ptr<const Snapshot> old;
  {
    std::lock_guard lock(snap_mu_);
    old = std::exchange(snapshot_, std::move(s));
  }
}

Status Dataplane::apply(const config::Config& cfg, const UnderlayInfo& underlay,
                        Prebuilt prebuilt) {
  Result<std::shared_ptr<const Snapshot>> built =
      prebuilt.snapshot && prebuilt.base == snapshot_
          ? Result<std::shared_ptr<const Snapshot>>(std::move(prebuilt.snapshot))
          : build_snapshot(cfg, underlay, snapshot_.get());
  if (!built) return built.error();
  const Snapshot& next = **built;

  // Resolve the static MACs before changing anything (all or nothing).
  struct StaticEntry {
    uint32_t network;
    MacAddress mac;
    Location loc;
  };
  std::vector<StaticEntry> statics;
  for (const config::Network& cn : cfg.networks) {
    if (cn.static_macs.empty()) continue;
    uint32_t net = next.network_by_name(cn.name);
    for (const config::StaticMac& m : cn.static_macs) {
      Location loc;
      if (m.remote) {
        uint32_t r = next.remotes().find(*m.remote);
        if (r == kNone)
          return make_error(fmt::format("networks[{}].macs[{}].remote: unknown remote {}", cn.name,
                                        m.mac.to_string(), m.remote->to_string()));
        loc = Location::remote(r);
      } else {
        auto& names = next.table().port_names;
        auto it = std::find(names.begin(), names.end(), m.port);
        if (it == names.end())
          return make_error(fmt::format("networks[{}].macs[{}].port: no port named {}", cn.name,
                                        m.mac.to_string(), m.port));
        loc = Location::local(static_cast<uint32_t>(it - names.begin()), m.vlan);
      }
      if (m.mac.is_zero() || m.mac.is_multicast())
        return make_error(
            fmt::format("networks[{}].macs[{}]: not a unicast MAC", cn.name, m.mac.to_string()));
      statics.push_back({net, m.mac, loc});
    }
  }

  // Routers too, before anything changes (their errors reject the whole config).
  auto routers = router_.prepare(cfg, next);
  if (!routers) return routers.error();

  std::shared_ptr<const Snapshot> prev = snapshot_;
  fdb_.set_dup_detection(cfg.fdb.dup_max_moves, cfg.fdb.dup_window);
  publish(*built);

  // Networks gone: their learned entries die at once.
  if (prev) {
    for (size_t i = 0; i < prev->network_count(); ++i) {
      auto idx = static_cast<uint32_t>(i);
      if (prev->network(idx).present && (idx >= next.network_count() || !next.network(idx).present))
        fdb_.flush_network(idx);
    }
    // Remotes gone: learned entries behind them go too.
    for (size_t i = 0; i < prev->remotes().size(); ++i) {
      auto idx = static_cast<uint32_t>(i);
      if (prev->remotes()[idx].present &&
          (idx >= next.remotes().size() || !next.remotes()[idx].present))
        fdb_.remove_location(Location::remote(idx));
    }
  }
  // Statics: remove the ones no longer configured, then (re)install all.
  std::vector<std::pair<uint32_t, uint64_t>> now_statics;
  for (auto& s : statics) now_statics.emplace_back(s.network, s.mac.to_u64());
  std::sort(now_statics.begin(), now_statics.end());
  for (auto& old : statics_)
    if (!std::binary_search(now_statics.begin(), now_statics.end(), old)) {
      auto e = fdb_.get(old.first, MacAddress::from_u64(old.second));
      if (e && e->type == FdbType::kStatic)
        fdb_.remove(old.first, MacAddress::from_u64(old.second));
    }
  for (auto& s : statics) {
    Status st = fdb_.add_static(s.network, s.mac, s.loc);
    if (!st) return st;  // cannot happen: checked above
  }
  statics_ = std::move(now_statics);
  return router_.commit(std::move(*routers), next, fdb_);
}

void Dataplane::update_underlay(const UnderlayInfo& underlay) {
  if (!snapshot_) return;
  publish(snapshot_->with_remotes(resolve_remotes(*snapshot_, underlay)));
}

WorkerContext& Dataplane::add_worker(size_t n_ports) {
  std::lock_guard lock(workers_mu_);
  workers_.push_back(std::make_unique<WorkerContext>(static_cast<uint32_t>(workers_.size()),
                                                     n_ports, opts_.learn_ring_capacity));
  return *workers_.back();
}

size_t Dataplane::drain_learn(size_t max) {
  if (!snapshot_) return 0;
  std::vector<WorkerContext*> ws;
  {
    std::lock_guard lock(workers_mu_);
    for (auto& w : workers_) ws.push_back(w.get());
  }
  size_t n = 0;
  LearnEvent ev;
  for (WorkerContext* w : ws) {
    while (n < max && w->learn.pop(ev)) {
      ++n;
      if (!ev.location.valid()) {
        // A source VTEP nobody configured (allow_unknown_sources): learn it.
        if (!snapshot_->vtep().allow_unknown_sources) continue;
        auto [set, idx] =
            add_remote(*snapshot_, ev.source, RemoteOrigin::kLearned, learned_underlay_);
        if (set != snapshot_->remotes_ptr()) publish(snapshot_->with_remotes(set));
        ev.location = Location::remote(idx);
      }
      fdb_.learn(ev, *snapshot_);
    }
  }
  return n + drain_neighbors(max);
}

size_t Dataplane::age_slice(size_t max_slots) {
  if (!snapshot_) return 0;
  uint32_t now = clock_();
  if (now != last_neighbor_age_) {  // a full scan, at most once a second
    last_neighbor_age_ = now;
    router_.age(now);
  }
  return fdb_.age_slice(now, max_slots, *snapshot_);
}

void Dataplane::start_trace(uint32_t n, uint32_t port) {
  std::lock_guard lock(workers_mu_);
  for (auto& w : workers_) {
    w->trace_budget.store(0, std::memory_order_relaxed);
    w->trace.clear();
    w->trace_port.store(port, std::memory_order_relaxed);
    w->trace_budget.store(n, std::memory_order_relaxed);
  }
}

std::vector<TraceRecord> Dataplane::read_trace() const {
  std::lock_guard lock(workers_mu_);
  std::vector<TraceRecord> out;
  for (auto& w : workers_)
    for (size_t i = 0, n = w->trace.count(); i < n; ++i) {
      out.push_back(w->trace[i]);
      out.back().worker = w->id;
    }
  return out;
}

namespace {
void add_port(PortTotals& t, const PortCounters& c) {
  t.rx_packets += c.rx_packets.get();
  t.rx_bytes += c.rx_bytes.get();
  t.tx_packets += c.tx_packets.get();
  t.tx_bytes += c.tx_bytes.get();
  t.rx_dropped += c.rx_dropped.get();
  t.tx_dropped += c.tx_dropped.get();
}
void add_traffic(TrafficTotals& t, const TrafficCounters* c) {
  if (!c) return;
  t.rx_packets += c->rx_packets.get();
  t.rx_bytes += c->rx_bytes.get();
  t.tx_packets += c->tx_packets.get();
  t.tx_bytes += c->tx_bytes.get();
}
}  // namespace

CounterTotals Dataplane::read_counters() const {
  CounterTotals t;
  std::shared_ptr<const Snapshot> snap = snapshot();
  size_t n_nets = snap ? snap->network_count() : 0;
  size_t n_remotes = snap ? snap->remotes().size() : 0;
  size_t n_ports = snap ? snap->port_count() : 0;
  t.networks.resize(n_nets);
  t.remotes.resize(n_remotes);
  t.ports.resize(n_ports);
  std::lock_guard lock(workers_mu_);
  for (auto& w : workers_) {
    const WorkerCounters& c = w->counters;
    for (size_t d = 0; d < kDropCount; ++d) t.drops[d] += c.drops[d].get();
    if (t.ports.size() < c.ports.size()) t.ports.resize(c.ports.size());
    for (size_t p = 0; p < c.ports.size(); ++p) add_port(t.ports[p], c.ports[p]);
    add_port(t.underlay, c.underlay);
    for (size_t i = 0; i < n_nets; i += ChunkedCounters<TrafficCounters>::kChunk) {
      if (!c.networks.find(i)) continue;  // chunk never touched
      for (size_t j = i; j < std::min(n_nets, i + ChunkedCounters<TrafficCounters>::kChunk); ++j)
        add_traffic(t.networks[j], c.networks.find(j));
    }
    for (size_t i = 0; i < n_remotes; ++i) add_traffic(t.remotes[i], c.remotes.find(i));
    t.workers.push_back(WorkerTotals{w->id, c.rx_packets.get(), c.tx_packets.get()});
    t.router.routed += c.routed.get();
    t.router.icmp_sent += c.icmp_sent.get();
    t.router.arp_requests_sent += c.arp_requests_sent.get();
    t.router.arp_replies_sent += c.arp_replies_sent.get();
    t.router.suppressed += c.suppressed.get();
    t.router.fragments += c.fragments.get();
  }
  t.fdb = fdb_.totals();
  return t;
}

}  // namespace vgw::dataplane
