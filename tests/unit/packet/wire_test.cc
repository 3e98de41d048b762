// Wire structs: field positions and accessors against hand-written bytes.
#include <gtest/gtest.h>

#include <cstring>

#include "packet/arp.h"
#include "packet/ethernet.h"
#include "packet/icmp.h"
#include "packet/ipv4.h"
#include "packet/ipv6.h"
#include "packet/tcp.h"
#include "packet/udp.h"
#include "packet/vlan.h"
#include "packet/vxlan.h"

namespace vgw::packet {
namespace {

TEST(ByteOrder, Be16AndBe32StoreNetworkOrder) {
  be16 a{};
  a.set(0x1234);
  EXPECT_EQ(a.bytes[0], 0x12);
  EXPECT_EQ(a.bytes[1], 0x34);
  EXPECT_EQ(a.get(), 0x1234);
  be32 b{};
  b.set(0xdeadbeef);
  EXPECT_EQ(b.bytes[0], 0xde);
  EXPECT_EQ(b.bytes[3], 0xef);
  EXPECT_EQ(b.get(), 0xdeadbeefu);
}

TEST(Vxlan, HeaderLayoutPerRfc7348) {
  VxlanHeader h;
  std::memset(&h, 0xff, sizeof h);
  h.init(0xabcdef);
  const uint8_t want[8] = {0x08, 0, 0, 0, 0xab, 0xcd, 0xef, 0};
  EXPECT_EQ(std::memcmp(&h, want, 8), 0);
  EXPECT_TRUE(h.i_flag());
  EXPECT_EQ(h.vni(), 0xabcdefu);
  h.flags = 0;
  EXPECT_FALSE(h.i_flag());
  h.set_vni(1);
  EXPECT_EQ(h.vni_bytes[2], 1);
  EXPECT_EQ(h.reserved2, 0);
}

TEST(Vlan, TciFields) {
  const uint8_t raw[4] = {0xb0, 0x64, 0x08, 0x00};  // PCP 5, DEI 1, VID 100, IPv4
  VlanTag t;
  std::memcpy(&t, raw, 4);
  EXPECT_EQ(t.pcp(), 5);
  EXPECT_TRUE(t.dei());
  EXPECT_EQ(t.vid(), 100);
  EXPECT_EQ(t.inner_type.get(), kEtherTypeIpv4);
  VlanTag u{};
  u.set(4094, 7, false);
  EXPECT_EQ(u.tci.bytes[0], 0xef);
  EXPECT_EQ(u.tci.bytes[1], 0xfe);
}

TEST(Ipv4, FlagsAndFragmentOffset) {
  // 45 00 0073 0000 4000 4011 b861 c0a80001 c0a800c7
  const uint8_t raw[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                           0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  Ipv4Header h;
  std::memcpy(&h, raw, 20);
  EXPECT_EQ(h.version(), 4);
  EXPECT_EQ(h.header_length(), 20u);
  EXPECT_EQ(h.total_length.get(), 0x73);
  EXPECT_TRUE(h.df());
  EXPECT_FALSE(h.mf());
  EXPECT_FALSE(h.is_fragment());
  EXPECT_EQ(h.protocol, kIpProtoUdp);
  EXPECT_EQ(h.src_addr().to_string(), "192.168.0.1");
  EXPECT_EQ(h.dst_addr().to_string(), "192.168.0.199");
  h.frag_off.set(Ipv4Header::kFlagMf);
  EXPECT_TRUE(h.is_fragment());
  h.frag_off.set(0x0010);
  EXPECT_TRUE(h.is_fragment());
  EXPECT_EQ(h.fragment_offset(), 0x10);
}

TEST(Ipv6, VersionClassFlow) {
  Ipv6Header h{};
  h.set_version_tc_flow(0xb8, 0x12345);
  EXPECT_EQ(h.ver_tc_flow.bytes[0], 0x6b);
  EXPECT_EQ(h.ver_tc_flow.bytes[1], 0x81);
  EXPECT_EQ(h.ver_tc_flow.bytes[2], 0x23);
  EXPECT_EQ(h.ver_tc_flow.bytes[3], 0x45);
  EXPECT_EQ(h.version(), 6);
  EXPECT_EQ(h.traffic_class(), 0xb8);
  EXPECT_EQ(h.flow_label(), 0x12345u);
}

TEST(Tcp, DataOffset) {
  TcpHeader t{};
  t.set_header_length(32);
  EXPECT_EQ(t.data_offset_reserved, 0x80);
  EXPECT_EQ(t.header_length(), 32u);
}

TEST(Icmp, EchoAndMtuFields) {
  IcmpHeader h{};
  h.set_echo(0x1234, 0x0005);
  EXPECT_EQ(h.rest.bytes[0], 0x12);
  EXPECT_EQ(h.rest.bytes[3], 0x05);
  EXPECT_EQ(h.echo_id(), 0x1234);
  EXPECT_EQ(h.echo_seq(), 5);
  h.rest.set(1450);
  EXPECT_EQ(h.next_hop_mtu(), 1450);
  EXPECT_EQ(h.mtu(), 1450u);
}

TEST(Icmp, NdpNeighborAdvertisementLayout) {
  // Type 136, code 0, checksum, flags S|O, target fe80::1.
  const uint8_t raw[24] = {136, 0, 0xab, 0xcd, 0x60, 0, 0, 0, 0xfe, 0x80, 0, 0,
                           0,   0, 0,    0,    0,    0, 0, 0, 0,    0,    0, 1};
  NdpNeighborHeader h;
  std::memcpy(&h, raw, sizeof h);
  EXPECT_EQ(h.type, kIcmpv6NeighborAdvert);
  EXPECT_EQ(h.checksum.get(), 0xabcd);
  EXPECT_EQ(h.flags.get(), NdpNeighborHeader::kFlagSolicited | NdpNeighborHeader::kFlagOverride);
  EXPECT_EQ(h.target_addr().to_string(), "fe80::1");
}

TEST(Arp, Accessors) {
  const uint8_t raw[28] = {0,  1, 8, 0, 6, 4, 0, 2, 2, 0, 0,  0, 0, 1,
                           10, 0, 0, 1, 2, 0, 0, 0, 0, 2, 10, 0, 0, 2};
  ArpHeader a;
  std::memcpy(&a, raw, sizeof a);
  EXPECT_TRUE(a.is_ethernet_ipv4());
  EXPECT_EQ(a.oper.get(), kArpOpReply);
  EXPECT_EQ(a.sender_mac().to_string(), "02:00:00:00:00:01");
  EXPECT_EQ(a.sender_ip().to_string(), "10.0.0.1");
  EXPECT_EQ(a.target_mac().to_string(), "02:00:00:00:00:02");
  EXPECT_EQ(a.target_ip().to_string(), "10.0.0.2");
  a.hlen = 8;
  EXPECT_FALSE(a.is_ethernet_ipv4());
}

TEST(Ethernet, Accessors) {
  EthernetHeader e{};
  e.set_dst(*MacAddress::parse("ff:ff:ff:ff:ff:ff"));
  e.set_src(*MacAddress::parse("02:00:00:00:00:01"));
  e.type.set(kEtherTypeArp);
  const uint8_t want[14] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06};
  EXPECT_EQ(std::memcmp(&e, want, 14), 0);
  EXPECT_TRUE(e.dst_mac().is_multicast());
  EXPECT_EQ(e.src_mac().to_string(), "02:00:00:00:00:01");
}

}  // namespace
}  // namespace vgw::packet
