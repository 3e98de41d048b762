#include "config/names.h"

namespace vgw::config {

std::string_view to_string(FloodMode m) {
  switch (m) {
    case FloodMode::kHeadEnd:
      return "head-end";
    case FloodMode::kMulticast:
      return "multicast";
    case FloodMode::kEvpn:
      return "evpn";
    case FloodMode::kNone:
      return "none";
  }
  return "?";
}

std::optional<FloodMode> parse_flood_mode(std::string_view s) {
  if (s == "head-end") return FloodMode::kHeadEnd;
  if (s == "multicast") return FloodMode::kMulticast;
  if (s == "evpn") return FloodMode::kEvpn;
  if (s == "none") return FloodMode::kNone;
  return std::nullopt;
}

std::string_view to_string(UnderlayIo io) {
  switch (io) {
    case UnderlayIo::kPacket:
      return "packet";
    case UnderlayIo::kSocket:
      return "socket";
    case UnderlayIo::kXdp:
      return "xdp";
    case UnderlayIo::kTap:
      return "tap";
  }
  return "?";
}

std::optional<UnderlayIo> parse_underlay_io(std::string_view s) {
  if (s == "packet") return UnderlayIo::kPacket;
  if (s == "socket") return UnderlayIo::kSocket;
  if (s == "xdp") return UnderlayIo::kXdp;
  if (s == "tap") return UnderlayIo::kTap;
  return std::nullopt;
}

}  // namespace vgw::config
