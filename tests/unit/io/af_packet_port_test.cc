// AfPacketPort against the kernel, in namespaces joined by a veth (needs root):
// fanout shares an interface between two ports with every frame seen exactly once,
// sending reaches the peer byte for byte, a real TCP transfer from a peer with
// default offloads (TSO) arrives as MTU-sized segments with valid checksums and
// the original byte stream, and the underlay filter takes only VXLAN to the VTEP.
#include "io/af_packet_port.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <thread>
#include <vector>

#include "io/af_xdp_port.h"
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
using test::VethPair;

// The frame as the wire would carry it: a TCP checksum that a received segment
// leaves to the device (PacketMeta::kCsumPartial, gso::segment_tcp) is finished,
// after checking it is described at the TCP header's checksum field.
std::vector<uint8_t> finished(const Packet& p) {
  std::vector<uint8_t> f(p.bytes().begin(), p.bytes().end());
  if (p.meta.flags & PacketMeta::kCsumPartial) {
    auto l = gso::parse(f);
    EXPECT_TRUE(l && l->proto == IPPROTO_TCP && p.meta.csum_start == l->l4 &&
                p.meta.csum_offset == 16);
    EXPECT_TRUE(gso::finish_partial_checksum(f, p.meta.csum_start, p.meta.csum_offset,
                                             static_cast<uint32_t>(f.size())));
  }
  return f;
}

const MacAddress kMacA = *MacAddress::parse("02:00:00:00:aa:01");
const MacAddress kMacB = *MacAddress::parse("02:00:00:00:bb:01");
const IpAddress kIpA = *IpAddress::parse("10.99.0.1");
const IpAddress kIpB = *IpAddress::parse("10.99.0.2");

std::unique_ptr<AfPacketPort> open_port(const AfPacketOptions& o) {
  auto r = AfPacketPort::open(o);
  if (!r) ADD_FAILURE() << r.error().message;
  return r ? std::move(*r) : nullptr;
}

// Receives on every port until `want` packets arrived or `timeout` passed; calls
// on_packet(port index, packet) for each and releases it.
template <typename F>
size_t receive_all(const std::vector<AfPacketPort*>& ports, PacketPool& pool, size_t want,
                   std::chrono::milliseconds timeout, F&& on_packet) {
  auto end = std::chrono::steady_clock::now() + timeout;
  size_t got = 0;
  std::array<Packet*, kBatchSize> out{};
  while (got < want && std::chrono::steady_clock::now() < end) {
    std::vector<pollfd> fds;
    for (auto* p : ports) fds.push_back({p->poll_fd(), POLLIN, 0});
    poll(fds.data(), fds.size(), 10);
    for (size_t i = 0; i < ports.size(); ++i) {
      uint32_t n = ports[i]->receive(pool, out);
      for (uint32_t k = 0; k < n; ++k) {
        on_packet(i, *out[k]);
        out[k]->release();
      }
      got += n;
    }
  }
  return got;
}

std::vector<uint8_t> udp_frame(uint16_t sport, uint32_t index, const IpAddress& dst,
                               uint16_t dport) {
  std::vector<uint8_t> marker = {
      'v', 'g', 'w', 0, static_cast<uint8_t>(index >> 8), static_cast<uint8_t>(index)};
  return PacketBuilder()
      .eth(kMacA, kMacB)
      .ipv4(kIpB, dst)
      .udp(sport, dport)
      .payload(marker)
      .build();
}

// The marker index of one of our test frames, or -1 for anything else.
int marker_of(const Packet& p) {
  auto b = p.bytes();
  if (b.size() != 14 + 20 + 8 + 6 || b[42] != 'v' || b[43] != 'g' || b[44] != 'w') return -1;
  return b[46] << 8 | b[47];
}

TEST(AfPacketPort, OpenNamesTheMissingInterface) {
  AfPacketOptions o;
  o.ifname = "vgwt-nope0";
  auto r = AfPacketPort::open(o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("vgwt-nope0"), std::string::npos) << r.error().message;
}

