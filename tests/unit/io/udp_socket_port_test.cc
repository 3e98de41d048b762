// UdpSocketPort against the kernel (needs root for namespaces): a VXLAN datagram
// received comes out as the frame decap expects (synthetic Ethernet + IP + UDP,
// exact bytes, IPv4 and IPv6), and a full outer frame sent leaves as the UDP
// datagram with our source port kept (raw socket) or the VTEP port (fallback).
#include "io/udp_socket_port.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <optional>
#include <thread>
#include <vector>

#include "io/af_packet_port.h"
#include "packet/builder.h"
#include "packet/byte_order.h"
#include "packet/checksum.h"
#include "packet/gso.h"
#include "support/netns_fixture.h"

namespace vgw::io {
namespace {

using packet::load_be16;
using packet::PacketBuilder;
using test::VethPair;

const MacAddress kZero{};
const std::vector<uint8_t> kVxlan = {0x08, 0, 0, 0, 0, 0, 100, 0, 0xde, 0xad, 0xbe, 0xef};

struct Net {
  VethPair pair;
  IpAddress a, b;
  explicit Net(bool v6) : pair(v6 ? "s6" : "s4") {
    if (!pair.ok()) return;
    if (v6) {
      a = *IpAddress::parse("fd00:99::1");
      b = *IpAddress::parse("fd00:99::2");
      for (auto* ns : {&pair.a, &pair.b}) ns->exec("sysctl -w net.ipv6.conf.all.disable_ipv6=0");
      pair.a.exec("ip addr add fd00:99::1/64 dev " + pair.a_if + " nodad");
      pair.b.exec("ip addr add fd00:99::2/64 dev " + pair.b_if + " nodad");
    } else {
      a = *IpAddress::parse("10.99.1.1");
      b = *IpAddress::parse("10.99.1.2");
      pair.a.exec("ip addr add 10.99.1.1/24 dev " + pair.a_if);
      pair.b.exec("ip addr add 10.99.1.2/24 dev " + pair.b_if);
    }
  }
};

sockaddr_storage sockaddr_of(const IpAddress& a, uint16_t port, socklen_t& len) {
  sockaddr_storage ss{};
  if (a.v6) {
    auto* s = reinterpret_cast<sockaddr_in6*>(&ss);
    s->sin6_family = AF_INET6;
    s->sin6_port = htons(port);
    std::memcpy(&s->sin6_addr, a.b.data(), 16);
    len = sizeof *s;
  } else {
    auto* s = reinterpret_cast<sockaddr_in*>(&ss);
    s->sin_family = AF_INET;
    s->sin_port = htons(port);
    std::memcpy(&s->sin_addr, a.b.data(), 4);
    len = sizeof *s;
  }
  return ss;
}

std::vector<std::vector<uint8_t>> receive_frames(Port& port, PacketPool& pool, size_t want,
                                                 std::chrono::milliseconds timeout) {
  std::vector<std::vector<uint8_t>> got;
  auto end = std::chrono::steady_clock::now() + timeout;
  std::array<Packet*, 32> out{};
  while (got.size() < want && std::chrono::steady_clock::now() < end) {
    pollfd pfd{port.poll_fd(), POLLIN, 0};
    poll(&pfd, 1, 10);
    uint32_t n = port.receive(pool, out);
    for (uint32_t i = 0; i < n; ++i) {
      got.emplace_back(out[i]->bytes().begin(), out[i]->bytes().end());
      out[i]->release();
    }
  }
  return got;
}

class UdpSocket : public ::testing::TestWithParam<bool> {};

TEST_P(UdpSocket, ReceiveSynthesisesTheOuterHeaders) {
  VGW_REQUIRE_ROOT();
  Net net(GetParam());
  ASSERT_TRUE(net.pair.ok());
  std::unique_ptr<UdpSocketPort> port;
  net.pair.a.run([&] {
    UdpSocketOptions o;
    o.local = net.a;
    auto r = UdpSocketPort::open(o);
    ASSERT_TRUE(r) << r.error().message;
    port = std::move(*r);
  });
  net.pair.b.run([&] {
    int s = socket(net.b.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
    socklen_t l;
    auto from = sockaddr_of(net.b, 51234, l);
    ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&from), l), 0);
    auto to = sockaddr_of(net.a, 4789, l);
    for (int i = 0; i < 3; ++i)
      ASSERT_EQ(sendto(s, kVxlan.data(), kVxlan.size(), 0, reinterpret_cast<sockaddr*>(&to), l),
                static_cast<ssize_t>(kVxlan.size()));
    close(s);
  });
  PacketPool pool(16);
  auto got = receive_frames(*port, pool, 3, std::chrono::seconds(2));
  PacketBuilder b;
  b.eth(kZero, kZero);
  if (GetParam()) {
    b.ipv6(net.b, net.a);
  } else {
    b.ipv4(net.b, net.a);
  }
  // IPv4: UDP checksum 0 (the builder's VXLAN default); IPv6: computed.
  auto want = b.udp(51234, 4789).udp_checksum(GetParam()).payload(kVxlan).build();
  ASSERT_EQ(got.size(), 3u);
  for (auto& f : got) EXPECT_EQ(f, want);
  EXPECT_EQ(port->stats().rx_packets, 3u);
  EXPECT_EQ(pool.available(), 16u);
}

