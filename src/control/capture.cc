// Service's capture operations (`vgwctl capture`; dataplane/capture.h): the
// filter resolved from names, the workers' rings drained into JSON frames.
//
// Why the daemon hands frames to vgwctl instead of writing the pcap itself:
// vgwd runs as root in the gateway's namespace; letting an API request name a
// file for it to create would be a privilege problem, and the operator's
// vgwctl may not share vgwd's mount namespace. So vgwctl polls `capture read`
// and writes the pcap with its own rights (packet/pcap.h).
#include <algorithm>

#include <fmt/format.h>

#include "control/service.h"

namespace vgw::control {

namespace {

std::string base64(std::span<const uint8_t> in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = uint32_t{in[i]} << 16 | uint32_t{in[i + 1]} << 8 | in[i + 2];
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (size_t rest = in.size() - i) {
    uint32_t v = uint32_t{in[i]} << 16 | (rest == 2 ? uint32_t{in[i + 1]} << 8 : 0);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace

Status Service::start_capture(const CaptureRequest& req) {
  auto snap = dp_.snapshot();
  dataplane::CaptureFilter f;
  if (req.port.empty() == req.network.empty())
    return make_error("capture: give port or network (one of them)");
  if (!req.port.empty()) {
    if (req.port == "underlay") {
      f.port = dataplane::kCaptureUnderlay;
    } else {
      const auto* names = snap ? &snap->table().port_names : nullptr;
      auto it = names ? std::find(names->begin(), names->end(), req.port)
                      : std::vector<std::string>::const_iterator{};
      if (!names || it == names->end())
        return make_error(fmt::format(
            "port: no attachment port named '{}' (or 'underlay' for the underlay)", req.port));
      f.port = static_cast<uint32_t>(it - names->begin());
    }
  } else {
    uint32_t n = snap ? snap->network_by_name(req.network) : dataplane::kNone;
    if (n == dataplane::kNone || !snap->network(n).present)
      return make_error(fmt::format("network: no network named '{}'", req.network));
    f.network = n;
  }
  if (req.snaplen < 64 || req.snaplen > 65535)
    return make_error(fmt::format("snaplen: {} is not in 64..65535", req.snaplen));
  if (req.slots < 16 || req.slots > 65536)
    return make_error(fmt::format("slots: {} is not in 16..65536", req.slots));
  dp_.start_capture(f, req.slots, req.snaplen);
  return {};
}

nlohmann::json Service::read_capture(size_t max) {
  nlohmann::json frames = nlohmann::json::array();
  dp_.drain_capture(max, [&](const dataplane::CaptureRing::Slot& s, std::span<const uint8_t> d) {
    frames.push_back({{"time_ns", s.time_ns}, {"original", s.original}, {"data", base64(d)}});
  });
  auto st = dp_.capture_stats();
  return {{"active", st.active},
          {"copied", st.copied},
          {"overruns", st.overruns},
          {"frames", std::move(frames)}};
}

void Service::stop_capture() {
  dp_.stop_capture();
}

}  // namespace vgw::control
