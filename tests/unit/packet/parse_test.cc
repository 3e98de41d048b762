// Frame and VXLAN parsers: offsets and fields of valid frames, a status for every
// kind of bad header, and rejection of every truncation of a valid frame (under
// ASan each prefix is a separate heap buffer, so an over-read is caught).
#include "packet/parse.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "packet/builder.h"
#include "packet/ethernet.h"
#include "packet/ipv4.h"
#include "packet/vxlan.h"
#include "test_util.h"

namespace vgw::packet {
namespace {

using test::ip;
using test::mac;
using Bytes = std::vector<uint8_t>;

const MacAddress kA = *MacAddress::parse("02:00:00:00:00:0a");
const MacAddress kB = *MacAddress::parse("02:00:00:00:00:0b");

// A copy in a heap block of exactly n bytes, so ASan flags any read past it.
FrameInfo parse_prefix(const Bytes& f, size_t n) {
  std::unique_ptr<uint8_t[]> b(new uint8_t[n ? n : 1]);
  std::copy(f.begin(), f.begin() + static_cast<long>(n), b.get());
  return parse_frame({b.get(), n});
}
VxlanFrameInfo parse_vxlan_prefix(const Bytes& f, size_t n) {
  std::unique_ptr<uint8_t[]> b(new uint8_t[n ? n : 1]);
  std::copy(f.begin(), f.begin() + static_cast<long>(n), b.get());
  return parse_vxlan_frame({b.get(), n});
}

Bytes inner_tcp() {
  return PacketBuilder()
      .eth(kB, kA)
      .ipv4(ip("192.168.1.1"), ip("192.168.1.2"))
      .tcp(1000, 80, 0x02, 1)
      .payload(10)
      .build();
}

TEST(ParseFrame, Ipv4Tcp) {
  auto f = inner_tcp();
  auto r = parse_frame(f);
  ASSERT_EQ(r.status, ParseStatus::ok);
  EXPECT_EQ(r.l3, L3Kind::ipv4);
  EXPECT_EQ(r.ethertype, kEtherTypeIpv4);
  EXPECT_FALSE(r.vlan_tagged);
  EXPECT_EQ(r.l3_offset, 14);
  EXPECT_EQ(r.l4_proto, kIpProtoTcp);
  EXPECT_EQ(r.l4_offset, 34);
  EXPECT_EQ(r.ip_end, f.size());
  EXPECT_FALSE(r.fragment);
}

TEST(ParseFrame, VlanAndQinqTags) {
  auto f = PacketBuilder()
               .eth(kB, kA)
               .vlan(42)
               .ipv6(ip("2001:db8::1"), ip("2001:db8::2"))
               .udp(1, 2)
               .payload(3)
               .build();
  auto r = parse_frame(f);
  ASSERT_EQ(r.status, ParseStatus::ok);
  EXPECT_TRUE(r.vlan_tagged);
  EXPECT_EQ(r.vlan_count, 1);
  EXPECT_EQ(r.vlan_id, 42);
  EXPECT_EQ(r.ethertype, kEtherTypeIpv6);
  EXPECT_EQ(r.l3_offset, 18);
  EXPECT_EQ(r.l4_offset, 58);
  EXPECT_EQ(r.l4_proto, kIpProtoUdp);

  auto q = PacketBuilder()
               .eth(kB, kA)
               .qinq(7)
               .vlan(8)
               .arp_request(kA, ip("10.0.0.1"), ip("10.0.0.2"))
               .build();
  auto rq = parse_frame(q);
  ASSERT_EQ(rq.status, ParseStatus::ok);
  EXPECT_EQ(rq.vlan_count, 2);
  EXPECT_EQ(rq.vlan_id, 7);  // the outer tag
  EXPECT_EQ(rq.l3, L3Kind::arp);
  EXPECT_EQ(rq.l3_offset, 22);
}

TEST(ParseFrame, PaddingAfterIpPacketIsAllowed) {
  auto f = PacketBuilder()
               .eth(kB, kA)
               .ipv4(ip("1.1.1.1"), ip("2.2.2.2"))
               .icmp_echo(1, 2)
               .pad_to(60)
               .build();
  auto r = parse_frame(f);
  ASSERT_EQ(r.status, ParseStatus::ok);
  EXPECT_EQ(r.ip_end, 14 + 28);
  EXPECT_EQ(r.l4_offset, 34);
}

TEST(ParseFrame, BadIpv4Headers) {
  auto good = inner_tcp();
  auto f = good;
  f[14] = 0x44;  // IHL 4
  EXPECT_EQ(parse_frame(f).status, ParseStatus::bad_ipv4_header);
  f = good;
  f[14] = 0x55;  // version 5
  EXPECT_EQ(parse_frame(f).status, ParseStatus::bad_ipv4_header);
  f = good;
  store_be16(f.data() + 16, 19);  // total length < header
  EXPECT_EQ(parse_frame(f).status, ParseStatus::bad_ipv4_header);
  f = good;
  store_be16(f.data() + 16, static_cast<uint16_t>(f.size() - 14 + 1));  // beyond the buffer
  EXPECT_EQ(parse_frame(f).status, ParseStatus::truncated);
  f = good;
  f[14] = 0x4f;  // IHL 15 (60 bytes): header longer than the packet
  EXPECT_EQ(parse_frame(f).status, ParseStatus::bad_ipv4_header);
  f = good;
  f[14 + 20 + 12] = 0x40;  // TCP data offset 4
  EXPECT_EQ(parse_frame(f).status, ParseStatus::bad_l4_header);
}

TEST(ParseFrame, Ipv4FragmentsHaveNoPortsAfterTheFirst) {
  auto f =
      PacketBuilder().eth(kB, kA).ipv4(ip("1.1.1.1"), ip("2.2.2.2")).udp(5, 6).payload(100).build();
  store_be16(f.data() + 20, Ipv4Header::kFlagMf);  // first fragment
  store_be16(f.data() + 38, 1000);                 // UDP length of the whole datagram
  auto r = parse_frame(f);
  ASSERT_EQ(r.status, ParseStatus::ok);
  EXPECT_TRUE(r.fragment);
  EXPECT_EQ(r.l4_offset, 34);
  store_be16(f.data() + 20, 0x0010);  // later fragment
  r = parse_frame(f);
  ASSERT_EQ(r.status, ParseStatus::ok);
  EXPECT_TRUE(r.fragment);
  EXPECT_FALSE(r.has_l4());
}

TEST(ParseFrame, Ipv6ExtensionHeadersAreWalked) {
  // Hop-by-hop (8 bytes) then UDP.
  Bytes hbh = {kIpProtoUdp, 0, 1, 4, 0, 0, 0, 0};
  Bytes udp = {0, 1, 0, 2, 0, 8, 0, 0};
  Bytes payload = hbh;
  payload.insert(payload.end(), udp.begin(), udp.end());
  auto f = PacketBuilder()
               .eth(kB, kA)
               .ipv6(ip("2001:db8::1"), ip("2001:db8::2"))
               .ip_protocol(kIpProtoHopByHop)
               .payload(payload)
               .build();
  auto r = parse_frame(f);
  ASSERT_EQ(r.status, ParseStatus::ok);
  EXPECT_EQ(r.l4_proto, kIpProtoUdp);
  EXPECT_EQ(r.l4_offset, 14 + 40 + 8);
  f[14 + 40 + 1] = 3;  // extension claims 32 bytes: beyond the packet
  EXPECT_EQ(parse_frame(f).status, ParseStatus::truncated);
}

TEST(ParseFrame, UnknownEthertypeIsOkWithoutL3) {
  auto f = PacketBuilder().eth(kB, kA).ethertype(0x88cc).payload(20).build();
  auto r = parse_frame(f);
  EXPECT_EQ(r.status, ParseStatus::ok);
  EXPECT_EQ(r.l3, L3Kind::other);
  EXPECT_FALSE(r.has_l4());
}

TEST(ParseFrame, EveryTruncationIsRejected) {
  const std::vector<Bytes> frames = {
      inner_tcp(),
      PacketBuilder().eth(kB, kA).vlan(5).arp_request(kA, ip("1.1.1.1"), ip("1.1.1.2")).build(),
      PacketBuilder()
          .eth(kB, kA)
          .qinq(1)
          .vlan(2)
          .ipv6(ip("2001:db8::1"), ip("2001:db8::2"))
          .udp(1, 2)
          .payload(9)
          .build(),
      PacketBuilder().eth(kB, kA).ipv4(ip("1.1.1.1"), ip("2.2.2.2")).icmp_echo(1, 1).build(),
      PacketBuilder().eth(kB, kA).ipv6(ip("::1"), ip("::2")).icmpv6_echo(1, 1).build(),
  };
  for (const auto& f : frames) {
    ASSERT_EQ(parse_frame(f).status, ParseStatus::ok);
    for (size_t n = 0; n < f.size(); ++n)
      EXPECT_EQ(parse_prefix(f, n).status, ParseStatus::truncated) << "prefix " << n;
  }
}

Bytes vxlan_v4(uint16_t dport = kVxlanPort) {
  return PacketBuilder()
      .eth(mac("02:00:00:00:01:02"), mac("02:00:00:00:01:01"))
      .ipv4(ip("192.0.2.1"), ip("192.0.2.2"))
      .ttl(17)
      .udp(55555, dport)
      .vxlan(5000)
      .inner(inner_tcp())
      .build();
}

TEST(ParseVxlan, Ipv4Underlay) {
  auto f = vxlan_v4();
  auto r = parse_vxlan_frame(f);
  ASSERT_EQ(r.status, VxlanParseStatus::ok) << to_string(r.status);
  EXPECT_FALSE(r.ipv6);
  EXPECT_EQ(r.l3_offset, 14);
  EXPECT_EQ(r.udp_offset, 34);
  EXPECT_EQ(r.vxlan_offset, 42);
  EXPECT_EQ(r.inner_offset, 50);
  EXPECT_EQ(r.inner_length, inner_tcp().size());
  EXPECT_EQ(r.src_port, 55555);
  EXPECT_EQ(r.dst_port, kVxlanPort);
  EXPECT_EQ(r.udp_checksum, 0);
  EXPECT_EQ(r.ttl, 17);
  EXPECT_TRUE(r.i_flag());
  EXPECT_EQ(r.vni, 5000u);
  EXPECT_EQ(r.src, ip("192.0.2.1"));
  EXPECT_EQ(r.dst, ip("192.0.2.2"));
}

TEST(ParseVxlan, Ipv6UnderlayWithVlan) {
  auto f = PacketBuilder()
               .eth(kB, kA)
               .vlan(300)
               .ipv6(ip("2001:db8::a"), ip("2001:db8::b"))
               .udp(60000, 4789)
               .vxlan(1)
               .inner(inner_tcp())
               .pad_to(200)
               .build();
  auto r = parse_vxlan_frame(f);
  ASSERT_EQ(r.status, VxlanParseStatus::ok);
  EXPECT_TRUE(r.ipv6);
  EXPECT_TRUE(r.vlan_tagged);
  EXPECT_EQ(r.vlan_id, 300);
  EXPECT_EQ(r.udp_offset, 18 + 40);
  EXPECT_EQ(r.inner_offset, 18 + 40 + 16);
  EXPECT_EQ(r.inner_length, inner_tcp().size());  // Ethernet padding excluded
  EXPECT_NE(r.udp_checksum, 0);
  EXPECT_EQ(r.src, ip("2001:db8::a"));
}

TEST(ParseVxlan, Ipv4OptionsMoveTheUdpHeader) {
  // Build with a 4-byte "payload" that becomes the options: IHL 6.
  Bytes tail = {1, 1, 1, 0};  // NOP NOP NOP EOL
  Bytes rest = PacketBuilder().udp(7, 4789).vxlan(42).inner(inner_tcp()).build();
  tail.insert(tail.end(), rest.begin(), rest.end());
  auto f = PacketBuilder()
               .eth(kB, kA)
               .ipv4(ip("192.0.2.1"), ip("192.0.2.2"))
               .ip_protocol(kIpProtoUdp)
               .payload(tail)
               .build();
  f[14] = 0x46;
  store_be16(f.data() + 38 + 4, static_cast<uint16_t>(rest.size()));  // UDP length
  auto r = parse_vxlan_frame(f);
  ASSERT_EQ(r.status, VxlanParseStatus::ok) << to_string(r.status);
  EXPECT_EQ(r.udp_offset, 14 + 24);
  EXPECT_EQ(r.inner_offset, 14 + 24 + 16);
  EXPECT_EQ(r.vni, 42u);
}

TEST(ParseFrame, ThirdVlanTagIsNotParsed) {
  auto f = PacketBuilder().eth(kB, kA).qinq(1).vlan(2).vlan(3).ethertype(0x0800).build();
  auto r = parse_frame(f);
  EXPECT_EQ(r.status, ParseStatus::ok);
  EXPECT_EQ(r.vlan_count, 2);
  EXPECT_EQ(r.ethertype, kEtherTypeVlan);
  EXPECT_EQ(r.l3, L3Kind::other);
}

TEST(ParseVxlan, FlagsAndPortAreReportedNotJudged) {
  auto f = PacketBuilder()
               .eth(kB, kA)
               .ipv4(ip("192.0.2.1"), ip("192.0.2.2"))
               .udp(1, 8472)
               .vxlan_raw(0x00, 77)
               .inner(inner_tcp())
               .build();
  auto r = parse_vxlan_frame(f);
  ASSERT_EQ(r.status, VxlanParseStatus::ok);
  EXPECT_EQ(r.dst_port, 8472);
  EXPECT_FALSE(r.i_flag());
  EXPECT_EQ(r.vni, 77u);
}

TEST(ParseVxlan, Statuses) {
  auto arp = PacketBuilder().eth(kB, kA).arp_request(kA, ip("1.1.1.1"), ip("1.1.1.2")).build();
  EXPECT_EQ(parse_vxlan_frame(arp).status, VxlanParseStatus::not_ip);
  EXPECT_EQ(parse_vxlan_frame(inner_tcp()).status, VxlanParseStatus::not_udp);

  auto f = vxlan_v4();
  f[14] = 0x43;
  EXPECT_EQ(parse_vxlan_frame(f).status, VxlanParseStatus::bad_ipv4_header);
  f = vxlan_v4();
  store_be16(f.data() + 20, Ipv4Header::kFlagMf);
  EXPECT_EQ(parse_vxlan_frame(f).status, VxlanParseStatus::ip_fragment);
  f = vxlan_v4();
  store_be16(f.data() + 38, 15);  // UDP length below 8 + 8
  EXPECT_EQ(parse_vxlan_frame(f).status, VxlanParseStatus::bad_udp_length);
  f = vxlan_v4();
  store_be16(f.data() + 38, static_cast<uint16_t>(f.size() - 34 + 1));  // beyond IP
  EXPECT_EQ(parse_vxlan_frame(f).status, VxlanParseStatus::truncated);
  f = vxlan_v4();
  store_be16(f.data() + 38, 16 + 13);  // inner frame shorter than Ethernet
  EXPECT_EQ(parse_vxlan_frame(f).status, VxlanParseStatus::truncated);

  auto v6 = PacketBuilder()
                .eth(kB, kA)
                .ipv6(ip("::1"), ip("::2"))
                .udp(1, 4789)
                .vxlan(1)
                .inner(inner_tcp())
                .build();
  v6[14] = 0x40;
  EXPECT_EQ(parse_vxlan_frame(v6).status, VxlanParseStatus::bad_ipv6_header);
}

TEST(ParseVxlan, EveryTruncationIsRejected) {
  const std::vector<Bytes> frames = {
      vxlan_v4(),
      PacketBuilder()
          .eth(kB, kA)
          .vlan(9)
          .ipv6(ip("2001:db8::1"), ip("2001:db8::2"))
          .udp(1, 4789)
          .vxlan(3)
          .inner(inner_tcp())
          .build(),
  };
  for (const auto& f : frames) {
    ASSERT_EQ(parse_vxlan_frame(f).status, VxlanParseStatus::ok);
    for (size_t n = 0; n < f.size(); ++n)
      EXPECT_EQ(parse_vxlan_prefix(f, n).status, VxlanParseStatus::truncated) << "prefix " << n;
  }
}

TEST(ParseStatusNames, AreSnakeCase) {
  EXPECT_EQ(to_string(ParseStatus::bad_ipv4_header), "bad_ipv4_header");
  EXPECT_EQ(to_string(VxlanParseStatus::bad_udp_length), "bad_udp_length");
}

}  // namespace
}  // namespace vgw::packet