TEST_P(UdpSocket, SendKeepsOurSourcePortOrFallsBackToTheVtepPort) {
  VGW_REQUIRE_ROOT();
  Net net(GetParam());
  ASSERT_TRUE(net.pair.ok());
  std::unique_ptr<UdpSocketPort> raw_port, plain_port;
  std::unique_ptr<AfPacketPort> capture;
  int warnings = 0;
  net.pair.a.run([&] {
    UdpSocketOptions o;
    o.local = net.a;
    o.ttl = 33;
    o.warn = [&](const std::string&) { ++warnings; };
    auto r = UdpSocketPort::open(o);
    ASSERT_TRUE(r) << r.error().message;
    raw_port = std::move(*r);
    o.raw_send = false;
    auto r2 = UdpSocketPort::open(o);  // SO_REUSEPORT: a second worker's socket
    ASSERT_TRUE(r2) << r2.error().message;
    plain_port = std::move(*r2);
  });
  net.pair.b.run([&] {
    AfPacketOptions o;
    o.ifname = net.pair.b_if;
    auto r = AfPacketPort::open(o);
    ASSERT_TRUE(r) << r.error().message;
    capture = std::move(*r);
  });
  EXPECT_TRUE(raw_port->raw_send());
  EXPECT_FALSE(plain_port->raw_send());
  EXPECT_EQ(warnings, 0);

  PacketPool pool(64);
  auto inner =
      PacketBuilder()
          .eth(*MacAddress::parse("02:00:00:00:00:02"), *MacAddress::parse("02:00:00:00:00:01"))
          .ipv4(*IpAddress::parse("10.0.0.1"), *IpAddress::parse("10.0.0.2"))
          .icmp_echo(1, 1)
          .build();
  PacketBuilder ob;
  ob.eth(kZero, kZero);
  if (GetParam()) {
    ob.ipv6(net.a, net.b);
  } else {
    ob.ipv4(net.a, net.b);
  }
  auto outer = ob.udp(55555, 4789).vxlan(100).inner(inner).build();
  for (UdpSocketPort* port : {raw_port.get(), plain_port.get()}) {
    std::array<Packet*, 1> one{pool.alloc()};
    ASSERT_TRUE(one[0]->assign(outer));
    ASSERT_EQ(port->send(one), 1u);
  }
  EXPECT_EQ(pool.available(), 64u);

  // What left the namespace: find our two datagrams on the peer's side.
  std::vector<std::pair<uint16_t, std::vector<uint8_t>>> seen;  // source port, UDP payload
  std::vector<uint8_t> ttls;
  const uint32_t l3 = 14, l4 = GetParam() ? 54 : 34;
  for (auto& f : receive_frames(*capture, pool, 10, std::chrono::milliseconds(500))) {
    if (f.size() < l4 + 8 || load_be16(&f[12]) != (GetParam() ? 0x86dd : 0x0800)) continue;
    if ((GetParam() ? f[l3 + 6] : f[l3 + 9]) != 17 || load_be16(&f[l4 + 2]) != 4789) continue;
    seen.emplace_back(load_be16(&f[l4]), std::vector<uint8_t>(f.begin() + l4 + 8, f.end()));
    ttls.push_back(GetParam() ? f[l3 + 7] : f[l3 + 8]);
  }
  std::vector<uint8_t> payload(outer.begin() + l4 + 8, outer.end());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].first, 55555);  // raw socket: the flow-entropy source port survives
  EXPECT_EQ(seen[1].first, 4789);   // fallback: the bound socket's port
  EXPECT_EQ(seen[0].second, payload);
  EXPECT_EQ(seen[1].second, payload);
  EXPECT_EQ(ttls, (std::vector<uint8_t>{33, 33}));
  EXPECT_EQ(raw_port->stats().tx_packets, 1u);
}

