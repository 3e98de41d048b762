// rtnetlink follower (see netlink_monitor.h).
#include "netlink/netlink_monitor.h"

#include <fcntl.h>
#include <ifaddrs.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

namespace vgw::netlink {
namespace {

constexpr size_t kMsgBuf = 1024;    // one request
constexpr size_t kRxBuf = 1 << 16;  // a batch of replies or notifications
constexpr uint16_t kValidNud = NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT;

template <size_t N>
using AttrTable = std::array<const nlattr*, N>;

// Collects a message's attributes by type (unknown types are skipped).
template <size_t N>
AttrTable<N> attrs(const nlmsghdr* nlh, size_t hdr_len) {
  AttrTable<N> tb{};
  const char* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(nlh));
  for (auto* a = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(nlh, hdr_len));
       mnl_attr_ok(a, static_cast<int>(tail - reinterpret_cast<const char*>(a)));
       a = mnl_attr_next(a)) {
    uint16_t t = mnl_attr_get_type(a);
    if (t < N) tb[t] = a;
  }
  return tb;
}

template <size_t N>
AttrTable<N> nested(const nlattr* outer) {
  AttrTable<N> tb{};
  const char* tail = reinterpret_cast<const char*>(outer) + mnl_attr_get_len(outer);
  for (auto* a = static_cast<const nlattr*>(mnl_attr_get_payload(outer));
       mnl_attr_ok(a, static_cast<int>(tail - reinterpret_cast<const char*>(a)));
       a = mnl_attr_next(a)) {
    uint16_t t = mnl_attr_get_type(a);
    if (t < N) tb[t] = a;
  }
  return tb;
}

std::optional<IpAddress> ip_of(const nlattr* a) {
  if (!a) return std::nullopt;
  const auto* p = static_cast<const uint8_t*>(mnl_attr_get_payload(a));
  switch (mnl_attr_get_payload_len(a)) {
    case 4:
      return IpAddress::from_v4_bytes(p);
    case 16:
      return IpAddress::from_v6_bytes(p);
    default:
      return std::nullopt;
  }
}

std::optional<MacAddress> mac_of(const nlattr* a) {
  if (!a || mnl_attr_get_payload_len(a) != 6) return std::nullopt;
  return MacAddress::from_bytes(static_cast<const uint8_t*>(mnl_attr_get_payload(a)));
}

int trampoline(const nlmsghdr* nlh, void* data) {
  (*static_cast<const std::function<void(const void*)>*>(data))(nlh);
  return MNL_CB_OK;
}

std::string sys_error(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

}  // namespace

Result<std::unique_ptr<NetlinkMonitor>> NetlinkMonitor::open() {
  std::unique_ptr<NetlinkMonitor> m(new NetlinkMonitor);
  m->events_ = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
  m->requests_ = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  if (!m->events_ || !m->requests_) return make_error(sys_error("netlink: socket"));
  const unsigned groups = RTMGRP_LINK | RTMGRP_NEIGH | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE |
                          RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
  if (mnl_socket_bind(m->events_, groups, MNL_SOCKET_AUTOPID) < 0)
    return make_error(sys_error("netlink: bind to link/route/neighbour groups"));
  if (mnl_socket_bind(m->requests_, 0, MNL_SOCKET_AUTOPID) < 0)
    return make_error(sys_error("netlink: bind"));
  int rcvbuf = 4 << 20;  // a burst of route changes (FRR convergence) must not overrun
  setsockopt(mnl_socket_get_fd(m->events_), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);
  if (auto s = m->load(); !s) return s.error();
  return m;
}

NetlinkMonitor::~NetlinkMonitor() {
  if (events_) mnl_socket_close(events_);
  if (requests_) mnl_socket_close(requests_);
}

int NetlinkMonitor::poll_fd() const {
  return mnl_socket_get_fd(events_);
}