TEST(AfPacketPort, FanoutDeliversEveryFrameExactlyOnceAndSendReachesThePeer) {
  VGW_REQUIRE_ROOT();
  VethPair net("f");
  ASSERT_TRUE(net.ok());
  std::unique_ptr<AfPacketPort> a1, a2, b;
  net.a.run([&] {
    AfPacketOptions o;
    o.ifname = net.a_if;
    o.fanout_group = fanout_group_for(static_cast<int>(if_nametoindex(net.a_if.c_str())));
    a1 = open_port(o);
    a2 = open_port(o);
  });
  net.b.run([&] {
    AfPacketOptions o;
    o.ifname = net.b_if;
    b = open_port(o);
  });
  ASSERT_TRUE(a1 && a2 && b);
  EXPECT_EQ(a1->mtu(), 1500u);

  constexpr uint32_t kFrames = 512;
  PacketPool pool(2048);
  for (uint32_t base = 0; base < kFrames; base += 128) {
    std::array<Packet*, 128> batch{};
    for (uint32_t i = 0; i < 128; ++i) {
      batch[i] = pool.alloc();
      ASSERT_TRUE(
          batch[i]->assign(udp_frame(static_cast<uint16_t>(10000 + base + i), base + i, kIpA, 9)));
    }
    ASSERT_EQ(b->send(batch), 128u);
  }
  EXPECT_EQ(pool.available(), 2048u);
  std::map<int, int> seen;
  std::array<uint32_t, 2> per_port{};
  receive_all({a1.get(), a2.get()}, pool, kFrames, std::chrono::seconds(3),
              [&](size_t port, const Packet& p) {
                int m = marker_of(p);
                if (m < 0) return;
                ++seen[m];
                ++per_port[port];
              });
  EXPECT_EQ(seen.size(), kFrames);
  for (auto& [m, count] : seen) EXPECT_EQ(count, 1) << "frame " << m;
  EXPECT_GT(per_port[0], 0u);
  EXPECT_GT(per_port[1], 0u);
  EXPECT_EQ(per_port[0] + per_port[1], kFrames);
  EXPECT_EQ(b->stats().tx_packets, kFrames);
  EXPECT_GE(a1->stats().rx_packets + a2->stats().rx_packets, kFrames);

  // The other way, byte for byte, and no echo of our own sends on the sender.
  std::vector<std::vector<uint8_t>> frames;
  for (uint32_t i = 0; i < 5; ++i) {
    frames.push_back(
        PacketBuilder().eth(kMacB, kMacA).ipv4(kIpA, kIpB).udp(7, 7).payload(60 + 300 * i).build());
  }
  std::array<Packet*, 5> batch{};
  for (size_t i = 0; i < 5; ++i) {
    batch[i] = pool.alloc();
    ASSERT_TRUE(batch[i]->assign(frames[i]));
  }
  ASSERT_EQ(a1->send(batch), 5u);
  std::vector<std::vector<uint8_t>> got;
  receive_all({b.get()}, pool, 5, std::chrono::seconds(2), [&](size_t, const Packet& p) {
    got.emplace_back(p.bytes().begin(), p.bytes().end());
  });
  EXPECT_EQ(got, frames);
  size_t echoed = receive_all({a1.get(), a2.get()}, pool, 1, std::chrono::milliseconds(100),
                              [](size_t, const Packet&) {});
  EXPECT_EQ(echoed, 0u);
  EXPECT_EQ(pool.available(), 2048u);
}

