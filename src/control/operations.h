// The operations of the control plane, as one interface that every front end calls:
// the configuration file at start, vgwctl over the unix socket, the HTTP API and
// (later) EVPN all end in these functions (STYLE practice 2: one control function
// per operation). control::Service implements it; the API tests use a fake.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/addr.h"
#include "common/result.h"
#include "config/config.h"

namespace vgw::control {

// What `show fdb` may be narrowed to.
struct FdbFilter {
  std::string network;  // empty = every network
};

// What `show routes` / `show arp` may be narrowed to (issue 3).
struct RouterFilter {
  std::string tenant;   // empty = every tenant
  std::string network;  // empty = every network (routes: whose network is this one)
};

// ---- Controller API (SPEC "Control plane": a controller programs MAC -> VTEP
// entries directly, NSX-style; EVPN installs its type-2/type-3 routes through
// the same calls). Contract:
//  - Each entry is owned by the Owner that installed it: a MAC entry by one owner
//    (the last to add it), a flood-list member by every owner that added it
//    (removed from the flood list when the last one removes it). A remove by an
//    owner that does not own the entry leaves it alone (counted in not_owned),
//    so a peer's withdrawal removes exactly what that peer installed.
//  - MAC entries show in `show fdb` as type "api" (Origin::kApi) or "evpn"
//    (Origin::kEvpn) with their remote; they are never aged and learning never
//    overwrites them (a learned entry for the same MAC is replaced). A MAC that
//    the configuration pins (static) is an error: configuration wins.
//  - Remote VTEPs they name are added to the remote list (`show vteps` origin
//    "api"/"evpn") when not already known. Flood members are added to the
//    network's head-end list after the configured ones (not when flood: none).
//  - A bulk call is all or nothing: every entry is checked first (errors name
//    entries[i] and the field), then all are applied. O(n) in the entries.
//  - Entries survive `apply` while their network exists; removing a network
//    removes them.
enum class Origin : uint8_t { kApi, kEvpn };

struct Owner {
  Origin origin = Origin::kApi;
  std::string id;  // who within the origin: "" for the API, the peer address for EVPN
  bool operator==(const Owner&) const = default;
};

// What `vgwctl capture` asks for: port or network (one of them).
struct CaptureRequest {
  std::string port;     // attachment port name, or "underlay"
  std::string network;  // network name
  uint32_t snaplen = 9216;
  uint32_t slots = 4096;  // per worker
};

// A network named by name, or (name empty) by VNI.
struct NetworkRef {
  std::string name;
  uint32_t vni = 0;
};

struct RemoteMac {
  NetworkRef network;
  MacAddress mac;
  IpAddress remote;  // ignored by remove_remote_macs
};

struct FloodMember {
  NetworkRef network;
  IpAddress remote;
};

struct BulkResult {
  size_t added = 0;      // new entries
  size_t replaced = 0;   // entries that changed (another remote, or another owner)
  size_t unchanged = 0;  // already there as given
  size_t removed = 0;
  size_t absent = 0;     // removes of entries that were not there
  size_t not_owned = 0;  // removes of entries another owner installed
};

class Operations {
 public:
  virtual ~Operations() = default;

  // Applies a whole configuration as one transaction: validated first, then all
  // or nothing, then persisted. Returns the change lines (as diff() would).
  virtual Result<std::vector<std::string>> apply(const config::Config& next) = 0;
  // The change lines apply() would make, without applying anything.
  virtual Result<std::vector<std::string>> diff(const config::Config& next) const = 0;

  // The shapes of notes/CONTRACTS.md ("vgwctl / API JSON shapes").
  virtual nlohmann::json show_vteps() const = 0;
  virtual nlohmann::json show_networks() const = 0;
  virtual Result<nlohmann::json> show_fdb(const FdbFilter& filter) const = 0;
  virtual nlohmann::json show_counters() const = 0;
  virtual nlohmann::json show_drops() const = 0;
  // The running configuration (config::to_json).
  virtual nlohmann::json show_config() const = 0;
  // The virtual routers' tables (issue 3). Errors name an unknown tenant or network.
  //   routes: [{"router","tenant","prefix","source","via":[..],"network"}]
  //   arp:    [{"tenant","network","ip","mac","state","origin","age"}]
  virtual Result<nlohmann::json> show_routes(const RouterFilter& filter) const = 0;
  virtual Result<nlohmann::json> show_arp(const RouterFilter& filter) const = 0;

  // The controller API (see above).
  virtual Result<BulkResult> add_remote_macs(const std::vector<RemoteMac>& entries,
                                             const Owner& owner) = 0;
  virtual Result<BulkResult> remove_remote_macs(const std::vector<RemoteMac>& entries,
                                                const Owner& owner) = 0;
  virtual Result<BulkResult> add_flood_members(const std::vector<FloodMember>& entries,
                                               const Owner& owner) = 0;
  virtual Result<BulkResult> remove_flood_members(const std::vector<FloodMember>& entries,
                                                  const Owner& owner) = 0;
  // Removes everything the owner installed (an EVPN session lost).
  virtual BulkResult withdraw_owner(const Owner& owner) = 0;

  // Packet trace (`vgwctl trace`, control/trace.h): marks the next `count`
  // packets each worker receives on `port` ("" any port, "underlay") and clears
  // the previous trace; count 0 stops. Errors name count or port.
  virtual Status start_trace(uint32_t count, const std::string& port) {
    (void)count;
    (void)port;
    return make_error("trace: not supported by this daemon");
  }
  // What was traced so far, per packet (shape in control/trace.h).
  virtual nlohmann::json read_trace() const { return {{"packets", nlohmann::json::array()}}; }

  // Packet capture (`vgwctl capture`, dataplane/capture.h): frames received on
  // a port ("underlay" too) or of a network, copied by the workers into
  // bounded rings. read_capture drains up to max frames:
  //   {"active":bool,"copied":N,"overruns":N,
  //    "frames":[{"time_ns":N,"original":N,"data":"<base64>"}]}
  virtual Status start_capture(const CaptureRequest& req) {
    (void)req;
    return make_error("capture: not supported by this daemon");
  }
  virtual nlohmann::json read_capture(size_t max) {
    (void)max;
    return {{"active", false}, {"frames", nlohmann::json::array()}};
  }
  virtual void stop_capture() {}
};

}  // namespace vgw::control
