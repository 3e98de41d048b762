// The L2 gateway pipeline end to end over in-memory ports: frames in, exact
// frames out (RFC 7348 §4-§6), and every drop with its counter.
#include <gtest/gtest.h>

#include "harness.h"
#include "packet/checksum.h"

namespace vgw::dataplane::testing {
namespace {

using packet::PacketBuilder;

// ---- Encapsulation (RFC 7348 §5) ----

TEST(Encap, UnicastToKnownRemoteIpv4HasExactOuterHeaders) {
  Harness h;
  ASSERT_TRUE(h.dp.fdb().add_static(h.net("web"), kH2, Location::remote(h.remote("192.168.1.1"))));
  Bytes in = inner_frame(kH2, kH1);
  h.send_local(0, in);
  auto out = h.out_underlay();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], expected_encap(in, 100, "192.168.1.1", 0));
  const Bytes& f = out[0];
  // VXLAN: flags exactly I, reserved zero, VNI 100.
  EXPECT_EQ(f[42], 0x08);
  EXPECT_EQ(f[43] | f[44] | f[45] | f[49], 0);
  EXPECT_EQ((f[46] << 16 | f[47] << 8 | f[48]), 100);
  // UDP: destination 4789, source in the dynamic range, checksum zero.
  EXPECT_EQ((f[36] << 8 | f[37]), 4789);
  EXPECT_GE((f[34] << 8 | f[35]), 49152);
  EXPECT_EQ((f[40] | f[41]), 0);
  EXPECT_TRUE(packet::ipv4_header_checksum_ok({f.data() + 14, 20}));
  // The inner frame is carried untouched.
  EXPECT_EQ(Bytes(f.begin() + 50, f.end()), in);
  EXPECT_EQ(h.dp.read_counters().remotes[h.remote("192.168.1.1")].tx_packets, 1u);
}

TEST(Encap, IpIdIncrementsAndChecksumStaysValid) {
  Harness h;
  ASSERT_TRUE(h.dp.fdb().add_static(h.net("web"), kH2, Location::remote(h.remote("192.168.1.1"))));
  for (uint16_t i = 0; i < 3; ++i) h.mem[0]->inject(inner_frame(kH2, kH1, 1000 + i));
  h.run();
  auto out = h.out_underlay();
  ASSERT_EQ(out.size(), 3u);
  for (uint16_t i = 0; i < 3; ++i)
    EXPECT_EQ(out[i], expected_encap(inner_frame(kH2, kH1, 1000 + i), 100, "192.168.1.1", i));
}

TEST(Encap, DfAndTtlFromVtepConfig) {
  auto cfg = base_config();
  cfg.vtep.df = true;
  cfg.vtep.ttl = 7;
  Harness h(cfg);
  ASSERT_TRUE(h.dp.fdb().add_static(h.net("web"), kH2, Location::remote(h.remote("192.168.1.1"))));
  Bytes in = inner_frame(kH2, kH1);
  h.send_local(0, in);
  auto out = h.out_underlay();
  ASSERT_EQ(out.size(), 1u);
  uint16_t sport = packet::vxlan_source_port(packet::flow_hash(in), 49152, 65535);
  EXPECT_EQ(out[0], PacketBuilder()
                        .eth(kNextHopMac, kOurMac)
                        .ipv4(ip("192.168.1.2"), ip("192.168.1.1"))
                        .ttl(7)
                        .df()
                        .udp(sport, 4789)
                        .vxlan(100)
                        .inner(in)
                        .build());
}

TEST(Encap, ConfiguredUdpPortAndSourcePortRange) {
  auto cfg = base_config();
  cfg.vtep.udp_port = 8472;
  cfg.vtep.source_port_min = 50000;
  cfg.vtep.source_port_max = 50010;
  Harness h(cfg);
  ASSERT_TRUE(h.dp.fdb().add_static(h.net("web"), kH2, Location::remote(h.remote("192.168.1.1"))));
  for (uint16_t i = 0; i < 50; ++i) h.mem[0]->inject(inner_frame(kH2, kH1, i));
  h.run();
  auto out = h.out_underlay();
  ASSERT_EQ(out.size(), 50u);
  for (auto& f : out) {
    EXPECT_EQ((f[36] << 8 | f[37]), 8472);
    int sport = f[34] << 8 | f[35];
    EXPECT_GE(sport, 50000);
    EXPECT_LE(sport, 50010);
  }
}

