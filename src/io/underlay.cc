// Underlay `packet` mode helpers (see underlay.h).
#include "io/underlay.h"

#include <linux/filter.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vgw::io {

AfPacketOptions underlay_port_options(const UnderlayPacketOptions& o) {
  AfPacketOptions a;
  a.ifname = o.ifname;
  a.fanout_group = o.fanout_group;
  a.bpf = vxlan_filter(o.vtep, o.udp_port);
  a.promiscuous = false;
  a.mtu = o.mtu;
  a.vxlan_port = o.udp_port;
  a.udp_gso = true;
  return a;
}

Result<VxlanPortGuard> VxlanPortGuard::open(const IpAddress& vtep, uint16_t udp_port) {
  const std::string what = "vtep " + vtep.to_string() + " udp port " + std::to_string(udp_port);
  int fd = socket(vtep.family(), SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_UDP);
  if (fd < 0) return make_error(what + ": socket: " + std::strerror(errno));
  VxlanPortGuard g(fd);
  static sock_filter drop[] = {BPF_STMT(BPF_RET | BPF_K, 0)};
  sock_fprog prog{1, drop};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0)
    return make_error(what + ": SO_ATTACH_FILTER: " + std::strerror(errno));
  sockaddr_storage ss{};
  socklen_t sl;
  if (vtep.v6) {
    int one = 1;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(udp_port);
    std::memcpy(&s6->sin6_addr, vtep.b.data(), 16);
    sl = sizeof *s6;
  } else {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(udp_port);
    std::memcpy(&s4->sin_addr, vtep.b.data(), 4);
    sl = sizeof *s4;
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), sl) < 0) {
    int e = errno;
    return make_error(what + ": bind: " + std::strerror(e) +
                      (e == EADDRINUSE      ? " (a kernel VXLAN device or another vgwd holds it?)"
                       : e == EADDRNOTAVAIL ? " (not an address of this host)"
                                            : ""));
  }
  return g;
}

VxlanPortGuard& VxlanPortGuard::operator=(VxlanPortGuard&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

VxlanPortGuard::~VxlanPortGuard() {
  if (fd_ >= 0) close(fd_);
}

}  // namespace vgw::io
