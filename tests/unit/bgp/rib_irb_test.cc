// The EVPN RIB's IP-VRF side (symmetric IRB, RFC 9135 / RFC 9136): type-5 and
// MAC+IP host routes imported by the L3 VNI's route targets, MAC+IP bindings for
// ARP suppression, and our own type-5 and two-label MAC+IP routes with the
// router MAC.
#include <gtest/gtest.h>

#include "bgp/rib.h"
#include "unit/bgp/test_util.h"

namespace vgw::bgp {
namespace {

using testing::ip;
using testing::mac;
IpPrefix prefix(const char* s) {
  return *IpPrefix::parse(s);
}

constexpr uint32_t kL2 = 100, kL3 = 5000;

struct RibIrbTest : ::testing::Test {
  EvpnRib rib;
  L3VniConfig l3;
  void SetUp() override {
    VniConfig v;
    v.vni = kL2;
    v.rd = derive_rd(ip("10.0.0.1"), 1);
    v.import_rts = v.export_rts = {RouteTarget::as2(65000, kL2)};
    v.l3vni = kL3;
    l3.vni = kL3;
    l3.rd = derive_rd(ip("10.0.0.1"), 2);
    l3.import_rts = l3.export_rts = {RouteTarget::as2(65000, kL3)};
    l3.router_mac = mac("02:00:00:00:50:01");
    l3.advertise = {prefix("10.1.0.0/24")};
    rib.configure({v}, ip("10.0.0.1"), {l3});
  }
  static PathInfo path(const char* vtep, std::vector<RouteTarget> rts,
                       std::optional<MacAddress> rmac) {
    PathInfo p;
    p.next_hop = ip(vtep);
    p.route_targets = std::move(rts);
    p.router_mac = rmac;
    return p;
  }
  static IpPrefixRoute type5(const char* rd_ip, const char* pfx) {
    IpPrefixRoute r;
    r.rd = derive_rd(ip(rd_ip), 3);
    r.prefix = prefix(pfx);
    r.gateway = ip("0.0.0.0");
    r.label = kL3;
    return r;
  }
};

TEST_F(RibIrbTest, OwnType5CarriesL3RouteTargetAndRouterMac) {
  const IpPrefixRoute* own = nullptr;
  for (const auto& [r, l] : rib.local_routes())
    if (const auto* p = std::get_if<IpPrefixRoute>(&r)) own = p;
  ASSERT_NE(own, nullptr);
  EXPECT_EQ(own->prefix, prefix("10.1.0.0/24"));
  EXPECT_EQ(own->label, kL3);
  EXPECT_EQ(own->rd, l3.rd);
  PathAttributes a = rib.export_attributes(*own, rib.local_routes().at(*own));
  EXPECT_EQ(a.route_targets(), std::vector<RouteTarget>{RouteTarget::as2(65000, kL3)});
  EXPECT_EQ(a.router_mac(), l3.router_mac);
  EXPECT_EQ(a.encapsulation(), kTunnelTypeVxlan);
}

TEST_F(RibIrbTest, Type5IsImportedByL3RouteTargetOnlyWithRouterMac) {
  (void)rib.take_changes();
  auto frr_rmac = mac("02:00:00:50:00:01");
  rib.update(7, type5("10.0.0.2", "10.2.0.0/24"),
             path("10.0.0.2", {RouteTarget::as2(65000, kL3)}, frr_rmac));
  auto c = rib.take_changes();
  ASSERT_EQ(c.routes_added.size(), 1u);
  EXPECT_EQ(c.routes_added[0],
            (IpRouteChange{7, kL3, prefix("10.2.0.0/24"), ip("10.0.0.2"), frr_rmac}));
  // Another RT: not imported. No router MAC: nothing to send to, not imported.
  rib.update(7, type5("10.0.0.2", "10.3.0.0/24"),
             path("10.0.0.2", {RouteTarget::as2(65009, kL3)}, frr_rmac));
  rib.update(7, type5("10.0.0.2", "10.4.0.0/24"),
             path("10.0.0.2", {RouteTarget::as2(65000, kL3)}, std::nullopt));
  EXPECT_TRUE(rib.take_changes().empty());
  // The session goes: the route is removed, naming the same path.
  rib.remove_peer(7);
  c = rib.take_changes();
  ASSERT_EQ(c.routes_removed.size(), 1u);
  EXPECT_EQ(c.routes_removed[0].prefix, prefix("10.2.0.0/24"));
}

TEST_F(RibIrbTest, MacIpWithTwoLabelsGivesHostRouteAndBinding) {
  (void)rib.take_changes();
  MacIpRoute r;
  r.rd = derive_rd(ip("10.0.0.2"), 1);
  r.mac = mac("02:00:00:00:02:02");
  r.ip = ip("10.2.0.20");
  r.label1 = kL2;
  r.label2 = kL3;
  auto rmac = mac("02:00:00:50:00:01");
  rib.update(3, r,
             path("10.0.0.2", {RouteTarget::as2(65000, kL2), RouteTarget::as2(65000, kL3)}, rmac));
  auto c = rib.take_changes();
  ASSERT_EQ(c.macs_installed.size(), 1u);
  ASSERT_EQ(c.routes_added.size(), 1u);
  EXPECT_EQ(c.routes_added[0].prefix, prefix("10.2.0.20/32"));
  EXPECT_EQ(c.routes_added[0].router_mac, rmac);
  ASSERT_EQ(c.bindings_added.size(), 1u);
  EXPECT_EQ(c.bindings_added[0], (BindingChange{3, kL2, ip("10.2.0.20"), r.mac}));
  rib.withdraw(3, r);
  c = rib.take_changes();
  EXPECT_EQ(c.routes_removed.size(), 1u);
  EXPECT_EQ(c.bindings_removed.size(), 1u);
  EXPECT_EQ(c.macs_removed.size(), 1u);
}

TEST_F(RibIrbTest, LocalMacIpIsAdvertisedWithL3LabelWhileItsMacIs) {
  (void)rib.take_export_changes();
  auto h1 = mac("02:00:00:00:01:01");
  // A binding for a MAC that is not local: nothing goes out.
  rib.set_local_macips({{kL2, h1, ip("10.1.0.10")}});
  EXPECT_TRUE(rib.take_export_changes().empty());
  rib.set_local_mac(kL2, h1, true);
  auto e = rib.take_export_changes();
  ASSERT_EQ(e.advertise.size(), 2u);  // MAC only, and MAC+IP
  const MacIpRoute* macip = nullptr;
  for (const auto& r : e.advertise)
    if (const auto* m = std::get_if<MacIpRoute>(&r); m && m->ip) macip = m;
  ASSERT_NE(macip, nullptr);
  EXPECT_EQ(*macip->ip, ip("10.1.0.10"));
  EXPECT_EQ(macip->label1, kL2);
  EXPECT_EQ(macip->label2, kL3);
  PathAttributes a = rib.export_attributes(*macip, rib.local_routes().at(*macip));
  EXPECT_EQ(a.route_targets(),
            (std::vector<RouteTarget>{RouteTarget::as2(65000, kL2), RouteTarget::as2(65000, kL3)}));
  EXPECT_EQ(a.router_mac(), l3.router_mac);
  // The binding goes: only the MAC+IP route is withdrawn.
  rib.set_local_macips({});
  e = rib.take_export_changes();
  EXPECT_TRUE(e.advertise.empty());
  ASSERT_EQ(e.withdraw.size(), 1u);
  EXPECT_EQ(std::get<MacIpRoute>(e.withdraw[0]).ip, ip("10.1.0.10"));
  // Bound again, then the MAC moves away (a higher sequence elsewhere): both withdrawn.
  rib.set_local_macips({{kL2, h1, ip("10.1.0.10")}});
  (void)rib.take_export_changes();
  MacIpRoute remote;
  remote.rd = derive_rd(ip("10.0.0.2"), 1);
  remote.mac = h1;
  remote.label1 = kL2;
  PathInfo p = path("10.0.0.2", {RouteTarget::as2(65000, kL2)}, std::nullopt);
  p.mac_mobility = MacMobility{false, 1};
  rib.update(4, remote, p);
  e = rib.take_export_changes();
  EXPECT_EQ(e.withdraw.size(), 2u);
}

}  // namespace
}  // namespace vgw::bgp
