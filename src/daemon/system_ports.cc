#include "system_ports.h"

#include <net/if.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "io/af_packet_port.h"
#include "io/memory_port.h"
#include "io/udp_socket_port.h"

namespace vgw::daemon {

Result<std::unique_ptr<Port>> SystemPortFactory::open_attachment(const config::Port& port, uint32_t,
                                                                 uint32_t) {
  if (port.io == "memory")
    return std::unique_ptr<Port>(std::make_unique<io::MemoryPort>(port.name));
  unsigned ifindex = if_nametoindex(port.name.c_str());
  if (ifindex == 0) return make_error(fmt::format("ports[{}]: no such interface", port.name));
  io::AfPacketOptions o;
  o.ifname = port.name;
  o.fanout_group = io::fanout_group_for(static_cast<int>(ifindex));
  o.promiscuous = true;
  auto p = io::AfPacketPort::open(o);
  if (!p) return make_error(fmt::format("ports[{}]: {}", port.name, p.error().message));
  return std::unique_ptr<Port>(std::move(*p));
}

Result<std::unique_ptr<Port>> SystemPortFactory::open_underlay(const config::Underlay& underlay,
                                                               const config::Vtep& vtep,
                                                               uint32_t worker, uint32_t) {
  switch (underlay.io) {
    case config::UnderlayIo::kXdp:
      return make_error("underlay.io: xdp is not available yet (use packet or socket)");
    case config::UnderlayIo::kSocket: {
      io::UdpSocketOptions o;
      o.local = vtep.source;
      o.port = vtep.udp_port;
      o.ttl = vtep.ttl;
      o.df = vtep.df;
      if (worker == 0) o.warn = [](const std::string& m) { spdlog::warn("underlay: {}", m); };
      auto p = io::UdpSocketPort::open(o);
      if (!p) return make_error(fmt::format("underlay: {}", p.error().message));
      return std::unique_ptr<Port>(std::move(*p));
    }
    case config::UnderlayIo::kPacket:
      break;
  }
  unsigned ifindex = if_nametoindex(underlay.interface.c_str());
  if (ifindex == 0)
    return make_error(
        fmt::format("underlay.interface: {} is not an interface", underlay.interface));
  std::pair<IpAddress, uint16_t> key{vtep.source, vtep.udp_port};
  if (!guard_ || guard_key_ != key) {
    guard_.reset();  // a changed address/port: release the old one first
    auto g = io::VxlanPortGuard::open(vtep.source, vtep.udp_port);
    if (!g) return make_error(fmt::format("vtep.udp-port: {}", g.error().message));
    guard_.emplace(std::move(*g));
    guard_key_ = key;
  }
  io::UnderlayPacketOptions uo;
  uo.ifname = underlay.interface;
  uo.vtep = vtep.source;
  uo.udp_port = vtep.udp_port;
  uo.mtu = underlay.mtu;
  uo.fanout_group = io::fanout_group_for(static_cast<int>(ifindex));
  auto p = io::AfPacketPort::open(io::underlay_port_options(uo));
  if (!p) return make_error(fmt::format("underlay: {}", p.error().message));
  return std::unique_ptr<Port>(std::move(*p));
}

}  // namespace vgw::daemon
