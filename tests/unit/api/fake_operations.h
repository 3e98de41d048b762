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

  std::vector<config::Config> applied;
  mutable std::vector<std::string> fdb_filters;
};

}  // namespace vgw::api::testing
