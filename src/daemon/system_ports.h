// The daemon's PortFactory: attachment ports on AF_PACKET (PACKET_FANOUT, one
// socket per worker per interface) or AF_XDP (`io: xdp`, one socket per worker on
// receive queue = worker), the underlay on AF_PACKET with a VXLAN port guard
// (`packet` mode), on AF_XDP behind the VXLAN-only XDP program (`xdp` mode, the
// guard kept too), on UDP sockets (`socket` mode) or, in `tap` mode, sending
// through a TAP bridged with the uplink and receiving as in packet mode. Ports with `io: memory`
// get an in-memory port that never receives (a process-level test without
// interfaces).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "control/deps.h"
#include "io/af_xdp_port.h"
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
  Status hold_guard(const config::Vtep& vtep);
  // One XDP program per interface, shared by its workers' ports (each holds it:
  // detached when the last port of the interface closes).
  Result<std::shared_ptr<io::XdpProgram>> xdp_program(const io::XdpProgramOptions& o);
  std::map<std::string, std::weak_ptr<io::XdpProgram>> xdp_programs_;
};

}  // namespace vgw::daemon
