// Software segmentation and checksum completion (packet/gso.h): exact lengths,
// sequence numbers, IP ids, flags and checksums of every segment, and the payload
// re-assembled from the segments equals the original. (src/packet/gso.* belongs to
// the I/O work, so its tests live here.)
#include "packet/gso.h"

#include <gtest/gtest.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <vector>

#include "packet/builder.h"
#include "packet/byte_order.h"
#include "packet/checksum.h"
#include "packet/tcp.h"

namespace vgw::gso {
namespace {

using packet::load_be16;
using packet::load_be32;
using packet::PacketBuilder;

const MacAddress kMacA = *MacAddress::parse("02:00:00:00:00:0a");
const MacAddress kMacB = *MacAddress::parse("02:00:00:00:00:0b");
const IpAddress kIp4A = *IpAddress::parse("10.0.0.1");
const IpAddress kIp4B = *IpAddress::parse("10.0.0.2");
const IpAddress kIp6A = *IpAddress::parse("2001:db8::1");
const IpAddress kIp6B = *IpAddress::parse("2001:db8::2");

constexpr uint8_t kFlags = packet::kTcpAck | packet::kTcpPsh | packet::kTcpFin | packet::kTcpCwr;

std::vector<uint8_t> tcp_frame(bool v6, size_t payload, uint32_t seq) {
  PacketBuilder b;
  b.eth(kMacB, kMacA);
  if (v6) {
    b.ipv6(kIp6A, kIp6B);
  } else {
    b.ipv4(kIp4A, kIp4B).ip_id(0xfffe).df();
  }
  return b.tcp(40000, 5201, kFlags, seq, 7).payload(payload).build();
}

struct Case {
  bool v6;
  uint32_t mss;
};

class Segment : public ::testing::TestWithParam<Case> {};

TEST_P(Segment, SplitsIntoExactSegments) {
  const Case c = GetParam();
  const size_t payload = 10000;
  const uint32_t seq0 = 0xfffff000u;  // wraps during the transfer
  auto f = tcp_frame(c.v6, payload, seq0);
  auto layout = parse(f);
  ASSERT_TRUE(layout);
  const uint32_t l3 = 14, l4 = c.v6 ? 54 : 34, hdr = l4 + 20;
  EXPECT_EQ(layout->l3, l3);
  EXPECT_EQ(layout->l4, l4);
  EXPECT_EQ(layout->proto, IPPROTO_TCP);
  const uint32_t n = (payload + c.mss - 1) / c.mss;
  ASSERT_EQ(segment_count(f, *layout, c.mss), n);

  PacketPool pool(64);
  std::array<Packet*, 64> out{};
  SegResult r = segment_tcp(f, *layout, c.mss, pool, out);
  ASSERT_EQ(r.error, SegError::kNone);
  ASSERT_EQ(r.count, n);

  std::vector<uint8_t> joined;
  for (uint32_t i = 0; i < n; ++i) {
    SCOPED_TRACE(i);
    const uint8_t* d = out[i]->data();
    const uint32_t chunk = i + 1 < n ? c.mss : static_cast<uint32_t>(payload - c.mss * (n - 1));
    ASSERT_EQ(out[i]->size(), hdr + chunk);
    EXPECT_EQ(std::vector<uint8_t>(d, d + 12), std::vector<uint8_t>(f.begin(), f.begin() + 12));
    if (c.v6) {
      EXPECT_EQ(load_be16(d + l3 + 4), 20 + chunk);
    } else {
      EXPECT_EQ(load_be16(d + l3 + 2), 40 + chunk);
      EXPECT_EQ(load_be16(d + l3 + 4), static_cast<uint16_t>(0xfffe + i));
      EXPECT_EQ(load_be16(d + l3 + 6), 0x4000);  // DF kept
      EXPECT_TRUE(packet::ipv4_header_checksum_ok({d + l3, 20}));
    }
    EXPECT_EQ(load_be32(d + l4 + 4), seq0 + i * c.mss);
    EXPECT_EQ(load_be32(d + l4 + 8), 7u);  // ack unchanged
    uint8_t want = packet::kTcpAck;
    if (i == 0) want |= packet::kTcpCwr;
    if (i + 1 == n) want |= packet::kTcpPsh | packet::kTcpFin;
    EXPECT_EQ(d[l4 + 13], want);
    auto sl = parse(out[i]->bytes());
    ASSERT_TRUE(sl);
    EXPECT_TRUE(l4_checksum_ok(out[i]->bytes(), *sl));
    joined.insert(joined.end(), d + hdr, d + hdr + chunk);
    out[i]->release();
  }
  EXPECT_EQ(joined, std::vector<uint8_t>(f.begin() + hdr, f.end()));
  EXPECT_EQ(pool.available(), 64u);
}

INSTANTIATE_TEST_SUITE_P(Gso, Segment,
                         ::testing::Values(Case{false, 1460}, Case{true, 1440}, Case{false, 1000},
                                           Case{true, 9000}));

// One segment that carries everything is the original frame, byte for byte: our
// checksums agree with the builder's (packet/checksum.h).
TEST(Gso, OneSegmentIsTheOriginalFrame) {
  for (bool v6 : {false, true}) {
    auto f = tcp_frame(v6, 1200, 5);
    auto l = parse(f);
    ASSERT_TRUE(l);
    PacketPool pool(2);
    std::array<Packet*, 2> out{};
    SegResult r = segment_tcp(f, *l, 1200, pool, out);
    ASSERT_EQ(r.count, 1u);
    EXPECT_EQ(std::vector<uint8_t>(out[0]->bytes().begin(), out[0]->bytes().end()), f);
    out[0]->release();
  }
}

// With `partial`, every segment is the full-checksum segment but for the TCP
// checksum field, which holds the pseudo-header sum (finished at csum_start, csum
// offset 16: the same bytes), and a tunnel's outer UDP checksum, which is zero. An
// IPv6 outer header, whose UDP checksum covers the inner one, gets full segments.
TEST(Gso, PartialSegmentsLeaveOnlyTheTcpChecksumToFinish) {
  auto inner = tcp_frame(false, 5000, 100);
  auto tunnel = [&](bool v6) {
    PacketBuilder b;
    b.eth(kMacB, kMacA);
    if (v6)
      b.ipv6(kIp6A, kIp6B);
    else
      b.ipv4(*IpAddress::parse("192.168.1.1"), *IpAddress::parse("192.168.1.2")).ip_id(3);
    return b.udp(50000, 4789).udp_checksum(true).vxlan(100).inner(inner).build();
  };
  const std::vector<std::vector<uint8_t>> frames = {
      tcp_frame(false, 5000, 9), tcp_frame(true, 5000, 9), tunnel(false), tunnel(true)};
  for (size_t k = 0; k < frames.size(); ++k) {
    SCOPED_TRACE(k);
    const auto& f = frames[k];
    auto l = parse(f, 4789);
    ASSERT_TRUE(l);
    const bool outer_v6 = k == 3;
    PacketPool pool(16);
    std::array<Packet*, 8> full{}, part{};
    SegResult a = segment_tcp(f, *l, 1400, pool, full);
    SegResult b = segment_tcp(f, *l, 1400, pool, part, true);
    ASSERT_EQ(a.count, 4u);
    ASSERT_EQ(b.count, a.count);
    for (uint32_t i = 0; i < a.count; ++i) {
      SCOPED_TRACE(i);
      std::vector<uint8_t> want(full[i]->bytes().begin(), full[i]->bytes().end());
      std::vector<uint8_t> got(part[i]->bytes().begin(), part[i]->bytes().end());
      const PacketMeta& m = part[i]->meta;
      if (outer_v6) {
        EXPECT_EQ(m.flags, 0);
        EXPECT_EQ(got, want);
      } else {
        ASSERT_EQ(m.flags, PacketMeta::kCsumPartial);
        EXPECT_EQ(m.csum_start, l->l4);
        EXPECT_EQ(m.csum_offset, 16);
        EXPECT_NE(got, want);
        if (l->tunnel) {
          EXPECT_NE(load_be16(want.data() + l->outer_l4 + 6), 0);
          EXPECT_EQ(load_be16(got.data() + l->outer_l4 + 6), 0);
          got[l->outer_l4 + 6] = want[l->outer_l4 + 6];
          got[l->outer_l4 + 7] = want[l->outer_l4 + 7];
        }
        ASSERT_TRUE(finish_partial_checksum(got, m.csum_start, m.csum_offset,
                                            static_cast<uint32_t>(got.size())));
        EXPECT_EQ(got, want);
      }
      full[i]->release();
      part[i]->release();
    }
    EXPECT_EQ(pool.available(), 16u);
  }
}

TEST(Gso, SegmentsVxlanTunnelByInnerTcp) {
  auto inner = tcp_frame(false, 4000, 100);
  auto f = PacketBuilder()
               .eth(kMacB, kMacA)
               .ipv4(*IpAddress::parse("192.168.1.1"), *IpAddress::parse("192.168.1.2"))
               .ip_id(10)
               .udp(50000, 4789)
               .vxlan(100)
               .inner(inner)
               .build();
  ASSERT_FALSE(parse(f, 0)->tunnel);  // without the VXLAN port, the outer UDP is the L4
  auto layout = parse(f, 4789);
  ASSERT_TRUE(layout);
  ASSERT_TRUE(layout->tunnel);
  EXPECT_EQ(layout->outer_l3, 14u);
  EXPECT_EQ(layout->outer_l4, 34u);
  EXPECT_EQ(layout->l3, 14u + 20 + 8 + 8 + 14);
  // Outer 1500-byte MTU: 50 bytes of VXLAN overhead plus 40 of inner IP+TCP.
  const uint32_t mss = mss_for_mtu(f, *layout, 1500);
  EXPECT_EQ(mss, 1500u - 20 - 8 - 8 - 14 - 20 - 20);
  PacketPool pool(8);
  std::array<Packet*, 8> out{};
  SegResult r = segment_tcp(f, *layout, mss, pool, out);
  ASSERT_EQ(r.error, SegError::kNone);
  ASSERT_EQ(r.count, 3u);
  for (uint32_t i = 0; i < r.count; ++i) {
    SCOPED_TRACE(i);
    const uint8_t* d = out[i]->data();
    EXPECT_LE(out[i]->size() - 14, 1500u);
    EXPECT_EQ(load_be16(d + 14 + 2), out[i]->size() - 14);  // outer IPv4 length
    EXPECT_EQ(load_be16(d + 14 + 4), 10 + i);               // outer id advances
    EXPECT_TRUE(packet::ipv4_header_checksum_ok({d + 14, 20}));
    EXPECT_EQ(load_be16(d + 34 + 4), out[i]->size() - 34);  // outer UDP length
    EXPECT_EQ(load_be16(d + 34 + 6), 0);                    // outer UDP checksum stays 0
    auto sl = parse(out[i]->bytes(), 4789);
    ASSERT_TRUE(sl && sl->tunnel);
    EXPECT_TRUE(l4_checksum_ok(out[i]->bytes(), *sl));
    EXPECT_EQ(load_be32(d + sl->l4 + 4), 100 + i * mss);
    out[i]->release();
  }
}

TEST(Gso, FinishesAPartialChecksumLikeTheDevice) {
  for (bool v6 : {false, true}) {
    auto f = tcp_frame(v6, 333, 1);
    auto l = parse(f);
    ASSERT_TRUE(l);
    const auto good = f;
    // CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum, not inverted.
    uint32_t ph = v6 ? packet::pseudo_header_sum_v6(&f[l->l3 + 8], &f[l->l3 + 24], IPPROTO_TCP,
                                                    l->l3_end - l->l4)
                     : packet::pseudo_header_sum_v4(&f[l->l3 + 12], &f[l->l3 + 16], IPPROTO_TCP,
                                                    static_cast<uint16_t>(l->l3_end - l->l4));
    packet::store_be16(&f[l->l4 + 16], packet::csum_fold(ph));
    EXPECT_NE(f, good);
    ASSERT_TRUE(finish_partial_checksum(f, l->l4, 16, static_cast<uint32_t>(f.size())));
    EXPECT_EQ(f, good);
    EXPECT_FALSE(finish_partial_checksum(f, l->l4, 16, static_cast<uint32_t>(f.size()) + 1));
  }
}

TEST(Gso, CompletesOnlyWhatLooksLikeAPartialChecksum) {
  auto inner = tcp_frame(false, 200, 9);
  auto f = PacketBuilder()
               .eth(kMacB, kMacA)
               .ipv4(*IpAddress::parse("192.168.1.1"), *IpAddress::parse("192.168.1.2"))
               .udp(50000, 4789)
               .vxlan(100)
               .inner(inner)
               .build();
  auto l = parse(f, 4789);
  ASSERT_TRUE(l && l->tunnel);
  const auto good = f;
  EXPECT_FALSE(complete_if_partial(f, *l));  // finished: untouched
  EXPECT_EQ(f, good);
  uint32_t ph = packet::pseudo_header_sum_v4(&f[l->l3 + 12], &f[l->l3 + 16], IPPROTO_TCP,
                                             static_cast<uint16_t>(l->l3_end - l->l4));
  packet::store_be16(&f[l->l4 + 16], packet::csum_fold(ph));  // as CHECKSUM_PARTIAL leaves it
  EXPECT_TRUE(complete_if_partial(f, *l));
  EXPECT_EQ(f, good);
  f[l->l4 + 16] ^= 0x55;  // plainly corrupt: left for decap to drop
  const auto corrupt = f;
  EXPECT_FALSE(complete_if_partial(f, *l));
  EXPECT_EQ(f, corrupt);
}

TEST(Gso, FillsAWrongChecksumAndKeepsAZeroUdpV4Checksum) {
  auto f = tcp_frame(false, 50, 1);
  const auto good = f;
  f[54 + 10] ^= 0xff;  // payload byte changed: checksum now wrong
  auto l = parse(f);
  ASSERT_TRUE(l);
  EXPECT_FALSE(l4_checksum_ok(f, *l));
  fill_l4_checksum(f, *l);
  EXPECT_TRUE(l4_checksum_ok(f, *l));

  auto u = PacketBuilder()
               .eth(kMacB, kMacA)
               .ipv4(kIp4A, kIp4B)
               .udp(1, 2)
               .udp_checksum(false)
               .payload(10)
               .build();
  auto ul = parse(u);
  ASSERT_TRUE(ul);
  fill_l4_checksum(u, *ul);
  EXPECT_EQ(load_be16(&u[34 + 6]), 0);
}

TEST(Gso, RejectsEveryTruncationAndNonTcp) {
  auto f = tcp_frame(true, 100, 1);
  for (size_t n = 0; n < f.size(); ++n) {
    EXPECT_FALSE(parse({f.data(), n})) << n;
  }
  auto arp = PacketBuilder().eth(kMacB, kMacA).arp_request(kMacA, kIp4A, kIp4B).build();
  EXPECT_FALSE(parse(arp));
  auto udp = PacketBuilder().eth(kMacB, kMacA).ipv4(kIp4A, kIp4B).udp(1, 2).payload(3000).build();
  auto l = parse(udp);
  ASSERT_TRUE(l);
  PacketPool pool(4);
  std::array<Packet*, 4> out{};
  EXPECT_EQ(segment_tcp(udp, *l, 1000, pool, out).error, SegError::kNotTcp);
}

TEST(Gso, OutOfBuffersOrRoomLeavesNothingAllocated) {
  auto f = tcp_frame(false, 5000, 1);
  auto l = parse(f);
  ASSERT_TRUE(l);
  PacketPool pool(2);
  std::array<Packet*, 8> out{};
  EXPECT_EQ(segment_tcp(f, *l, 1000, pool, out).error, SegError::kNoBuffer);
  EXPECT_EQ(pool.available(), 2u);
  EXPECT_EQ(segment_tcp(f, *l, 1000, pool, std::span<Packet*>(out).first(4)).error,
            SegError::kNoRoom);
  EXPECT_EQ(pool.available(), 2u);
}

// A super-frame cut by segment_tcp and merged back by coalesce_tcp: the merged
// headers are the original's with the TCP checksum field holding the pseudo-header
// sum of the whole length (what TSO leaves), the payloads in order are the original
// payload, and cutting the merged frame again gives the same segments byte for byte.
TEST(Gso, CoalesceUndoesSegment) {
  for (bool v6 : {false, true}) {
    SCOPED_TRACE(v6);
    PacketBuilder b;
    b.eth(kMacB, kMacA);
    if (v6) {
      b.ipv6(kIp6A, kIp6B);
    } else {
      b.ipv4(kIp4A, kIp4B).ip_id(0xfffe).df();
    }
    const size_t payload = 5000;
    auto f = b.tcp(40000, 5201, packet::kTcpAck | packet::kTcpPsh, 0xfffff000u, 7)
                 .payload(payload)
                 .build();
    auto l = parse(f);
    ASSERT_TRUE(l);
    PacketPool pool(16);
    std::array<Packet*, 8> seg{};
    SegResult r = segment_tcp(f, *l, 1448, pool, seg);
    ASSERT_EQ(r.count, 4u);
    std::array<uint8_t, gso::Run::kMaxHeader> hdr{};
    gso::Run run = coalesce_tcp(std::span<Packet* const>(seg.data(), r.count), 64, hdr);
    ASSERT_EQ(run.count, 4u);
    const uint32_t h = l->l4 + 20;
    EXPECT_EQ(run.header_len, h);
    EXPECT_EQ(run.l4, l->l4);
    EXPECT_EQ(run.v6, v6);
    EXPECT_EQ(run.mss, 1448u);
    EXPECT_EQ(run.last_payload, payload - 3 * 1448);

    std::vector<uint8_t> merged(hdr.begin(), hdr.begin() + h);
    for (uint32_t i = 0; i < run.count; ++i) {
      const uint8_t* d = seg[i]->data() + h;
      merged.insert(merged.end(), d, d + (i + 1 < run.count ? run.mss : run.last_payload));
    }
    ASSERT_EQ(merged.size(), f.size());
    std::vector<uint8_t> expect = f;
    const uint32_t l4_len = static_cast<uint32_t>(f.size()) - l->l4;
    const uint16_t partial =
        v6 ? packet::csum_fold(packet::pseudo_header_sum_v6(f.data() + l->l3 + 8,
                                                            f.data() + l->l3 + 24, 6, l4_len))
           : packet::csum_fold(packet::pseudo_header_sum_v4(
                 f.data() + l->l3 + 12, f.data() + l->l3 + 16, 6, static_cast<uint16_t>(l4_len)));
    expect[l->l4 + 16] = static_cast<uint8_t>(partial >> 8);
    expect[l->l4 + 17] = static_cast<uint8_t>(partial);
    EXPECT_EQ(merged, expect);
    if (!v6) {
      EXPECT_TRUE(packet::ipv4_header_checksum_ok({merged.data() + 14, 20}));
    }

    std::array<Packet*, 8> again{};
    SegResult r2 = segment_tcp(merged, *parse(merged), run.mss, pool, again);
    ASSERT_EQ(r2.count, r.count);
    for (uint32_t i = 0; i < r.count; ++i) {
      EXPECT_TRUE(std::ranges::equal(again[i]->bytes(), seg[i]->bytes())) << i;
      again[i]->release();
      seg[i]->release();
    }
    EXPECT_EQ(pool.available(), 16u);
  }
}

// A run stops where the kernel could not cut the same segments back out: a gap in
// the sequence, another flow, a repeated IPv4 id, a segment larger than the first,
// a push before the end; SYN and tagged frames are never merged.
TEST(Gso, CoalesceStopsWhereTheSegmentsDiffer) {
  auto f = PacketBuilder()
               .eth(kMacB, kMacA)
               .ipv4(kIp4A, kIp4B)
               .ip_id(100)
               .tcp(40000, 5201, packet::kTcpAck, 1000, 7)
               .payload(6000)
               .build();
  auto l = parse(f);
  ASSERT_TRUE(l);
  PacketPool pool(16);
  std::array<uint8_t, gso::Run::kMaxHeader> hdr{};
  auto cut = [&] {
    std::vector<Packet*> v(8);
    SegResult r = segment_tcp(f, *l, 1000, pool, v);
    v.resize(r.count);
    return v;
  };
  auto release = [](std::vector<Packet*>& v) {
    for (Packet* p : v) p->release();
  };
  auto run_of = [&](std::vector<Packet*>& v) { return coalesce_tcp(v, 64, hdr).count; };

  auto v = cut();
  ASSERT_EQ(v.size(), 6u);
  EXPECT_EQ(run_of(v), 6u);
  EXPECT_EQ(coalesce_tcp(v, 3, hdr).count, 3u);  // max_count
  v[3]->data()[l->l4 + 7] ^= 1;                  // sequence gap before segment 3
  EXPECT_EQ(run_of(v), 3u);
  release(v);

  v = cut();
  v[2]->data()[l->l4 + 1] ^= 1;  // another source port
  EXPECT_EQ(run_of(v), 2u);
  release(v);

  v = cut();
  v[1]->data()[l->l3 + 5] = v[0]->data()[l->l3 + 5];  // same IPv4 id as the first
  EXPECT_EQ(run_of(v), 0u);
  release(v);

  v = cut();
  v[2]->data()[l->l4 + 13] |= packet::kTcpPsh;  // push in the middle: the run ends there
  EXPECT_EQ(run_of(v), 3u);
  release(v);

  v = cut();
  v[0]->data()[l->l4 + 13] |= packet::kTcpSyn;
  EXPECT_EQ(run_of(v), 0u);
  release(v);

  // A short segment ends the run; one longer than the first never joins it.
  auto g = PacketBuilder()
               .eth(kMacB, kMacA)
               .ipv4(kIp4A, kIp4B)
               .ip_id(100)
               .tcp(40000, 5201, packet::kTcpAck, 1000, 7)
               .payload(2500)
               .build();
  auto gl = parse(g);
  std::vector<Packet*> w(8);
  w.resize(segment_tcp(g, *gl, 1000, pool, w).count);
  ASSERT_EQ(w.size(), 3u);
  std::vector<Packet*> rev = {w[2], w[0]};
  EXPECT_EQ(run_of(rev), 0u);  // 500 then 1000 bytes: the second is longer
  EXPECT_EQ(run_of(w), 3u);
  release(w);

  auto tagged = PacketBuilder()
                    .eth(kMacB, kMacA)
                    .vlan(10)
                    .ipv4(kIp4A, kIp4B)
                    .tcp(40000, 5201, packet::kTcpAck, 1000, 7)
                    .payload(3000)
                    .build();
  auto tl = parse(tagged);
  ASSERT_TRUE(tl);
  std::vector<Packet*> t(8);
  t.resize(segment_tcp(tagged, *tl, 1000, pool, t).count);
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(run_of(t), 0u);
  release(t);
  EXPECT_EQ(pool.available(), 16u);
}

// VXLAN datagrams of one TCP flow merged by coalesce_udp and cut again by
// segment_udp: the same datagrams, but for the outer UDP checksum, which comes back
// computed (the merged frame is CHECKSUM_PARTIAL) instead of zero.
TEST(Gso, CoalesceUdpUndoneBySegmentUdp) {
  PacketPool pool(16);
  std::vector<std::vector<uint8_t>> sent;
  std::vector<Packet*> dgrams;
  for (uint16_t i = 0; i < 4; ++i) {
    auto inner = tcp_frame(false, i == 3 ? 300 : 1400, 1000 + 1400u * i);
    sent.push_back(PacketBuilder()
                       .eth(kMacB, kMacA)
                       .ipv4(*IpAddress::parse("192.168.1.1"), *IpAddress::parse("192.168.1.2"))
                       .ip_id(static_cast<uint16_t>(0xffff + i))
                       .udp(50000, 4789)
                       .vxlan(100)
                       .inner(inner)
                       .build());
    dgrams.push_back(pool.alloc());
    ASSERT_TRUE(dgrams.back()->assign(sent.back()));
  }
  std::array<uint8_t, gso::Run::kMaxHeader> hdr{};
  gso::Run run = coalesce_udp(dgrams, 64, hdr);
  ASSERT_EQ(run.count, 4u);
  EXPECT_EQ(run.header_len, 42u);
  EXPECT_EQ(run.mss, sent[0].size() - 42);
  EXPECT_EQ(run.last_payload, sent[3].size() - 42);
  std::vector<uint8_t> merged(hdr.begin(), hdr.begin() + 42);
  for (uint32_t i = 0; i < 4; ++i) merged.insert(merged.end(), sent[i].begin() + 42, sent[i].end());
  EXPECT_EQ(load_be16(merged.data() + 16), merged.size() - 14);
  EXPECT_EQ(load_be16(merged.data() + 38), merged.size() - 34);
  EXPECT_TRUE(packet::ipv4_header_checksum_ok({merged.data() + 14, 20}));

  auto l = parse(merged);
  ASSERT_TRUE(l);
  std::array<Packet*, 8> out{};
  SegResult r = segment_udp(merged, *l, run.mss, pool, out);
  ASSERT_EQ(r.count, 4u);
  for (uint32_t i = 0; i < 4; ++i) {
    SCOPED_TRACE(i);
    std::vector<uint8_t> got(out[i]->bytes().begin(), out[i]->bytes().end());
    auto gl = parse(got);
    ASSERT_TRUE(gl);
    EXPECT_NE(load_be16(got.data() + 40), 0);
    EXPECT_TRUE(l4_checksum_ok(got, *gl));
    got[40] = got[41] = 0;
    EXPECT_EQ(got, sent[i]);
    out[i]->release();
  }
  // A datagram of another size in the middle, or a repeated id, ends the run there.
  dgrams[1]->data()[19] ^= 1;  // IPv4 id
  EXPECT_EQ(coalesce_udp(dgrams, 64, hdr).count, 0u);
  dgrams[1]->data()[19] ^= 1;
  EXPECT_EQ(coalesce_udp(std::span<Packet* const>(dgrams).subspan(2), 64, hdr).count, 2u);
  std::swap(dgrams[2], dgrams[3]);  // the short one before a full one
  EXPECT_EQ(coalesce_udp(dgrams, 64, hdr).count, 2u);
  for (Packet* p : dgrams) p->release();
  EXPECT_EQ(pool.available(), 16u);
}

}  // namespace
}  // namespace vgw::gso
