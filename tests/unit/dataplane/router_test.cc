// The router stage (issue 3) over in-memory ports, with exact bytes: ARP and
// echo for gateway addresses, routing between local networks and into a VNI
// behind a remote VTEP (asymmetric IRB), ICMP errors, ARP resolution with parked
// packets, ARP suppression, tenant isolation, ECMP.
#include <gtest/gtest.h>

#include <map>

#include "dataplane/router_table.h"
#include "harness.h"
#include "packet/checksum.h"
#include "packet/icmp.h"

namespace vgw::dataplane::testing {
namespace {

const MacAddress kWebGw = mac("02:00:00:00:aa:01");  // router MAC in web
const MacAddress kDbGw = mac("02:00:00:00:aa:02");   // router MAC in db
const MacAddress kH4 = mac("00:00:00:00:04:04");     // a host in db behind p2

config::Config router_config() {
  config::Config c = base_config();
  config::Router r;
  r.name = "blue-rtr";
  r.tenant = "blue";
  r.interfaces = {{"web", *IpPrefix::parse("10.0.1.1/24"), kWebGw},
                  {"db", *IpPrefix::parse("10.0.2.1/24"), kDbGw},
                  {"web", *IpPrefix::parse("2001:db8:1::1/64"), kWebGw},
                  {"db", *IpPrefix::parse("2001:db8:2::1/64"), kDbGw}};
  c.routers = {r};
  return c;
}

// IPv4 UDP from h1 (10.0.1.2) to dst through the web gateway.
Bytes to_gateway(const char* dst, uint8_t ttl = 64, uint16_t sport = 1000, size_t payload = 22,
                 bool df = false) {
  return PacketBuilder()
      .eth(kWebGw, kH1)
      .ipv4(ip("10.0.1.2"), ip(dst))
      .ttl(ttl)
      .df(df)
      .udp(sport, 2000)
      .payload(payload)
      .build();
}

// What the router sends for to_gateway(...) into db: MACs rewritten, TTL - 1.
Bytes routed(const char* dst, MacAddress dst_mac, uint8_t ttl = 63, uint16_t sport = 1000) {
  return PacketBuilder()
      .eth(dst_mac, kDbGw)
      .ipv4(ip("10.0.1.2"), ip(dst))
      .ttl(ttl)
      .udp(sport, 2000)
      .payload(22)
      .build();
}

Bytes ip_part(const Bytes& frame) {
  return Bytes(frame.begin() + 14, frame.end());
}

struct RouterHarness : Harness {
  RouterHarness() : Harness(router_config()) {}
  void host_in_db(const char* addr, MacAddress m, Location loc = Location::local(2, 0)) {
    ASSERT_TRUE(dp.neighbor_add("db", ip(addr), m, "static"));
    ASSERT_TRUE(dp.fdb().add_static(net("db"), m, loc));
  }
};

TEST(RouterTest, AnswersArpForTheGatewayAddress) {
  RouterHarness h;
  h.send_local(0, PacketBuilder()
                      .eth(kBroadcast, kH1)
                      .arp_request(kH1, ip("10.0.1.2"), ip("10.0.1.1"))
                      .build());
  Bytes want = PacketBuilder()
                   .eth(kH1, kWebGw)
                   .arp_reply(kWebGw, ip("10.0.1.1"), kH1, ip("10.0.1.2"))
                   .build();
  auto out = h.out(0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], want);
  EXPECT_TRUE(h.out(1).empty());
  EXPECT_TRUE(h.out_underlay().empty());  // answered, not flooded
  EXPECT_EQ(h.dp.read_counters().router.arp_replies_sent, 1u);
  // The request taught the router h1's binding.
  auto n = h.dp.read_neighbors();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].ip, ip("10.0.1.2"));
  EXPECT_EQ(n[0].mac, kH1);
  EXPECT_EQ(n[0].origin, "snooped");
  EXPECT_EQ(n[0].network, "web");
}

