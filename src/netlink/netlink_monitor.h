// The kernel's view of the underlay over rtnetlink (libmnl), for the control-plane
// thread: where a remote VTEP is reached (output interface, gateway, MACs, MTU)
// and a signal when that may have changed. The kernel keeps the routes (static,
// or FRR's OSPF/BGP) and the neighbours; vgw asks it instead of copying them:
// resolve() sends RTM_GETROUTE for the destination so the kernel does the longest
// prefix match (and picks the ECMP path), then looks the next hop up in a
// neighbour cache kept current from RTM_NEWNEIGH/RTM_DELNEIGH notifications.
// Every link, route, address or neighbour notification bumps generation() and
// calls the change callback, so the caller re-resolves its remote VTEPs.
// Not thread-safe: one thread (the control plane) owns a monitor.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/addr.h"
#include "common/result.h"

struct mnl_socket;

namespace vgw::netlink {

struct LinkInfo {
  int ifindex = 0;
  std::string name;
  MacAddress mac;
  uint32_t mtu = 0;
  bool up = false;  // IFF_UP and IFF_RUNNING (carrier)
};

// Where packets to one destination go.
struct NextHop {
  int ifindex = 0;  // output interface
  std::string ifname;
  IpAddress gateway;                  // the router, or the destination itself when on-link
  bool on_link = false;               // no router between us and the destination
  std::optional<IpAddress> source;    // the route's preferred source, if any
  MacAddress src_mac;                 // the output interface's MAC
  std::optional<MacAddress> dst_mac;  // the gateway's MAC, once the kernel has resolved it
  uint32_t mtu = 0;                   // the route's MTU if set, else the interface's
  bool resolved() const { return dst_mac.has_value(); }
};

class NetlinkMonitor {
 public:
  // Opens the notification and request sockets and loads links and neighbours.
  static Result<std::unique_ptr<NetlinkMonitor>> open();
  ~NetlinkMonitor();
  NetlinkMonitor(const NetlinkMonitor&) = delete;
  NetlinkMonitor& operator=(const NetlinkMonitor&) = delete;

  // Polls readable when notifications are pending; then call process_events().
  int poll_fd() const;
  // Reads every pending notification without blocking; returns how many changed
  // something (each also bumps generation() and calls the change callback once
  // per call).
  uint32_t process_events();
  uint64_t generation() const { return generation_; }
  void on_change(std::function<void()> callback) { on_change_ = std::move(callback); }

  // The next hop for dst. When the gateway's MAC is not known, asks the kernel to
  // resolve it (RTM_NEWNEIGH with NTF_USE: the kernel sends ARP/ND itself, with its
  // own retries, and no data packet goes out; needs CAP_NET_ADMIN) and returns the
  // next hop unresolved; a neighbour notification follows when it is.
  // Errors: no route, a local or unreachable/blackhole destination.
  Result<NextHop> resolve(const IpAddress& dst);

  // The cached neighbour entry (valid states only), for tests and `show`.
  std::optional<MacAddress> neighbour(int ifindex, const IpAddress& addr) const;
  std::optional<LinkInfo> link(int ifindex) const;

 private:
  NetlinkMonitor() = default;
  // Dumps links and neighbours into the caches (at open and after an overrun).
  Status load();
  // Applies one RTM_* message (from a dump or a notification) to the caches;
  // true if it may change what resolve() answers.
  bool handle(const void* nlh);
  // Sends one request on the request socket and feeds every reply to on_msg.
  Status request(void* nlh, const std::function<void(const void*)>& on_msg);
  Status trigger_neighbour(int ifindex, const IpAddress& addr);

  mnl_socket* events_ = nullptr;
  mnl_socket* requests_ = nullptr;
  uint32_t seq_ = 0;
  uint64_t generation_ = 0;
  std::function<void()> on_change_;
  std::map<int, LinkInfo> links_;
  std::map<std::pair<int, IpAddress>, MacAddress> neighbours_;
};

// Interface helpers (each opens a short-lived netlink socket; control plane only).
Result<LinkInfo> link_by_name(const std::string& name);
// Addresses the kernel has on an interface (ifindex 0: on every interface).
Result<std::vector<IpPrefix>> interface_addresses(int ifindex = 0);
// True if the kernel has this address on some interface (vtep.source check).
Result<bool> has_address(const IpAddress& addr);

}  // namespace vgw::netlink
