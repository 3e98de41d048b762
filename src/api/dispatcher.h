// The API dispatcher: turns a request (already parsed JSON, or one protocol line)
// into a call of control::Operations and its result into a response. It knows
// nothing of sockets, so the unix-socket server here and the HTTP API of a later
// issue share the same handler functions with different transports.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "control/evpn.h"
#include "control/operations.h"

namespace vgw::api {

class Dispatcher {
 public:
  explicit Dispatcher(control::Operations& ops) : ops_(ops) {}

  // One request object -> one response object. Never throws.
  nlohmann::json handle(const nlohmann::json& request);
  // One protocol line (without newline) -> one response line (without newline).
  std::string handle_line(std::string_view line);

  // The handlers, one per command.
  nlohmann::json show(std::string_view what, const nlohmann::json& args);
  nlohmann::json apply(std::string_view yaml);
  nlohmann::json diff(std::string_view yaml);
  // The controller API (control/operations.h): cmd is fdb_add, fdb_remove,
  // flood_add or flood_remove; entries is the JSON array of the request.
  nlohmann::json controller(std::string_view cmd, const nlohmann::json& entries);
  // The same as another owner ("api", or "evpn:<peer address>"): an operator
  // removing what a dead peer left behind, or a test planting an entry behind
  // EVPN's back for `check` to find. Errors name owner.
  nlohmann::json controller(std::string_view cmd, const nlohmann::json& entries,
                            const nlohmann::json& owner);
  // `vgwctl trace` (control/trace.h): action "start" (count, port), "read", "stop".
  nlohmann::json trace(const nlohmann::json& request);
  // `vgwctl check` (control/check.h): the findings of the consistency checker.
  nlohmann::json check();
  // `vgwctl capture`: action "start" (port | network, snaplen), "read" (max), "stop".
  nlohmann::json capture(const nlohmann::json& request);

  // `show evpn` (args: view peers|routes, type, vni) reads the EVPN agent, when
  // the daemon runs one.
  void set_evpn(const control::EvpnAgent* evpn) { evpn_ = evpn; }
  nlohmann::json show_evpn(const nlohmann::json& args);
  // `show routes` / `show arp` (args: tenant, network), what = "routes" | "arp".
  nlohmann::json show_router(std::string_view what, const nlohmann::json& args);

 private:
  control::Operations& ops_;
  const control::EvpnAgent* evpn_ = nullptr;
};

}  // namespace vgw::api