TEST(RouterTest, AnswersEchoToTheGatewayAddress) {
  RouterHarness h;
  h.send_local(0, PacketBuilder()
                      .eth(kWebGw, kH1)
                      .ipv4(ip("10.0.1.2"), ip("10.0.1.1"))
                      .icmp_echo(7, 1)
                      .payload(8)
                      .build());
  Bytes want = PacketBuilder()
                   .eth(kH1, kWebGw)
                   .ipv4(ip("10.0.1.1"), ip("10.0.1.2"))
                   .icmp_echo(7, 1, true)
                   .payload(8)
                   .build();
  auto out = h.out(0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], want);
  EXPECT_EQ(h.dp.read_counters().router.icmp_sent, 1u);
}

TEST(RouterTest, RoutesBetweenTwoLocalNetworks) {
  RouterHarness h;
  h.host_in_db("10.0.2.4", kH4);
  h.send_local(0, to_gateway("10.0.2.4"));
  auto out = h.out(2);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], routed("10.0.2.4", kH4));  // RFC 1624 checksum equals a full one
  EXPECT_TRUE(h.out_underlay().empty());
  EXPECT_EQ(h.dp.read_counters().router.routed, 1u);
}

// The next-hop cache outlives a batch, and a change of anything it holds
// (the neighbour's MAC, the MAC's FDB location, the router table) shows in the
// very next batch.
TEST(RouterTest, NextHopCacheFollowsNeighbourFdbAndRouterChanges) {
  RouterHarness h;
  h.host_in_db("10.0.2.4", kH4);
  h.send_local(0, to_gateway("10.0.2.4"));
  h.send_local(0, to_gateway("10.0.2.4"));  // a later batch: from the cache
  ASSERT_EQ(h.out(2), (std::vector<Bytes>{routed("10.0.2.4", kH4), routed("10.0.2.4", kH4)}));
  // The neighbour moves to another MAC (behind the same port).
  const MacAddress kH5 = mac("00:00:00:00:05:05");
  ASSERT_TRUE(h.dp.neighbor_add("db", ip("10.0.2.4"), kH5, "static"));
  ASSERT_TRUE(h.dp.fdb().add_static(h.net("db"), kH5, Location::local(2, 0)));
  h.send_local(0, to_gateway("10.0.2.4"));
  ASSERT_EQ(h.out(2), std::vector<Bytes>{routed("10.0.2.4", kH5)});
  // Its MAC moves behind a remote VTEP: encapsulated from the next batch on.
  ASSERT_TRUE(h.dp.fdb().add_static(h.net("db"), kH5, Location::remote(h.remote("192.168.1.1"))));
  h.send_local(0, to_gateway("10.0.2.4"));
  EXPECT_TRUE(h.out(2).empty());
  auto out = h.out_underlay();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], expected_encap(routed("10.0.2.4", kH5), 200, "192.168.1.1", 0));
  // A new router table (the db interface's MAC changes): the new source MAC.
  config::Config c = router_config();
  const MacAddress kDbGw2 = mac("02:00:00:00:aa:22");
  c.routers[0].interfaces[1].mac = kDbGw2;
  c.routers[0].interfaces[3].mac = kDbGw2;
  ASSERT_TRUE(h.dp.apply(c, resolving_underlay()));
  ASSERT_TRUE(h.dp.fdb().add_static(h.net("db"), kH5, Location::local(2, 0)));
  h.send_local(0, to_gateway("10.0.2.4"));
  Bytes want = routed("10.0.2.4", kH5);
  std::memcpy(want.data() + 6, kDbGw2.b.data(), 6);
  EXPECT_EQ(h.out(2), std::vector<Bytes>{want});
  EXPECT_EQ(h.dp.read_counters().router.routed, 5u);
}

