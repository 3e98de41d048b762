// Our VXLAN frames as Wireshark sees them: tshark dissects a pcap we wrote and must
// find the VNI, ports, inner MACs and IPs we built, with good checksums and no
// malformed packet. IPv4 and IPv6 underlays; inner ARP, ICMP, ICMPv6 and TCP.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "packet/builder.h"
#include "packet/flow_hash.h"
#include "packet/pcap.h"
#include "packet/tcp.h"
#include "packet/vxlan.h"
#include "support/tshark.h"
#include "test_util.h"

namespace vgw::packet {
namespace {

using test::ip;
using test::mac;
using vgw::testing::split_occurrences;
using Bytes = std::vector<uint8_t>;

struct Case {
  bool v6_underlay;
  uint32_t vni;
  Bytes inner;
  std::string inner_src_mac, inner_dst_mac;
  std::string inner_ip_src, inner_ip_dst;  // empty for ARP
  bool inner_v6 = false;
};

const char* kOuterSrcMac = "02:00:5e:00:00:01";
const char* kOuterDstMac = "02:00:5e:00:00:02";

Bytes encapsulate(const Case& c, uint16_t sport) {
  PacketBuilder b;
  b.eth(mac(kOuterDstMac), mac(kOuterSrcMac));
  if (c.v6_underlay)
    b.ipv6(ip("2001:db8:ff::1"), ip("2001:db8:ff::2")).hop_limit(32);
  else
    b.ipv4(ip("192.0.2.1"), ip("192.0.2.2")).df().ttl(32).ip_id(7);
  return b.udp(sport, kVxlanPort).vxlan(c.vni).inner(c.inner).build();
}

std::vector<Case> cases() {
  const auto h1 = mac("52:54:00:00:00:01");
  const auto h2 = mac("52:54:00:00:00:02");
  std::vector<Case> v;
  v.push_back({false, 100,
               PacketBuilder()
                   .eth(mac("ff:ff:ff:ff:ff:ff"), h1)
                   .arp_request(h1, ip("10.0.0.1"), ip("10.0.0.2"))
                   .pad_to(60)
                   .build(),
               "52:54:00:00:00:01", "ff:ff:ff:ff:ff:ff", "", ""});
  v.push_back({false, 200,
               PacketBuilder()
                   .eth(h2, h1)
                   .ipv4(ip("10.0.0.1"), ip("10.0.0.2"))
                   .icmp_echo(0x42, 1)
                   .payload(56)
                   .build(),
               "52:54:00:00:00:01", "52:54:00:00:00:02", "10.0.0.1", "10.0.0.2"});
  v.push_back({true, 0xabcdef,
               PacketBuilder()
                   .eth(h1, h2)
                   .ipv4(ip("10.0.0.2"), ip("10.0.0.1"))
                   .df()
                   .tcp(40000, 5201, kTcpSyn, 12345)
                   .build(),
               "52:54:00:00:00:02", "52:54:00:00:00:01", "10.0.0.2", "10.0.0.1"});
  v.push_back({true, 1,
               PacketBuilder()
                   .eth(h2, h1)
                   .ipv6(ip("fd00::1"), ip("fd00::2"))
                   .icmpv6_echo(9, 3)
                   .payload(20)
                   .build(),
               "52:54:00:00:00:01", "52:54:00:00:00:02", "fd00::1", "fd00::2", true});
  v.push_back({false, 16777215,
               PacketBuilder()
                   .eth(h2, h1)
                   .vlan(0)  // priority tag only
                   .ipv4(ip("10.9.9.9"), ip("10.8.8.8"))
                   .udp(33333, 44444)  // no dissector claims these ports
                   .payload(13)
                   .build(),
               "52:54:00:00:00:01", "52:54:00:00:00:02", "10.9.9.9", "10.8.8.8"});
  return v;
}

TEST(Tshark, DissectsOurVxlanFrames) {
  VGW_REQUIRE_TSHARK();
  const std::string path =
      ::testing::TempDir() + "vgw_tshark_vxlan_" + std::to_string(::getpid()) + ".pcap";
  const auto cs = cases();
  std::vector<uint16_t> sports;
  {
    auto w = PcapWriter::open(path);
    ASSERT_TRUE(w) << w.error().message;
    for (const auto& c : cs) {
      sports.push_back(vxlan_source_port(flow_hash(c.inner), 49152, 65535));
      ASSERT_TRUE(w->write(encapsulate(c, sports.back())));
    }
  }

  auto rows = vgw::testing::tshark_fields(
      path,
      {"vxlan.vni", "vxlan.flags", "udp.srcport", "udp.dstport", "eth.src", "eth.dst", "ip.src",
       "ip.dst", "ipv6.src", "ipv6.dst", "ip.flags.df", "udp.checksum.status", "ip.checksum.status",
       "tcp.checksum.status", "icmp.checksum.status", "icmpv6.checksum.status",
       "arp.src.proto_ipv4"},
      vgw::testing::kTsharkChecksumOptions);
  ASSERT_EQ(rows.size(), cs.size());
  for (size_t i = 0; i < cs.size(); ++i) {
    SCOPED_TRACE("frame " + std::to_string(i + 1));
    const auto& c = cs[i];
    const auto& r = rows[i];
    ASSERT_EQ(r.size(), 17u);
    EXPECT_EQ(r[0], std::to_string(c.vni));
    EXPECT_EQ(r[1], "0x0800");  // I flag only (Wireshark shows 16 flag bits)
    ASSERT_GE(sports[i], 49152);
    // The inner UDP frame adds its own ports after the outer ones.
    EXPECT_EQ(split_occurrences(r[2]).at(0), std::to_string(sports[i]));
    EXPECT_EQ(split_occurrences(r[3]).at(0), "4789");
    EXPECT_EQ(split_occurrences(r[4]), (std::vector<std::string>{kOuterSrcMac, c.inner_src_mac}));
    EXPECT_EQ(split_occurrences(r[5]), (std::vector<std::string>{kOuterDstMac, c.inner_dst_mac}));
    std::vector<std::string> v4_src, v4_dst, v6_src, v6_dst;
    (c.v6_underlay ? v6_src : v4_src).push_back(c.v6_underlay ? "2001:db8:ff::1" : "192.0.2.1");
    (c.v6_underlay ? v6_dst : v4_dst).push_back(c.v6_underlay ? "2001:db8:ff::2" : "192.0.2.2");
    if (!c.inner_ip_src.empty()) {
      (c.inner_v6 ? v6_src : v4_src).push_back(c.inner_ip_src);
      (c.inner_v6 ? v6_dst : v4_dst).push_back(c.inner_ip_dst);
    }
    EXPECT_EQ(split_occurrences(r[6]), v4_src);
    EXPECT_EQ(split_occurrences(r[7]), v4_dst);
    EXPECT_EQ(split_occurrences(r[8]), v6_src);
    EXPECT_EQ(split_occurrences(r[9]), v6_dst);
    if (!c.v6_underlay) {
      EXPECT_EQ(split_occurrences(r[10]).at(0), "1");  // outer DF
    }
    // Checksums: 1 = good; 3 = not present (the zero UDP checksum over IPv4).
    for (const auto& s : split_occurrences(r[12])) EXPECT_EQ(s, "1") << "ip.checksum.status";
    for (const auto& s : split_occurrences(r[13])) EXPECT_EQ(s, "1") << "tcp.checksum.status";
    for (const auto& s : split_occurrences(r[14])) EXPECT_EQ(s, "1") << "icmp.checksum.status";
    for (const auto& s : split_occurrences(r[15])) EXPECT_EQ(s, "1") << "icmpv6.checksum.status";
    auto udp_status = split_occurrences(r[11]);
    ASSERT_FALSE(udp_status.empty());
    EXPECT_EQ(udp_status[0], c.v6_underlay ? "1" : "3");
    for (size_t k = 1; k < udp_status.size(); ++k) EXPECT_EQ(udp_status[k], "1");
    if (c.inner_ip_src.empty()) {
      EXPECT_EQ(r[16], "10.0.0.1");  // the inner ARP
    }
  }
  EXPECT_EQ(vgw::testing::tshark_problems(path), std::vector<std::string>{});
  std::remove(path.c_str());
}

TEST(Tshark, ReportsABadChecksum) {
  // The problem check itself must be able to fail: a corrupted IPv4 checksum.
  VGW_REQUIRE_TSHARK();
  const std::string path =
      ::testing::TempDir() + "vgw_tshark_bad_" + std::to_string(::getpid()) + ".pcap";
  auto f = encapsulate(cases()[1], 50000);
  f[24] ^= 0x01;  // outer IPv4 header checksum
  {
    auto w = PcapWriter::open(path);
    ASSERT_TRUE(w);
    ASSERT_TRUE(w->write(f));
  }
  auto problems = vgw::testing::tshark_problems(path);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("frame 1:"), std::string::npos);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace vgw::packet