// Both ring kinds hand over every frame in the order it was sent: TPACKET_V2
// slots and TPACKET_V3 blocks (the default).
TEST(AfPacketPort, BothRingKindsDeliverEveryFrameInOrder) {
  VGW_REQUIRE_ROOT();
  for (RxRing ring : {RxRing::kFrames, RxRing::kBlocks}) {
    SCOPED_TRACE(ring == RxRing::kFrames ? "frames" : "blocks");
    VethPair net("r");
    ASSERT_TRUE(net.ok());
    std::unique_ptr<AfPacketPort> a, b;
    net.a.run([&] {
      AfPacketOptions o;
      o.ifname = net.a_if;
      o.rx_ring = ring;
      a = open_port(o);
    });
    net.b.run([&] {
      AfPacketOptions o;
      o.ifname = net.b_if;
      b = open_port(o);
    });
    ASSERT_TRUE(a && b);
    constexpr uint32_t kFrames = 200;
    PacketPool pool(512);
    for (uint32_t base = 0; base < kFrames; base += 100) {
      std::array<Packet*, 100> batch{};
      for (uint32_t i = 0; i < 100; ++i) {
        batch[i] = pool.alloc();
        ASSERT_TRUE(batch[i]->assign(udp_frame(1000, base + i, kIpA, 9)));
      }
      ASSERT_EQ(b->send(batch), 100u);
    }
    std::vector<int> order;
    receive_all({a.get()}, pool, kFrames, std::chrono::seconds(3), [&](size_t, const Packet& p) {
      if (int m = marker_of(p); m >= 0) order.push_back(m);
    });
    ASSERT_EQ(order.size(), kFrames);
    for (uint32_t i = 0; i < kFrames; ++i) EXPECT_EQ(order[i], static_cast<int>(i));
    EXPECT_EQ(a->stats().rx_dropped, 0u);
    EXPECT_EQ(pool.available(), 512u);
  }
}

// Frames that found the ring full are lost in the kernel; the port reports them
// as rx_dropped (PACKET_STATISTICS), so they show in `show counters`.
TEST(AfPacketPort, FramesTheRingHadNoRoomForAreCountedAsRxDropped) {
  VGW_REQUIRE_ROOT();
  VethPair net("d");
  ASSERT_TRUE(net.ok());
  std::unique_ptr<AfPacketPort> a, b;
  net.a.run([&] {
    AfPacketOptions o;
    o.ifname = net.a_if;
    o.rx_ring = RxRing::kFrames;
    o.frame_count = 8;
    a = open_port(o);
  });
  net.b.run([&] {
    AfPacketOptions o;
    o.ifname = net.b_if;
    b = open_port(o);
  });
  ASSERT_TRUE(a && b);
  PacketPool pool(64);
  std::array<Packet*, 40> batch{};
  for (uint32_t i = 0; i < batch.size(); ++i) {
    batch[i] = pool.alloc();
    ASSERT_TRUE(batch[i]->assign(udp_frame(1000, i, kIpA, 9)));
  }
  ASSERT_EQ(b->send(batch), 40u);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  size_t got = receive_all({a.get()}, pool, 40, std::chrono::milliseconds(300),
                           [](size_t, const Packet&) {});
  EXPECT_EQ(got, 8u);  // the ring's slots; nothing was taken while the frames came
  const uint64_t dropped = a->stats().rx_dropped;
  EXPECT_GE(dropped, 32u);
  EXPECT_LE(dropped, 40u);
  EXPECT_EQ(a->stats().rx_dropped, dropped);  // read twice: counted once
  EXPECT_EQ(pool.available(), 64u);
}