TEST(RouterTest, RoutesIntoAVniBehindARemoteVtep) {
  RouterHarness h;
  h.host_in_db("10.0.2.4", kH4, Location::remote(h.remote("192.168.1.1")));
  h.send_local(1, tagged(to_gateway("10.0.2.4"), 10));  // from p1 VLAN 10 (web)
  auto out = h.out_underlay();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], expected_encap(routed("10.0.2.4", kH4), 200, "192.168.1.1", 0));
}

TEST(RouterTest, RoutesDecapsulatedTrafficBackIntoTheOverlay) {
  RouterHarness h;
  h.host_in_db("10.0.2.4", kH4, Location::remote(h.remote("192.168.1.1")));
  // h2 behind 192.168.1.3 in web routes through us to h4 behind 192.168.1.1 in db.
  Bytes in = PacketBuilder()
                 .eth(kWebGw, kH2)
                 .ipv4(ip("10.0.1.2"), ip("10.0.2.4"))
                 .udp(1000, 2000)
                 .payload(22)
                 .build();
  h.send_underlay(vxlan_frame(in, 100, "192.168.1.3"));
  auto out = h.out_underlay();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], expected_encap(routed("10.0.2.4", kH4), 200, "192.168.1.1", 0));
}

TEST(RouterTest, TtlExpiredGetsTimeExceeded) {
  RouterHarness h;
  h.host_in_db("10.0.2.4", kH4);
  Bytes in = to_gateway("10.0.2.4", 1);
  h.send_local(0, in);
  Bytes want = PacketBuilder()
                   .eth(kH1, kWebGw)
                   .ipv4(ip("10.0.1.1"), ip("10.0.1.2"))
                   .ip_id(0)
                   .icmp(packet::kIcmpTimeExceeded, 0, 0)
                   .payload(ip_part(in))
                   .build();
  auto out = h.out(0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], want);
  EXPECT_TRUE(h.out(2).empty());
  EXPECT_EQ(h.drops(Drop::ttl_expired), 1u);
}

TEST(RouterTest, DfTooBigGetsFragmentationNeededWithTheNextHopMtu) {
  RouterHarness h;
  h.host_in_db("10.0.2.4", kH4);
  // db is a VXLAN network over a 1500-byte underlay: 1450 bytes of IP fit.
  Bytes in = to_gateway("10.0.2.4", 64, 1000, 1451 - 28, true);
  h.send_local(0, in);
  Bytes want = PacketBuilder()
                   .eth(kH1, kWebGw)
                   .ipv4(ip("10.0.1.1"), ip("10.0.1.2"))
                   .ip_id(0)
                   .icmp(packet::kIcmpDestUnreachable, packet::kIcmpCodeFragNeeded, 1450)
                   .payload(Bytes(in.begin() + 14, in.begin() + 14 + 548))
                   .build();
  auto out = h.out(0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], want);
  EXPECT_EQ(h.drops(Drop::mtu_exceeded), 1u);
  // One byte less passes.
  h.send_local(0, to_gateway("10.0.2.4", 64, 1000, 1450 - 28, true));
  EXPECT_EQ(h.out(2).size(), 1u);
}

TEST(RouterTest, NoRouteGetsNetUnreachable) {
  RouterHarness h;
  Bytes in = to_gateway("172.16.0.1");
  h.send_local(0, in);
  Bytes want = PacketBuilder()
                   .eth(kH1, kWebGw)
                   .ipv4(ip("10.0.1.1"), ip("10.0.1.2"))
                   .ip_id(0)
                   .icmp(packet::kIcmpDestUnreachable, 0, 0)
                   .payload(ip_part(in))
                   .build();
  auto out = h.out(0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], want);
  EXPECT_EQ(h.drops(Drop::no_route), 1u);
}

