// Checksums left to the device (PacketMeta::kCsumPartial, as gso::segment_tcp leaves
// the segments of a received super-frame) through the pipeline: decapsulation, the
// outer headers of encapsulation and VLAN tags move csum_start with the bytes they
// pull or push, so the port that sends the frame finishes the right field; an IPv6
// underlay, whose UDP checksum covers the inner bytes, finishes it first.
#include <gtest/gtest.h>

#include "harness.h"
#include "packet/byte_order.h"
#include "packet/checksum.h"
#include "packet/gso.h"
#include "packet/tcp.h"

namespace vgw::dataplane::testing {
namespace {

using packet::load_be16;

// A memory port whose received frames carry the checksum flag at the offsets set.
struct PartialPort : Port {
  io::MemoryPort mem;
  bool partial = true;
  uint16_t csum_start = 0;
  uint16_t csum_offset = 16;
  explicit PartialPort(const char* n) : mem(n) {}
  uint32_t receive(PacketPool& pool, std::span<Packet*> out) override {
    uint32_t n = mem.receive(pool, out);
    for (uint32_t i = 0; i < n && partial; ++i) {
      out[i]->meta.flags |= PacketMeta::kCsumPartial;
      out[i]->meta.csum_start = csum_start;
      out[i]->meta.csum_offset = csum_offset;
    }
    return n;
  }
  uint32_t send(std::span<Packet* const> pkts) override { return mem.send(pkts); }
  const std::string& name() const override { return mem.name(); }
  PortStats stats() const override { return mem.stats(); }
};

struct Rig {
  explicit Rig(const config::Config& cfg = base_config()) {
    Status st = dp.apply(cfg, resolving_underlay());
    EXPECT_TRUE(st) << (st ? "" : st.error().message);
    std::vector<std::unique_ptr<Port>> owned;
    for (const char* n : {"p0", "p1", "p2"}) {
      auto p = std::make_unique<PartialPort>(n);
      ports.push_back(p.get());
      owned.push_back(std::move(p));
    }
    auto u = std::make_unique<PartialPort>("u0");
    underlay = u.get();
    worker = std::make_unique<Worker>(dp, std::move(owned), std::move(u), WorkerOptions{256, 1});
  }
  void run() {
    while (worker->run_once() != 0) {
    }
  }
  uint32_t net(const char* name) { return dp.snapshot()->network_by_name(name); }
  uint32_t remote(const char* addr) { return dp.snapshot()->remotes().find(ip(addr)); }

