// IPv4 fragmentation by the router (RFC 791 §3.2, RFC 1812 §5.2.6): a routed
// packet without DF that does not fit the egress network leaves as fragments
// that reassemble to the original, each with a valid header and TTL - 1; with DF
// it gets fragmentation-needed instead.
#include <gtest/gtest.h>

#include "harness.h"
#include "packet/byte_order.h"
#include "packet/checksum.h"

namespace vgw::dataplane::testing {
namespace {

const MacAddress kWebGw = mac("02:00:00:00:aa:01");
const MacAddress kDbGw = mac("02:00:00:00:aa:02");
const MacAddress kH4 = mac("00:00:00:00:04:04");

// db (a VXLAN network) gets 650 - 50 = 600 bytes of IP.
config::Config frag_config() {
  config::Config c = base_config();
  c.underlay.mtu = 650;
  config::Router r;
  r.name = "blue-rtr";
  r.tenant = "blue";
  r.interfaces = {{"web", *IpPrefix::parse("10.0.1.1/24"), kWebGw},
                  {"db", *IpPrefix::parse("10.0.2.1/24"), kDbGw}};
  c.routers = {r};
  return c;
}

Bytes big(bool df, size_t payload = 1372) {  // 20 + 8 + 1372 = 1400 bytes of IP
  return PacketBuilder()
      .eth(kWebGw, kH1)
      .ipv4(ip("10.0.1.2"), ip("10.0.2.4"))
      .ttl(64)
      .df(df)
      .udp(1000, 2000)
      .payload(payload)
      .build();
}

TEST(RouterFragment, NonDfPacketLeavesAsFragmentsThatReassemble) {
  Harness h(frag_config());
  ASSERT_TRUE(h.dp.neighbor_add("db", ip("10.0.2.4"), kH4, "static"));
  ASSERT_TRUE(h.dp.fdb().add_static(h.net("db"), kH4, Location::local(2, 0)));
  const Bytes in = big(false);
  h.send_local(0, in);
  auto out = h.out(2);
  ASSERT_EQ(out.size(), 3u);  // 1380 bytes of payload in 576 + 576 + 228
  Bytes payload;
  uint32_t expect_off = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    const Bytes& f = out[i];
    ASSERT_GE(f.size(), 34u);
    EXPECT_TRUE(std::equal(f.begin(), f.begin() + 6, kH4.b.begin()));
    EXPECT_TRUE(std::equal(f.begin() + 6, f.begin() + 12, kDbGw.b.begin()));
    const uint8_t* ipb = f.data() + 14;
    const uint32_t total = packet::load_be16(ipb + 2);
    EXPECT_LE(total, 600u);
    EXPECT_EQ(total + 14, f.size());
    EXPECT_EQ(ipb[8], 63);                                                         // TTL - 1
    EXPECT_EQ(packet::load_be16(ipb + 4), packet::load_be16(in.data() + 14 + 4));  // same ID
    EXPECT_TRUE(packet::ipv4_header_checksum_ok({ipb, 20})) << i;
    const uint16_t word = packet::load_be16(ipb + 6);
    EXPECT_EQ((word & 0x1fff) * 8u, expect_off) << i;
    EXPECT_EQ(bool(word & 0x2000), i + 1 < out.size()) << i;  // MF on all but the last
    if (i + 1 < out.size()) {
      EXPECT_EQ((total - 20) % 8, 0u) << i;
    }
    payload.insert(payload.end(), f.begin() + 34, f.end());
    expect_off += total - 20;
  }
  EXPECT_EQ(payload, Bytes(in.begin() + 34, in.end()));
  EXPECT_EQ(h.dp.read_counters().router.fragments, 3u);
  EXPECT_EQ(h.drops(Drop::mtu_exceeded), 0u);
}

TEST(RouterFragment, DfPacketGetsFragmentationNeededInstead) {
  Harness h(frag_config());
  ASSERT_TRUE(h.dp.neighbor_add("db", ip("10.0.2.4"), kH4, "static"));
  ASSERT_TRUE(h.dp.fdb().add_static(h.net("db"), kH4, Location::local(2, 0)));
  h.send_local(0, big(true));
  EXPECT_TRUE(h.out(2).empty());
  auto back = h.out(0);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0][14 + 20], 3);                               // destination unreachable
  EXPECT_EQ(back[0][14 + 21], 4);                               // fragmentation needed
  EXPECT_EQ(packet::load_be16(back[0].data() + 14 + 26), 600);  // next-hop MTU
  EXPECT_EQ(h.drops(Drop::mtu_exceeded), 1u);
  EXPECT_EQ(h.dp.read_counters().router.fragments, 0u);
}

}  // namespace
}  // namespace vgw::dataplane::testing