TEST(RouterTest, ResolvesTheNextHopAndReleasesParkedPackets) {
  RouterHarness h;
  ASSERT_TRUE(h.dp.fdb().add_static(h.net("db"), kH4, Location::local(2, 0)));
  h.send_local(0, to_gateway("10.0.2.4", 64, 1000));
  h.send_local(0, to_gateway("10.0.2.4", 64, 1001));
  // One ARP request from the db interface, flooded in db: p2 and the remote.
  Bytes req = PacketBuilder()
                  .eth(kBroadcast, kDbGw)
                  .arp_request(kDbGw, ip("10.0.2.1"), ip("10.0.2.4"))
                  .build();
  auto out = h.out(2);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], req);
  ASSERT_EQ(h.out_underlay().size(), 1u);
  EXPECT_EQ(h.dp.read_counters().router.arp_requests_sent, 1u);
  // h4 answers: both parked packets leave, in order.
  h.send_local(2, PacketBuilder()
                      .eth(kDbGw, kH4)
                      .arp_reply(kH4, ip("10.0.2.4"), kDbGw, ip("10.0.2.1"))
                      .build());
  out = h.out(2);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], routed("10.0.2.4", kH4, 63, 1000));
  EXPECT_EQ(out[1], routed("10.0.2.4", kH4, 63, 1001));
  auto n = h.dp.read_neighbors();
  bool found = false;
  for (auto& e : n)
    if (e.ip == ip("10.0.2.4")) {
      found = true;
      EXPECT_EQ(e.mac, kH4);
      EXPECT_EQ(e.origin, "router");
      EXPECT_EQ(e.state, "reachable");
    }
  EXPECT_TRUE(found);
  // Now known: the next packet goes at once.
  h.send_local(0, to_gateway("10.0.2.4", 64, 1002));
  EXPECT_EQ(h.out(2).size(), 1u);
}

TEST(RouterTest, UnresolvedNextHopTimesOutWithHostUnreachable) {
  RouterHarness h;
  Bytes in = to_gateway("10.0.2.9");
  h.send_local(0, in);
  h.out(2);
  h.out_underlay();
  h.now += RouterWorker::kResolveTimeout + 1;
  h.run();
  EXPECT_EQ(h.drops(Drop::arp_unresolved), 1u);
  Bytes quoted = ip_part(in);
  quoted[8] = 63;  // the router had decremented the TTL
  uint16_t c = static_cast<uint16_t>(quoted[10] << 8 | quoted[11]);
  c = packet::csum_update16(c, 64 << 8 | 17, 63 << 8 | 17);
  quoted[10] = static_cast<uint8_t>(c >> 8);
  quoted[11] = static_cast<uint8_t>(c);
  Bytes want = PacketBuilder()
                   .eth(kH1, kWebGw)
                   .ipv4(ip("10.0.1.1"), ip("10.0.1.2"))
                   .ip_id(0)
                   .icmp(packet::kIcmpDestUnreachable, 1, 0)
                   .payload(quoted)
                   .build();
  auto out = h.out(0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], want);
}

TEST(RouterTest, ParkQueueIsBounded) {
  RouterHarness h;
  for (uint32_t i = 0; i < RouterWorker::kParkCapacity + 3; ++i)
    h.mem[0]->inject(to_gateway("10.0.2.9", 64, static_cast<uint16_t>(1000 + i)));
  h.run();
  EXPECT_EQ(h.drops(Drop::arp_queue_full), 3u);
}

TEST(RouterTest, ArpSuppressionAnswersKnownBindingsLocally) {
  RouterHarness h;
  const MacAddress kH9 = mac("00:00:00:00:09:09");
  ASSERT_TRUE(h.dp.neighbor_add("web", ip("10.0.1.9"), kH9, "evpn"));
  h.send_local(0, PacketBuilder()
                      .eth(kBroadcast, kH1)
                      .arp_request(kH1, ip("10.0.1.2"), ip("10.0.1.9"))
                      .build());
  Bytes want =
      PacketBuilder().eth(kH1, kH9).arp_reply(kH9, ip("10.0.1.9"), kH1, ip("10.0.1.2")).build();
  auto out = h.out(0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], want);
  EXPECT_TRUE(h.out(1).empty());
  EXPECT_TRUE(h.out_underlay().empty());
  EXPECT_EQ(h.dp.read_counters().router.suppressed, 1u);
  // Unknown binding: flooded as usual.
  h.send_local(0, PacketBuilder()
                      .eth(kBroadcast, kH1)
                      .arp_request(kH1, ip("10.0.1.2"), ip("10.0.1.77"))
                      .build());
  EXPECT_EQ(h.out(1).size(), 1u);
  EXPECT_EQ(h.out_underlay().size(), 2u);
}