TEST(Encap, Ipv6UnderlayWithValidUdpChecksum) {
  Harness h(base_config(true));
  ASSERT_TRUE(h.dp.fdb().add_static(h.net("web"), kH2, Location::remote(h.remote("2001:db8::1"))));
  Bytes in = inner_frame(kH2, kH1);
  h.send_local(0, in);
  auto out = h.out_underlay();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], expected_encap(in, 100, "2001:db8::1", 0, true));
  const Bytes& f = out[0];
  EXPECT_NE((f[60] << 8 | f[61]), 0);  // checksum present
  EXPECT_TRUE(packet::l4_checksum_ok_v6(*reinterpret_cast<const packet::Ipv6Header*>(f.data() + 14),
                                        packet::kIpProtoUdp, {f.data() + 54, f.size() - 54}));
}

TEST(Encap, FrameBeyondUnderlayMtuIsDropped) {
  auto cfg = base_config();
  cfg.underlay.mtu = 100;  // IPv4 20 + UDP 8 + VXLAN 8 + inner 64 = 100 fits exactly
  Harness h(cfg);
  ASSERT_TRUE(h.dp.fdb().add_static(h.net("web"), kH2, Location::remote(h.remote("192.168.1.1"))));
  h.send_local(0, inner_frame(kH2, kH1));
  EXPECT_EQ(h.out_underlay().size(), 1u);
  Bytes big = PacketBuilder()
                  .eth(kH2, kH1)
                  .ipv4(ip("10.0.0.1"), ip("10.0.0.2"))
                  .udp(1, 2)
                  .payload(23)
                  .build();
  ASSERT_EQ(big.size(), 65u);
  h.send_local(0, big);
  EXPECT_EQ(h.out_underlay().size(), 0u);
  EXPECT_EQ(h.drops(Drop::mtu_exceeded), 1u);
}

TEST(Encap, UnresolvedNextHopIsDropped) {
  Harness h(base_config(), resolving_underlay(false));
  ASSERT_TRUE(h.dp.fdb().add_static(h.net("web"), kH2, Location::remote(h.remote("192.168.1.1"))));
  h.send_local(0, inner_frame(kH2, kH1));
  EXPECT_EQ(h.out_underlay().size(), 0u);
  EXPECT_EQ(h.drops(Drop::underlay_unresolved), 1u);
  // The neighbour resolves: the next frame goes.
  h.dp.update_underlay(resolving_underlay(true));
  h.send_local(0, inner_frame(kH2, kH1));
  EXPECT_EQ(h.out_underlay().size(), 1u);
}

TEST(Encap, SocketModeNeedsNoMacs) {
  auto cfg = base_config();
  cfg.underlay.io = config::UnderlayIo::kSocket;
  Harness h(cfg, UnderlayInfo{});
  ASSERT_TRUE(h.dp.fdb().add_static(h.net("web"), kH2, Location::remote(h.remote("192.168.1.1"))));
  h.send_local(0, inner_frame(kH2, kH1));
  auto out = h.out_underlay();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(Bytes(out[0].begin(), out[0].begin() + 12), Bytes(12, 0));  // zero MACs
}

// ---- Decapsulation ----

TEST(Decap, ToLearnedLocalPortAndLearnsRemote) {
  Harness h;
  h.send_local(0, inner_frame(kH2, kH1));  // learns h1 on p0 (and floods)
  h.out_underlay();
  h.out(1);
  Bytes in = inner_frame(kH1, kH2);
  h.send_underlay(vxlan_frame(in));
  auto out = h.out(0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], in);
  EXPECT_TRUE(h.out(1).empty());
  EXPECT_TRUE(h.out_underlay().empty());
  auto e = h.fdb("web", kH2);
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->location.is_remote());
  EXPECT_EQ(e->location.remote_index(), h.remote("192.168.1.1"));
  EXPECT_EQ(e->type, FdbType::kLearned);
  auto c = h.dp.read_counters();
  EXPECT_EQ(c.remotes[h.remote("192.168.1.1")].rx_packets, 1u);
  EXPECT_EQ(c.networks[h.net("web")].rx_packets, 2u);
}

