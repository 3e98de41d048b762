// A control::Operations that records what the API asked of it, so the API tests
// check the transport and the dispatcher without a data plane.
#pragma once

#include <string>
#include <vector>

#include "control/operations.h"

namespace vgw::api::testing {

class FakeOperations : public control::Operations {
 public:
  Result<std::vector<std::string>> apply(const config::Config& next) override {
    if (!next.networks.empty() && next.networks[0].name == "reject")
      return make_error("networks[reject].vni: rejected by the fake");
    applied.push_back(next);
    return std::vector<std::string>{"+ applied " + std::to_string(next.networks.size())};
  }
  Result<std::vector<std::string>> diff(const config::Config& next) const override {
    return std::vector<std::string>{"~ diff " + std::to_string(next.networks.size())};
  }
  nlohmann::json show_vteps() const override { return {{"local", {{"udp_port", 4789}}}}; }
  nlohmann::json show_networks() const override {
    return nlohmann::json::array({{{"name", "web"}}});
  }
  Result<nlohmann::json> show_fdb(const control::FdbFilter& f) const override {
    if (f.network == "nope") return make_error("network nope: no such network");
    fdb_filters.push_back(f.network);
    return nlohmann::json::array({{{"network", f.network.empty() ? "web" : f.network}}});
  }
  nlohmann::json show_counters() const override { return {{"fdb", {{"entries", 0}}}}; }
  nlohmann::json show_drops() const override {
    return nlohmann::json::array({{{"reason", "unknown_vni"}, {"count", 3}}});
  }

  nlohmann::json show_config() const override { return {{"node", {{"name", "fake"}}}}; }
  Result<nlohmann::json> show_routes(const control::RouterFilter& f) const override {
    if (f.tenant == "nope") return make_error("tenant nope: no such tenant");
    router_filters.push_back(f);
    return nlohmann::json::array({{{"router", "r"}, {"prefix", "10.0.0.0/24"}}});
  }
  Result<nlohmann::json> show_arp(const control::RouterFilter& f) const override {
    if (f.network == "nope") return make_error("network nope: no such network");
    router_filters.push_back(f);
    return nlohmann::json::array({{{"ip", "10.0.0.1"}, {"mac", "02:00:00:00:00:01"}}});
  }
  Result<control::BulkResult> add_remote_macs(const std::vector<control::RemoteMac>& entries,
                                              const control::Owner& owner) override {
    mac_adds.push_back(entries);
    owners.push_back(owner);
    control::BulkResult r;
    r.added = entries.size();
    return r;
  }
  Result<control::BulkResult> remove_remote_macs(const std::vector<control::RemoteMac>& entries,
                                                 const control::Owner& owner) override {
    mac_removes.push_back(entries);
    owners.push_back(owner);
    control::BulkResult r;
    r.removed = entries.size();
    return r;
  }
  Result<control::BulkResult> add_flood_members(const std::vector<control::FloodMember>& entries,
                                                const control::Owner& owner) override {
    flood_adds.push_back(entries);
    owners.push_back(owner);
    control::BulkResult r;
    r.added = entries.size();
    return r;
  }
  Result<control::BulkResult> remove_flood_members(const std::vector<control::FloodMember>& entries,
                                                   const control::Owner& owner) override {
    flood_removes.push_back(entries);
    owners.push_back(owner);
    control::BulkResult r;
    r.removed = entries.size();
    return r;
  }
  control::BulkResult withdraw_owner(const control::Owner& owner) override {
    owners.push_back(owner);
    return {};
  }

  std::vector<config::Config> applied;
  mutable std::vector<std::string> fdb_filters;
  mutable std::vector<control::RouterFilter> router_filters;
  std::vector<std::vector<control::RemoteMac>> mac_adds, mac_removes;
  std::vector<std::vector<control::FloodMember>> flood_adds, flood_removes;
  std::vector<control::Owner> owners;
};

}  // namespace vgw::api::testing