TEST(RouterTest, SuppressionOffFloods) {
  config::Config c = router_config();
  c.networks[0].arp_suppression = false;
  Harness h(c);
  ASSERT_TRUE(h.dp.neighbor_add("web", ip("10.0.1.9"), mac("00:00:00:00:09:09"), "evpn"));
  h.send_local(0, PacketBuilder()
                      .eth(kBroadcast, kH1)
                      .arp_request(kH1, ip("10.0.1.2"), ip("10.0.1.9"))
                      .build());
  EXPECT_TRUE(h.out(0).empty());
  EXPECT_EQ(h.out(1).size(), 1u);
}

TEST(RouterTest, TenantsWithTheSamePrefixStayApart) {
  config::Config c = router_config();
  config::Network red;
  red.name = "red-net";
  red.tenant = "red";
  red.vni = 300;
  red.attachments = {{"p2", 30}};
  config::Network red2 = red;
  red2.name = "red-db";
  red2.vni = 301;
  red2.attachments = {{"p2", 31}};
  c.networks.push_back(red);
  c.networks.push_back(red2);
  config::Router r;
  r.name = "red-rtr";
  r.tenant = "red";
  r.interfaces = {{"red-net", *IpPrefix::parse("10.0.1.1/24"), mac("02:00:00:00:bb:01")},
                  {"red-db", *IpPrefix::parse("10.0.3.1/24"), mac("02:00:00:00:bb:02")}};
  c.routers.push_back(r);
  Harness h(c);
  ASSERT_TRUE(h.dp.neighbor_add("db", ip("10.0.2.4"), kH4, "static"));
  ASSERT_TRUE(h.dp.fdb().add_static(h.net("db"), kH4, Location::local(2, 0)));
  // From red's 10.0.1.0/24 to 10.0.2.4: red has no such route.
  Bytes in = PacketBuilder()
                 .eth(mac("02:00:00:00:bb:01"), kH1)
                 .ipv4(ip("10.0.1.2"), ip("10.0.2.4"))
                 .udp(1, 2)
                 .payload(22)
                 .build();
  h.send_local(2, tagged(in, 30));
  EXPECT_EQ(h.drops(Drop::no_route), 1u);
  auto out = h.out(2);
  ASSERT_EQ(out.size(), 1u);  // only the unreachable error, back on VLAN 30
  EXPECT_EQ(out[0][12], 0x81);
  EXPECT_EQ(out[0][15], 30);
  // blue's router still routes the same source prefix.
  h.send_local(0, to_gateway("10.0.2.4"));
  out = h.out(2);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], routed("10.0.2.4", kH4));
  // Routes listed per router and tenant.
  size_t red_routes = 0;
  for (auto& e : h.dp.read_routes())
    if (e.router == "red-rtr") {
      ++red_routes;
      EXPECT_EQ(e.tenant, "red");
    }
  EXPECT_EQ(red_routes, 4u);  // two connected + two local
}