TEST(Decap, LocalReplyIsEncapsulatedToTheLearnedRemote) {
  Harness h;
  h.send_underlay(vxlan_frame(inner_frame(kH1, kH2), 100, "192.168.1.3"));
  h.out(0);
  h.out(1);
  Bytes in = inner_frame(kH2, kH1);
  h.send_local(0, in);
  auto out = h.out_underlay();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], expected_encap(in, 100, "192.168.1.3", 0));
}

TEST(Decap, KnownRemoteDestinationIsSplitHorizon) {
  Harness h;
  ASSERT_TRUE(h.dp.fdb().add_static(h.net("web"), kH3, Location::remote(h.remote("192.168.1.3"))));
  h.send_underlay(vxlan_frame(inner_frame(kH3, kH2)));
  EXPECT_TRUE(h.out_underlay().empty());
  EXPECT_TRUE(h.out(0).empty());
  EXPECT_EQ(h.drops(Drop::split_horizon), 1u);
}

TEST(Decap, CsumPartialFrameIsAccepted) {
  // A frame whose UDP checksum the sender's device was to finish (veth + kernel
  // VXLAN): wrong as it stands, but marked by the I/O layer.
  struct PartialPort : Port {
    io::MemoryPort inner{"u0"};
    explicit PartialPort(const char*) {}
    void inject(const Bytes& f) { inner.inject(f); }
    uint32_t receive(PacketPool& pool, std::span<Packet*> out) override {
      uint32_t n = inner.receive(pool, out);
      for (uint32_t i = 0; i < n; ++i) out[i]->meta.flags |= PacketMeta::kCsumPartial;
      return n;
    }
    uint32_t send(std::span<Packet* const> pkts) override { return inner.send(pkts); }
    const std::string& name() const override { return inner.name(); }
    PortStats stats() const override { return inner.stats(); }
  };
  Dataplane dp;
  ASSERT_TRUE(dp.apply(base_config(), resolving_underlay()));
  std::vector<std::unique_ptr<Port>> ports;
  std::vector<io::MemoryPort*> mem;
  for (const char* n : {"p0", "p1", "p2"}) {
    auto p = std::make_unique<io::MemoryPort>(n);
    mem.push_back(p.get());
    ports.push_back(std::move(p));
  }
  auto u = std::make_unique<PartialPort>("u0");
  PartialPort* up = u.get();
  Worker w(dp, std::move(ports), std::move(u), WorkerOptions{256, 1});
  Bytes f = PacketBuilder()
                .eth(kOurMac, kNextHopMac)
                .ipv4(ip("192.168.1.1"), ip("192.168.1.2"))
                .udp(50000, 4789)
                .udp_checksum(true)
                .vxlan(100)
                .inner(inner_frame(kBroadcast, kH2))
                .build();
  f[40] ^= 0x55;  // the partial sum, not a finished checksum
  up->inject(f);
  w.run_once();
  EXPECT_EQ(mem[0]->sent().size(), 1u);
  EXPECT_EQ(dp.read_counters().drop(Drop::bad_udp_checksum), 0u);
}

TEST(Decap, ValidNonZeroUdpChecksumIsAccepted) {
  Harness h;
  h.send_underlay(PacketBuilder()
                      .eth(kOurMac, kNextHopMac)
                      .ipv4(ip("192.168.1.1"), ip("192.168.1.2"))
                      .udp(50000, 4789)
                      .udp_checksum(true)
                      .vxlan(100)
                      .inner(inner_frame(kBroadcast, kH2))
                      .build());
  EXPECT_EQ(h.out(0).size(), 1u);
}

struct DecapDropCase {
  const char* name;
  Drop reason;
  std::function<Bytes()> frame;
  std::function<void(config::Config&)> tweak = nullptr;
};

Bytes corrupt(Bytes f, size_t at, uint8_t x) {
  f[at] ^= x;
  return f;
}

class DecapDrops : public ::testing::TestWithParam<DecapDropCase> {};