// The kernel moves a received 802.1Q tag into metadata before AF_PACKET sees the
// frame; the port puts it back, so the frame is received exactly as it was sent.
TEST(AfPacketPort, VlanTagsArriveInTheFrame) {
  VGW_REQUIRE_ROOT();
  VethPair net("q");
  ASSERT_TRUE(net.ok());
  std::unique_ptr<AfPacketPort> a, b;
  net.a.run([&] {
    AfPacketOptions o;
    o.ifname = net.a_if;
    a = open_port(o);
  });
  net.b.run([&] {
    AfPacketOptions o;
    o.ifname = net.b_if;
    b = open_port(o);
  });
  ASSERT_TRUE(a && b);
  std::vector<std::vector<uint8_t>> frames = {
      PacketBuilder().eth(kMacA, kMacB).vlan(10).ipv4(kIpB, kIpA).udp(1, 2).payload(20).build(),
      PacketBuilder().eth(kMacA, kMacB).vlan(0, 5).ipv4(kIpB, kIpA).udp(1, 2).payload(20).build(),
      PacketBuilder()
          .eth(kMacA, kMacB)
          .qinq(20)
          .vlan(30)
          .ipv4(kIpB, kIpA)
          .udp(1, 2)
          .payload(20)
          .build(),
      PacketBuilder().eth(kMacA, kMacB).ipv4(kIpB, kIpA).udp(1, 2).payload(20).build(),
  };
  PacketPool pool(16);
  std::array<Packet*, 4> batch{};
  for (size_t i = 0; i < frames.size(); ++i) {
    batch[i] = pool.alloc();
    ASSERT_TRUE(batch[i]->assign(frames[i]));
  }
  ASSERT_EQ(b->send(batch), 4u);
  std::vector<std::vector<uint8_t>> got;
  receive_all({a.get()}, pool, 4, std::chrono::seconds(2), [&](size_t, const Packet& p) {
    got.emplace_back(p.bytes().begin(), p.bytes().end());
  });
  EXPECT_EQ(got, frames);
}

class TcpOffload : public ::testing::TestWithParam<bool> {};

// A TCP transfer from the peer namespace, with TSO on the veth as Linux sets it by
// default: the port hands on only frames that fit the MTU, every checksum valid,
// and the payload of the segments is the byte stream that was sent.
TEST_P(TcpOffload, SuperFramesArriveAsValidSegments) {
  VGW_REQUIRE_ROOT();
  const bool vnet = GetParam();
  VethPair net(vnet ? "t" : "u");
  ASSERT_TRUE(net.ok());
  ASSERT_EQ(net.a.exec("ip addr add 10.99.0.1/24 dev " + net.a_if), 0);
  ASSERT_EQ(net.b.exec("ip addr add 10.99.0.2/24 dev " + net.b_if), 0);
  std::unique_ptr<AfPacketPort> port;
  int listener = -1;
  net.a.run([&] {
    AfPacketOptions o;
    o.ifname = net.a_if;
    o.promiscuous = false;
    o.vnet_hdr = vnet;
    port = open_port(o);
    listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(5201);
    sa.sin_addr.s_addr = htonl(kIpA.v4_host());
    if (bind(listener, reinterpret_cast<sockaddr*>(&sa), sizeof sa) || listen(listener, 1))
      ADD_FAILURE() << "listen";
  });
  ASSERT_TRUE(port);
  EXPECT_EQ(port->has_vnet_hdr(), vnet);

  constexpr size_t kBytes = 4 << 20;
  std::atomic<bool> done{false};
  std::thread server([&] {
    int c = accept(listener, nullptr, nullptr);
    std::vector<uint8_t> buf(1 << 16);
    while (c >= 0 && read(c, buf.data(), buf.size()) > 0) {
    }
    if (c >= 0) close(c);
  });
  std::thread client([&] {
    net.b.enter();
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(5201);
    sa.sin_addr.s_addr = htonl(kIpA.v4_host());
    if (connect(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) {
      std::vector<uint8_t> data(kBytes);
      for (size_t i = 0; i < kBytes; ++i) data[i] = static_cast<uint8_t>(i % 251);
      size_t off = 0;
      while (off < kBytes) {
        ssize_t w = write(s, data.data() + off, kBytes - off);
        if (w <= 0) break;
        off += static_cast<size_t>(w);
      }
    }
    close(s);
    done = true;
  });

  PacketPool pool(4096);
  uint32_t isn = 0;
  bool have_isn = false;
  size_t data_segments = 0, too_big = 0, bad_csum = 0, bad_bytes = 0, max_len = 0, partial = 0;
  auto on_packet = [&](size_t, const Packet& p) {
    auto l = gso::parse(p.bytes());
    if (!l || l->proto != IPPROTO_TCP || load_be16(p.data() + l->l4 + 2) != 5201) return;
    const uint8_t* t = p.data() + l->l4;
    max_len = std::max<size_t>(max_len, p.size());
    if (p.size() > 1514) ++too_big;
    if (p.meta.flags & PacketMeta::kCsumPartial) ++partial;
    const std::vector<uint8_t> f = finished(p);
    if (!gso::l4_checksum_ok(f, *l) || !packet::ipv4_header_checksum_ok({f.data() + 14, 20}))
      ++bad_csum;
    if (t[13] & packet::kTcpSyn) {
      isn = load_be32(t + 4);
      have_isn = true;
      return;
    }
    const uint32_t hdr = (t[12] >> 4) * 4u;
    const uint32_t len = l->l3_end - l->l4 - hdr;
    if (!len || !have_isn) return;
    ++data_segments;
    const uint32_t offset = load_be32(t + 4) - isn - 1;
    for (uint32_t k = 0; k < len; ++k)
      if (t[hdr + k] != (offset + k) % 251) {
        ++bad_bytes;
        break;
      }
  };
  while (!done) receive_all({port.get()}, pool, SIZE_MAX, std::chrono::milliseconds(20), on_packet);
  receive_all({port.get()}, pool, SIZE_MAX, std::chrono::milliseconds(200), on_packet);
  client.join();
  server.join();
  close(listener);

  PortStats s = port->stats();
  EXPECT_TRUE(have_isn);
  EXPECT_GE(data_segments, kBytes / 1448);
  EXPECT_EQ(too_big, 0u) << "largest frame " << max_len;
  EXPECT_EQ(bad_csum, 0u);
  EXPECT_EQ(bad_bytes, 0u);
  EXPECT_GT(s.rx_segmented, 0u) << "no super-frame seen: is TSO off on the veth?";
  EXPECT_GT(partial, 0u);  // the segments of super-frames: checksum left to the sender
  EXPECT_EQ(pool.available(), 4096u);
}

INSTANTIATE_TEST_SUITE_P(VnetHdr, TcpOffload, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "vnet" : "parsed"; });

