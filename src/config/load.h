// Loading a configuration: parse (yaml.h) then validate (validate.h). This is
// the one entry point for `vgwd --config`, `vgwctl apply` and `vgwctl diff`.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "config/config.h"

namespace vgw::config {

Result<Config> load(std::string_view yaml);
// Errors about the file itself start with the path.
Result<Config> load_file(const std::string& path);

}  // namespace vgw::config
