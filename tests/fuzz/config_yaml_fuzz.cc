// libFuzzer target for the configuration reader: parse_yaml must return a value
// or an Error for any input, never throw or crash. Whatever it accepts and
// validate passes must survive to_yaml and parse back equal, and diff itself
// empty (the persisted configuration is what the daemon restarts with).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/diff.h"
#include "config/json.h"
#include "config/validate.h"
#include "config/yaml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto c = vgw::config::parse_yaml(text);
  if (!c) return 0;
  if (!vgw::config::validate(*c)) return 0;
  auto back = vgw::config::parse_yaml(vgw::config::to_yaml(*c));
  if (!back || !(*back == *c)) std::abort();
  if (!vgw::config::diff(*c, *back).empty()) std::abort();
  (void)vgw::config::to_json(*c).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return 0;
}