Status NetlinkMonitor::request(void* buf, const std::function<void(const void*)>& on_msg) {
  auto* nlh = static_cast<nlmsghdr*>(buf);
  // A dump ends with NLMSG_DONE; anything else is asked to end with an ack, so the
  // receive loop always knows when the answer is complete.
  if (!(nlh->nlmsg_flags & NLM_F_DUMP)) nlh->nlmsg_flags |= NLM_F_ACK;
  nlh->nlmsg_seq = ++seq_;
  const uint32_t portid = mnl_socket_get_portid(requests_);
  if (mnl_socket_sendto(requests_, nlh, nlh->nlmsg_len) < 0)
    return make_error(sys_error("netlink: send"));
  std::vector<uint8_t> rx(kRxBuf);
  int ret;
  do {
    ssize_t n = mnl_socket_recvfrom(requests_, rx.data(), rx.size());
    if (n < 0) return make_error(sys_error("netlink: receive"));
    ret = mnl_cb_run(rx.data(), static_cast<size_t>(n), seq_, portid, trampoline,
                     const_cast<std::function<void(const void*)>*>(&on_msg));
  } while (ret > MNL_CB_STOP);
  if (ret < 0) return make_error(sys_error("netlink"));
  return {};
}

Status NetlinkMonitor::load() {
  links_.clear();
  neighbours_.clear();
  const std::function<void(const void*)> apply = [this](const void* nlh) { handle(nlh); };
  for (uint16_t type : {uint16_t{RTM_GETLINK}, uint16_t{RTM_GETNEIGH}}) {
    std::array<uint8_t, kMsgBuf> buf{};
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    auto* g = static_cast<rtgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtgenmsg)));
    g->rtgen_family = AF_UNSPEC;
    if (auto s = request(nlh, apply); !s)
      return make_error(s.error().message +
                        (type == RTM_GETLINK ? " (dumping links)" : " (dumping neighbours)"));
  }
  return {};
}

bool NetlinkMonitor::handle(const void* msg) {
  const auto* nlh = static_cast<const nlmsghdr*>(msg);
  switch (nlh->nlmsg_type) {
    case RTM_NEWLINK:
    case RTM_DELLINK: {
      const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
      if (nlh->nlmsg_type == RTM_DELLINK) {
        links_.erase(ifi->ifi_index);
        std::erase_if(neighbours_,
                      [&](const auto& kv) { return kv.first.first == ifi->ifi_index; });
        return true;
      }
      auto tb = attrs<IFLA_MAX + 1>(nlh, sizeof(ifinfomsg));
      LinkInfo& l = links_[ifi->ifi_index];
      l.ifindex = ifi->ifi_index;
      if (tb[IFLA_IFNAME]) l.name = mnl_attr_get_str(tb[IFLA_IFNAME]);
      if (auto mac = mac_of(tb[IFLA_ADDRESS])) l.mac = *mac;
      if (tb[IFLA_MTU]) l.mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
      l.up = (ifi->ifi_flags & IFF_UP) && (ifi->ifi_flags & IFF_RUNNING);
      return true;
    }
    case RTM_NEWNEIGH:
    case RTM_DELNEIGH: {
      const auto* nd = static_cast<const ndmsg*>(mnl_nlmsg_get_payload(nlh));
      if (nd->ndm_family != AF_INET && nd->ndm_family != AF_INET6) return false;  // bridge fdb
      auto tb = attrs<NDA_MAX + 1>(nlh, sizeof(ndmsg));
      auto dst = ip_of(tb[NDA_DST]);
      if (!dst) return false;
      auto key = std::make_pair(nd->ndm_ifindex, *dst);
      auto mac = mac_of(tb[NDA_LLADDR]);
      if (nlh->nlmsg_type == RTM_NEWNEIGH && (nd->ndm_state & kValidNud) && mac) {
        auto [it, inserted] = neighbours_.try_emplace(key, *mac);
        if (!inserted && it->second == *mac) return false;  // a state change only (e.g. STALE)
        it->second = *mac;
        return true;
      }
      return neighbours_.erase(key) > 0;
    }
    case RTM_NEWROUTE:
    case RTM_DELROUTE:
    case RTM_NEWADDR:
    case RTM_DELADDR:
      return true;
    default:
      return false;
  }
}

