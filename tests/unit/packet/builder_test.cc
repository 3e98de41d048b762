// PacketBuilder writes exact bytes: whole frames compared with hand-written arrays
// whose lengths and checksums were computed by hand.
#include "packet/builder.h"

#include <gtest/gtest.h>

#include <vector>

#include "packet/checksum.h"
#include "packet/icmp.h"
#include "packet/ipv6.h"
#include "packet/parse.h"
#include "packet/tcp.h"
#include "test_util.h"

namespace vgw::packet {
namespace {

using test::hex;
using test::ip;
using test::mac;
using Bytes = std::vector<uint8_t>;

TEST(Builder, VxlanInUdpInIpv4ExactBytes) {
  const Bytes inner = {0x02, 0, 0,    0,    0,    0xbb, 0x02, 0,    0,
                       0,    0, 0xaa, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef};
  auto f = PacketBuilder()
               .eth(mac("02:00:00:00:00:02"), mac("02:00:00:00:00:01"))
               .ipv4(ip("10.0.0.1"), ip("10.0.0.2"))
               .df()
               .udp(50000, 4789)
               .vxlan(100)
               .inner(inner)
               .build();
  const Bytes want = {
      // Ethernet
      0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
      // IPv4: total 20+8+8+18 = 54, DF, TTL 64, UDP; checksum ~(4500+0036+4000+4011+0a00+
      // 0001+0a00+0002) = ~d94a = 26b5
      0x45, 0x00, 0x00, 0x36, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x26, 0xb5, 0x0a, 0x00, 0x00,
      0x01, 0x0a, 0x00, 0x00, 0x02,
      // UDP 50000 -> 4789, length 34, checksum 0 (RFC 7348 over IPv4)
      0xc3, 0x50, 0x12, 0xb5, 0x00, 0x22, 0x00, 0x00,
      // VXLAN: I flag, VNI 100
      0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64, 0x00,
      // inner frame
      0x02, 0x00, 0x00, 0x00, 0x00, 0xbb, 0x02, 0x00, 0x00, 0x00, 0x00, 0xaa, 0x08, 0x00, 0xde,
      0xad, 0xbe, 0xef};
  EXPECT_EQ(hex(f), hex(want));
}

TEST(Builder, VlanTaggedVxlanOverIpv6HasChecksum) {
  auto f = PacketBuilder()
               .eth(mac("02:00:00:00:00:02"), mac("02:00:00:00:00:01"))
               .vlan(10, 3)
               .ipv6(ip("2001:db8::1"), ip("2001:db8::2"))
               .hop_limit(7)
               .udp(50001, 4789)
               .vxlan(0xabcdef)
               .inner(Bytes(14, 0x11))
               .build();
  ASSERT_EQ(f.size(), 14u + 4 + 40 + 8 + 8 + 14);
  const Bytes l2 = {0x81, 0x00, 0x60, 0x0a, 0x86, 0xdd};  // TPID, PCP 3 VID 10, IPv6
  EXPECT_EQ(Bytes(f.begin() + 12, f.begin() + 18), l2);
  const Bytes ip6 = {0x60, 0, 0, 0, 0x00, 0x1e, 17, 7};  // payload 30, UDP, hop limit 7
  EXPECT_EQ(Bytes(f.begin() + 18, f.begin() + 26), ip6);
  const Bytes udp_head = {0xc3, 0x51, 0x12, 0xb5, 0x00, 0x1e};
  EXPECT_EQ(Bytes(f.begin() + 58, f.begin() + 64), udp_head);
  auto* h = reinterpret_cast<const Ipv6Header*>(f.data() + 18);
  EXPECT_NE(load_be16(f.data() + 64), 0);
  EXPECT_TRUE(l4_checksum_ok_v6(*h, kIpProtoUdp, {f.data() + 58, 30}));
  const Bytes vx = {0x08, 0, 0, 0, 0xab, 0xcd, 0xef, 0};
  EXPECT_EQ(Bytes(f.begin() + 66, f.begin() + 74), vx);
}

TEST(Builder, UdpChecksumOverride) {
  auto with = PacketBuilder()
                  .eth(mac("02:00:00:00:00:02"), mac("02:00:00:00:00:01"))
                  .ipv4(ip("10.0.0.1"), ip("10.0.0.2"))
                  .udp(1, 4789)
                  .udp_checksum(true)
                  .vxlan(1)
                  .inner(Bytes(14, 0))
                  .build();
  EXPECT_NE(load_be16(with.data() + 40), 0);
  auto* ip4 = reinterpret_cast<const Ipv4Header*>(with.data() + 14);
  EXPECT_TRUE(l4_checksum_ok_v4(*ip4, kIpProtoUdp, {with.data() + 34, with.size() - 34}));
  auto without = PacketBuilder()
                     .eth(mac("02:00:00:00:00:02"), mac("02:00:00:00:00:01"))
                     .ipv4(ip("10.0.0.1"), ip("10.0.0.2"))
                     .udp(1, 53)
                     .udp_checksum(false)
                     .payload(4)
                     .build();
  EXPECT_EQ(load_be16(without.data() + 40), 0);
}

TEST(Builder, ArpRequestExactBytes) {
  auto f = PacketBuilder()
               .eth(mac("ff:ff:ff:ff:ff:ff"), mac("02:00:00:00:00:01"))
               .arp_request(mac("02:00:00:00:00:01"), ip("10.1.1.1"), ip("10.1.1.2"))
               .build();
  const Bytes want = {
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0,    0,    0,    0,
      0x01, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,  // Ethernet/IPv4, request
      0x02, 0,    0,    0,    0,    0x01, 10,   1,    1,    1,           // sender
      0,    0,    0,    0,    0,    0,    10,   1,    1,    2};          // target
  EXPECT_EQ(hex(f), hex(want));
  auto padded = PacketBuilder()
                    .eth(mac("ff:ff:ff:ff:ff:ff"), mac("02:00:00:00:00:01"))
                    .arp_reply(mac("02:00:00:00:00:01"), ip("10.1.1.1"), mac("02:00:00:00:00:02"),
                               ip("10.1.1.2"))
                    .pad_to(60)
                    .build();
  EXPECT_EQ(padded.size(), 60u);
  EXPECT_EQ(padded[21], 2);  // reply
  EXPECT_EQ(padded[37], 2);  // target MAC last byte
}

TEST(Builder, IcmpEchoExactBytes) {
  auto f = PacketBuilder()
               .eth(mac("02:00:00:00:00:02"), mac("02:00:00:00:00:01"))
               .ipv4(ip("192.168.0.1"), ip("192.168.0.2"))
               .ttl(1)
               .ip_id(0x1234)
               .icmp_echo(1, 1)
               .build();
  // IPv4: ~(4500+001c+1234+0000+0101+c0a8+0001+c0a8+0002) = ~(1d9a4 -> d9a5) = 265a
  // ICMP: ~(0800+0000+0001+0001) = f7fd
  const Bytes want = {0x02, 0,    0,    0,    0,    0x02, 0x02, 0,    0,    0,    0,
                      0x01, 0x08, 0x00, 0x45, 0x00, 0x00, 0x1c, 0x12, 0x34, 0x00, 0x00,
                      0x01, 0x01, 0x26, 0x5a, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00,
                      0x02, 0x08, 0x00, 0xf7, 0xfd, 0x00, 0x01, 0x00, 0x01};
  EXPECT_EQ(hex(f), hex(want));
}

TEST(Builder, TcpHeaderAndChecksum) {
  auto f = PacketBuilder()
               .eth(mac("02:00:00:00:00:02"), mac("02:00:00:00:00:01"))
               .ipv4(ip("10.0.0.1"), ip("10.0.0.2"))
               .tcp(40000, 80, kTcpSyn | kTcpAck, 0x01020304, 0x0a0b0c0d, 1024)
               .payload(5)
               .build();
  const uint8_t* t = f.data() + 34;
  const Bytes want = {0x9c, 0x40, 0x00, 0x50, 1,    2,    3,    4,
                      0x0a, 0x0b, 0x0c, 0x0d, 0x50, 0x12, 0x04, 0x00};
  EXPECT_EQ(Bytes(t, t + 16), want);
  EXPECT_EQ(Bytes(t + 18, t + 25), (Bytes{0, 0, 0, 1, 2, 3, 4}));  // urgent 0, payload
  auto* ip4 = reinterpret_cast<const Ipv4Header*>(f.data() + 14);
  EXPECT_TRUE(l4_checksum_ok_v4(*ip4, kIpProtoTcp, {t, 25}));
  EXPECT_EQ(ip4->total_length.get(), 45);
}

TEST(Builder, Icmpv6EchoChecksumUsesPseudoHeader) {
  auto f = PacketBuilder()
               .eth(mac("02:00:00:00:00:02"), mac("02:00:00:00:00:01"))
               .ipv6(ip("fe80::1"), ip("fe80::2"))
               .icmpv6_echo(7, 9)
               .payload(3)
               .build();
  auto* h = reinterpret_cast<const Ipv6Header*>(f.data() + 14);
  EXPECT_EQ(h->next_header, kIpProtoIcmpv6);
  EXPECT_EQ(h->payload_length.get(), 11);
  EXPECT_EQ(f[54], kIcmpv6EchoRequest);
  EXPECT_TRUE(l4_checksum_ok_v6(*h, kIpProtoIcmpv6, {f.data() + 54, 11}));
}

TEST(Builder, QinqAndExplicitEthertype) {
  auto f = PacketBuilder()
               .eth(mac("02:00:00:00:00:02"), mac("02:00:00:00:00:01"))
               .qinq(100)
               .vlan(200)
               .ethertype(0x88b5)
               .payload(2)
               .build();
  const Bytes want = {0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x00, 0xc8, 0x88, 0xb5, 0x00, 0x01};
  EXPECT_EQ(Bytes(f.begin() + 12, f.end()), want);
}

TEST(Builder, ModifierWithoutLayerThrows) {
  EXPECT_THROW(PacketBuilder().eth(MacAddress{}, MacAddress{}).ttl(3), std::logic_error);
  EXPECT_THROW(PacketBuilder().udp_checksum(true), std::logic_error);
}

}  // namespace
}  // namespace vgw::packet
