// The configuration file (SPEC "The configuration file"): YAML text <-> Config.
// parse_yaml checks shape, types and per-field ranges; it does not check
// cross-references (validate.h does). Every error names object, field and
// reason, e.g. `networks[web].vni: 16777216 is out of range 1..16777215`.
// Objects are named by their name when they have one, by index otherwise.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "config/config.h"

namespace vgw::config {

// Parses one YAML document. Unknown keys, duplicate keys and wrong types are
// errors; absent fields keep the defaults of config.h. Never throws.
Result<Config> parse_yaml(std::string_view text);

// The whole configuration as YAML in the SPEC shape, defaults included, so that
// parse_yaml(to_yaml(c)) == c. Used to persist the applied configuration.
std::string to_yaml(const Config& c);

}  // namespace vgw::config