uint32_t NetlinkMonitor::process_events() {
  uint32_t changed = 0;
  std::vector<uint8_t> rx(kRxBuf);
  const std::function<void(const void*)> apply = [&](const void* nlh) {
    changed += handle(nlh) ? 1 : 0;
  };
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(events_, rx.data(), rx.size());
    if (n < 0) {
      if (errno == ENOBUFS) {  // notifications were lost: start again from a dump
        (void)load();
        ++changed;
        continue;
      }
      break;  // EAGAIN: nothing more
    }
    mnl_cb_run(rx.data(), static_cast<size_t>(n), 0, 0, trampoline,
               const_cast<std::function<void(const void*)>*>(&apply));
  }
  if (changed) {
    ++generation_;
    if (on_change_) on_change_();
  }
  return changed;
}

std::optional<MacAddress> NetlinkMonitor::neighbour(int ifindex, const IpAddress& addr) const {
  auto it = neighbours_.find({ifindex, addr});
  if (it == neighbours_.end()) return std::nullopt;
  return it->second;
}

std::optional<LinkInfo> NetlinkMonitor::link(int ifindex) const {
  auto it = links_.find(ifindex);
  if (it == links_.end()) return std::nullopt;
  return it->second;
}

Status NetlinkMonitor::trigger_neighbour(int ifindex, const IpAddress& addr) {
  std::array<uint8_t, kMsgBuf> buf{};
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_NEWNEIGH;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK;
  auto* nd = static_cast<ndmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ndmsg)));
  nd->ndm_family = static_cast<uint8_t>(addr.family());
  nd->ndm_ifindex = ifindex;
  nd->ndm_state = NUD_NONE;
  nd->ndm_flags = NTF_USE;
  mnl_attr_put(nlh, NDA_DST, addr.size(), addr.b.data());
  return request(nlh, [](const void*) {});
}

Result<NextHop> NetlinkMonitor::resolve(const IpAddress& dst) {
  const std::string what = "underlay route to " + dst.to_string();
  std::array<uint8_t, kMsgBuf> buf{};
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_GETROUTE;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  auto* rt = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rt->rtm_family = static_cast<uint8_t>(dst.family());
  rt->rtm_dst_len = static_cast<uint8_t>(dst.size() * 8);
  mnl_attr_put(nlh, RTA_DST, dst.size(), dst.b.data());

  std::optional<NextHop> nh;
  std::string refused;
  Status s = request(nlh, [&](const void* msg) {
    const auto* m = static_cast<const nlmsghdr*>(msg);
    if (m->nlmsg_type != RTM_NEWROUTE) return;
    const auto* r = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(m));
    if (r->rtm_type == RTN_LOCAL) {
      refused = "is an address of this host";
      return;
    }
    if (r->rtm_type != RTN_UNICAST) {
      refused = "is unreachable (route type " + std::to_string(r->rtm_type) + ")";
      return;
    }
    auto tb = attrs<RTA_MAX + 1>(m, sizeof(rtmsg));
    NextHop h;
    if (tb[RTA_OIF]) h.ifindex = static_cast<int>(mnl_attr_get_u32(tb[RTA_OIF]));
    if (auto gw = ip_of(tb[RTA_GATEWAY])) {
      h.gateway = *gw;
    } else if (tb[RTA_VIA] && mnl_attr_get_payload_len(tb[RTA_VIA]) >= sizeof(rtvia)) {
      // An IPv4 route via an IPv6 next hop (BGP unnumbered, RFC 8950).
      const auto* via = static_cast<const rtvia*>(mnl_attr_get_payload(tb[RTA_VIA]));
      size_t len = mnl_attr_get_payload_len(tb[RTA_VIA]) - sizeof(rtvia);
      if (via->rtvia_family == AF_INET6 && len >= 16)
        h.gateway = IpAddress::from_v6_bytes(via->rtvia_addr);
      else if (via->rtvia_family == AF_INET && len >= 4)
        h.gateway = IpAddress::from_v4_bytes(via->rtvia_addr);
    } else {
      h.gateway = dst;
      h.on_link = true;
    }
    h.source = ip_of(tb[RTA_PREFSRC]);
    if (tb[RTA_METRICS]) {
      auto mx = nested<RTAX_MAX + 1>(tb[RTA_METRICS]);
      if (mx[RTAX_MTU]) h.mtu = mnl_attr_get_u32(mx[RTAX_MTU]);
    }
    nh = h;
  });
  if (!s) return make_error(what + ": " + s.error().message);
  if (!refused.empty()) return make_error(what + ": " + dst.to_string() + " " + refused);
  if (!nh || !nh->ifindex) return make_error(what + ": no route");

  auto li = links_.find(nh->ifindex);
  if (li == links_.end()) {  // a link newer than our last notification: load again
    (void)load();
    li = links_.find(nh->ifindex);
    if (li == links_.end())
      return make_error(what + ": output interface " + std::to_string(nh->ifindex) + " unknown");
  }
  nh->ifname = li->second.name;
  nh->src_mac = li->second.mac;
  if (!nh->mtu) nh->mtu = li->second.mtu;
  nh->dst_mac = neighbour(nh->ifindex, nh->gateway);
  if (!nh->dst_mac) (void)trigger_neighbour(nh->ifindex, nh->gateway);
  return *nh;
}