INSTANTIATE_TEST_SUITE_P(Family, UdpSocket, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "ipv6" : "ipv4"; });

// A Linux VXLAN peer with default offloads sends UDP-tunnel GSO super-frames; the
// kernel hands them to a UDP socket whole (up to 64 KB). To watch a real TCP
// transfer between two kernel VTEPs (A, B) with our socket, an nftables netdev
// rule in A duplicates the VXLAN it receives to namespace C, which has A's
// address and MAC and our UdpSocketPort on 4789.
TEST(UdpSocketPort, VxlanSuperDatagramsAreSegmentedByInnerTcp) {
  VGW_REQUIRE_ROOT();
  VethPair net("x");
  test::Netns c(test::unique_name("xC"));
  const std::string c0 = test::unique_name("xc0"), c1 = test::unique_name("xc1");
  ASSERT_TRUE(net.ok() && c.ok());
  ASSERT_EQ(test::sh("ip link add " + c0 + " netns " + net.a.name() + " type veth peer name " + c1 +
                     " netns " + c.name()),
            0);
  std::string a_mac;
  net.a.run([&] {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, net.a_if.c_str(), IFNAMSIZ - 1);
    ASSERT_EQ(ioctl(fd, SIOCGIFHWADDR, &ifr), 0);
    a_mac = MacAddress::from_bytes(reinterpret_cast<uint8_t*>(ifr.ifr_hwaddr.sa_data)).to_string();
    close(fd);
  });
  for (const std::string& cmd :
       {"ip addr add 10.99.6.1/24 dev " + net.a_if, "ip link set " + c0 + " up",
        "ip link add vx0 type vxlan id 100 dstport 4789 local 10.99.6.1 remote 10.99.6.2 dev " +
            net.a_if,
        std::string("ip addr add 192.168.79.1/24 dev vx0"), std::string("ip link set vx0 up"),
        std::string("nft add table netdev vgwt"),
        "nft add chain netdev vgwt c { type filter hook ingress device " + net.a_if +
            " priority 0 \\; }",
        "nft add rule netdev vgwt c udp dport 4789 dup to " + c0})
    ASSERT_EQ(net.a.exec(cmd), 0) << cmd;
  for (const std::string& cmd :
       {"ip addr add 10.99.6.2/24 dev " + net.b_if,
        "ip link add vx0 type vxlan id 100 dstport 4789 local 10.99.6.2 remote 10.99.6.1 dev " +
            net.b_if,
        std::string("ip addr add 192.168.79.2/24 dev vx0"), std::string("ip link set vx0 up")})
    ASSERT_EQ(net.b.exec(cmd), 0) << cmd;
  for (const std::string& cmd : {"ip link set " + c1 + " address " + a_mac,
                                 "ip addr add 10.99.6.1/24 dev " + c1, "ip link set " + c1 + " up"})
    ASSERT_EQ(c.exec(cmd), 0) << cmd;

  std::unique_ptr<UdpSocketPort> port;
  c.run([&] {
    UdpSocketOptions o;
    o.local = *IpAddress::parse("10.99.6.1");
    auto r = UdpSocketPort::open(o);
    ASSERT_TRUE(r) << r.error().message;
    port = std::move(*r);
  });
  ASSERT_TRUE(port);
  std::thread server([&] { net.a.exec("timeout 10 iperf3 -s -1 -B 192.168.79.1"); });
  std::atomic<bool> done{false};
  std::thread client([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    net.b.exec("timeout 10 iperf3 -c 192.168.79.1 -n 4M");
    done = true;
  });
  PacketPool pool(8192);
  size_t frames = 0, too_big = 0, bad = 0;
  std::array<Packet*, kBatchSize> out{};
  auto end = std::chrono::steady_clock::time_point::max();
  while (std::chrono::steady_clock::now() < end) {
    if (done && end == std::chrono::steady_clock::time_point::max())
      end = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
    pollfd pfd{port->poll_fd(), POLLIN, 0};
    poll(&pfd, 1, 10);
    uint32_t n = port->receive(pool, out);
    for (uint32_t i = 0; i < n; ++i) {
      ++frames;
      if (out[i]->size() > 1514) ++too_big;
      auto l = gso::parse(out[i]->bytes(), 4789);
      if (l && l->tunnel &&
          (!gso::l4_checksum_ok(out[i]->bytes(), *l) ||
           !packet::ipv4_header_checksum_ok({out[i]->data() + 14, 20})))
        ++bad;
      out[i]->release();
    }
  }
  client.join();
  server.join();
  PortStats s = port->stats();
  // The duplicate path (nft dup, veth backlog) may lose some copies under the
  // burst; what matters is that those that arrive are whole, cut and valid.
  EXPECT_GT(frames, 1000u);
  EXPECT_EQ(too_big, 0u);
  EXPECT_EQ(bad, 0u);
  EXPECT_GT(s.rx_segmented, 0u) << "no VXLAN super-datagram arrived";
  EXPECT_EQ(s.rx_dropped, 0u);
  EXPECT_EQ(pool.available(), 8192u);
}