TEST_P(DecapDrops, IsDroppedAndCountedAndTrafficKeepsFlowing) {
  const DecapDropCase& c = GetParam();
  auto cfg = base_config();
  if (c.tweak) c.tweak(cfg);
  Harness h(cfg);
  h.send_underlay(c.frame());
  EXPECT_TRUE(h.out(0).empty());
  EXPECT_TRUE(h.out(1).empty());
  EXPECT_TRUE(h.out_underlay().empty());
  auto counters = h.dp.read_counters();
  for (size_t d = 0; d < kDropCount; ++d)
    EXPECT_EQ(counters.drops[d], static_cast<Drop>(d) == c.reason ? 1u : 0u)
        << drop_name(static_cast<Drop>(d));
  // A good frame right after still goes through.
  h.send_underlay(vxlan_frame(inner_frame(kBroadcast, kH2)));
  EXPECT_EQ(h.out(0).size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(
    Rfc7348, DecapDrops,
    ::testing::Values(
        DecapDropCase{"wrong_udp_port", Drop::wrong_udp_port,
                      [] {
                        return vxlan_frame(inner_frame(kH1, kH2), 100, "192.168.1.1", "192.168.1.2",
                                           4790);
                      }},
        DecapDropCase{"i_flag_clear", Drop::vxlan_i_flag_clear,
                      [] {
                        return PacketBuilder()
                            .eth(kOurMac, kNextHopMac)
                            .ipv4(ip("192.168.1.1"), ip("192.168.1.2"))
                            .udp(50000, 4789)
                            .vxlan_raw(0x00, 100)
                            .inner(inner_frame(kH1, kH2))
                            .build();
                      }},
        DecapDropCase{"unknown_vni", Drop::unknown_vni,
                      [] { return vxlan_frame(inner_frame(kH1, kH2), 999); }},
        DecapDropCase{"unknown_source_vtep", Drop::unknown_source_vtep,
                      [] { return vxlan_frame(inner_frame(kH1, kH2), 100, "192.168.1.9"); }},
        DecapDropCase{"truncated_inner", Drop::truncated,
                      [] {
                        return PacketBuilder()
                            .eth(kOurMac, kNextHopMac)
                            .ipv4(ip("192.168.1.1"), ip("192.168.1.2"))
                            .udp(50000, 4789)
                            .vxlan(100)
                            .payload(10)
                            .build();
                      }},
        DecapDropCase{"truncated_outer", Drop::truncated,
                      [] {
                        Bytes f = vxlan_frame(inner_frame(kH1, kH2));
                        f.resize(40);
                        return f;
                      }},
        DecapDropCase{"inner_vlan_tagged", Drop::inner_vlan_tagged,
                      [] { return vxlan_frame(tagged(inner_frame(kH1, kH2), 5)); }},
        DecapDropCase{"inner_multicast_source", Drop::bad_inner_source_mac,
                      [] { return vxlan_frame(inner_frame(kH1, mac("01:00:5e:00:00:01"))); }},
        DecapDropCase{"inner_zero_source", Drop::bad_inner_source_mac,
                      [] { return vxlan_frame(inner_frame(kH1, mac("00:00:00:00:00:00"))); }},
        DecapDropCase{
            "not_for_us", Drop::not_for_us,
            [] { return vxlan_frame(inner_frame(kH1, kH2), 100, "192.168.1.1", "192.168.1.77"); }},
        DecapDropCase{"not_udp", Drop::not_for_us,
                      [] {
                        return PacketBuilder()
                            .eth(kOurMac, kNextHopMac)
                            .ipv4(ip("192.168.1.1"), ip("192.168.1.2"))
                            .icmp_echo(1, 1)
                            .build();
                      }},
        DecapDropCase{"bad_ip_checksum", Drop::bad_ip_checksum,
                      [] { return corrupt(vxlan_frame(inner_frame(kH1, kH2)), 24, 0x01); }},
        DecapDropCase{"bad_udp_checksum", Drop::bad_udp_checksum,
                      [] {
                        return corrupt(PacketBuilder()
                                           .eth(kOurMac, kNextHopMac)
                                           .ipv4(ip("192.168.1.1"), ip("192.168.1.2"))
                                           .udp(50000, 4789)
                                           .udp_checksum(true)
                                           .vxlan(100)
                                           .inner(inner_frame(kH1, kH2))
                                           .build(),
                                       60, 0x01);  // a payload byte
                      }}),
    [](const ::testing::TestParamInfo<DecapDropCase>& i) { return std::string(i.param.name); });

TEST(Decap, UnknownSourceAllowedLearnsARemote) {
  auto cfg = base_config();
  cfg.vtep.allow_unknown_sources = true;
  Harness h(cfg, resolving_underlay());
  h.dp.set_underlay_for_learned_remotes(resolving_underlay());
  h.send_underlay(vxlan_frame(inner_frame(kBroadcast, kH2), 100, "192.168.1.9"));
  EXPECT_EQ(h.out(0).size(), 1u);
  uint32_t r = h.remote("192.168.1.9");
  ASSERT_NE(r, kNone);
  EXPECT_EQ(h.dp.snapshot()->remotes()[r].origin, RemoteOrigin::kLearned);
  auto e = h.fdb("web", kH2);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->location, Location::remote(r));
  // And the reply goes back to it.
  Bytes in = inner_frame(kH2, kH1);
  h.send_local(0, in);
  auto out = h.out_underlay();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], expected_encap(in, 100, "192.168.1.9", 0));
}