Result<LinkInfo> link_by_name(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ)
    return make_error("interface '" + name + "': bad name");
  LinkInfo l;
  l.name = name;
  l.ifindex = static_cast<int>(if_nametoindex(name.c_str()));
  if (!l.ifindex) return make_error("interface " + name + ": " + std::strerror(errno));
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error("interface " + name + ": " + sys_error("socket"));
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.c_str(), name.size());
  bool ok = ioctl(fd, SIOCGIFHWADDR, &ifr) == 0;
  if (ok) l.mac = MacAddress::from_bytes(reinterpret_cast<const uint8_t*>(ifr.ifr_hwaddr.sa_data));
  ok = ok && ioctl(fd, SIOCGIFMTU, &ifr) == 0;
  if (ok) l.mtu = static_cast<uint32_t>(ifr.ifr_mtu);
  ok = ok && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
  if (ok) l.up = (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
  int e = errno;
  close(fd);
  if (!ok) return make_error("interface " + name + ": " + std::strerror(e));
  return l;
}

Result<std::vector<IpPrefix>> interface_addresses(int ifindex) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return make_error(sys_error("interface addresses: getifaddrs"));
  std::vector<IpPrefix> out;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr) continue;
    if (ifindex && static_cast<int>(if_nametoindex(i->ifa_name)) != ifindex) continue;
    IpPrefix p;
    const uint8_t* mask;
    size_t mask_len;
    if (i->ifa_addr->sa_family == AF_INET) {
      p.addr = IpAddress::from_v4_bytes(reinterpret_cast<const uint8_t*>(
          &reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr));
      mask = i->ifa_netmask ? reinterpret_cast<const uint8_t*>(
                                  &reinterpret_cast<const sockaddr_in*>(i->ifa_netmask)->sin_addr)
                            : nullptr;
      mask_len = 4;
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      p.addr = IpAddress::from_v6_bytes(reinterpret_cast<const uint8_t*>(
          &reinterpret_cast<const sockaddr_in6*>(i->ifa_addr)->sin6_addr));
      mask = i->ifa_netmask ? reinterpret_cast<const uint8_t*>(
                                  &reinterpret_cast<const sockaddr_in6*>(i->ifa_netmask)->sin6_addr)
                            : nullptr;
      mask_len = 16;
    } else {
      continue;
    }
    uint8_t bits = 0;
    for (size_t k = 0; mask && k < mask_len; ++k)
      bits = static_cast<uint8_t>(bits + __builtin_popcount(mask[k]));
    p.len = bits;
    out.push_back(p);
  }
  freeifaddrs(list);
  return out;
}

Result<bool> has_address(const IpAddress& addr) {
  auto all = interface_addresses(0);
  if (!all) return all.error();
  for (const IpPrefix& p : *all)
    if (p.addr == addr) return true;
  return false;
}

}  // namespace vgw::netlink
