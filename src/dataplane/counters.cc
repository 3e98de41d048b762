#include "dataplane/counters.h"

namespace vgw::dataplane {

namespace {
constexpr std::string_view kNames[] = {
#define VGW_DROP(name, text) #name,
#include "dataplane/drop_reasons.def"
#undef VGW_DROP
};
constexpr std::string_view kTexts[] = {
#define VGW_DROP(name, text) text,
#include "dataplane/drop_reasons.def"
#undef VGW_DROP
};
static_assert(std::size(kNames) == kDropCount);
}  // namespace

std::string_view drop_name(Drop d) {
  return kNames[static_cast<size_t>(d)];
}
std::string_view drop_description(Drop d) {
  return kTexts[static_cast<size_t>(d)];
}

}  // namespace vgw::dataplane