TEST(RouterTest, EcmpSpreadsFlowsOverNextHops) {
  config::Config c = router_config();
  c.routers[0].routes = {{*IpPrefix::parse("0.0.0.0/0"), {ip("10.0.2.100"), ip("10.0.2.101")}}};
  Harness h(c);
  const MacAddress a = mac("00:00:00:00:0a:00"), b = mac("00:00:00:00:0b:00");
  ASSERT_TRUE(h.dp.neighbor_add("db", ip("10.0.2.100"), a, "static"));
  ASSERT_TRUE(h.dp.neighbor_add("db", ip("10.0.2.101"), b, "static"));
  ASSERT_TRUE(h.dp.fdb().add_static(h.net("db"), a, Location::local(2, 0)));
  ASSERT_TRUE(h.dp.fdb().add_static(h.net("db"), b, Location::local(2, 0)));
  std::map<MacAddress, int> seen;
  for (uint16_t port = 0; port < 64; ++port) {
    h.send_local(0, to_gateway("198.51.100.7", 64, static_cast<uint16_t>(1000 + port)));
    auto out = h.out(2);
    ASSERT_EQ(out.size(), 1u);
    seen[MacAddress::from_bytes(out[0].data())]++;
    // One flow keeps its next hop.
    h.send_local(0, to_gateway("198.51.100.7", 64, static_cast<uint16_t>(1000 + port)));
    auto again = h.out(2);
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(MacAddress::from_bytes(again[0].data()), MacAddress::from_bytes(out[0].data()));
  }
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_GT(seen[a], 16);
  EXPECT_GT(seen[b], 16);
}

TEST(RouterTest, Ipv6NeighborSolicitationForTheGatewayGetsAnAdvertisement) {
  RouterHarness h;
  // NS from 2001:db8:1::2 for the gateway, to its solicited-node group.
  Bytes ns = PacketBuilder()
                 .eth(mac("33:33:ff:00:00:01"), kH1)
                 .ipv6(ip("2001:db8:1::2"), ip("ff02::1:ff00:1"))
                 .hop_limit(255)
                 .icmpv6(packet::kIcmpv6NeighborSolicit, 0, 0)
                 .payload(Bytes{0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0,
                                0,    0,    0,    1,    1, 1, 0, 0, 0, 0, 1, 1})
                 .build();
  h.send_local(0, ns);
  Bytes na = PacketBuilder()
                 .eth(kH1, kWebGw)
                 .ipv6(ip("2001:db8:1::1"), ip("2001:db8:1::2"))
                 .hop_limit(255)
                 .icmpv6(packet::kIcmpv6NeighborAdvert, 0, 0xe0000000u)
                 .payload(Bytes{0x20, 0x01, 0x0d, 0xb8, 0, 1, 0,    0, 0, 0, 0,    0,
                                0,    0,    0,    1,    2, 1, 0x02, 0, 0, 0, 0xaa, 0x01})
                 .build();
  auto out = h.out(0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], na);
  EXPECT_TRUE(h.out_underlay().empty());
}

TEST(RouterTest, RoutesIpv6WithHopLimitDecrement) {
  RouterHarness h;
  ASSERT_TRUE(h.dp.neighbor_add("db", ip("2001:db8:2::4"), kH4, "static"));
  ASSERT_TRUE(h.dp.fdb().add_static(h.net("db"), kH4, Location::local(2, 0)));
  h.send_local(0, PacketBuilder()
                      .eth(kWebGw, kH1)
                      .ipv6(ip("2001:db8:1::2"), ip("2001:db8:2::4"))
                      .udp(1, 2)
                      .payload(22)
                      .build());
  Bytes want = PacketBuilder()
                   .eth(kH4, kDbGw)
                   .ipv6(ip("2001:db8:1::2"), ip("2001:db8:2::4"))
                   .hop_limit(63)
                   .udp(1, 2)
                   .payload(22)
                   .build();
  auto out = h.out(2);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], want);
}

TEST(RouterTest, DefaultRouterMacIsDeterministicAndLocal) {
  MacAddress a = default_router_mac("blue-rtr", "web");
  EXPECT_EQ(a, default_router_mac("blue-rtr", "web"));
  EXPECT_NE(a, default_router_mac("blue-rtr", "db"));
  EXPECT_EQ(a.b[0], 0x02);
}

