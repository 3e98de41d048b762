// Internet checksum: known values (RFC 1071, a real IPv4 header), the fast sum
// against the RFC 1071 reference on every length and alignment, and RFC 1624
// incremental updates against full recomputation.
#include "packet/checksum.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "packet/builder.h"
#include "packet/parse.h"
#include "packet/udp.h"
#include "test_util.h"

namespace vgw::packet {
namespace {

using test::reference_sum;

TEST(Checksum, Rfc1071Example) {
  // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 (ones complement).
  const uint8_t b[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(csum_fold(csum_partial(b)), 0xddf2);
  EXPECT_EQ(csum_finish(csum_partial(b)), 0x220d);
}

TEST(Checksum, RealIpv4Header) {
  // A captured UDP/IPv4 header whose checksum is b861.
  uint8_t h[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                   0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  EXPECT_TRUE(ipv4_header_checksum_ok(h));
  EXPECT_EQ(ipv4_header_checksum(h), 0xb861);  // ignores the field's current value
  h[10] = 0;
  h[11] = 0;
  EXPECT_EQ(ipv4_header_checksum(h), 0xb861);
  EXPECT_FALSE(ipv4_header_checksum_ok(h));
  h[10] = 0xb8;
  h[11] = 0x61;
  h[8] = 0x3f;  // TTL changed without fixing the checksum
  EXPECT_FALSE(ipv4_header_checksum_ok(h));
}

TEST(Checksum, OddLengthPadsWithZero) {
  const uint8_t b[3] = {0x12, 0x34, 0x56};
  EXPECT_EQ(csum_fold(csum_partial(b)), 0x1234 + 0x5600);
}

TEST(Checksum, MatchesReferenceOnEveryLengthAndAlignment) {
  std::mt19937 rng(1071);
  std::vector<uint8_t> buf(600);
  for (auto& x : buf) x = static_cast<uint8_t>(rng());
  for (size_t align = 0; align < 8; ++align) {
    for (size_t len = 0; len <= 520; ++len) {
      const uint8_t* p = buf.data() + align;
      ASSERT_EQ(csum_fold(csum_partial({p, len})), reference_sum(p, len))
          << "len " << len << " align " << align;
    }
  }
  // All-ones data exercises every carry.
  std::vector<uint8_t> ones(1500, 0xff);
  EXPECT_EQ(csum_fold(csum_partial(ones)), reference_sum(ones.data(), ones.size()));
}

TEST(Checksum, SplitSumsCombine) {
  std::vector<uint8_t> b(301);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(i * 7 + 3);
  for (size_t cut = 0; cut <= b.size(); cut += 2) {
    uint32_t s = csum_partial({b.data(), cut});
    s = csum_partial({b.data() + cut, b.size() - cut}, s);
    ASSERT_EQ(csum_fold(s), reference_sum(b.data(), b.size())) << cut;
  }
}

TEST(Checksum, UdpOverIpv4KnownValue) {
  // 10.0.0.1:1234 -> 10.0.0.2:5678, payload "hi". Pseudo-header + header + data words:
  // 0a00+0001+0a00+0002+0011+000a + 04d2+162e+000a+0000 + 6869 = 0x9791 -> ~ = 686e.
  auto f = PacketBuilder()
               .eth(test::mac("02:00:00:00:00:02"), test::mac("02:00:00:00:00:01"))
               .ipv4(test::ip("10.0.0.1"), test::ip("10.0.0.2"))
               .udp(1234, 5678)
               .payload(std::vector<uint8_t>{'h', 'i'})
               .build();
  auto* u = reinterpret_cast<const UdpHeader*>(f.data() + 34);
  EXPECT_EQ(u->checksum.get(), 0x686e);
  auto* ip4 = reinterpret_cast<const Ipv4Header*>(f.data() + 14);
  EXPECT_TRUE(l4_checksum_ok_v4(*ip4, kIpProtoUdp, {f.data() + 34, 10}));
  f.back() ^= 1;
  EXPECT_FALSE(l4_checksum_ok_v4(*ip4, kIpProtoUdp, {f.data() + 34, 10}));
}

TEST(Checksum, UdpOverIpv6ComputedAndVerified) {
  auto f = PacketBuilder()
               .eth(test::mac("02:00:00:00:00:02"), test::mac("02:00:00:00:00:01"))
               .ipv6(test::ip("2001:db8::1"), test::ip("2001:db8::2"))
               .udp(1234, 5678)
               .payload(37)
               .build();
  auto* ip6 = reinterpret_cast<const Ipv6Header*>(f.data() + 14);
  std::span<const uint8_t> seg(f.data() + 54, f.size() - 54);
  EXPECT_TRUE(l4_checksum_ok_v6(*ip6, kIpProtoUdp, seg));
  // Independent recomputation with the reference sum over an explicit pseudo-header.
  std::vector<uint8_t> ph(ip6->src, ip6->src + 32);
  uint32_t len = static_cast<uint32_t>(seg.size());
  for (int s = 24; s >= 0; s -= 8) ph.push_back(static_cast<uint8_t>(len >> s));
  ph.insert(ph.end(), {0, 0, 0, kIpProtoUdp});
  std::vector<uint8_t> all = ph;
  all.insert(all.end(), seg.begin(), seg.end());
  all[ph.size() + 6] = all[ph.size() + 7] = 0;  // checksum field zero
  uint16_t want = static_cast<uint16_t>(~reference_sum(all.data(), all.size()));
  EXPECT_EQ(reinterpret_cast<const UdpHeader*>(seg.data())->checksum.get(), want ? want : 0xffff);
}

TEST(Checksum, IncrementalEqualsFullRecomputation) {
  std::mt19937 rng(1624);
  for (int iter = 0; iter < 20000; ++iter) {
    uint8_t h[20];
    for (auto& x : h) x = static_cast<uint8_t>(rng());
    h[0] = 0x45;
    h[10] = h[11] = 0;
    uint16_t c = ipv4_header_checksum(h);
    store_be16(h + 10, c);
    if (iter % 2 == 0) {
      // A 16-bit field: TTL/protocol (word 4), total length, id, fragment word.
      static const int kWords[] = {2, 4, 6, 8};
      int w = kWords[rng() % 4];
      uint16_t old_v = load_be16(h + w);
      uint16_t new_v = static_cast<uint16_t>(iter % 7 == 0 ? old_v - 0x100 : rng());
      store_be16(h + w, new_v);
      store_be16(h + 10, csum_update16(load_be16(h + 10), old_v, new_v));
    } else {
      // A 32-bit field: source or destination address.
      int w = (rng() & 1) ? 12 : 16;
      uint32_t old_v = load_be32(h + w);
      uint32_t new_v = static_cast<uint32_t>(rng());
      store_be32(h + w, new_v);
      store_be16(h + 10, csum_update32(load_be16(h + 10), old_v, new_v));
    }
    ASSERT_TRUE(ipv4_header_checksum_ok(h)) << iter;
    ASSERT_EQ(load_be16(h + 10), ipv4_header_checksum(h)) << iter;
  }
}

TEST(Checksum, IncrementalTtlDecrementMatchesKnownHeader) {
  uint8_t h[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                   0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  uint16_t old_w = load_be16(h + 8);
  h[8] = 0x3f;
  uint16_t c = csum_update16(0xb861, old_w, load_be16(h + 8));
  EXPECT_EQ(c, 0xb961);  // TTL down by one: checksum up by 0x0100
  store_be16(h + 10, c);
  EXPECT_TRUE(ipv4_header_checksum_ok(h));
}

}  // namespace
}  // namespace vgw::packet
