// The Dataplane's router functions for the control plane (declared in
// dataplane.h): show routes / arp, neighbour bindings from outside, and the
// draining of the neighbour events the workers' router stages push.
#include <fmt/format.h>

#include "dataplane/dataplane.h"

namespace vgw::dataplane {

size_t Dataplane::drain_neighbors(size_t max) {
  std::vector<WorkerContext*> ws;
  {
    std::lock_guard lock(workers_mu_);
    for (auto& w : workers_) ws.push_back(w.get());
  }
  size_t n = 0;
  NeighborEvent ev;
  for (WorkerContext* w : ws)
    while (n < max && w->neighbors.pop(ev)) {
      ++n;
      router_.apply_event(ev);
    }
  return n;
}

std::vector<RouteEntry> Dataplane::read_routes() const {
  std::shared_ptr<const Snapshot> snap = snapshot();
  if (!snap) return {};
  return router_.routes(*snap);
}

std::vector<NeighborEntry> Dataplane::read_neighbors() const {
  std::shared_ptr<const Snapshot> snap = snapshot();
  if (!snap) return {};
  return router_.neighbor_entries(*snap, clock_());
}

Status Dataplane::neighbor_add(std::string_view network, IpAddress ip, MacAddress mac,
                               std::string_view origin) {
  auto o = parse_neighbor_origin(origin);
  if (!o)
    return make_error(fmt::format("neighbor[{}].origin: {} is not snooped|router|evpn|static",
                                  ip.to_string(), origin));
  uint32_t net = snapshot_ ? snapshot_->network_by_name(std::string(network)) : kNone;
  if (net == kNone)
    return make_error(
        fmt::format("neighbor[{}].network: no network named {}", ip.to_string(), network));
  if (mac.is_zero() || mac.is_multicast())
    return make_error(
        fmt::format("neighbor[{}].mac: {} is not a unicast MAC", ip.to_string(), mac.to_string()));
  router_.neighbors().set(NeighborKey::make(net, ip), mac, *o, clock_());
  return {};
}

Status Dataplane::neighbor_remove(std::string_view network, IpAddress ip) {
  uint32_t net = snapshot_ ? snapshot_->network_by_name(std::string(network)) : kNone;
  if (net == kNone)
    return make_error(
        fmt::format("neighbor[{}].network: no network named {}", ip.to_string(), network));
  if (!router_.neighbors().remove(NeighborKey::make(net, ip)))
    return make_error(
        fmt::format("neighbor[{}]: no binding in network {}", ip.to_string(), network));
  return {};
}

size_t Dataplane::flush_evpn_routes() {
  if (!snapshot_) return 0;
  return router_.flush_evpn(*snapshot_);
}

}  // namespace vgw::dataplane