TEST(RouterTest, BadHeaderAndNonIpAreCountedDrops) {
  RouterHarness h;
  Bytes in = to_gateway("10.0.2.4");
  in[14 + 10] ^= 0xff;  // header checksum
  h.send_local(0, in);
  EXPECT_EQ(h.drops(Drop::bad_ip_header), 1u);
  h.send_local(0, PacketBuilder().eth(kWebGw, kH1).ethertype(0x88b5).payload(46).build());
  EXPECT_EQ(h.drops(Drop::not_ip), 1u);
}

}  // namespace
}  // namespace vgw::dataplane::testing

namespace vgw::dataplane::testing {
namespace {

TEST(RouterConfig, ABadRouterRejectsTheWholeConfiguration) {
  Harness h(router_config());
  config::Config c = router_config();
  c.networks[1].vni = 201;  // would change if applied
  c.routers[0].interfaces.push_back({"nope", *IpPrefix::parse("10.9.0.1/24"), std::nullopt});
  Status st = h.dp.apply(c, resolving_underlay());
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message, "routers[blue-rtr].interfaces[4].network: no network named nope");
  EXPECT_EQ(h.dp.snapshot()->network_by_vni(200), h.net("db"));
  c = router_config();
  c.routers[0].tenant = "red";
  st = h.dp.apply(c, resolving_underlay());
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message,
            "routers[blue-rtr].interfaces[0].network: network web belongs to tenant blue, not red");
}

TEST(RouterConfig, RouterMacsFollowTheConfiguration) {
  Harness h(router_config());
  auto e = h.dp.fdb().get(h.net("web"), kWebGw);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->location, kRouterLocation);
  // Without a configured MAC the interface gets the derived one; the old goes.
  config::Config c = router_config();
  for (auto& i : c.routers[0].interfaces)
    if (i.network == "web") i.mac.reset();
  ASSERT_TRUE(h.dp.apply(c, resolving_underlay()));
  EXPECT_FALSE(h.dp.fdb().get(h.net("web"), kWebGw));
  e = h.dp.fdb().get(h.net("web"), default_router_mac("blue-rtr", "web"));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->location, kRouterLocation);
  // Routers removed: no router MAC left.
  c.routers.clear();
  ASSERT_TRUE(h.dp.apply(c, resolving_underlay()));
  EXPECT_FALSE(h.dp.fdb().get(h.net("web"), default_router_mac("blue-rtr", "web")));
  EXPECT_TRUE(h.dp.read_routes().empty());
}

TEST(RouterConfig, ShowRoutesListsConnectedLocalAndStatic) {
  config::Config c = router_config();
  c.routers[0].routes = {{*IpPrefix::parse("0.0.0.0/0"), {ip("10.0.2.254")}}};
  Harness h(c);
  auto routes = h.dp.read_routes();
  ASSERT_EQ(routes.size(), 9u);  // 4 connected + 4 local + 1 static
  EXPECT_EQ(routes[0].prefix, *IpPrefix::parse("0.0.0.0/0"));
  EXPECT_EQ(routes[0].source, "static");
  ASSERT_EQ(routes[0].via.size(), 1u);
  EXPECT_EQ(routes[0].via[0], ip("10.0.2.254"));
  EXPECT_EQ(routes[0].router, "blue-rtr");
  EXPECT_EQ(routes[0].tenant, "blue");
  bool connected_web = false;
  for (auto& r : routes)
    if (r.prefix == *IpPrefix::parse("10.0.1.0/24")) {
      connected_web = true;
      EXPECT_EQ(r.source, "connected");
      EXPECT_EQ(r.network, "web");
      EXPECT_TRUE(r.via.empty());
    }
  EXPECT_TRUE(connected_web);
}

}  // namespace
}  // namespace vgw::dataplane::testing

