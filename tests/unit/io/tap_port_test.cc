// The TAP underlay: coalesce_vxlan_tcp merges a run of VXLAN-encapsulated TCP
// segments into one tunnelled TSO frame (exact header bytes and virtio-net header
// fields, and cut again by the inner TCP it gives back exactly the frames merged);
// against the kernel (needs root), a run sent through a TAP crosses a bridge and a
// veth to a kernel VXLAN VTEP as ONE frame and reaches the far host whole, and a
// second TapPort on the same bridge receives it back as the original frames.
#include "io/tap_port.h"

#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "packet/builder.h"
#include "packet/byte_order.h"
#include "packet/checksum.h"
#include "packet/gso.h"
#include "packet/tcp.h"
#include "support/netns_fixture.h"

namespace vgw::io {
namespace {

using packet::load_be16;
using packet::load_be32;
using packet::PacketBuilder;

const MacAddress kVtepMacA = *MacAddress::parse("02:00:00:00:0a:0a");
const MacAddress kVtepMacB = *MacAddress::parse("02:00:00:00:0b:0b");
const MacAddress kHostMac1 = *MacAddress::parse("02:00:00:00:01:01");
const MacAddress kHostMac2 = *MacAddress::parse("02:00:00:00:02:02");
const IpAddress kVtepA = *IpAddress::parse("192.168.231.2");
const IpAddress kVtepB = *IpAddress::parse("192.168.231.1");

constexpr uint32_t kMss = 1400;
// Outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8, inner Ethernet 14 + IPv4 20 + TCP 20.
constexpr uint32_t kOuterL4 = 34, kInnerL3 = 64, kInnerL4 = 84, kHeader = 104;

// Frame i of a TCP flow h1 -> h2 as vgwd's encapsulation leaves it: outer IPv4 id
// and inner IPv4 id advancing by one, outer UDP checksum zero, full TCP checksum.
std::vector<uint8_t> vxlan_segment(uint32_t i, uint32_t payload, uint8_t flags,
                                   bool inner_v6 = false, uint16_t sport = 50000) {
  PacketBuilder in;
  in.eth(kHostMac2, kHostMac1);
  if (inner_v6) {
    in.ipv6(*IpAddress::parse("2001:db8::1"), *IpAddress::parse("2001:db8::2"));
  } else {
    in.ipv4(*IpAddress::parse("10.231.0.1"), *IpAddress::parse("10.231.0.2"))
        .ip_id(static_cast<uint16_t>(0xfffe + i))
        .df();
  }
  auto inner = in.tcp(40000, 5201, flags, 1000 + kMss * i, 7).payload(payload).build();
  return PacketBuilder()
      .eth(kVtepMacB, kVtepMacA)
      .ipv4(kVtepA, kVtepB)
      .ip_id(static_cast<uint16_t>(0xffff + i))
      .udp(sport, 4789)
      .vxlan(100)
      .inner(inner)
      .build();
}

std::vector<Packet*> to_packets(PacketPool& pool, const std::vector<std::vector<uint8_t>>& frames) {
  std::vector<Packet*> v;
  for (const auto& f : frames) {
    v.push_back(pool.alloc());
    EXPECT_TRUE(v.back() && v.back()->assign(f));
  }
  return v;
}

// Four segments, the last one short and pushed: 3 x 1400 + 300 payload bytes.
std::vector<std::vector<uint8_t>> four_segments() {
  std::vector<std::vector<uint8_t>> f;
  for (uint32_t i = 0; i < 4; ++i)
    f.push_back(
        vxlan_segment(i, i == 3 ? 300 : kMss, packet::kTcpAck | (i == 3 ? packet::kTcpPsh : 0)));
  return f;
}

// The merged frame as the kernel gets it: the header, then each frame's payload.
std::vector<uint8_t> merged_frame(const std::array<uint8_t, TunnelRun::kMaxHeader>& hdr,
                                  const TunnelRun& run,
                                  const std::vector<std::vector<uint8_t>>& frames) {
  std::vector<uint8_t> m(hdr.begin(), hdr.begin() + run.header_len);
  for (uint32_t i = 0; i < run.count; ++i)
    m.insert(m.end(), frames[i].begin() + run.header_len, frames[i].end());
  return m;
}

// The frame as the wire carries it: a TCP checksum left partial is finished.
std::vector<uint8_t> finished(const Packet& p) {
  std::vector<uint8_t> f(p.bytes().begin(), p.bytes().end());
  if (p.meta.flags & PacketMeta::kCsumPartial) {
    EXPECT_TRUE(gso::finish_partial_checksum(f, p.meta.csum_start, p.meta.csum_offset,
                                             static_cast<uint32_t>(f.size())));
  }
  return f;
}

TEST(TapCoalesce, MergesARunIntoOneTunnelledTsoFrame) {
  PacketPool pool(16);
  const auto frames = four_segments();
  auto pkts = to_packets(pool, frames);
  std::array<uint8_t, TunnelRun::kMaxHeader> hdr{};
  const TunnelRun run = coalesce_vxlan_tcp(pkts, 4789, 64, hdr);
  ASSERT_EQ(run.count, 4u);
  EXPECT_EQ(run.header_len, kHeader);
  EXPECT_EQ(run.mss, kMss);
  EXPECT_EQ(run.last_payload, 300u);
  EXPECT_EQ(run.outer_l4, kOuterL4);
  EXPECT_EQ(run.inner_l3, kInnerL3);
  EXPECT_EQ(run.inner_l4, kInnerL4);
  EXPECT_FALSE(run.inner_v6);

  // Header bytes: the first frame's, but for lengths, checksums and the last PSH.
  const uint32_t total = kHeader + 3 * kMss + 300;
  std::vector<uint8_t> want(frames[0].begin(), frames[0].begin() + kHeader);
  packet::store_be16(want.data() + 16, static_cast<uint16_t>(total - 14));  // outer IPv4 length
  packet::store_be16(want.data() + 24, 0);
  packet::store_be16(want.data() + 24, packet::ipv4_header_checksum({want.data() + 14, 20}));
  packet::store_be16(want.data() + 38, static_cast<uint16_t>(total - 34));  // outer UDP length
  packet::store_be16(want.data() + 40, 0);                                  // outer UDP checksum
  packet::store_be16(want.data() + 66, static_cast<uint16_t>(total - 64));  // inner IPv4 length
  packet::store_be16(want.data() + 74, 0);
  packet::store_be16(want.data() + 74, packet::ipv4_header_checksum({want.data() + 64, 20}));
  want[kInnerL4 + 13] = packet::kTcpAck | packet::kTcpPsh;
  const uint32_t pseudo = packet::pseudo_header_sum_v4(
      want.data() + 76, want.data() + 80, IPPROTO_TCP, static_cast<uint16_t>(total - kInnerL4));
  packet::store_be16(want.data() + kInnerL4 + 16, packet::csum_fold(pseudo));
  EXPECT_EQ(std::vector<uint8_t>(hdr.begin(), hdr.begin() + kHeader), want);
  // The first frame's ids and sequence number stay.
  EXPECT_EQ(load_be16(hdr.data() + 18), 0xffff);
  EXPECT_EQ(load_be16(hdr.data() + 68), 0xfffe);
  EXPECT_EQ(load_be32(hdr.data() + kInnerL4 + 4), 1000u);

  // The virtio-net header: TCPV4 inside a UDP-over-IPv4 tunnel, the inner TCP
  // checksum to finish, the tunnel offsets; byte for byte (little-endian).
  const TunnelVnetHdr vh = tunnel_vnet_header(run);
  EXPECT_EQ(vh.flags, TunnelVnetHdr::kNeedsCsum);
  EXPECT_EQ(vh.gso_type, 0x21);
  EXPECT_EQ(vh.hdr_len, kHeader);
  EXPECT_EQ(vh.gso_size, kMss);
  EXPECT_EQ(vh.csum_start, kInnerL4);
  EXPECT_EQ(vh.csum_offset, 16);
  EXPECT_EQ(vh.outer_th_offset, kOuterL4);
  EXPECT_EQ(vh.inner_nh_offset, kInnerL3);
  std::array<uint8_t, 24> bytes{};
  std::memcpy(bytes.data(), &vh, sizeof vh);
  const std::array<uint8_t, 24> want_vh = {0x01, 0x21, 104, 0, 0x78, 0x05, 84, 0, 16, 0, 0,  0,
                                           0,    0,    0,   0, 0,    0,    0,  0, 34, 0, 64, 0};
  EXPECT_EQ(bytes, want_vh);

  // Cut by its inner TCP (what the kernel would do where the frame cannot be carried
  // whole), the merged frame gives back exactly the frames merged.
  auto m = merged_frame(hdr, run, frames);
  ASSERT_EQ(m.size(), total);
  ASSERT_TRUE(gso::finish_partial_checksum(m, vh.csum_start, vh.csum_offset, total));
  auto l = gso::parse(m, 4789);
  ASSERT_TRUE(l && l->tunnel);
  EXPECT_TRUE(gso::l4_checksum_ok(m, *l));
  std::array<Packet*, 8> out{};
  const gso::SegResult r = gso::segment_tcp(m, *l, vh.gso_size, pool, out);
  ASSERT_EQ(r.count, 4u);
  for (uint32_t i = 0; i < 4; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(std::vector<uint8_t>(out[i]->bytes().begin(), out[i]->bytes().end()), frames[i]);
    out[i]->release();
  }
  for (Packet* p : pkts) p->release();
  EXPECT_EQ(pool.available(), 16u);
}

TEST(TapCoalesce, InnerIpv6IsTcpV6InAnIpv4Tunnel) {
  PacketPool pool(4);
  std::vector<std::vector<uint8_t>> frames = {vxlan_segment(0, kMss, packet::kTcpAck, true),
                                              vxlan_segment(1, kMss, packet::kTcpAck, true)};
  auto pkts = to_packets(pool, frames);
  std::array<uint8_t, TunnelRun::kMaxHeader> hdr{};
  const TunnelRun run = coalesce_vxlan_tcp(pkts, 4789, 64, hdr);
  ASSERT_EQ(run.count, 2u);
  EXPECT_TRUE(run.inner_v6);
  EXPECT_EQ(run.inner_l4, kInnerL3 + 40);
  const TunnelVnetHdr vh = tunnel_vnet_header(run);
  EXPECT_EQ(vh.gso_type, 0x24);
  EXPECT_EQ(vh.csum_start, kInnerL3 + 40);
  EXPECT_EQ(load_be16(hdr.data() + kInnerL3 + 4), 20 + 2 * kMss);  // IPv6 payload length
  for (Packet* p : pkts) p->release();
}

TEST(TapCoalesce, StopsWhereTheFramesDiffer) {
  PacketPool pool(64);
  std::array<uint8_t, TunnelRun::kMaxHeader> hdr{};
  auto run_of = [&](const std::vector<std::vector<uint8_t>>& frames, uint16_t port = 4789) {
    auto pkts = to_packets(pool, frames);
    const uint32_t n = coalesce_vxlan_tcp(pkts, port, 64, hdr).count;
    for (Packet* p : pkts) p->release();
    return n;
  };
  const uint8_t ack = packet::kTcpAck;
  EXPECT_EQ(run_of(four_segments()), 4u);
  EXPECT_EQ(run_of(four_segments(), 8472), 0u);  // not our VXLAN port
  EXPECT_EQ(run_of({vxlan_segment(0, kMss, ack)}), 0u);
  // Another flow (outer source port), a gap in the sequence, a repeated outer id.
  EXPECT_EQ(run_of({vxlan_segment(0, kMss, ack), vxlan_segment(1, kMss, ack, false, 50001)}), 0u);
  EXPECT_EQ(run_of({vxlan_segment(0, kMss, ack), vxlan_segment(2, kMss, ack)}), 0u);
  auto same_id = vxlan_segment(1, kMss, ack);
  packet::store_be16(same_id.data() + 18, 0xffff);
  EXPECT_EQ(run_of({vxlan_segment(0, kMss, ack), same_id}), 0u);
  // A short frame or PSH ends the run with it; SYN or a first PSH never merges.
  EXPECT_EQ(run_of({vxlan_segment(0, kMss, ack), vxlan_segment(1, 100, ack),
                    vxlan_segment(2, kMss, ack)}),
            2u);
  EXPECT_EQ(run_of({vxlan_segment(0, kMss, ack), vxlan_segment(1, kMss, ack | packet::kTcpPsh),
                    vxlan_segment(2, kMss, ack)}),
            2u);
  EXPECT_EQ(run_of({vxlan_segment(0, kMss, ack | packet::kTcpSyn),
                    vxlan_segment(1, kMss, ack | packet::kTcpSyn)}),
            0u);
  EXPECT_EQ(run_of({vxlan_segment(0, kMss, ack | packet::kTcpPsh), vxlan_segment(1, kMss, ack)}),
            0u);
  // A larger frame after the first (the first sets the segment size).
  EXPECT_EQ(run_of({vxlan_segment(0, 1000, ack), vxlan_segment(1, kMss, ack)}), 0u);
  // Never more than 64 KB of outer datagram: 47 x 1400 bytes is too much.
  std::vector<std::vector<uint8_t>> many;
  for (uint32_t i = 0; i < 50; ++i) many.push_back(vxlan_segment(i, kMss, ack));
  const uint32_t n = run_of(many);
  EXPECT_LE(20 + 8 + 8 + 54 + n * kMss, 65535u);
  EXPECT_GT(20 + 8 + 8 + 54 + (n + 1) * kMss, 65535u);
  EXPECT_EQ(pool.available(), 64u);
}

// An interface counter inside a namespace (sysfs shows the namespace it was mounted
// in: read it through `ip netns exec`, which mounts the right one).
uint64_t counter(const test::Netns& ns, const std::string& dev, const std::string& what) {
  const std::string cmd =
      "ip netns exec " + ns.name() + " cat /sys/class/net/" + dev + "/statistics/" + what;
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return 0;
  unsigned long long v = 0;
  if (fscanf(f, "%llu", &v) != 1) v = 0;
  pclose(f);
  return v;
}

// gw: bridge with two TAPs (vgwd's sender, a listener) and a veth, learning off so
// that every frame floods to both; far: the veth with a kernel VXLAN VTEP, a bridge
// and a veth to the host h.
struct TapTopo {
  test::VethPair pair{"tp"};  // a: gw, b: far
  test::Netns host{test::unique_name("tpH")};
  std::string br = test::unique_name("tbr");
  std::string tap1 = test::unique_name("t1");
  std::string tap2 = test::unique_name("t2");
  std::string hveth = test::unique_name("th");
  bool ok = false;

