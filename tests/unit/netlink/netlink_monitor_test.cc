// NetlinkMonitor against the kernel: resolve() of an on-link neighbour the kernel
// has never seen (our NTF_USE trigger makes it ARP; a notification brings the MAC),
// of a destination behind a gateway, route MTU, local and unreachable
// destinations, and change notifications when a route is added, replaced and
// removed. Namespace tests need root; the interface helpers run anywhere (lo).
#include "netlink/netlink_monitor.h"

#include <gtest/gtest.h>
#include <net/if.h>
#include <poll.h>

#include <chrono>

#include "support/netns_fixture.h"

namespace vgw::netlink {
namespace {

using test::VethPair;

TEST(InterfaceHelpers, LoopbackByNameAndItsAddresses) {
  auto lo = link_by_name("lo");
  ASSERT_TRUE(lo) << lo.error().message;
  EXPECT_EQ(lo->ifindex, static_cast<int>(if_nametoindex("lo")));
  EXPECT_TRUE(lo->mac.is_zero());
  EXPECT_GT(lo->mtu, 0u);
  auto addrs = interface_addresses(lo->ifindex);
  ASSERT_TRUE(addrs) << addrs.error().message;
  bool found = false;
  for (auto& p : *addrs) found |= p.to_string() == "127.0.0.1/8";
  EXPECT_TRUE(found);
  EXPECT_TRUE(*has_address(*IpAddress::parse("127.0.0.1")));
  EXPECT_FALSE(*has_address(*IpAddress::parse("192.0.2.77")));
  auto missing = link_by_name("vgwt-none0");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("vgwt-none0"), std::string::npos);
}

// Processes notifications until pred() holds or the timeout passes.
template <typename P>
bool wait_for(NetlinkMonitor& m, P pred,
              std::chrono::milliseconds timeout = std::chrono::seconds(3)) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    pollfd pfd{m.poll_fd(), POLLIN, 0};
    poll(&pfd, 1, 20);
    m.process_events();
  }
  return true;
}

TEST(NetlinkMonitor, ResolvesNeighboursAndFollowsRouteChanges) {
  VGW_REQUIRE_ROOT();
  VethPair net("n");
  ASSERT_TRUE(net.ok());
  ASSERT_EQ(net.a.exec("ip addr add 10.99.3.1/24 dev " + net.a_if), 0);
  ASSERT_EQ(net.b.exec("ip addr add 10.99.3.2/24 dev " + net.b_if), 0);
  std::unique_ptr<NetlinkMonitor> mon;
  LinkInfo a_link, b_link;
  net.a.run([&] {
    auto m = NetlinkMonitor::open();
    ASSERT_TRUE(m) << m.error().message;
    mon = std::move(*m);
    a_link = *link_by_name(net.a_if);
    EXPECT_TRUE(*has_address(*IpAddress::parse("10.99.3.1")));
  });
  net.b.run([&] { b_link = *link_by_name(net.b_if); });
  ASSERT_TRUE(mon);
  ASSERT_EQ(mon->link(a_link.ifindex)->name, net.a_if);

  const IpAddress peer = *IpAddress::parse("10.99.3.2");
  auto first = mon->resolve(peer);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->ifindex, a_link.ifindex);
  EXPECT_EQ(first->ifname, net.a_if);
  EXPECT_TRUE(first->on_link);
  EXPECT_EQ(first->gateway, peer);
  EXPECT_EQ(first->src_mac, a_link.mac);
  EXPECT_EQ(first->mtu, 1500u);
  EXPECT_FALSE(first->resolved());  // nothing has talked to the peer yet

  // The trigger made the kernel ARP; the neighbour notification brings the MAC.
  ASSERT_TRUE(wait_for(*mon, [&] { return mon->neighbour(a_link.ifindex, peer).has_value(); }));
  auto second = mon->resolve(peer);
  ASSERT_TRUE(second);
  ASSERT_TRUE(second->resolved());
  EXPECT_EQ(*second->dst_mac, b_link.mac);

  // A route appears: a change is signalled and the remote resolves through it.
  int callbacks = 0;
  mon->on_change([&] { ++callbacks; });
  uint64_t gen = mon->generation();
  ASSERT_EQ(net.a.exec("ip route add 10.200.0.0/16 via 10.99.3.2 mtu 1400"), 0);
  ASSERT_TRUE(wait_for(*mon, [&] { return mon->generation() > gen; }));
  EXPECT_GT(callbacks, 0);
  const IpAddress remote = *IpAddress::parse("10.200.1.1");
  auto via = mon->resolve(remote);
  ASSERT_TRUE(via) << via.error().message;
  EXPECT_FALSE(via->on_link);
  EXPECT_EQ(via->gateway, peer);
  EXPECT_EQ(via->mtu, 1400u);
  ASSERT_TRUE(via->resolved());
  EXPECT_EQ(*via->dst_mac, b_link.mac);

  // Replaced by another gateway, then removed.
  gen = mon->generation();
  ASSERT_EQ(net.a.exec("ip route replace 10.200.0.0/16 via 10.99.3.3"), 0);
  ASSERT_TRUE(wait_for(*mon, [&] { return mon->generation() > gen; }));
  via = mon->resolve(remote);
  ASSERT_TRUE(via);
  EXPECT_EQ(via->gateway, *IpAddress::parse("10.99.3.3"));
  EXPECT_FALSE(via->resolved());  // nobody answers for .3
  gen = mon->generation();
  ASSERT_EQ(net.a.exec("ip route del 10.200.0.0/16"), 0);
  ASSERT_TRUE(wait_for(*mon, [&] { return mon->generation() > gen; }));
  auto gone = mon->resolve(remote);
  ASSERT_FALSE(gone);
  EXPECT_NE(gone.error().message.find("10.200.1.1"), std::string::npos) << gone.error().message;

  auto local = mon->resolve(*IpAddress::parse("10.99.3.1"));
  ASSERT_FALSE(local);
  EXPECT_NE(local.error().message.find("address of this host"), std::string::npos)
      << local.error().message;

  // The peer's MAC changes: the cache follows the notification.
  gen = mon->generation();
  ASSERT_EQ(net.a.exec("ip neigh replace 10.99.3.2 lladdr 02:00:00:00:77:77 dev " + net.a_if +
                       " nud permanent"),
            0);
  ASSERT_TRUE(wait_for(*mon, [&] { return mon->generation() > gen; }));
  EXPECT_EQ(mon->neighbour(a_link.ifindex, peer), MacAddress::parse("02:00:00:00:77:77"));
}

}  // namespace
}  // namespace vgw::netlink