// ---- Flooding and split horizon ----

TEST(Flood, BroadcastFromLocalGoesToEveryOtherAttachmentAndRemoteOnce) {
  Harness h;
  Bytes in = inner_frame(kBroadcast, kH1);
  h.send_local(0, in);
  EXPECT_TRUE(h.out(0).empty());  // never back out where it came in
  auto p1 = h.out(1);
  ASSERT_EQ(p1.size(), 1u);
  EXPECT_EQ(p1[0], tagged(in, 10));
  EXPECT_TRUE(h.out(2).empty());  // another network
  auto u = h.out_underlay();
  ASSERT_EQ(u.size(), 2u);
  EXPECT_EQ(u[0], expected_encap(in, 100, "192.168.1.1", 0));
  EXPECT_EQ(u[1], expected_encap(in, 100, "192.168.1.3", 1));
}

TEST(Flood, UnknownUnicastIsFlooded) {
  Harness h;
  h.send_local(1, tagged(inner_frame(kH2, kH3), 10));
  EXPECT_EQ(h.out(0).size(), 1u);
  EXPECT_EQ(h.out_underlay().size(), 2u);
}

TEST(Flood, FromOverlayGoesToLocalAttachmentsOnly) {
  Harness h;
  Bytes in = inner_frame(kBroadcast, kH2);
  h.send_underlay(vxlan_frame(in));
  auto p0 = h.out(0);
  ASSERT_EQ(p0.size(), 1u);
  EXPECT_EQ(p0[0], in);
  auto p1 = h.out(1);
  ASSERT_EQ(p1.size(), 1u);
  EXPECT_EQ(p1[0], tagged(in, 10));
  EXPECT_TRUE(h.out(2).empty());
  EXPECT_TRUE(h.out_underlay().empty());
}

TEST(Flood, NoBufferForCopiesIsCountedAndTheOriginalStillGoes) {
  // Pool of exactly one packet: the frame itself; every copy fails.
  Harness h(base_config(), resolving_underlay(), 1);
  h.send_local(0, inner_frame(kBroadcast, kH1));
  EXPECT_EQ(h.drops(Drop::no_buffer), 2u);
  EXPECT_EQ(h.out(1).size() + h.out_underlay().size(), 1u);
}

// ---- VLAN attachments (VLAN <-> VNI) ----

TEST(Vlan, TaggedInUntaggedOutAndBack) {
  Harness h;
  h.send_local(0, inner_frame(kBroadcast, kH1));  // learn h1 on p0
  h.out(1);
  h.out_underlay();
  Bytes f = inner_frame(kH1, kH3);
  h.send_local(1, tagged(f, 10));
  auto p0 = h.out(0);
  ASSERT_EQ(p0.size(), 1u);
  EXPECT_EQ(p0[0], f);  // untagged on p0
  Bytes back = inner_frame(kH3, kH1);
  h.send_local(0, back);
  auto p1 = h.out(1);
  ASSERT_EQ(p1.size(), 1u);
  EXPECT_EQ(p1[0], tagged(back, 10));
  auto e = h.fdb("web", kH3);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->location, Location::local(1, 10));
}

TEST(Vlan, UnknownVlanOrPortIsNoAttachment) {
  Harness h;
  h.send_local(1, tagged(inner_frame(kBroadcast, kH3), 11));
  h.send_local(1, inner_frame(kBroadcast, kH3));  // p1 has no untagged attachment
  EXPECT_EQ(h.drops(Drop::no_attachment), 2u);
}

