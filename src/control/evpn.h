// The EVPN agent: vgwd's BGP-EVPN speaker (bgp/speaker.h) joined to the control
// plane (SPEC "Control plane / BGP-EVPN"). It runs on the control thread:
//  - configuration: the `evpn:` section and every network with a VNI become the
//    speaker's neighbors and VNIs, with FRR's auto-derived RD (router-id:index)
//    and RT (asn:vni) unless evpn.vnis configures them; the BGP session runs on
//    the kernel's TCP from vtep.source (so it works in every underlay mode);
//  - import: type-3 and type-2 routes end in the controller operations
//    (Operations::add_remote_macs / add_flood_members / remove_*), owned by
//    Owner{kEvpn, peer address}, so EVPN, the API and the configuration share one
//    path (STYLE practice 2) and a peer's withdrawal removes exactly its entries;
//  - export: the MACs the FDB learned on local attachments are advertised as
//    type 2. No scans: the FDB tells the agent which (network, MAC) changed
//    (Fdb::set_change_listener: learn, move, age, removal) and the Service tells
//    it when a configuration was applied (Service::set_on_applied); both are
//    batched and handled on the next poll (the speaker's epoll fd is readable at
//    least every 100 ms). A local learn that takes over an EVPN entry (the host
//    moved here, RFC 7432 §15) is advertised with sequence highest seen + 1;
//  - symmetric IRB (RFC 9135/9136): a router with an l3-vni is an IP-VRF. Its
//    connected subnets go out as type-5 routes when asked (advertise-connected),
//    and the IP-MAC bindings of local hosts (the neighbour table, MAC local in
//    the FDB) as type-2 MAC+IP routes with the L3 VNI as second label and the
//    router MAC. Imported type-5 prefixes and MAC+IP host routes become the
//    router's EVPN routes through its L3 VNI interface: a gateway per VTEP,
//    whose router MAC is an EVPN neighbour binding and FDB entry in the L3
//    VNI's network, so routing to them is the ordinary route-then-bridge path.
//    MAC+IP routes also install their binding in the L2 network (ARP/ND
//    suppression);
//  - show: `vgwctl show evpn peers|routes`.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "bgp/speaker.h"
#include "common/result.h"
#include "config/config.h"
#include "control/operations.h"
#include "dataplane/dataplane.h"

namespace vgw::control {

struct EvpnRouteFilter {
  std::optional<uint8_t> type;  // 2, 3, 5
  std::optional<uint32_t> vni;
};

struct EvpnAgentOptions {
  bgp::MsClock clock;  // empty: monotonic
  // The address BGP sessions use when it is not vtep.source (tests: a loopback
  // address, which vtep.source may not be); unspecified: vtep.source.
  IpAddress bind_address;
};

class EvpnAgent final : public bgp::ImportSink {
 public:
  // config supplies the running configuration (nullptr before the first apply).
  // Registers itself as dp's FDB change listener (until destroyed).
  EvpnAgent(Operations& ops, dataplane::Dataplane& dp,
            std::function<const config::Config*()> config, EvpnAgentOptions options = {});
  ~EvpnAgent() override;
  EvpnAgent(const EvpnAgent&) = delete;
  EvpnAgent& operator=(const EvpnAgent&) = delete;

  // The speaker configuration for c (nullopt: no evpn section). Errors name the field.
  static Result<std::optional<bgp::SpeakerConfig>> speaker_config(const config::Config& c);

  // Follows the running configuration now (and every local MAC with it).
  Status reconcile();
  // A configuration was applied: reconcile on the next poll.
  void config_applied() { reconcile_pending_ = true; }
  // The FDB changed (network, mac), or a whole network was flushed (mac 0):
  // the local MACs concerned are re-read on the next poll.
  void fdb_changed(uint32_t network, uint64_t mac);
  // The fd the control loop polls (the speaker's epoll fd).
  int fd() const { return speaker_.fd(); }
  // Pending configuration and FDB changes, then socket work and timers.
  void poll();
  void shutdown();
  bool running() const { return running_; }

  nlohmann::json show_peers() const;
  nlohmann::json show_routes(const EvpnRouteFilter& filter) const;

  const bgp::Speaker& speaker() const { return speaker_; }

  // bgp::ImportSink
  void apply(const bgp::ImportChanges& changes) override;

 private:
  void scan_local_macs();
  void follow_fdb_changes();
  void scan_local_bindings();
  void apply_ip_routes(const bgp::ImportChanges& changes);

  Operations& ops_;
  dataplane::Dataplane& dp_;
  std::function<const config::Config*()> config_;
  EvpnAgentOptions opts_;
  bgp::MsClock clock_;
  bgp::Speaker speaker_;
  bool running_ = false;
  std::optional<bgp::SpeakerConfig> applied_;
  bool reconcile_pending_ = false;
  uint64_t scans_ = 0;                                      // full FDB scans done by reconcile
  std::vector<std::pair<uint32_t, uint64_t>> fdb_pending_;  // (network, mac)
  bool fdb_flushed_ = false;  // a network was flushed: re-read every local MAC
  std::string last_error_;
  uint64_t bindings_scanned_at_ = 0;  // ms
  // Imported IP-VRF paths: (l3 vni, prefix) -> (vtep, router MAC), one per path.
  std::map<std::pair<uint32_t, IpPrefix>, std::multiset<std::pair<IpAddress, MacAddress>>>
      ip_paths_;
  // Router MACs of remote VTEPs in each L3 VNI: (l3 vni, vtep) -> (router MAC -> paths).
  std::map<std::pair<uint32_t, IpAddress>, std::map<MacAddress, uint32_t>> router_macs_;
  // Imported bindings: (vni, ip) -> (mac -> paths).
  std::map<std::pair<uint32_t, IpAddress>, std::map<MacAddress, uint32_t>> bindings_;
};

}  // namespace vgw::control