// Sending a run of segments of one TCP flow: it crosses the veth as one TSO
// super-frame (the receiving port sees one frame to segment), and what comes out of
// the receiver is the segments sent, byte for byte. With udp_gso the same for the
// VXLAN datagrams of such a flow (one UDP GSO frame), the outer UDP checksum then
// being the valid one the kernel computes instead of zero. The same from an AF_XDP
// port in copy mode, which sends through AF_PACKET (af_xdp_port.h): an attachment
// port, and with vxlan the underlay port.
TEST(AfPacketPort, SendCoalescesSegmentRunsIntoOneSuperFrame) {
  VGW_REQUIRE_ROOT();
  for (bool xdp : {false, true})
    for (bool vxlan : {false, true}) {
      SCOPED_TRACE(std::string(xdp ? "af_xdp" : "af_packet") + (vxlan ? " vxlan" : " tcp"));
      VethPair net(vxlan ? "gu" : "gt");
      ASSERT_TRUE(net.ok());
      std::unique_ptr<AfPacketPort> a;
      std::unique_ptr<Port> b;
      std::shared_ptr<XdpProgram> program;
      net.a.run([&] {
        AfPacketOptions o;
        o.ifname = net.a_if;
        o.vxlan_port = vxlan ? 4789 : 0;
        a = open_port(o);
      });
      net.b.run([&] {
        if (xdp) {
          auto prog =
              XdpProgram::attach({.ifname = net.b_if,
                                  .kind = vxlan ? XdpProgramKind::kVxlan : XdpProgramKind::kAll,
                                  .vtep = *IpAddress::parse("192.168.7.1")});
          ASSERT_TRUE(prog) << prog.error().message;
          program = *prog;
          AfXdpOptions o;
          o.ifname = net.b_if;
          o.program = program;
          o.vxlan_port = vxlan ? 4789 : 0;
          auto r = AfXdpPort::open(o);
          ASSERT_TRUE(r) << r.error().message;
          EXPECT_TRUE((*r)->sends_through_packet());
          b = std::move(*r);
          return;
        }
        AfPacketOptions o;
        o.ifname = net.b_if;
        o.udp_gso = vxlan;
        auto r = open_port(o);
        ASSERT_TRUE(r && r->has_vnet_hdr());
        b = std::move(r);
      });
      ASSERT_TRUE(a && b);
      ASSERT_TRUE(a->has_vnet_hdr());

      // A 1500-byte MTU: inner segments of 1410 bytes fit it after 50 bytes of VXLAN.
      constexpr uint32_t kMss = 1410, kPayload = 6 * kMss + 500;
      auto super = PacketBuilder()
                       .eth(kMacB, kMacA)
                       .ipv4(kIpA, kIpB)
                       .ip_id(0xfffd)
                       .tcp(40000, 5201, packet::kTcpAck | packet::kTcpPsh, 12345, 7)
                       .payload(kPayload)
                       .build();
      PacketPool pool(256);
      std::vector<Packet*> seg(16);
      seg.resize(gso::segment_tcp(super, *gso::parse(super), kMss, pool, seg).count);
      ASSERT_EQ(seg.size(), 7u);
      std::vector<std::vector<uint8_t>> sent;
      for (uint32_t i = 0; i < seg.size(); ++i) {
        std::vector<uint8_t> f(seg[i]->bytes().begin(), seg[i]->bytes().end());
        if (vxlan) {
          f = PacketBuilder()
                  .eth(kMacB, kMacA)
                  .ipv4(*IpAddress::parse("192.168.7.1"), *IpAddress::parse("192.168.7.2"))
                  .ip_id(static_cast<uint16_t>(65530 + i))
                  .udp(50000, 4789)
                  .udp_checksum(0)
                  .vxlan(100)
                  .inner(f)
                  .build();
          ASSERT_TRUE(seg[i]->assign(f));
        }
        sent.push_back(f);
      }
      ASSERT_EQ(b->send(seg), 7u);
      std::vector<std::vector<uint8_t>> got;
      receive_all({a.get()}, pool, 7, std::chrono::seconds(2),
                  [&](size_t, const Packet& p) { got.push_back(finished(p)); });
      ASSERT_EQ(got.size(), sent.size())
          << (got.empty() ? 0 : got[0].size()) << " rx_dropped " << a->stats().rx_dropped
          << " tx_dropped " << b->stats().tx_dropped;
      for (size_t i = 0; i < got.size(); ++i) {
        SCOPED_TRACE(i);
        if (vxlan) {  // the outer UDP checksum: zero sent, a valid one received
          auto l = gso::parse(got[i], 0);
          ASSERT_TRUE(l);
          EXPECT_NE(load_be16(got[i].data() + 34 + 6), 0);
          EXPECT_TRUE(gso::l4_checksum_ok(got[i], *l));
          got[i][40] = got[i][41] = 0;
        }
        EXPECT_EQ(got[i], sent[i]);
      }
      EXPECT_EQ(a->stats().rx_segmented, 1u);  // one frame crossed the veth
      EXPECT_EQ(b->stats().tx_packets, 7u);
      EXPECT_EQ(b->stats().tx_bytes, [&] {
        uint64_t n = 0;
        for (auto& f : sent) n += f.size();
        return n;
      }());
      EXPECT_EQ(pool.available(), 256u);
      net.b.run([&] {  // libxdp detaches in the namespace it attached in
        b.reset();
        program.reset();
      });
    }
}

