// The EVPN RIB alone: import by route target, per-peer ownership of what import
// installs, best path by MAC mobility sequence (RFC 7432 §15), our own routes.
#include "bgp/rib.h"

#include <gtest/gtest.h>
#include "unit/bgp/test_util.h"

namespace vgw::bgp {
namespace {

using testing::ip;
using testing::mac;

struct RibTest : ::testing::Test {
  EvpnRib rib;
  void SetUp() override {
    VniConfig v;
    v.vni = 100;
    v.rd = derive_rd(ip("10.0.0.1"), 1);
    v.import_rts = v.export_rts = {RouteTarget::as2(65000, 100)};
    rib.configure({v}, ip("10.0.0.1"));
    (void)rib.take_changes();
    (void)rib.take_export_changes();
  }
  static PathInfo path(const char* vtep, std::optional<uint32_t> seq = std::nullopt,
                       RouteTarget rt = RouteTarget::as2(65000, 100)) {
    PathInfo p;
    p.next_hop = ip(vtep);
    p.route_targets = {rt};
    if (seq) p.mac_mobility = MacMobility{false, *seq};
    return p;
  }
  static ImetRoute imet(const char* vtep) { return ImetRoute{derive_rd(ip(vtep), 1), 0, ip(vtep)}; }
  static MacIpRoute type2(const char* rd_ip, const char* m) {
    MacIpRoute r;
    r.rd = derive_rd(ip(rd_ip), 1);
    r.mac = mac(m);
    r.label1 = 100;
    return r;
  }
};

TEST_F(RibTest, OwnRoutesAreOneType3PerVni) {
  ASSERT_EQ(rib.local_routes().size(), 1u);
  const auto& [route, local] = *rib.local_routes().begin();
  EXPECT_EQ(to_string(route), "[3]:[0]:[32]:[10.0.0.1]");
  PathAttributes a = rib.export_attributes(route, local);
  ASSERT_TRUE(a.pmsi_tunnel);
  EXPECT_EQ(a.pmsi_tunnel->endpoint(), ip("10.0.0.1"));
  EXPECT_EQ(a.pmsi_tunnel->label, 100u);
  EXPECT_EQ(a.route_targets(), std::vector<RouteTarget>{RouteTarget::as2(65000, 100)});
  EXPECT_EQ(a.encapsulation(), kTunnelTypeVxlan);
}

TEST_F(RibTest, FloodMembersAreOwnedPerPeer) {
  // Two route reflectors send the same VTEP's type 3.
  rib.update(1, imet("10.0.0.2"), path("10.0.0.2"));
  rib.update(2, imet("10.0.0.2"), path("10.0.0.2"));
  auto c = rib.take_changes();
  ASSERT_EQ(c.flood_added.size(), 2u);
  EXPECT_EQ(c.flood_added[0], (FloodChange{1, 100, ip("10.0.0.2")}));
  EXPECT_EQ(c.flood_added[1], (FloodChange{2, 100, ip("10.0.0.2")}));
  rib.remove_peer(1);
  c = rib.take_changes();
  EXPECT_EQ(c.flood_removed, (std::vector<FloodChange>{{1, 100, ip("10.0.0.2")}}));
  // Another route target: received, not imported.
  rib.update(2, imet("10.0.0.3"), path("10.0.0.3", std::nullopt, RouteTarget::as2(65009, 100)));
  EXPECT_TRUE(rib.take_changes().empty());
  EXPECT_EQ(rib.received_count(2), 2u);
}

TEST_F(RibTest, HigherSequenceWinsAndWithdrawFallsBack) {
  rib.update(1, type2("10.0.0.2", "02:00:00:00:00:01"), path("10.0.0.2"));
  auto c = rib.take_changes();
  ASSERT_EQ(c.macs_installed.size(), 1u);
  EXPECT_EQ(c.macs_installed[0], (MacChange{1, 100, mac("02:00:00:00:00:01"), ip("10.0.0.2"), 0}));
  // The MAC moved behind 10.0.0.3 (sequence 1, from peer 2).
  rib.update(2, type2("10.0.0.3", "02:00:00:00:00:01"), path("10.0.0.3", 1));
  c = rib.take_changes();
  ASSERT_EQ(c.macs_installed.size(), 1u);
  EXPECT_EQ(c.macs_installed[0], (MacChange{2, 100, mac("02:00:00:00:00:01"), ip("10.0.0.3"), 1}));
  // The newer path is withdrawn: the older one is installed again, owned by peer 1.
  rib.withdraw(2, type2("10.0.0.3", "02:00:00:00:00:01"));
  c = rib.take_changes();
  ASSERT_EQ(c.macs_installed.size(), 1u);
  EXPECT_EQ(c.macs_installed[0].peer, 1u);
  EXPECT_EQ(c.macs_installed[0].vtep, ip("10.0.0.2"));
  // Last path gone: removed, in the owner's name.
  rib.withdraw(1, type2("10.0.0.2", "02:00:00:00:00:01"));
  c = rib.take_changes();
  EXPECT_EQ(c.macs_removed,
            (std::vector<MacChange>{{1, 100, mac("02:00:00:00:00:01"), ip("10.0.0.2"), 0}}));
}

TEST_F(RibTest, LocalMacOutbidsRemoteAndYieldsToAHigherSequence) {
  rib.update(1, type2("10.0.0.2", "02:00:00:00:00:01"), path("10.0.0.2", 4));
  (void)rib.take_changes();
  rib.set_local_macs({{100, mac("02:00:00:00:00:01")}});
  auto c = rib.take_changes();
  EXPECT_EQ(c.macs_removed.size(), 1u);  // the remote entry leaves the data plane
  auto e = rib.take_export_changes();
  ASSERT_EQ(e.advertise.size(), 1u);
  const LocalRoute& lr = rib.local_routes().at(e.advertise[0]);
  ASSERT_TRUE(lr.mac_mobility);
  EXPECT_EQ(lr.mac_mobility->sequence, 5u);  // above the remote's 4
  rib.update(1, type2("10.0.0.2", "02:00:00:00:00:01"), path("10.0.0.2", 6));
  c = rib.take_changes();
  ASSERT_EQ(c.macs_installed.size(), 1u);
  EXPECT_EQ(c.macs_installed[0].sequence, 6u);
  e = rib.take_export_changes();
  EXPECT_EQ(e.withdraw.size(), 1u);
  EXPECT_TRUE(e.advertise.empty());
}

TEST_F(RibTest, ReconfigureReportsOnlyTheDifference) {
  rib.update(1, imet("10.0.0.2"), path("10.0.0.2"));
  rib.update(1, type2("10.0.0.2", "02:00:00:00:00:01"), path("10.0.0.2"));
  (void)rib.take_changes();
  // Same VNI, another RD: nothing imported changes.
  VniConfig v = rib.vnis()[0];
  v.rd = RouteDistinguisher::as2(65000, 9);
  rib.configure({v}, ip("10.0.0.1"));
  EXPECT_TRUE(rib.take_changes().empty());
  auto e = rib.take_export_changes();
  EXPECT_EQ(e.advertise.size(), 1u);  // the type 3 under its new RD
  EXPECT_EQ(e.withdraw.size(), 1u);   // and under its old one
  // The VNI goes: what it imported is removed.
  rib.configure({}, ip("10.0.0.1"));
  auto c = rib.take_changes();
  EXPECT_EQ(c.flood_removed.size(), 1u);
  EXPECT_EQ(c.macs_removed.size(), 1u);
}

}  // namespace
}  // namespace vgw::bgp
