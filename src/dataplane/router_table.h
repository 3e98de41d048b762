// The virtual routers' state (issue 3), in two halves like the rest of the data
// plane (STYLE practice 6):
// - RouterTable: the immutable per-packet view: each tenant router's FIB
//   (fib/fib.h poptries), and per network the router interface in it (IP
//   addresses, router MAC, IP MTU) and ARP/ND suppression. Built by the control
//   thread from the configuration and published by RCU pointer swap.
// - RouterPlane: the control thread's side: the RIBs (fib::Fib) the tables are
//   built from, the neighbour table (neighbor.h) and the router MACs installed
//   in the FDB. Its router MAC FDB entries carry kRouterLocation, so the L2
//   destination lookup hands a frame to a router interface MAC over to the
//   router stage with no extra compare on the bridged path.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/addr.h"
#include "common/result.h"
#include "config/config.h"
#include "dataplane/fdb.h"
#include "dataplane/neighbor.h"
#include "dataplane/router_api.h"
#include "dataplane/snapshot.h"
#include "fib/fib.h"

namespace vgw::dataplane {

// The FDB location of a router interface MAC: a local port index no port has
// (port_count is far below 0xffff), so the bridged path's attachment check
// fails and the unlikely branch sends the frame to the router stage.
inline constexpr Location kRouterLocation = Location::local(0xffff, 0xfff);

// A router's interface in one network (all of a router's addresses there).
struct RouterInterfaceState {
  uint32_t router = kNone;  // index into RouterTable::routers
  uint64_t mac = 0;         // MacAddress::to_u64
  bool has_v4 = false, has_v6 = false;
  uint8_t v4[4]{};  // network order
  uint8_t v6[16]{};
  uint8_t v4_len = 0, v6_len = 0;
  uint32_t mtu = 1500;  // largest routed IP packet into this network
};

struct RouterState {
  std::string name, tenant;
  std::shared_ptr<const fib::FibTable> fib;  // shared by the tables of one configuration
};

// The routers' EVPN routes (symmetric IRB: type-5 prefixes and type-2 MAC+IP
// host routes, RFC 9135/9136): per router name, prefix -> the VTEPs that
// advertise it (ECMP over them). They live beside the configuration, so a
// configuration change rebuilds each FIB with them.
using EvpnRoutes = std::map<std::string, std::map<IpPrefix, std::vector<IpAddress>>>;

struct RouterTable {
  std::vector<RouterState> routers;
  std::vector<RouterInterfaceState> interfaces;
  std::vector<uint32_t> iface_by_network;  // network index -> interfaces index or kNone
  std::vector<uint8_t> suppress;           // network index -> ARP/ND suppression on
  std::vector<uint32_t> ageing;            // network index -> neighbour ageing (s)

  const RouterInterfaceState* interface(uint32_t network) const {
    if (network >= iface_by_network.size()) return nullptr;
    uint32_t i = iface_by_network[network];
    return i == kNone ? nullptr : &interfaces[i];
  }
  bool suppression(uint32_t network) const {
    return network < suppress.size() && suppress[network];
  }
};

// The MAC a router interface gets when none is configured: locally
// administered, from a hash of router and network names, so every gateway with
// the same configuration uses the same MAC (anycast gateway).
MacAddress default_router_mac(const std::string& router, const std::string& network);

// A router's MAC in its L3 VNI (RFC 9135 router MAC): the configured one, else
// derived from the router's name and the VTEP address, so it differs per gateway
// (a remote VTEP keeps one FDB entry per router MAC) and survives restarts.
MacAddress l3vni_router_mac(const std::string& router, const std::optional<MacAddress>& configured,
                            const IpAddress& vtep_source);
inline MacAddress l3vni_router_mac(const config::Router& r, const config::Config& cfg) {
  return l3vni_router_mac(r.name, r.router_mac, cfg.vtep.source);
}

// The table for a configuration against a snapshot (network indices). Errors
// name the router and field. ribs receives each router's RIB (for show routes).
// evpn: routes added to routers with an l3-vni, through their L3 VNI interface.
Result<std::shared_ptr<const RouterTable>> build_router_table(const config::Config& cfg,
                                                              const Snapshot& snap,
                                                              std::vector<fib::Fib>* ribs,
                                                              const EvpnRoutes* evpn = nullptr);

class RouterPlane {
 public:
  RouterPlane() = default;
  ~RouterPlane();
  RouterPlane(const RouterPlane&) = delete;
  RouterPlane& operator=(const RouterPlane&) = delete;

  // Workers: the published table (nullptr when no router is configured yet).
  const RouterTable* current() const { return current_.load(std::memory_order_acquire); }
  const NeighborTable& neighbors() const { return neighbors_; }
  // Bumped after each publish. Read before current(), it names the table a
  // worker then sees (or an older one: a cache tagged with it is emptied at
  // the next change, never kept past one); unlike the table's address, it is
  // never reused.
  uint64_t version() const { return version_.load(std::memory_order_acquire); }

  // ---- Control thread ----

  // Configuration changes in two steps, so Dataplane::apply stays all or
  // nothing: prepare builds the table and RIBs for cfg (errors name the
  // router and field) and changes nothing; commit publishes them, installs the
  // router MACs in the FDB (static, kRouterLocation), removes those no longer
  // used, and flushes the bindings of networks that are gone.
  struct Prepared {
    std::shared_ptr<const RouterTable> table;
    std::vector<fib::Fib> ribs;
  };
  Result<Prepared> prepare(const config::Config& cfg, const Snapshot& snap) const;
  Status commit(Prepared next, const Snapshot& snap, Fdb& fdb);
  Status apply(const config::Config& cfg, const Snapshot& snap, Fdb& fdb) {
    auto p = prepare(cfg, snap);
    if (!p) return p.error();
    return commit(std::move(*p), snap, fdb);
  }
  NeighborTable& neighbors() { return neighbors_; }
  void apply_event(const NeighborEvent& ev) {
    neighbors_.set(NeighborKey::make(ev.network, ev.ip), ev.mac, ev.origin, ev.time);
  }
  size_t age(uint32_t now);

  // EVPN routes: sets a router's route for prefix to these VTEPs (empty:
  // removes it). Nothing changes for the workers until flush_evpn.
  void set_evpn_route(const std::string& router, const IpPrefix& prefix,
                      std::vector<IpAddress> vteps);
  // Rebuilds the FIBs of the routers whose EVPN routes changed and publishes
  // them (one RCU swap). Returns how many routers were rebuilt.
  size_t flush_evpn(const Snapshot& snap);
  const EvpnRoutes& evpn_routes() const { return evpn_; }

  std::vector<RouteEntry> routes(const Snapshot& snap) const;
  std::vector<NeighborEntry> neighbor_entries(const Snapshot& snap, uint32_t now) const;

 private:
  void publish(std::shared_ptr<const RouterTable> t);

  std::atomic<const RouterTable*> current_{nullptr};
  std::atomic<uint64_t> version_{0};
  std::shared_ptr<const RouterTable> table_;
  std::vector<fib::Fib> ribs_;
  NeighborTable neighbors_;
  std::vector<std::pair<uint32_t, uint64_t>> macs_;  // (network, router MAC) in the FDB
  EvpnRoutes evpn_;
  std::set<std::string> evpn_dirty_;  // routers whose EVPN routes changed since the flush
};

}  // namespace vgw::dataplane