namespace vgw::dataplane::testing {
namespace {

// An outside network: no VNI, a port + VLAN, a router interface and a default
// route via a next hop there. The same objects as everywhere: no special case.
TEST(RouterOutside, DefaultRouteThroughALocalOnlyNetwork) {
  config::Config c = router_config();
  config::Network out;
  out.name = "outside";
  out.tenant = "blue";
  out.attachments = {{"p2", 50}};
  c.networks.push_back(out);
  c.routers[0].interfaces.push_back(
      {"outside", *IpPrefix::parse("203.0.113.1/24"), mac("02:00:00:00:aa:03")});
  c.routers[0].routes = {{*IpPrefix::parse("0.0.0.0/0"), {ip("203.0.113.254")}}};
  Harness h(c);
  const MacAddress kUpstream = mac("00:00:00:00:fe:fe");
  h.send_local(0, to_gateway("198.51.100.7"));
  // ARP for the next hop, on VLAN 50 only: a local-only network floods no remote.
  Bytes req = PacketBuilder()
                  .eth(kBroadcast, mac("02:00:00:00:aa:03"))
                  .vlan(50)
                  .arp_request(mac("02:00:00:00:aa:03"), ip("203.0.113.1"), ip("203.0.113.254"))
                  .build();
  auto o = h.out(2);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0], req);
  EXPECT_TRUE(h.out_underlay().empty());
  // The upstream router answers; the parked packet leaves tagged, TTL 63.
  h.send_local(
      2, PacketBuilder()
             .eth(mac("02:00:00:00:aa:03"), kUpstream)
             .vlan(50)
             .arp_reply(kUpstream, ip("203.0.113.254"), mac("02:00:00:00:aa:03"), ip("203.0.113.1"))
             .build());
  Bytes want = PacketBuilder()
                   .eth(kUpstream, mac("02:00:00:00:aa:03"))
                   .vlan(50)
                   .ipv4(ip("10.0.1.2"), ip("198.51.100.7"))
                   .ttl(63)
                   .udp(1000, 2000)
                   .payload(22)
                   .build();
  o = h.out(2);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0], want);
  // And back: the reply from outside is routed to h1 on p0.
  ASSERT_TRUE(h.dp.neighbor_add("web", ip("10.0.1.2"), kH1, "static"));
  h.send_local(2, PacketBuilder()
                      .eth(mac("02:00:00:00:aa:03"), kUpstream)
                      .vlan(50)
                      .ipv4(ip("198.51.100.7"), ip("10.0.1.2"))
                      .udp(2000, 1000)
                      .payload(22)
                      .build());
  o = h.out(0);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0], PacketBuilder()
                      .eth(kH1, kWebGw)
                      .ipv4(ip("198.51.100.7"), ip("10.0.1.2"))
                      .ttl(63)
                      .udp(2000, 1000)
                      .payload(22)
                      .build());
}

TEST(RouterIpv6, EchoToTheGatewayAndNoRoute) {
  RouterHarness h;
  h.send_local(0, PacketBuilder()
                      .eth(kWebGw, kH1)
                      .ipv6(ip("2001:db8:1::2"), ip("2001:db8:1::1"))
                      .icmpv6_echo(3, 4)
                      .payload(8)
                      .build());
  auto o = h.out(0);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0], PacketBuilder()
                      .eth(kH1, kWebGw)
                      .ipv6(ip("2001:db8:1::1"), ip("2001:db8:1::2"))
                      .icmpv6_echo(3, 4, true)
                      .payload(8)
                      .build());
  Bytes in = PacketBuilder()
                 .eth(kWebGw, kH1)
                 .ipv6(ip("2001:db8:1::2"), ip("2001:db8:9::1"))
                 .udp(1, 2)
                 .payload(10)
                 .build();
  h.send_local(0, in);
  o = h.out(0);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0], PacketBuilder()
                      .eth(kH1, kWebGw)
                      .ipv6(ip("2001:db8:1::1"), ip("2001:db8:1::2"))
                      .icmpv6(packet::kIcmpv6DestUnreachable, 0, 0)
                      .payload(ip_part(in))
                      .build());
  EXPECT_EQ(h.drops(Drop::no_route), 1u);
}

}  // namespace
}  // namespace vgw::dataplane::testing
