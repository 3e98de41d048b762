// The daemon's UnderlayResolver: remote VTEP next hops and interface MTUs from
// the kernel over rtnetlink (netlink::NetlinkMonitor), followed as they change.
#pragma once

#include <memory>
#include <string>

#include "control/deps.h"
#include "netlink/netlink_monitor.h"

namespace vgw::daemon {

class NetlinkUnderlay final : public control::UnderlayResolver {
 public:
  static Result<std::unique_ptr<NetlinkUnderlay>> open();

  dataplane::NextHop resolve(const IpAddress& remote) override;
  uint32_t interface_mtu(const std::string& ifname) override;
  int fd() const override { return monitor_->poll_fd(); }
  bool process() override { return monitor_->process_events() > 0; }

 private:
  explicit NetlinkUnderlay(std::unique_ptr<netlink::NetlinkMonitor> m) : monitor_(std::move(m)) {}
  std::unique_ptr<netlink::NetlinkMonitor> monitor_;
};

}  // namespace vgw::daemon
