// The daemon's PortFactory: attachment ports on AF_PACKET (PACKET_FANOUT, one
// socket per worker per interface), the underlay on AF_PACKET with a VXLAN port
// guard (`packet` mode) or on UDP sockets (`socket` mode). Ports with `io: memory`
// get an in-memory port that never receives (a process-level test without
// interfaces).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "control/deps.h"
#include "io/underlay.h"

namespace vgw::daemon {

class SystemPortFactory final : public control::PortFactory {
 public:
  Result<std::unique_ptr<Port>> open_attachment(const config::Port& port, uint32_t worker,
                                                uint32_t workers) override;
  Result<std::unique_ptr<Port>> open_underlay(const config::Underlay& underlay,
                                              const config::Vtep& vtep, uint32_t worker,
                                              uint32_t workers) override;

 private:
  // The kernel must not answer our VXLAN port in packet mode; one guard per
  // (address, port), kept across reconfigurations that do not change them.
  std::optional<io::VxlanPortGuard> guard_;
  std::pair<IpAddress, uint16_t> guard_key_;
};

}  // namespace vgw::daemon
