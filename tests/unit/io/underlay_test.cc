// The underlay in `packet` mode against the kernel (needs root):
// - while a VxlanPortGuard holds vtep:4789 the kernel sends no ICMP port
//   unreachable for the VXLAN it also sees (and without it, it does: the check
//   can fail), and the AF_PACKET underlay port still receives every datagram;
// - VXLAN super-frames from a Linux VXLAN peer with default offloads (UDP-tunnel
//   GSO over veth) are segmented by their inner TCP into frames that fit the
//   underlay MTU, every checksum valid.
#include "io/underlay.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "packet/byte_order.h"
#include "packet/checksum.h"
#include "packet/gso.h"
#include "support/netns_fixture.h"

namespace vgw::io {
namespace {

using packet::load_be16;
using test::VethPair;

const IpAddress kVtep = *IpAddress::parse("10.99.4.1");
const IpAddress kPeer = *IpAddress::parse("10.99.4.2");

template <typename F>
void drain(Port& port, PacketPool& pool, std::chrono::milliseconds time, F&& on_packet) {
  auto end = std::chrono::steady_clock::now() + time;
  std::array<Packet*, kBatchSize> out{};
  while (std::chrono::steady_clock::now() < end) {
    pollfd pfd{port.poll_fd(), POLLIN, 0};
    poll(&pfd, 1, 10);
    uint32_t n = port.receive(pool, out);
    for (uint32_t i = 0; i < n; ++i) {
      on_packet(*out[i]);
      out[i]->release();
    }
  }
}

void send_udp_from_peer(const VethPair& net, int count) {
  net.b.run([&] {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(4789);
    to.sin_addr.s_addr = htonl(kVtep.v4_host());
    const uint8_t vxlan[16] = {0x08, 0, 0, 0, 0, 0, 100, 0};
    for (int i = 0; i < count; ++i)
      sendto(s, vxlan, sizeof vxlan, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    close(s);
  });
}

bool is_port_unreachable(const Packet& p) {
  auto b = p.bytes();
  return b.size() >= 14 + 20 + 8 && load_be16(&b[12]) == 0x0800 && b[23] == 1 /* ICMP */ &&
         b[34] == 3 && b[35] == 3;
}

TEST(Underlay, GuardStopsPortUnreachableWhileThePortStillReceives) {
  VGW_REQUIRE_ROOT();
  VethPair net("g");
  ASSERT_TRUE(net.ok());
  ASSERT_EQ(net.a.exec("ip addr add 10.99.4.1/24 dev " + net.a_if), 0);
  ASSERT_EQ(net.b.exec("ip addr add 10.99.4.2/24 dev " + net.b_if), 0);
  ASSERT_EQ(net.a.exec("sysctl -w net.ipv4.icmp_ratelimit=0"), 0);
  std::unique_ptr<AfPacketPort> capture, underlay;
  net.b.run([&] {
    AfPacketOptions o;
    o.ifname = net.b_if;
    auto r = AfPacketPort::open(o);
    ASSERT_TRUE(r) << r.error().message;
    capture = std::move(*r);
  });
  ASSERT_TRUE(capture);
  PacketPool pool(256);

  // Without the guard the kernel answers port unreachable: the check below can fail.
  send_udp_from_peer(net, 3);
  int unreachable = 0;
  drain(*capture, pool, std::chrono::milliseconds(300),
        [&](const Packet& p) { unreachable += is_port_unreachable(p); });
  EXPECT_EQ(unreachable, 3);

  std::optional<VxlanPortGuard> guard;
  net.a.run([&] {
    auto g = VxlanPortGuard::open(kVtep, 4789);
    ASSERT_TRUE(g) << g.error().message;
    guard.emplace(std::move(*g));
    UnderlayPacketOptions u;
    u.ifname = net.a_if;
    u.vtep = kVtep;
    auto r = AfPacketPort::open(underlay_port_options(u));
    ASSERT_TRUE(r) << r.error().message;
    underlay = std::move(*r);
    // A second owner of the port is refused with a reason.
    auto again = VxlanPortGuard::open(kVtep, 4789);
    ASSERT_FALSE(again);
    EXPECT_NE(again.error().message.find("10.99.4.1 udp port 4789"), std::string::npos);
  });
  ASSERT_TRUE(guard && underlay);
  send_udp_from_peer(net, 5);
  unreachable = 0;
  drain(*capture, pool, std::chrono::milliseconds(300),
        [&](const Packet& p) { unreachable += is_port_unreachable(p); });
  EXPECT_EQ(unreachable, 0);
  int vxlan = 0;
  drain(*underlay, pool, std::chrono::milliseconds(100), [&](const Packet& p) {
    vxlan += p.size() == 14 + 20 + 8 + 16 && load_be16(p.data() + 36) == 4789;
  });
  EXPECT_EQ(vxlan, 5);

  guard.reset();  // released: the kernel answers again
  send_udp_from_peer(net, 1);
  unreachable = 0;
  drain(*capture, pool, std::chrono::milliseconds(300),
        [&](const Packet& p) { unreachable += is_port_unreachable(p); });
  EXPECT_EQ(unreachable, 1);
}

// Two kernel VXLAN tunnel endpoints; a TCP transfer between their overlay
// addresses crosses the veth as VXLAN super-frames, which the underlay port in
// the receiving namespace hands on as MTU-sized VXLAN frames.
TEST(Underlay, KernelVxlanSuperFramesAreSegmentedByInnerTcp) {
  VGW_REQUIRE_ROOT();
  VethPair net("k");
  ASSERT_TRUE(net.ok());
  ASSERT_EQ(net.a.exec("ip addr add 10.99.4.1/24 dev " + net.a_if), 0);
  ASSERT_EQ(net.b.exec("ip addr add 10.99.4.2/24 dev " + net.b_if), 0);
  for (auto [ns, dev, local, remote, ovl] :
       {std::tuple{&net.a, net.a_if, "10.99.4.1", "10.99.4.2", "192.168.77.1/24"},
        std::tuple{&net.b, net.b_if, "10.99.4.2", "10.99.4.1", "192.168.77.2/24"}}) {
    ASSERT_EQ(ns->exec(std::string("ip link add vx0 type vxlan id 100 dstport 4789 local ") +
                       local + " remote " + remote + " dev " + dev),
              0);
    ASSERT_EQ(ns->exec(std::string("ip addr add ") + ovl + " dev vx0"), 0);
    ASSERT_EQ(ns->exec("ip link set vx0 up"), 0);
  }
  std::unique_ptr<AfPacketPort> underlay;
  int listener = -1;
  net.a.run([&] {
    UnderlayPacketOptions u;
    u.ifname = net.a_if;
    u.vtep = kVtep;
    auto r = AfPacketPort::open(underlay_port_options(u));
    ASSERT_TRUE(r) << r.error().message;
    underlay = std::move(*r);
    listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(5201);
    inet_pton(AF_INET, "192.168.77.1", &sa.sin_addr);
    ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    ASSERT_EQ(listen(listener, 1), 0);
  });
  ASSERT_TRUE(underlay);
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
    inet_pton(AF_INET, "192.168.77.1", &sa.sin_addr);
    if (connect(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) {
      std::vector<uint8_t> data(4 << 20, 0x5a);
      size_t off = 0;
      while (off < data.size()) {
        ssize_t w = write(s, data.data() + off, data.size() - off);
        if (w <= 0) break;
        off += static_cast<size_t>(w);
      }
    }
    close(s);
    done = true;
  });
  PacketPool pool(4096);
  size_t frames = 0, too_big = 0, bad = 0, max_len = 0, other = 0, partial = 0;
  auto on_packet = [&](const Packet& p) {
    max_len = std::max<size_t>(max_len, p.size());
    if (p.size() > 1514) ++too_big;
    auto l = gso::parse(p.bytes(), 4789);
    if (l && !l->tunnel) {  // VXLAN carrying ARP
      ++other;
      return;
    }
    ++frames;
    // A segment of a super-frame leaves its inner TCP checksum to the sender
    // (pseudo-header sum in the field, start at the inner TCP header) and carries
    // no outer UDP checksum; finished, it must verify.
    std::vector<uint8_t> f(p.bytes().begin(), p.bytes().end());
    if (l && (p.meta.flags & PacketMeta::kCsumPartial)) {
      ++partial;
      if (p.meta.csum_start != l->l4 || p.meta.csum_offset != 16 ||
          load_be16(f.data() + l->outer_l4 + 6) != 0 ||
          !gso::finish_partial_checksum(f, p.meta.csum_start, p.meta.csum_offset,
                                        static_cast<uint32_t>(f.size())))
        ++bad;
    }
    if (!l || !packet::ipv4_header_checksum_ok({f.data() + 14, 20}) ||
        !gso::l4_checksum_ok(f, *l) ||
        load_be16(f.data() + l->outer_l4 + 4) != f.size() - l->outer_l4)
      ++bad;
  };
  while (!done) drain(*underlay, pool, std::chrono::milliseconds(20), on_packet);
  drain(*underlay, pool, std::chrono::milliseconds(200), on_packet);
  client.join();
  server.join();
  close(listener);
  PortStats s = underlay->stats();
  EXPECT_GT(frames, (4u << 20) / 1450);
  EXPECT_EQ(too_big, 0u) << "largest " << max_len;
  EXPECT_EQ(bad, 0u);
  EXPECT_LE(other, 4u);
  EXPECT_GT(s.rx_segmented, 0u) << "no VXLAN super-frame arrived";
  EXPECT_GT(partial, 0u);
  EXPECT_EQ(s.rx_dropped, 0u);
}

}  // namespace
}  // namespace vgw::io