  TapTopo() {
    const auto& gw = pair.a;
    const auto& far = pair.b;
    ok = pair.ok() && host.ok() &&
         test::sh("ip link add " + hveth + " netns " + far.name() +
                  " type veth peer name eth0 netns " + host.name()) == 0 &&
         host.exec("ip link set eth0 address " + kHostMac2.to_string()) == 0 &&
         host.exec("ip link set eth0 up") == 0 &&
         far.exec("ip link set " + pair.b_if + " address " + kVtepMacB.to_string()) == 0 &&
         far.exec("ip addr add " + kVtepB.to_string() + "/24 dev " + pair.b_if) == 0 &&
         far.exec("ip link add br0 type bridge") == 0 &&
         far.exec("ip link add vx0 type vxlan id 100 dstport 4789 local " + kVtepB.to_string() +
                  " dev " + pair.b_if) == 0 &&
         far.exec("ip link set vx0 master br0") == 0 &&
         far.exec("ip link set " + hveth + " master br0") == 0 &&
         far.exec("ip link set vx0 up") == 0 && far.exec("ip link set " + hveth + " up") == 0 &&
         far.exec("ip link set br0 up") == 0 &&
         gw.exec("ip link add " + br + " type bridge") == 0 &&
         gw.exec("ip link set " + pair.a_if + " master " + br) == 0 &&
         gw.exec("bridge link set dev " + pair.a_if + " learning off") == 0 &&
         gw.exec("ip link set " + br + " up") == 0;
  }
  // Puts a TAP that vgwd opened into the bridge, learning off.
  bool plug(const std::string& tap) const {
    return pair.a.exec("ip link set " + tap + " master " + br) == 0 &&
           pair.a.exec("bridge link set dev " + tap + " learning off") == 0;
  }
};

std::unique_ptr<TapPort> open_tap(const test::Netns& ns, const std::string& name,
                                  const IpAddress& vtep) {
  return ns.run([&]() -> std::unique_ptr<TapPort> {
    TapOptions o;
    o.name = name;
    o.vtep = vtep;
    o.mtu = 1600;
    o.af_packet_rx = false;
    auto r = TapPort::open(o);
    if (!r) {
      ADD_FAILURE() << r.error().message;
      return nullptr;
    }
    return std::move(*r);
  });
}

TEST(TapPortKernel, ARunCrossesAsOneFrameAndComesBackWhole) {
  VGW_REQUIRE_ROOT();
  TapTopo t;
  ASSERT_TRUE(t.ok);
  auto sender = open_tap(t.pair.a, t.tap1, kVtepA);
  // The listener takes VXLAN to the far VTEP (what floods to it).
  auto listener = open_tap(t.pair.a, t.tap2, kVtepB);
  ASSERT_TRUE(sender && listener);
  ASSERT_TRUE(t.plug(t.tap1) && t.plug(t.tap2));
  EXPECT_TRUE(sender->tunnel_gso()) << "kernel without TUN_F_UDP_TUNNEL_GSO";
  EXPECT_EQ(sender->mtu(), 1600u);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  PacketPool pool(64);
  // Drain whatever the bridge flooded so far (nothing expected: IPv6 is off).
  std::array<Packet*, 64> out{};
  for (uint32_t i = 0, n = listener->receive(pool, out); i < n; ++i) out[i]->release();

  const uint64_t far_rx0 = counter(t.pair.b, t.pair.b_if, "rx_packets");
  const uint64_t host_rx0 = counter(t.host, "eth0", "rx_packets");
  const uint64_t host_bytes0 = counter(t.host, "eth0", "rx_bytes");
  const auto frames = four_segments();
  auto pkts = to_packets(pool, frames);
  EXPECT_EQ(sender->send(pkts), 4u);
  EXPECT_EQ(sender->stats().tx_packets, 4u);

  // The listener gets the run back as the four frames, byte for byte (the inner TCP
  // checksum left partial, the outer UDP checksum zero).
  std::vector<std::vector<uint8_t>> got;
  for (int tries = 0; tries < 100 && got.size() < 4; ++tries) {
    const uint32_t n = listener->receive(pool, out);
    for (uint32_t i = 0; i < n; ++i) {
      got.push_back(finished(*out[i]));
      out[i]->release();
    }
    if (got.size() < 4) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(got.size(), 4u);
  for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(got[i], frames[i]) << "frame " << i;
  EXPECT_EQ(listener->stats().rx_segmented, 1u);
  EXPECT_EQ(listener->stats().rx_packets, 4u);

  // The far kernel VTEP saw one frame and handed the host one inner super-frame.
  const uint32_t inner_total = (kHeader - 50) + 3 * kMss + 300;
  for (int tries = 0; tries < 100 && counter(t.host, "eth0", "rx_packets") == host_rx0; ++tries)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  // (Fewer frames than segments on the far veth: the run was not cut on the way;
  // the count may include a stray frame of the gw bridge.)
  EXPECT_LT(counter(t.pair.b, t.pair.b_if, "rx_packets") - far_rx0, 4u);
  EXPECT_EQ(counter(t.host, "eth0", "rx_packets") - host_rx0, 1u);
  EXPECT_EQ(counter(t.host, "eth0", "rx_bytes") - host_bytes0, inner_total);
  EXPECT_EQ(pool.available(), 64u);
}

TEST(TapPortKernel, ReceivesOnlyVxlanToTheVtepAndFinishesItsChecksum) {
  VGW_REQUIRE_ROOT();
  TapTopo t;
  ASSERT_TRUE(t.ok);
  auto port = open_tap(t.pair.a, t.tap1, kVtepA);
  ASSERT_TRUE(port);
  ASSERT_TRUE(t.plug(t.tap1));
  // The far VTEP floods h's ARP request to kVtepA, at a MAC the bridge never learns.
  ASSERT_EQ(t.pair.b.exec("ip neigh add " + kVtepA.to_string() + " lladdr " +
                          kVtepMacA.to_string() + " dev " + t.pair.b_if),
            0);
  ASSERT_EQ(t.pair.b.exec("bridge fdb append 00:00:00:00:00:00 dev vx0 dst " + kVtepA.to_string()),
            0);
  ASSERT_EQ(t.host.exec("ip addr add 10.231.0.2/24 dev eth0"), 0);
  // Non-VXLAN on the bridge (an ARP broadcast from the gw side) is ignored.
  ASSERT_EQ(t.pair.a.exec("ip addr add 192.168.231.9/24 dev " + t.br), 0);
  t.pair.a.exec("arping -c 1 -w 1 -I " + t.br + " 192.168.231.77");
  t.host.exec("ping -c 1 -W 1 10.231.0.1");

  PacketPool pool(64);
  std::array<Packet*, 64> out{};
  // Every frame taken is VXLAN to kVtepA with a valid outer checksum (the kernel
  // left it to the device); among them h's ARP request (h's IGMP reports may come too).
  bool arp = false;
  uint32_t frames = 0;
  for (int tries = 0; tries < 100 && !arp; ++tries) {
    const uint32_t n = port->receive(pool, out);
    for (uint32_t i = 0; i < n; ++i) {
      const auto f = finished(*out[i]);
      out[i]->release();
      ++frames;
      auto l = gso::parse(f);
      ASSERT_TRUE(l);
      ASSERT_EQ(l->proto, IPPROTO_UDP);
      EXPECT_EQ(load_be16(f.data() + l->l4 + 2), 4789);
      EXPECT_EQ(std::vector<uint8_t>(f.data() + l->l3 + 16, f.data() + l->l3 + 20),
                std::vector<uint8_t>(kVtepA.b.begin(), kVtepA.b.begin() + 4));
      EXPECT_TRUE(gso::l4_checksum_ok(f, *l));
      if (f.size() >= 50 + 14 + 28 && load_be16(f.data() + 50 + 12) == 0x0806 &&
          load_be16(f.data() + 50 + 14 + 6) == 1)
        arp = true;
    }
    if (!arp) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(arp) << frames << " frames, none h's ARP request";
  EXPECT_EQ(port->stats().rx_packets, frames);
  EXPECT_EQ(port->stats().rx_dropped, 0u);
  EXPECT_EQ(pool.available(), 64u);
}

}  // namespace
}  // namespace vgw::io