TEST(Local, BadSourceMacAndTruncatedAndHairpin) {
  Harness h;
  h.send_local(0, inner_frame(kH2, mac("01:00:00:00:00:01")));
  h.send_local(0, inner_frame(kH2, mac("00:00:00:00:00:00")));
  h.send_local(0, Bytes(10, 0));
  EXPECT_EQ(h.drops(Drop::bad_source_mac), 2u);
  EXPECT_EQ(h.drops(Drop::truncated), 1u);
  ASSERT_TRUE(h.dp.fdb().add_static(h.net("web"), kH3, Location::local(0, 0)));
  h.send_local(0, inner_frame(kH3, kH1));
  EXPECT_EQ(h.drops(Drop::hairpin), 1u);
  EXPECT_TRUE(h.out(0).empty());
}

// ---- Learning, moves, duplicate detection, limits, ageing, statics ----

TEST(Learning, LocalSourceIsLearnedWithPortAndVlan) {
  Harness h;
  h.send_local(0, inner_frame(kBroadcast, kH1));
  auto e = h.fdb("web", kH1);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->location, Location::local(0, 0));
  EXPECT_EQ(e->last_seen, 1000u);
  EXPECT_EQ(h.dp.read_counters().fdb.learned, 1u);
  EXPECT_FALSE(h.fdb("db", kH1));  // per network
}

TEST(Learning, MacMoveIsCountedAndFollowed) {
  Harness h;
  h.send_local(0, inner_frame(kBroadcast, kH1));
  h.now += 1;
  h.send_local(1, tagged(inner_frame(kBroadcast, kH1), 10));
  auto e = h.fdb("web", kH1);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->location, Location::local(1, 10));
  EXPECT_EQ(e->moves, 1u);
  EXPECT_EQ(h.dp.read_counters().fdb.moves, 1u);
  // Moves to a remote VTEP too.
  h.send_underlay(vxlan_frame(inner_frame(kBroadcast, kH1)));
  EXPECT_EQ(h.fdb("web", kH1)->location, Location::remote(h.remote("192.168.1.1")));
  EXPECT_EQ(h.dp.read_counters().fdb.moves, 2u);
}

TEST(Learning, FiveMovesIn180SecondsFreezeTheEntry) {
  Harness h;
  h.send_local(0, inner_frame(kBroadcast, kH1));
  for (int i = 1; i <= 5; ++i) {
    h.now += 10;
    if (i % 2)
      h.send_local(1, tagged(inner_frame(kBroadcast, kH1), 10));
    else
      h.send_local(0, inner_frame(kBroadcast, kH1));
    EXPECT_EQ(h.fdb("web", kH1)->frozen, i == 5) << "move " << i;
  }
  auto frozen_at = h.fdb("web", kH1)->location;
  EXPECT_EQ(h.dp.read_counters().fdb.dup_frozen, 1u);
  // Frozen: further moves are not applied.
  h.now += 10;
  h.send_local(0, inner_frame(kBroadcast, kH1));
  h.send_local(1, tagged(inner_frame(kBroadcast, kH1), 10));
  EXPECT_EQ(h.fdb("web", kH1)->location, frozen_at);
  EXPECT_EQ(h.fdb("web", kH1)->moves, 5u);
}

TEST(Learning, SlowMovesDoNotFreeze) {
  Harness h;
  h.send_local(0, inner_frame(kBroadcast, kH1));
  for (int i = 1; i <= 10; ++i) {
    h.now += 50;  // 5 moves span 200 s > 180 s
    if (i % 2)
      h.send_local(1, tagged(inner_frame(kBroadcast, kH1), 10));
    else
      h.send_local(0, inner_frame(kBroadcast, kH1));
  }
  EXPECT_FALSE(h.fdb("web", kH1)->frozen);
  EXPECT_EQ(h.fdb("web", kH1)->moves, 10u);
}

TEST(Learning, MacLimitStillForwardsButDoesNotLearn) {
  auto cfg = base_config();
  cfg.networks[0].mac_limit = 2;
  Harness h(cfg);
  for (uint8_t i = 1; i <= 3; ++i) {
    MacAddress m = mac("00:00:00:00:10:00");
    m.b[5] = i;
    h.send_local(0, inner_frame(kBroadcast, m));
  }
  EXPECT_EQ(h.out(1).size(), 3u);  // all forwarded
  EXPECT_EQ(h.out_underlay().size(), 6u);
  auto c = h.dp.read_counters();
  EXPECT_EQ(c.fdb.learned, 2u);
  EXPECT_EQ(c.fdb.mac_limit_exceeded, 1u);
  EXPECT_EQ(h.dp.fdb().entries_in(h.net("web")), 2u);
}

