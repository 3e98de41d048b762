// EVPN NLRI, route distinguishers and extended communities against the byte
// layouts of RFC 7432 §7, RFC 9136 §3.1, RFC 4364 §4.2, RFC 4360, RFC 8365.
#include "bgp/evpn.h"

#include <gtest/gtest.h>

#include "bgp/ext_community.h"
#include "unit/bgp/test_util.h"

namespace vgw::bgp {
namespace {

using testing::hex;

IpAddress ip(const char* s) {
  return *IpAddress::parse(s);
}
MacAddress mac(const char* s) {
  return *MacAddress::parse(s);
}

std::vector<uint8_t> encode(const EvpnRoute& r) {
  Writer w;
  encode_evpn_route(w, r);
  return w.take();
}

TEST(RouteDistinguisher, TypesAndFrrText) {
  auto rd0 = RouteDistinguisher::as2(65000, 100);
  EXPECT_EQ(std::vector<uint8_t>(rd0.b.begin(), rd0.b.end()), hex("0000 fde8 00000064"));
  EXPECT_EQ(rd0.to_string(), "65000:100");
  auto rd1 = RouteDistinguisher::ipv4(ip("192.168.1.2"), 2);
  EXPECT_EQ(std::vector<uint8_t>(rd1.b.begin(), rd1.b.end()), hex("0001 c0a80102 0002"));
  EXPECT_EQ(rd1.to_string(), "192.168.1.2:2");
  auto rd2 = RouteDistinguisher::as4(4200000001, 7);
  EXPECT_EQ(std::vector<uint8_t>(rd2.b.begin(), rd2.b.end()), hex("0002 fa56ea01 0007"));
  EXPECT_EQ(rd2.to_string(), "4200000001:7");
  EXPECT_EQ(rd1.type(), 1);
}

TEST(RouteDistinguisher, ParsesWhatFrrPrints) {
  EXPECT_EQ(RouteDistinguisher::parse("65000:100"), RouteDistinguisher::as2(65000, 100));
  EXPECT_EQ(RouteDistinguisher::parse("10.0.0.1:5"), RouteDistinguisher::ipv4(ip("10.0.0.1"), 5));
  EXPECT_EQ(RouteDistinguisher::parse("4200000001:7"), RouteDistinguisher::as4(4200000001, 7));
  EXPECT_FALSE(RouteDistinguisher::parse("4200000001:70000"));  // type 2 has 16 bits
  EXPECT_FALSE(RouteDistinguisher::parse("10.0.0.1:70000"));
  EXPECT_FALSE(RouteDistinguisher::parse("65000"));
  EXPECT_FALSE(RouteDistinguisher::parse("a:1"));
  EXPECT_FALSE(RouteDistinguisher::parse("1:"));
}

TEST(Derive, RdIsRouterIdColonIndexLikeFrr) {
  EXPECT_EQ(derive_rd(ip("192.168.1.2"), 3).to_string(), "192.168.1.2:3");
  EXPECT_EQ(derive_rd(ip("192.168.1.2"), 3).type(), 1);
}

TEST(Derive, RtIsLow16BitsOfAsColonVniLikeFrr) {
  RouteTarget rt = derive_rt(65000, 100);
  EXPECT_EQ(rt.to_string(), "65000:100");
  auto c = rt.to_ext_community();
  EXPECT_EQ(std::vector<uint8_t>(c.b.begin(), c.b.end()), hex("00 02 fde8 00000064"));
  // A 4-byte AS is cut to its low 16 bits, still type 0x00 (form_auto_rt).
  EXPECT_EQ(derive_rt(4200000001, 100), RouteTarget::as2(0xea01, 100));
  EXPECT_EQ(derive_rt(65000, 100, true).local, 0x10000064u);
}

TEST(Label, VniFillsAll24Bits) {
  EXPECT_EQ(vni_to_label_bytes(0xabcdef), (std::array<uint8_t, 3>{0xab, 0xcd, 0xef}));
  std::array<uint8_t, 3> b{0x00, 0x13, 0x88};
  EXPECT_EQ(vni_from_label_bytes(b), 5000u);
  EXPECT_EQ(label_from_vni(16777215), 0xffffffu);
}

TEST(ExtCommunity, TypedEncodings) {
  auto bytes = [](ExtCommunity c) { return std::vector<uint8_t>(c.b.begin(), c.b.end()); };
  EXPECT_EQ(bytes(RouteTarget::ipv4(ip("1.2.3.4"), 100).to_ext_community()),
            hex("01 02 01020304 0064"));
  EXPECT_EQ(bytes(RouteTarget::as4(4200000001, 100).to_ext_community()),
            hex("02 02 fa56ea01 0064"));
  EXPECT_EQ(bytes(encapsulation_community()), hex("03 0c 00000000 0008"));
  EXPECT_EQ(bytes(mac_mobility_community({true, 5})), hex("06 00 01 00 00000005"));
  EXPECT_EQ(bytes(mac_mobility_community({false, 0x01020304})), hex("06 00 00 00 01020304"));
  EXPECT_EQ(bytes(router_mac_community(mac("02:00:5e:00:01:01"))), hex("06 03 02005e000101"));
  EXPECT_EQ(bytes(default_gateway_community()), hex("03 0d 000000000000"));
}

TEST(ExtCommunity, TypedViewsAndFrrText) {
  EXPECT_EQ(to_string(RouteTarget::as2(65000, 100).to_ext_community()), "RT:65000:100");
  EXPECT_EQ(to_string(RouteTarget::ipv4(ip("1.2.3.4"), 9).to_ext_community()), "RT:1.2.3.4:9");
  EXPECT_EQ(to_string(encapsulation_community()), "ET:8");
  EXPECT_EQ(to_string(mac_mobility_community({false, 3})), "MM:3");
  EXPECT_EQ(to_string(mac_mobility_community({true, 0})), "MM:0, sticky MAC");
  EXPECT_EQ(to_string(router_mac_community(mac("02:00:5e:00:01:01"))), "Rmac:02:00:5e:00:01:01");
  EXPECT_EQ(to_string(default_gateway_community()), "Default Gateway");
  EXPECT_EQ(as_mac_mobility(mac_mobility_community({true, 7})), (MacMobility{true, 7}));
  EXPECT_EQ(as_encapsulation(encapsulation_community(8)), 8);
  EXPECT_FALSE(as_route_target(encapsulation_community()));
  EXPECT_FALSE(as_mac_mobility(router_mac_community(mac("02:00:5e:00:01:01"))));
  EXPECT_EQ(RouteTarget::parse("65000:100"), RouteTarget::as2(65000, 100));
  EXPECT_EQ(RouteTarget::parse("4200000001:100"), RouteTarget::as4(4200000001, 100));
  EXPECT_EQ(RouteTarget::parse("1.2.3.4:100"), RouteTarget::ipv4(ip("1.2.3.4"), 100));
  EXPECT_FALSE(RouteTarget::parse("x:1"));
}

const MacIpRoute kType2{RouteDistinguisher::ipv4(ip("192.168.1.2"), 2),
                        {},
                        0,
                        mac("00:11:22:33:44:55"),
                        ip("10.0.0.1"),
                        100,
                        std::nullopt};

TEST(EvpnNlri, Type2MacIpExactBytes) {
  EXPECT_EQ(encode(kType2), hex("02 25"
                                "0001c0a801020002"      // RD 192.168.1.2:2
                                "00000000000000000000"  // ESI
                                "00000000"              // Ethernet tag
                                "30 001122334455"       // MAC length 48, MAC
                                "20 0a000001"           // IP length 32, IP
                                "000064"));             // label1 = VNI 100
  EXPECT_EQ(to_string(EvpnRoute{kType2}), "[2]:[0]:[48]:[00:11:22:33:44:55]:[32]:[10.0.0.1]");
}

TEST(EvpnNlri, Type2MacOnlyAndTwoLabelsAndIpv6) {
  MacIpRoute mac_only = kType2;
  mac_only.ip.reset();
  EXPECT_EQ(encode(mac_only), hex("02 21 0001c0a801020002 00000000000000000000 00000000"
                                  "30 001122334455 00 000064"));
  EXPECT_EQ(to_string(EvpnRoute{mac_only}), "[2]:[0]:[48]:[00:11:22:33:44:55]");
  MacIpRoute irb = kType2;
  irb.label2 = 5000;
  EXPECT_EQ(encode(irb), hex("02 28 0001c0a801020002 00000000000000000000 00000000"
                             "30 001122334455 20 0a000001 000064 001388"));
  MacIpRoute v6 = kType2;
  v6.ip = ip("2001:db8::1");
  auto b = encode(v6);
  EXPECT_EQ(b.size(), 2u + 49u);
  EXPECT_EQ(b[1], 49);
  EXPECT_EQ(b[2 + 8 + 10 + 4 + 1 + 6], 128);
  for (const auto& r : {mac_only, irb, v6}) {
    auto back = decode_evpn_nlri(encode(r));
    ASSERT_TRUE(back) << back.error().message;
    ASSERT_EQ(back->size(), 1u);
    EXPECT_EQ(std::get<MacIpRoute>((*back)[0]), r);
  }
}

TEST(EvpnNlri, Type3InclusiveMulticastExactBytes) {
  ImetRoute r{RouteDistinguisher::ipv4(ip("192.168.1.2"), 2), 0, ip("192.168.1.2")};
  EXPECT_EQ(encode(r), hex("03 11 0001c0a801020002 00000000 20 c0a80102"));
  EXPECT_EQ(to_string(EvpnRoute{r}), "[3]:[0]:[32]:[192.168.1.2]");
  ImetRoute v6{RouteDistinguisher::as2(65000, 1), 0, ip("2001:db8::2")};
  EXPECT_EQ(encode(v6), hex("03 1d 0000fde800000001 00000000 80 20010db8000000000000000000000002"));
}

TEST(EvpnNlri, Type5IpPrefixBothSizes) {
  IpPrefixRoute r{RouteDistinguisher::ipv4(ip("192.168.1.2"), 3),
                  {},
                  0,
                  *IpPrefix::parse("10.1.0.0/24"),
                  ip("0.0.0.0"),
                  5000};
  EXPECT_EQ(encode(r), hex("05 22 0001c0a801020003 00000000000000000000 00000000"
                           "18 0a010000 00000000 001388"));
  EXPECT_EQ(to_string(EvpnRoute{r}), "[5]:[0]:[24]:[10.1.0.0]");
  IpPrefixRoute v6{RouteDistinguisher::ipv4(ip("192.168.1.2"), 3),
                   {},
                   0,
                   *IpPrefix::parse("2001:db8:1::/48"),
                   ip("::"),
                   5000};
  auto b = encode(v6);
  EXPECT_EQ(b.size(), 60u);
  EXPECT_EQ(b[1], 58);
  auto back = decode_evpn_nlri(testing::cat({b, encode(r)}));
  ASSERT_TRUE(back) << back.error().message;
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ(std::get<IpPrefixRoute>((*back)[0]), v6);
  EXPECT_EQ(std::get<IpPrefixRoute>((*back)[1]), r);
}

TEST(EvpnNlri, UnknownTypesAreSkippedByLengthAndKept) {
  // Type 1 (Ethernet A-D) and type 4 (Ethernet Segment) around a type 3.
  auto field = hex("01 03 aabbcc  03 11 0001c0a801020002 00000000 20 c0a80102  04 00");
  auto routes = decode_evpn_nlri(field);
  ASSERT_TRUE(routes) << routes.error().message;
  ASSERT_EQ(routes->size(), 3u);
  EXPECT_EQ(std::get<OpaqueEvpnRoute>((*routes)[0]), (OpaqueEvpnRoute{1, {0xaa, 0xbb, 0xcc}}));
  EXPECT_EQ(std::get<ImetRoute>((*routes)[1]).originator, ip("192.168.1.2"));
  EXPECT_EQ(std::get<OpaqueEvpnRoute>((*routes)[2]), (OpaqueEvpnRoute{4, {}}));
  Writer w;
  for (const auto& r : *routes) encode_evpn_route(w, r);
  EXPECT_EQ(w.data(), field);
}

TEST(EvpnNlri, MalformedRoutesAreErrorsThatNameThem) {
  struct Case {
    const char* hex;
    const char* reason;
  };
  const Case cases[] = {
      {"02 25 0001c0a801020002 00000000000000000000 00000000 2f 001122334455 20 0a000001 000064",
       "MAC address length 47"},
      {"02 25 0001c0a801020002 00000000000000000000 00000000 30 001122334455 18 0a000001 000064",
       "IP address length 24"},
      {"02 26 0001c0a801020002 00000000000000000000 00000000 30 001122334455 20 0a000001 000064 00",
       "does not match"},
      {"03 11 0001c0a801020002 00000000 80 c0a80102", "does not match"},
      {"03 11 0001c0a801020002 00000000 10 c0a80102", "IP length 16"},
      {"05 21 0001c0a801020003 00000000000000000000 00000000 18 0a010000 00000000 0013",
       "length 33"},
      {"05 22 0001c0a801020003 00000000000000000000 00000000 21 0a010000 00000000 001388",
       "prefix length 33"},
      {"03 12 0001c0a801020002 00000000 20 c0a80102", "overruns"},
  };
  for (const auto& c : cases) {
    auto r = decode_evpn_nlri(hex(c.hex));
    ASSERT_FALSE(r) << c.hex;
    EXPECT_NE(r.error().message.find(c.reason), std::string::npos) << r.error().message;
  }
}

TEST(EvpnNlri, EveryTruncationIsRejected) {
  Writer w;
  encode_evpn_route(w, kType2);
  encode_evpn_route(w, ImetRoute{RouteDistinguisher::as2(1, 2), 0, ip("2001:db8::2")});
  const auto& full = w.data();
  for (size_t n = 1; n < full.size(); ++n) {
    if (n == 2u + 37u) continue;  // the boundary between the two routes is a valid field
    auto r = decode_evpn_nlri(std::span(full.data(), n));
    EXPECT_FALSE(r) << "prefix of " << n << " bytes accepted";
  }
}

}  // namespace
}  // namespace vgw::bgp