// Without CAP_NET_RAW (dropped here in one thread: capabilities are per thread)
// the port still opens, sends from the bound socket, and says so once.
TEST(UdpSocketPort, WithoutCapNetRawFallsBackAndWarnsOnce) {
  std::vector<std::string> warnings;
  std::unique_ptr<UdpSocketPort> port;
  std::thread t([&] {
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    ASSERT_EQ(syscall(SYS_capget, &hdr, data), 0);
    data[CAP_NET_RAW / 32].effective &= ~(1u << (CAP_NET_RAW % 32));
    ASSERT_EQ(syscall(SYS_capset, &hdr, data), 0);
    UdpSocketOptions o;
    o.local = *IpAddress::parse("127.0.0.1");
    o.port = 0;
    o.warn = [&](const std::string& m) { warnings.push_back(m); };
    auto r = UdpSocketPort::open(o);
    ASSERT_TRUE(r) << r.error().message;
    port = std::move(*r);
  });
  t.join();
  ASSERT_TRUE(port);
  EXPECT_FALSE(port->raw_send());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("source port is fixed"), std::string::npos) << warnings[0];
}

TEST(UdpSocketPort, OpenFailsNamingTheAddress) {
  UdpSocketOptions o;
  o.local = *IpAddress::parse("192.0.2.77");  // TEST-NET-1: not an address of this host
  auto r = UdpSocketPort::open(o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("192.0.2.77:4789"), std::string::npos) << r.error().message;
}

TEST(UdpSocketPort, SendDropsWhatIsNotUdpOfOurFamily) {
  UdpSocketOptions o;
  o.local = *IpAddress::parse("127.0.0.1");
  o.port = 0;  // any free port: no traffic is sent by this test
  o.raw_send = false;
  auto r = UdpSocketPort::open(o);
  ASSERT_TRUE(r) << r.error().message;
  PacketPool pool(4);
  auto v6 = PacketBuilder()
                .eth(kZero, kZero)
                .ipv6(*IpAddress::parse("::1"), *IpAddress::parse("::1"))
                .udp(1, 2)
                .build();
  auto tcp = PacketBuilder().eth(kZero, kZero).ipv4(o.local, o.local).tcp(1, 2, 0x02, 1).build();
  std::vector<uint8_t> runt(20, 0);
  std::array<Packet*, 3> pkts{pool.alloc(), pool.alloc(), pool.alloc()};
  ASSERT_TRUE(pkts[0]->assign(v6));
  ASSERT_TRUE(pkts[1]->assign(tcp));
  ASSERT_TRUE(pkts[2]->assign(runt));
  EXPECT_EQ((*r)->send(pkts), 0u);
  EXPECT_EQ((*r)->stats().tx_dropped, 3u);
  EXPECT_EQ(pool.available(), 4u);
}

}  // namespace
}  // namespace vgw::io