TEST(Learning, EntriesAgeOutAfterTheNetworksAgeingTime) {
  auto cfg = base_config();
  cfg.networks[0].ageing = 60;
  Harness h(cfg);
  h.send_local(0, inner_frame(kBroadcast, kH1));
  h.send_local(2, inner_frame(kBroadcast, kH3));  // db: default 300 s
  h.now += 30;
  h.send_local(0, inner_frame(kBroadcast, kH1));  // refresh
  h.now += 50;
  EXPECT_EQ(h.dp.age_slice(), 0u);
  ASSERT_TRUE(h.fdb("web", kH1));
  h.now += 11;  // 61 s idle
  EXPECT_EQ(h.dp.age_slice(), 1u);
  EXPECT_FALSE(h.fdb("web", kH1));
  EXPECT_TRUE(h.fdb("db", kH3));
  EXPECT_EQ(h.dp.read_counters().fdb.aged, 1u);
  // Relearned when it speaks again.
  h.send_local(0, inner_frame(kBroadcast, kH1));
  EXPECT_TRUE(h.fdb("web", kH1));
}

TEST(Learning, StaticEntriesWinAndNeverAge) {
  auto cfg = base_config();
  config::StaticMac sm;
  sm.mac = kH1;
  sm.port = "p0";
  cfg.networks[0].static_macs = {sm};
  cfg.networks[0].ageing = 10;
  Harness h(cfg);
  ASSERT_TRUE(h.fdb("web", kH1));
  EXPECT_EQ(h.fdb("web", kH1)->type, FdbType::kStatic);
  h.send_local(1, tagged(inner_frame(kBroadcast, kH1), 10));
  h.send_underlay(vxlan_frame(inner_frame(kBroadcast, kH1)));
  EXPECT_EQ(h.fdb("web", kH1)->location, Location::local(0, 0));
  h.now += 1000;
  h.dp.age_slice();
  EXPECT_TRUE(h.fdb("web", kH1));
  // Removed from the configuration: gone.
  cfg.networks[0].static_macs.clear();
  ASSERT_TRUE(h.dp.apply(cfg, resolving_underlay()));
  EXPECT_FALSE(h.fdb("web", kH1));
}

TEST(Learning, FlushNetworkIsImmediate) {
  Harness h;
  h.send_local(0, inner_frame(kBroadcast, kH1));
  h.send_local(2, inner_frame(kBroadcast, kH3));
  h.dp.fdb().flush_network(h.net("web"));
  EXPECT_FALSE(h.fdb("web", kH1));
  EXPECT_TRUE(h.fdb("db", kH3));
  EXPECT_EQ(h.dp.fdb().size(), 1u);
  h.send_local(0, inner_frame(kBroadcast, kH1));
  EXPECT_TRUE(h.fdb("web", kH1));
}

// ---- Counters across reconfiguration ----

TEST(Counters, SurviveSnapshotSwapsByStableIndex) {
  Harness h;
  h.send_local(2, inner_frame(kBroadcast, kH3));
  uint32_t db = h.net("db");
  auto cfg = base_config();
  config::Network extra;
  extra.name = "aaa";
  extra.vni = 300;
  cfg.networks.insert(cfg.networks.begin(), extra);
  ASSERT_TRUE(h.dp.apply(cfg, resolving_underlay()));
  EXPECT_EQ(h.net("db"), db);
  auto c = h.dp.read_counters();
  EXPECT_EQ(c.networks[db].rx_packets, 1u);
  EXPECT_EQ(c.ports[2].rx_packets, 1u);
  EXPECT_EQ(c.workers.size(), 1u);
  EXPECT_EQ(c.workers[0].rx_packets, 1u);
}

TEST(Trace, MarkedPacketsRecordTheirPath) {
  Harness h;
  h.dp.start_trace(1);
  h.send_local(1, tagged(inner_frame(kBroadcast, kH3), 11));  // dropped: no attachment
  h.send_local(1, tagged(inner_frame(kBroadcast, kH3), 11));  // not traced
  auto t = h.dp.read_trace();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].decision, Decision::kDrop);
  EXPECT_EQ(t[0].drop, Drop::no_attachment);
  EXPECT_EQ(t[0].port, 1u);
}

}  // namespace
}  // namespace vgw::dataplane::testing
