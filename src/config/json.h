// The configuration as JSON, for the API: snake_case keys like the `show`
// answers of CONTRACTS.md, MACs as aa:bb:cc:dd:ee:ff, IPs as text, VNIs as
// numbers, absent optionals as null.
#pragma once

#include <nlohmann/json.hpp>

#include "config/config.h"

namespace vgw::config {

nlohmann::json to_json(const Config& c);

}  // namespace vgw::config
