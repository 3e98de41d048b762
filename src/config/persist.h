// Atomic persistence of the applied configuration (SPEC: "persist atomically
// (write a temp file, fsync, rename)"): after a crash the file holds either the
// old or the new text, never a mix.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "config/config.h"

namespace vgw::config {

// Writes text to a temp file in path's directory (created if missing), fsyncs
// it, renames it over path and fsyncs the directory.
Status save_atomic(const std::string& path, std::string_view text);

// save_atomic(path, to_yaml(c)).
Status save_config(const std::string& path, const Config& c);

}  // namespace vgw::config