TEST(AfPacketPort, UnderlayFilterTakesOnlyVxlanToTheVtep) {
  VGW_REQUIRE_ROOT();
  VethPair net("v");
  ASSERT_TRUE(net.ok());
  std::unique_ptr<AfPacketPort> a, b;
  net.a.run([&] {
    AfPacketOptions o;
    o.ifname = net.a_if;
    o.promiscuous = false;
    o.bpf = vxlan_filter(kIpA, 4789);
    a = open_port(o);
  });
  net.b.run([&] {
    AfPacketOptions o;
    o.ifname = net.b_if;
    b = open_port(o);
  });
  ASSERT_TRUE(a && b);
  PacketPool pool(64);
  std::vector<std::vector<uint8_t>> frames = {
      udp_frame(50000, 1, kIpA, 4789),                            // taken
      udp_frame(50000, 2, kIpA, 4790),                            // wrong port
      udp_frame(50000, 3, *IpAddress::parse("10.99.0.3"), 4789),  // another address
      PacketBuilder().eth(kMacA, kMacB).ipv4(kIpB, kIpA).tcp(1, 4789, packet::kTcpSyn, 1).build(),
      PacketBuilder()
          .eth(kMacA, kMacB)
          .ipv6(*IpAddress::parse("fd00::2"), *IpAddress::parse("fd00::1"))
          .udp(1, 4789)
          .payload(6)
          .build(),
      udp_frame(50001, 4, kIpA, 4789),  // taken
  };
  std::array<Packet*, 6> batch{};
  for (size_t i = 0; i < frames.size(); ++i) {
    batch[i] = pool.alloc();
    ASSERT_TRUE(batch[i]->assign(frames[i]));
  }
  ASSERT_EQ(b->send(batch), 6u);
  std::vector<std::vector<uint8_t>> got;
  receive_all({a.get()}, pool, 3, std::chrono::milliseconds(500), [&](size_t, const Packet& p) {
    got.emplace_back(p.bytes().begin(), p.bytes().end());
  });
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], frames[0]);
  EXPECT_EQ(got[1], frames[5]);
}

