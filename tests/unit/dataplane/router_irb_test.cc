// Symmetric IRB in the data plane (RFC 9135): a router's L3 VNI is a network of
// its own with the router MAC; EVPN routes point through it at remote VTEPs whose
// router MACs are neighbour bindings and FDB entries there. Exact bytes both
// ways, and EVPN routes surviving a configuration change.
#include <gtest/gtest.h>

#include "dataplane/router_table.h"
#include "harness.h"

namespace vgw::dataplane::testing {
namespace {

const MacAddress kWebGw = mac("02:00:00:00:aa:01");
const MacAddress kDbGw = mac("02:00:00:00:aa:02");
const MacAddress kOurRmac = mac("02:00:00:00:50:01");
const MacAddress kTheirRmac = mac("02:00:00:00:50:09");
const MacAddress kH4 = mac("00:00:00:00:04:04");
constexpr uint32_t kL3 = 5000;
const char* const kL3Net = "blue-rtr/l3vni";

config::Config irb_config() {
  config::Config c = base_config();
  config::Router r;
  r.name = "blue-rtr";
  r.tenant = "blue";
  r.l3_vni = kL3;
  r.router_mac = kOurRmac;
  r.interfaces = {{"web", *IpPrefix::parse("10.0.1.1/24"), kWebGw},
                  {"db", *IpPrefix::parse("10.0.2.1/24"), kDbGw}};
  c.routers = {r};
  return c;
}

struct IrbHarness : Harness {
  IrbHarness() : Harness(irb_config()) {
    // What the EVPN agent installs for a type-5 route 10.9.0.0/24 from 192.168.1.1.
    EXPECT_TRUE(dp.neighbor_add(kL3Net, ip("192.168.1.1"), kTheirRmac, "evpn"));
    EXPECT_TRUE(
        dp.fdb().add_static(net(kL3Net), kTheirRmac, Location::remote(remote("192.168.1.1"))));
    dp.set_evpn_route("blue-rtr", *IpPrefix::parse("10.9.0.0/24"), {ip("192.168.1.1")});
    EXPECT_EQ(dp.flush_evpn_routes(), 1u);
  }
};

Bytes udp_packet(MacAddress dst, MacAddress src, const char* from, const char* to, uint8_t ttl) {
  return PacketBuilder()
      .eth(dst, src)
      .ipv4(ip(from), ip(to))
      .ttl(ttl)
      .udp(1000, 2000)
      .payload(22)
      .build();
}

TEST(RouterIrb, TheL3VniIsANetworkWithTheRouterMac) {
  IrbHarness h;
  uint32_t l3 = h.net(kL3Net);
  ASSERT_NE(l3, kNone);
  EXPECT_EQ(h.dp.snapshot()->network_by_vni(kL3), l3);
  auto e = h.fdb(kL3Net, kOurRmac);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->location, kRouterLocation);
}

TEST(RouterIrb, RoutesIntoTheL3VniToTheRemoteRouterMac) {
  IrbHarness h;
  h.send_local(0, udp_packet(kWebGw, kH1, "10.0.1.2", "10.9.0.7", 64));
  auto out = h.out_underlay();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], expected_encap(udp_packet(kTheirRmac, kOurRmac, "10.0.1.2", "10.9.0.7", 63),
                                   kL3, "192.168.1.1", 0));
  auto routes = h.dp.read_routes();
  bool found = false;
  for (const auto& r : routes)
    if (r.prefix == *IpPrefix::parse("10.9.0.0/24")) {
      found = true;
      EXPECT_EQ(r.source, "evpn");
      EXPECT_EQ(r.via, std::vector<IpAddress>{ip("192.168.1.1")});
    }
  EXPECT_TRUE(found);
}

TEST(RouterIrb, DecapsulatedL3VniTrafficIsRoutedToALocalHost) {
  IrbHarness h;
  ASSERT_TRUE(h.dp.neighbor_add("db", ip("10.0.2.4"), kH4, "static"));
  ASSERT_TRUE(h.dp.fdb().add_static(h.net("db"), kH4, Location::local(2, 0)));
  h.send_underlay(vxlan_frame(udp_packet(kOurRmac, kTheirRmac, "10.9.0.7", "10.0.2.4", 63), kL3,
                              "192.168.1.1"));
  auto out = h.out(2);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], udp_packet(kH4, kDbGw, "10.9.0.7", "10.0.2.4", 62));
  EXPECT_TRUE(h.out_underlay().empty());
}

TEST(RouterIrb, EvpnRoutesSurviveAConfigurationChangeAndGoWhenWithdrawn) {
  IrbHarness h;
  config::Config c = irb_config();
  c.networks[0].mac_limit = 77;
  ASSERT_TRUE(h.dp.apply(c, resolving_underlay()));
  h.send_local(0, udp_packet(kWebGw, kH1, "10.0.1.2", "10.9.0.7", 64));
  EXPECT_EQ(h.out_underlay().size(), 1u);
  h.dp.set_evpn_route("blue-rtr", *IpPrefix::parse("10.9.0.0/24"), {});
  EXPECT_EQ(h.dp.flush_evpn_routes(), 1u);
  uint64_t before = h.drops(Drop::no_route);
  h.send_local(0, udp_packet(kWebGw, kH1, "10.0.1.2", "10.9.0.7", 64));
  EXPECT_EQ(h.drops(Drop::no_route), before + 1);
  EXPECT_TRUE(h.out_underlay().empty());
}

TEST(RouterIrb, EvpnRoutesGoWithTheL3Vni) {
  IrbHarness h;
  ASSERT_EQ(h.dp.router().evpn_routes().size(), 1u);
  config::Config c = irb_config();
  c.routers[0].l3_vni.reset();
  c.routers[0].router_mac.reset();
  ASSERT_TRUE(h.dp.apply(c, resolving_underlay()));
  EXPECT_TRUE(h.dp.router().evpn_routes().empty());
  EXPECT_EQ(h.net(kL3Net), kNone);
  // The l3-vni comes back: no stale route with it.
  ASSERT_TRUE(h.dp.apply(irb_config(), resolving_underlay()));
  EXPECT_TRUE(h.dp.router().evpn_routes().empty());
  uint64_t before = h.drops(Drop::no_route);
  h.send_local(0, udp_packet(kWebGw, kH1, "10.0.1.2", "10.9.0.7", 64));
  EXPECT_EQ(h.drops(Drop::no_route), before + 1);
}

}  // namespace
}  // namespace vgw::dataplane::testing
