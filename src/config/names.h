// Text names of the configuration's enums, as written in the YAML file and
// shown by vgwctl: flood modes and underlay I/O modes.
#pragma once

#include <optional>
#include <string_view>

#include "config/config.h"

namespace vgw::config {

// "head-end" | "multicast" | "evpn" | "none"
std::string_view to_string(FloodMode m);
std::optional<FloodMode> parse_flood_mode(std::string_view s);

// "packet" | "socket" | "xdp" | "tap"
std::string_view to_string(UnderlayIo io);
std::optional<UnderlayIo> parse_underlay_io(std::string_view s);

}  // namespace vgw::config