TEST(AfPacketPort, Ipv6UnderlayFilter) {
  VGW_REQUIRE_ROOT();
  VethPair net("w");
  ASSERT_TRUE(net.ok());
  const IpAddress vtep = *IpAddress::parse("fd00::1");
  std::unique_ptr<AfPacketPort> a, b;
  net.a.run([&] {
    AfPacketOptions o;
    o.ifname = net.a_if;
    o.bpf = vxlan_filter(vtep, 4789);
    a = open_port(o);
  });
  net.b.run([&] {
    AfPacketOptions o;
    o.ifname = net.b_if;
    b = open_port(o);
  });
  ASSERT_TRUE(a && b);
  const IpAddress src = *IpAddress::parse("fd00::2");
  std::vector<std::vector<uint8_t>> frames = {
      PacketBuilder()
          .eth(kMacA, kMacB)
          .ipv6(src, *IpAddress::parse("fd00::3"))
          .udp(1, 4789)
          .payload(8)
          .build(),
      PacketBuilder().eth(kMacA, kMacB).ipv6(src, vtep).udp(1, 4788).payload(8).build(),
      PacketBuilder().eth(kMacA, kMacB).ipv6(src, vtep).udp(1, 4789).payload(8).build(),
  };
  PacketPool pool(16);
  std::array<Packet*, 3> batch{};
  for (size_t i = 0; i < frames.size(); ++i) {
    batch[i] = pool.alloc();
    ASSERT_TRUE(batch[i]->assign(frames[i]));
  }
  ASSERT_EQ(b->send(batch), 3u);
  std::vector<std::vector<uint8_t>> got;
  receive_all({a.get()}, pool, 2, std::chrono::milliseconds(500), [&](size_t, const Packet& p) {
    got.emplace_back(p.bytes().begin(), p.bytes().end());
  });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], frames[2]);
}

}  // namespace
}  // namespace vgw::io