  Dataplane dp;
  std::vector<PartialPort*> ports;
  PartialPort* underlay = nullptr;
  std::unique_ptr<Worker> worker;
};

// A TCP segment (Ethernet + IPv4 + TCP, finished checksum).
Bytes tcp_frame(MacAddress dst, MacAddress src) {
  return PacketBuilder()
      .eth(dst, src)
      .ipv4(ip("10.0.0.1"), ip("10.0.0.2"))
      .tcp(40000, 5201, packet::kTcpAck, 1000, 1)
      .payload(999)  // odd: the sum's last byte is padded
      .build();
}

// The same frame as CHECKSUM_PARTIAL leaves it: the pseudo-header sum in the field.
Bytes partial_of(const Bytes& f, uint32_t l3 = 14) {
  Bytes p = f;
  const uint32_t l4 = l3 + 20;
  const uint32_t len = static_cast<uint32_t>(p.size()) - l4;
  const uint16_t field = packet::csum_fold(packet::pseudo_header_sum_v4(
      p.data() + l3 + 12, p.data() + l3 + 16, 6, static_cast<uint16_t>(len)));
  p[l4 + 16] = static_cast<uint8_t>(field >> 8);
  p[l4 + 17] = static_cast<uint8_t>(field);
  return p;
}

Bytes finish(Bytes f, const PacketMeta& m) {
  EXPECT_TRUE(gso::finish_partial_checksum(f, m.csum_start, m.csum_offset,
                                           static_cast<uint32_t>(f.size())));
  return f;
}

TEST(CsumPartial, DecapKeepsItCountedFromTheInnerFrame) {
  Rig r;
  ASSERT_TRUE(r.dp.fdb().add_static(r.net("web"), kH1, Location::local(0, 0)));
  ASSERT_TRUE(r.dp.fdb().add_static(r.net("web"), kH3, Location::local(1, 10)));
  r.underlay->csum_start = 50 + 34;  // outer Eth+IP+UDP+VXLAN, inner Eth+IP
  const Bytes to_h1 = tcp_frame(kH1, kH2), to_h3 = tcp_frame(kH3, kH2);
  r.underlay->mem.inject(vxlan_frame(partial_of(to_h1)));
  r.underlay->mem.inject(vxlan_frame(partial_of(to_h3)));
  r.run();

  const auto& out0 = r.ports[0]->mem.sent();
  ASSERT_EQ(out0.size(), 1u);
  const PacketMeta& m0 = r.ports[0]->mem.sent_meta()[0];
  EXPECT_TRUE(m0.flags & PacketMeta::kCsumPartial);
  EXPECT_EQ(m0.csum_start, 34);
  EXPECT_EQ(m0.csum_offset, 16);
  EXPECT_EQ(out0[0], partial_of(to_h1));  // unfinished: the sending port's job
  EXPECT_EQ(finish(out0[0], m0), to_h1);

  const auto& out1 = r.ports[1]->mem.sent();  // VLAN 10: the tag moves the start
  ASSERT_EQ(out1.size(), 1u);
  const PacketMeta& m1 = r.ports[1]->mem.sent_meta()[0];
  EXPECT_TRUE(m1.flags & PacketMeta::kCsumPartial);
  EXPECT_EQ(m1.csum_start, 38);
  EXPECT_EQ(finish(out1[0], m1), tagged(to_h3, 10));
}

TEST(CsumPartial, OuterUdpChecksumLeftToTheDeviceGoesWithTheOuterHeaders) {
  Rig r;
  ASSERT_TRUE(r.dp.fdb().add_static(r.net("web"), kH1, Location::local(0, 0)));
  r.underlay->csum_start = 34;  // the outer UDP header
  r.underlay->csum_offset = 6;
  const Bytes to_h1 = tcp_frame(kH1, kH2);
  r.underlay->mem.inject(vxlan_frame(to_h1));
  r.run();
  ASSERT_EQ(r.ports[0]->mem.sent().size(), 1u);
  EXPECT_EQ(r.ports[0]->mem.sent()[0], to_h1);
  EXPECT_FALSE(r.ports[0]->mem.sent_meta()[0].flags & PacketMeta::kCsumPartial);
}

TEST(CsumPartial, EncapMovesItPastTheOuterHeaders) {
  Rig r;
  ASSERT_TRUE(r.dp.fdb().add_static(r.net("web"), kH2, Location::remote(r.remote("192.168.1.1"))));
  r.ports[0]->csum_start = 34;
  r.ports[1]->csum_start = 38;  // tagged: the tag is popped on the way in
  const Bytes from_h1 = tcp_frame(kH2, kH1), from_h3 = tcp_frame(kH2, kH3);
  r.ports[0]->mem.inject(partial_of(from_h1));
  r.ports[1]->mem.inject(tagged(partial_of(from_h3), 10));
  r.run();
  const auto& out = r.underlay->mem.sent();
  ASSERT_EQ(out.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    SCOPED_TRACE(i);
    const PacketMeta& m = r.underlay->mem.sent_meta()[i];
    EXPECT_TRUE(m.flags & PacketMeta::kCsumPartial);
    EXPECT_EQ(m.csum_start, 50 + 34);
    EXPECT_EQ(m.csum_offset, 16);
    EXPECT_EQ(load_be16(out[i].data() + 40), 0);  // IPv4 outer: no UDP checksum to cover it
    const Bytes done = finish(out[i], m);
    EXPECT_EQ(Bytes(done.begin() + 50, done.end()), i == 0 ? from_h1 : from_h3);
  }
}

TEST(CsumPartial, Ipv6UnderlayFinishesItBeforeSummingTheOuterUdp) {
  Rig r(base_config(true));
  ASSERT_TRUE(r.dp.fdb().add_static(r.net("web"), kH2, Location::remote(r.remote("2001:db8::1"))));
  r.ports[0]->csum_start = 34;
  const Bytes from_h1 = tcp_frame(kH2, kH1);
  r.ports[0]->mem.inject(partial_of(from_h1));
  r.run();
  const auto& out = r.underlay->mem.sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(r.underlay->mem.sent_meta()[0].flags & PacketMeta::kCsumPartial);
  EXPECT_EQ(Bytes(out[0].begin() + 70, out[0].end()), from_h1);
  auto l = gso::parse(out[0]);  // the outer UDP datagram
  ASSERT_TRUE(l);
  EXPECT_TRUE(gso::l4_checksum_ok(out[0], *l));
  EXPECT_EQ(out[0], expected_encap(from_h1, 100, "2001:db8::1", 0, true));
}

}  // namespace
}  // namespace vgw::dataplane::testing
