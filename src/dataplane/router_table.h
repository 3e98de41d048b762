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
#include <memory>
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
  std::unique_ptr<const fib::FibTable> fib;
};

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

// The table for a configuration against a snapshot (network indices). Errors
// name the router and field. ribs receives each router's RIB (for show routes).
Result<std::shared_ptr<const RouterTable>> build_router_table(const config::Config& cfg,
                                                              const Snapshot& snap,
                                                              std::vector<fib::Fib>* ribs);

class RouterPlane {
 public:
  RouterPlane() = default;
  ~RouterPlane();
  RouterPlane(const RouterPlane&) = delete;
  RouterPlane& operator=(const RouterPlane&) = delete;

  // Workers: the published table (nullptr when no router is configured yet).
  const RouterTable* current() const { return current_.load(std::memory_order_acquire); }
  const NeighborTable& neighbors() const { return neighbors_; }

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

  std::vector<RouteEntry> routes(const Snapshot& snap) const;
  std::vector<NeighborEntry> neighbor_entries(const Snapshot& snap, uint32_t now) const;

 private:
  void publish(std::shared_ptr<const RouterTable> t);

  std::atomic<const RouterTable*> current_{nullptr};
  std::shared_ptr<const RouterTable> table_;
  std::vector<fib::Fib> ribs_;
  NeighborTable neighbors_;
  std::vector<std::pair<uint32_t, uint64_t>> macs_;  // (network, router MAC) in the FDB
};

}  // namespace vgw::dataplane
