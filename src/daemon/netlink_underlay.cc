#include "netlink_underlay.h"

#include <spdlog/spdlog.h>

namespace vgw::daemon {

Result<std::unique_ptr<NetlinkUnderlay>> NetlinkUnderlay::open() {
  auto m = netlink::NetlinkMonitor::open();
  if (!m) return make_error("underlay: rtnetlink: " + m.error().message);
  return std::unique_ptr<NetlinkUnderlay>(new NetlinkUnderlay(std::move(*m)));
}

dataplane::NextHop NetlinkUnderlay::resolve(const IpAddress& remote) {
  auto nh = monitor_->resolve(remote);
  if (!nh) {
    spdlog::debug("event=resolve remote={} result=error reason=\"{}\"", remote.to_string(),
                  nh.error().message);
    return {};
  }
  if (!nh->resolved()) return {};
  return dataplane::NextHop{true, *nh->dst_mac, nh->src_mac};
}

uint32_t NetlinkUnderlay::interface_mtu(const std::string& ifname) {
  auto l = netlink::link_by_name(ifname);
  return l ? l->mtu : 0;
}

}  // namespace vgw::daemon
