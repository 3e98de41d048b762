#include "system_ports.h"

#include <net/if.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "io/af_packet_port.h"
#include "io/af_xdp_port.h"
#include "io/memory_port.h"
#include "io/tap_port.h"
#include "io/udp_socket_port.h"

namespace vgw::daemon {

Result<std::shared_ptr<io::XdpProgram>> SystemPortFactory::xdp_program(
    const io::XdpProgramOptions& o) {
  if (auto existing = xdp_programs_[o.ifname].lock()) {
    if (existing->kind() != o.kind)
      return make_error("interface is both an attachment port and the underlay");
    if (o.kind == io::XdpProgramKind::kVxlan) {
      if (auto st = existing->set_vtep(o.vtep, o.udp_port); !st) return st.error();
    }
    return existing;
  }
  auto prog = io::XdpProgram::attach(o);
  if (!prog) return prog.error();
  xdp_programs_[o.ifname] = *prog;
  return *prog;
}

Status SystemPortFactory::hold_guard(const config::Vtep& vtep) {
  std::pair<IpAddress, uint16_t> key{vtep.source, vtep.udp_port};
  if (guard_ && guard_key_ == key) return {};
  guard_.reset();  // a changed address/port: release the old one first
  auto g = io::VxlanPortGuard::open(vtep.source, vtep.udp_port);
  if (!g) return make_error(fmt::format("vtep.udp-port: {}", g.error().message));
  guard_.emplace(std::move(*g));
  guard_key_ = key;
  return {};
}

Result<std::unique_ptr<Port>> SystemPortFactory::open_attachment(const config::Port& port,
                                                                 uint32_t worker,
                                                                 uint32_t workers) {
  if (port.io == "memory")
    return std::unique_ptr<Port>(std::make_unique<io::MemoryPort>(port.name));
  if (port.io == "xdp") {
    auto prog = xdp_program({.ifname = port.name});
    if (!prog) return make_error(fmt::format("ports[{}]: {}", port.name, prog.error().message));
    io::AfXdpOptions o;
    o.ifname = port.name;
    o.queue = worker;
    o.program = *prog;
    auto p = io::AfXdpPort::open(o);
    if (!p) return make_error(fmt::format("ports[{}]: {}", port.name, p.error().message));
    return std::unique_ptr<Port>(std::move(*p));
  }
  unsigned ifindex = if_nametoindex(port.name.c_str());
  if (ifindex == 0) return make_error(fmt::format("ports[{}]: no such interface", port.name));
  io::AfPacketOptions o;
  o.ifname = port.name;
  // A fanout group only to share the port among several workers: a group of
  // one costs the receiving CPU a hash per frame for nothing.
  o.fanout_group = workers > 1 ? io::fanout_group_for(static_cast<int>(ifindex)) : 0;
  o.promiscuous = true;
  auto p = io::AfPacketPort::open(o);
  if (!p) return make_error(fmt::format("ports[{}]: {}", port.name, p.error().message));
  return std::unique_ptr<Port>(std::move(*p));
}

Result<std::unique_ptr<Port>> SystemPortFactory::open_underlay(const config::Underlay& underlay,
                                                               const config::Vtep& vtep,
                                                               uint32_t worker, uint32_t workers) {
  switch (underlay.io) {
    case config::UnderlayIo::kXdp: {
      // The guard is not needed for VXLAN (the XDP program keeps it from the
      // kernel) but still claims the port and swallows the IPv4 fragments the
      // program passes to the kernel for reassembly.
      if (auto st = hold_guard(vtep); !st) return st.error();
      auto prog = xdp_program({.ifname = underlay.interface,
                               .kind = io::XdpProgramKind::kVxlan,
                               .vtep = vtep.source,
                               .udp_port = vtep.udp_port});
      if (!prog) return make_error(fmt::format("underlay: {}", prog.error().message));
      io::AfXdpOptions o;
      o.ifname = underlay.interface;
      o.queue = worker;
      o.program = *prog;
      o.vxlan_port = vtep.udp_port;
      auto p = io::AfXdpPort::open(o);
      if (!p) return make_error(fmt::format("underlay: {}", p.error().message));
      return std::unique_ptr<Port>(std::move(*p));
    }
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
    case config::UnderlayIo::kTap: {
      // Sends through the TAP (underlay.interface, bridged with the uplink by the
      // operator); receives like packet mode on the interface that holds the VTEP
      // address, so the kernel's copy of VXLAN is held off the same way.
      if (auto st = hold_guard(vtep); !st) return st.error();
      io::TapOptions o;
      o.name = underlay.interface;
      o.vtep = vtep.source;
      o.udp_port = vtep.udp_port;
      o.mtu = underlay.mtu;
      o.shared = workers > 1;
      auto p = io::TapPort::open(o);
      if (!p) return make_error(fmt::format("underlay: {}", p.error().message));
      if (worker == 0 && !(*p)->tunnel_gso())
        spdlog::warn(
            "underlay: tap {}: this kernel takes no tunnelled TSO frames "
            "(TUN_F_UDP_TUNNEL_GSO, Linux 6.16+): frames go one by one",
            underlay.interface);
      return std::unique_ptr<Port>(std::move(*p));
    }
    case config::UnderlayIo::kPacket:
      break;
  }
  unsigned ifindex = if_nametoindex(underlay.interface.c_str());
  if (ifindex == 0)
    return make_error(
        fmt::format("underlay.interface: {} is not an interface", underlay.interface));
  if (auto st = hold_guard(vtep); !st) return st.error();
  io::UnderlayPacketOptions uo;
  uo.ifname = underlay.interface;
  uo.vtep = vtep.source;
  uo.udp_port = vtep.udp_port;
  uo.mtu = underlay.mtu;
  uo.fanout_group = workers > 1 ? io::fanout_group_for(static_cast<int>(ifindex)) : 0;
  auto p = io::AfPacketPort::open(io::underlay_port_options(uo));
  if (!p) return make_error(fmt::format("underlay: {}", p.error().message));
  return std::unique_ptr<Port>(std::move(*p));
}

}  // namespace vgw::daemon
