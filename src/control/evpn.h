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
//    type 2 (the FDB is scanned every scan_interval_ms);
//  - show: `vgwctl show evpn peers|routes`.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

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
  bgp::MsClock clock;                // empty: monotonic
  uint64_t scan_interval_ms = 1000;  // local MACs and configuration changes
  // The address BGP sessions use when it is not vtep.source (tests: a loopback
  // address, which vtep.source may not be); unspecified: vtep.source.
  IpAddress bind_address;
};

class EvpnAgent final : public bgp::ImportSink {
 public:
  // config supplies the running configuration (nullptr before the first apply).
  EvpnAgent(Operations& ops, const dataplane::Dataplane& dp,
            std::function<const config::Config*()> config, EvpnAgentOptions options = {});

  // The speaker configuration for c (nullopt: no evpn section). Errors name the field.
  static Result<std::optional<bgp::SpeakerConfig>> speaker_config(const config::Config& c);

  // Follows the running configuration now (also done every scan interval).
  Status reconcile();
  // The fd the control loop polls (the speaker's epoll fd).
  int fd() const { return speaker_.fd(); }
  // Socket work, timers, and every scan interval the FDB scan and reconcile.
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

  Operations& ops_;
  const dataplane::Dataplane& dp_;
  std::function<const config::Config*()> config_;
  EvpnAgentOptions opts_;
  bgp::MsClock clock_;
  bgp::Speaker speaker_;
  bool running_ = false;
  std::optional<bgp::SpeakerConfig> applied_;
  uint64_t next_scan_ = 0;
  std::string last_error_;
};

}  // namespace vgw::control
