// Flow hash: deterministic, sensitive to exactly the fields it documents, spreads
// flows over source ports evenly, and never reads past the frame.
#include "packet/flow_hash.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <vector>

#include "packet/builder.h"
#include "packet/ipv4.h"
#include "test_util.h"

namespace vgw::packet {
namespace {

using test::ip;
using test::mac;
using Bytes = std::vector<uint8_t>;

Bytes tcp4(uint16_t sport, uint16_t dport, const char* src = "10.0.0.1") {
  return PacketBuilder()
      .eth(mac("02:00:00:00:00:02"), mac("02:00:00:00:00:01"))
      .ipv4(ip(src), ip("10.0.0.2"))
      .tcp(sport, dport, 0x10, 1)
      .payload(20)
      .build();
}

TEST(FlowHash, DeterministicAndIgnoresPayloadAndTtl) {
  auto a = tcp4(1000, 80);
  EXPECT_EQ(flow_hash(a), flow_hash(a));
  auto b = a;
  b.back() ^= 0xff;  // payload
  b[22] = 3;         // TTL
  EXPECT_EQ(flow_hash(a), flow_hash(b));
  // A golden value: the hash has no seed, so it is the same in every process and on
  // every run; changing the function changes the source ports peers see, so do it
  // consciously and update this value.
  EXPECT_EQ(flow_hash(a), 0xe3843a1au);
  EXPECT_EQ(vxlan_source_port(flow_hash(a), 49152, 65535), 63713);
}

TEST(FlowHash, EveryDocumentedFieldMatters) {
  const auto base = tcp4(1000, 80);
  const uint32_t h = flow_hash(base);
  EXPECT_NE(h, flow_hash(tcp4(1001, 80)));
  EXPECT_NE(h, flow_hash(tcp4(1000, 81)));
  EXPECT_NE(h, flow_hash(tcp4(1000, 80, "10.0.0.9")));
  auto m = base;
  m[33] ^= 1;  // destination IP
  EXPECT_NE(h, flow_hash(m));
  m = base;
  m[23] = kIpProtoUdp;  // protocol
  EXPECT_NE(h, flow_hash(m));
  // An IP packet's MACs are not hashed (as the kernel's flow keys): a routed
  // flow keeps its hash whichever router MAC it passes.
  m = base;
  m[0] ^= 1;
  m[11] ^= 1;
  EXPECT_EQ(h, flow_hash(m));
}

TEST(FlowHash, NonIpFramesHashTheirEthernetHeader) {
  const auto arp = PacketBuilder()
                       .eth(mac("ff:ff:ff:ff:ff:ff"), mac("02:00:00:00:00:01"))
                       .arp_request(mac("02:00:00:00:00:01"), ip("10.0.0.1"), ip("10.0.0.2"))
                       .build();
  const uint32_t h = flow_hash(arp);
  auto m = arp;
  m[0] ^= 2;  // destination MAC
  EXPECT_NE(h, flow_hash(m));
  m = arp;
  m[11] ^= 1;  // source MAC
  EXPECT_NE(h, flow_hash(m));
  m = arp;
  m[13] ^= 1;  // EtherType
  EXPECT_NE(h, flow_hash(m));
  m = arp;
  m.back() ^= 1;  // the ARP body
  EXPECT_EQ(h, flow_hash(m));
}

TEST(FlowHash, FragmentsIgnorePorts) {
  auto a = tcp4(1000, 80);
  auto b = tcp4(2000, 443);
  store_be16(a.data() + 20, Ipv4Header::kFlagMf);
  store_be16(b.data() + 20, Ipv4Header::kFlagMf);
  EXPECT_EQ(flow_hash(a), flow_hash(b));
}

TEST(FlowHash, Ipv6AndVlan) {
  auto make = [](uint16_t vid, const char* src) {
    return PacketBuilder()
        .eth(mac("02:00:00:00:00:02"), mac("02:00:00:00:00:01"))
        .vlan(vid)
        .ipv6(ip(src), ip("2001:db8::2"))
        .udp(5000, 53)
        .build();
  };
  EXPECT_EQ(flow_hash(make(10, "2001:db8::1")), flow_hash(make(10, "2001:db8::1")));
  EXPECT_NE(flow_hash(make(10, "2001:db8::1")), flow_hash(make(11, "2001:db8::1")));
  EXPECT_NE(flow_hash(make(10, "2001:db8::1")), flow_hash(make(10, "2001:db8:1::1")));
}

TEST(FlowHash, NeverReadsPastTheFrame) {
  const std::vector<Bytes> frames = {tcp4(1, 2),
                                     PacketBuilder()
                                         .eth(mac("02:00:00:00:00:02"), mac("02:00:00:00:00:01"))
                                         .qinq(1)
                                         .vlan(2)
                                         .ipv6(ip("::1"), ip("::2"))
                                         .udp(1, 2)
                                         .build()};
  std::set<uint32_t> seen;
  for (const auto& f : frames) {
    for (size_t n = 0; n <= f.size(); ++n) {
      std::unique_ptr<uint8_t[]> b(new uint8_t[n ? n : 1]);
      std::copy(f.begin(), f.begin() + static_cast<long>(n), b.get());
      seen.insert(flow_hash({b.get(), n}));
    }
  }
  EXPECT_GT(seen.size(), 20u);  // prefixes that hash different fields differ
}

TEST(FlowHash, SpreadsFlowsEvenlyOverSourcePorts) {
  // 64K flows (varying ports and addresses) into 16 buckets of the port range.
  constexpr int kBuckets = 16;
  std::vector<int> buckets(kBuckets);
  std::set<uint32_t> distinct;
  int n = 0;
  for (int a = 0; a < 64; ++a) {
    std::string src = "10.1.0." + std::to_string(a + 1);
    for (int p = 0; p < 1024; ++p, ++n) {
      uint32_t h = flow_hash(tcp4(static_cast<uint16_t>(20000 + p), 80, src.c_str()));
      distinct.insert(h);
      uint16_t port = vxlan_source_port(h, 49152, 65535);
      buckets[(port - 49152) * kBuckets / 16384]++;
    }
  }
  EXPECT_GT(distinct.size(), static_cast<size_t>(n) * 999 / 1000);  // few collisions
  for (int c : buckets) {
    EXPECT_GT(c, n / kBuckets * 9 / 10);
    EXPECT_LT(c, n / kBuckets * 11 / 10);
  }
}

TEST(FlowHash, FromTheIpv4HeaderAloneIsTheSame) {
  auto udp = [](uint16_t sport, size_t payload) {
    return PacketBuilder()
        .eth(mac("02:00:00:00:00:02"), mac("02:00:00:00:00:01"))
        .ipv4(ip("10.0.0.1"), ip("10.9.0.2"))
        .udp(sport, 53)
        .payload(payload)
        .build();
  };
  std::vector<Bytes> frames = {tcp4(1000, 80), tcp4(1001, 80, "192.0.2.7"), udp(7, 0), udp(9, 30),
                               PacketBuilder()
                                   .eth(mac("02:00:00:00:00:02"), mac("02:00:00:00:00:01"))
                                   .ipv4(ip("10.0.0.1"), ip("10.0.0.2"))
                                   .icmp_echo(1, 2)
                                   .build()};
  auto frag = tcp4(1000, 80);
  store_be16(frag.data() + 20, Ipv4Header::kFlagMf);
  frames.push_back(frag);
  auto later = tcp4(1000, 80);
  store_be16(later.data() + 20, 8);  // offset 64
  frames.push_back(later);
  auto df = tcp4(1000, 80);
  store_be16(df.data() + 20, Ipv4Header::kFlagDf);
  frames.push_back(df);
  // A TCP header cut short: the frame ends before the ports.
  auto cut = tcp4(1000, 80);
  store_be16(cut.data() + 16, 22);
  cut.resize(14 + 22);
  frames.push_back(cut);
  std::set<uint32_t> seen;
  for (const auto& f : frames) {
    const uint32_t total = load_be16(f.data() + 16);
    ASSERT_EQ(f.size(), 14 + total);
    EXPECT_EQ(flow_hash_ipv4_20(f.data() + 14, total), flow_hash(f));
    seen.insert(flow_hash(f));
  }
  EXPECT_GE(seen.size(), frames.size() - 2);  // the two fragments share one
}

TEST(VxlanSourcePort, StaysInRange) {
  EXPECT_EQ(vxlan_source_port(0, 49152, 65535), 49152);
  EXPECT_EQ(vxlan_source_port(0xffffffffu, 49152, 65535), 65535);
  EXPECT_EQ(vxlan_source_port(0xffffffffu, 0, 65535), 65535);
  EXPECT_EQ(vxlan_source_port(0, 0, 65535), 0);
  EXPECT_EQ(vxlan_source_port(12345, 4000, 4000), 4000);
  EXPECT_EQ(vxlan_source_port(0xffffffffu, 5000, 4000), 5000);  // swapped range
  uint32_t x = 1;
  std::set<uint16_t> ports;
  for (int i = 0; i < 100000; ++i) {
    x = x * 1664525u + 1013904223u;
    uint16_t p = vxlan_source_port(x, 60000, 60009);
    ASSERT_GE(p, 60000);
    ASSERT_LE(p, 60009);
    ports.insert(p);
  }
  EXPECT_EQ(ports.size(), 10u);
}

}  // namespace
}  // namespace vgw::packet
