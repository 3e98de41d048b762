// The operations of the control plane, as one interface that every front end calls:
// the configuration file at start, vgwctl over the unix socket, the HTTP API and
// (later) EVPN all end in these functions (STYLE practice 2: one control function
// per operation). control::Service implements it; the API tests use a fake.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "config/config.h"

namespace vgw::control {

// What `show fdb` may be narrowed to.
struct FdbFilter {
  std::string network;  // empty = every network
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
};

}  // namespace vgw::control
