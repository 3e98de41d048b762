// Whole-configuration checks, the ones a network engineer would make reviewing
// a config: unique names, references that resolve, VNIs unique across L2 and
// L3, one network per (port, VLAN), address families that agree, sane ranges.
#pragma once

#include "common/result.h"
#include "config/config.h"

namespace vgw::config {

// The first problem found, as `object.field: reason`; success when none.
Status validate(const Config& c);

}  // namespace vgw::config
