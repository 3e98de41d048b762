// Human-readable differences between two configurations, for `vgwctl diff`
// and the answer to `apply`. Stable order: node, api, ports, underlay, vtep,
// fdb, tenants, networks, routers, evpn; within a list, removals (old order)
// then additions and changes (new order). Examples:
//   + network web (vni 100)          - network db
//   ~ network web: mac-limit 10000 -> 20000
//   ~ network web: + attachment trunk0 vlan 10
//   ~ vtep: udp-port 4789 -> 4790
#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace vgw::config {

// Empty when from == to.
std::vector<std::string> diff(const Config& from, const Config& to);

}  // namespace vgw::config
