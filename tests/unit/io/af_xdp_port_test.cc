// AfXdpPort and the XDP programs against the kernel, in namespaces joined by a veth
// (needs root): 10K frames from the peer arrive byte for byte and 10K frames sent
// arrive at the peer (batches of 256, paced by the receiver), zero-copy falls back
// to copy mode on veth, and the underlay program hands vgw only VXLAN to the VTEP
// while ARP, ping and other UDP to the same address still reach the kernel.
// libxdp attaches and detaches over netlink in the calling thread's namespace, so
// the XDP objects are created and destroyed inside the namespace.
#include "io/af_xdp_port.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <vector>

#include "io/af_packet_port.h"
#include "packet/builder.h"
#include "packet/checksum.h"
#include "support/netns_fixture.h"

namespace vgw::io {
namespace {

using packet::PacketBuilder;
using test::VethPair;

const MacAddress kMacA = *MacAddress::parse("02:00:00:00:aa:01");
const MacAddress kMacB = *MacAddress::parse("02:00:00:00:bb:01");
const IpAddress kIpA = *IpAddress::parse("10.99.0.1");
const IpAddress kIpB = *IpAddress::parse("10.99.0.2");

std::vector<uint8_t> frame(uint32_t index, uint32_t payload_len = 18) {
  std::vector<uint8_t> payload(payload_len, 0x5a);
  payload[0] = static_cast<uint8_t>(index >> 24);
  payload[1] = static_cast<uint8_t>(index >> 16);
  payload[2] = static_cast<uint8_t>(index >> 8);
  payload[3] = static_cast<uint8_t>(index);
  return PacketBuilder()
      .eth(kMacA, kMacB)
      .ipv4(kIpB, kIpA)
      .udp(static_cast<uint16_t>(1000 + index % 5000), 9)
      .payload(payload)
      .build();
}

// Receives from port until `want` packets arrived or `timeout` passed; appends
// their bytes to got.
size_t drain(Port& port, PacketPool& pool, size_t want, std::chrono::milliseconds timeout,
             std::vector<std::vector<uint8_t>>& got) {
  auto end = std::chrono::steady_clock::now() + timeout;
  size_t n = 0;
  std::array<Packet*, kBatchSize> out{};
  while (n < want && std::chrono::steady_clock::now() < end) {
    pollfd pfd{port.poll_fd(), POLLIN, 0};
    poll(&pfd, 1, 5);
    uint32_t k = port.receive(pool, out);
    for (uint32_t i = 0; i < k; ++i) {
      got.emplace_back(out[i]->bytes().begin(), out[i]->bytes().end());
      out[i]->release();
    }
    n += k;
  }
  return n;
}

struct XdpSide {
  std::shared_ptr<XdpProgram> program;
  std::unique_ptr<AfXdpPort> port;
};

XdpSide open_xdp(const XdpProgramOptions& po, XdpBindMode bind = XdpBindMode::kAuto,
                 XdpSendPath send = XdpSendPath::kAuto) {
  XdpSide s;
  auto prog = XdpProgram::attach(po);
  if (!prog) {
    ADD_FAILURE() << prog.error().message;
    return s;
  }
  s.program = *prog;
  AfXdpOptions o;
  o.ifname = po.ifname;
  o.program = s.program;
  o.bind = bind;
  o.send = send;
  auto port = AfXdpPort::open(o);
  if (!port) {
    ADD_FAILURE() << port.error().message;
    return s;
  }
  s.port = std::move(*port);
  return s;
}

TEST(AfXdpPort, OpenWithoutProgramSaysWhy) {
  AfXdpOptions o;
  o.ifname = "vgwt-nope0";
  auto r = AfXdpPort::open(o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "port vgwt-nope0 queue 0: program: the interface's XdpProgram is required");
}

TEST(AfXdpPort, AttachNamesTheMissingInterface) {
  XdpProgramOptions o;
  o.ifname = "vgwt-nope0";
  auto r = XdpProgram::attach(o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "port vgwt-nope0: no such interface");
}

// Both send paths: AF_XDP's own, and kAuto, which in copy mode (all veth offers)
// sends through a send-only AF_PACKET socket.
class AfXdpPortEachWay : public ::testing::TestWithParam<XdpSendPath> {};

TEST_P(AfXdpPortEachWay, TenThousandFramesWithoutLoss) {
  VGW_REQUIRE_ROOT();
  VethPair net("x");
  ASSERT_TRUE(net.ok());
  XdpSide a;
  std::unique_ptr<AfPacketPort> b;
  net.a.run([&] { a = open_xdp({.ifname = net.a_if}, XdpBindMode::kAuto, GetParam()); });
  net.b.run([&] {
    AfPacketOptions o;
    o.ifname = net.b_if;
    auto r = AfPacketPort::open(o);
    if (r) b = std::move(*r);
  });
  ASSERT_TRUE(a.port && b);
  EXPECT_TRUE(a.program->native());   // veth has driver-mode XDP
  EXPECT_FALSE(a.port->zero_copy());  // ... but no zero-copy: kAuto fell back to copy
  EXPECT_EQ(a.port->sends_through_packet(), GetParam() == XdpSendPath::kAuto);

  constexpr uint32_t kFrames = 10000;
  PacketPool pool(4096);
  std::vector<std::vector<uint8_t>> sent, got;
  // Peer -> AfXdpPort, a batch at a time (the pace: each batch is drained first).
  for (uint32_t base = 0; base < kFrames; base += kBatchSize) {
    uint32_t n = std::min<uint32_t>(kBatchSize, kFrames - base);
    std::array<Packet*, kBatchSize> batch{};
    for (uint32_t i = 0; i < n; ++i) {
      sent.push_back(frame(base + i, 18 + (base + i) % 1000));
      batch[i] = pool.alloc();
      ASSERT_TRUE(batch[i]->assign(sent.back()));
    }
    ASSERT_EQ(b->send(std::span<Packet* const>(batch.data(), n)), n);
    ASSERT_EQ(drain(*a.port, pool, n, std::chrono::seconds(2), got), n) << "batch at " << base;
  }
  EXPECT_EQ(got, sent);
  PortStats st = a.port->stats();
  EXPECT_EQ(st.rx_packets, kFrames);
  EXPECT_EQ(st.rx_dropped, 0u);
  EXPECT_EQ(pool.available(), 4096u);

  // AfXdpPort -> peer.
  sent.clear();
  got.clear();
  for (uint32_t base = 0; base < kFrames; base += kBatchSize) {
    uint32_t n = std::min<uint32_t>(kBatchSize, kFrames - base);
    std::array<Packet*, kBatchSize> batch{};
    for (uint32_t i = 0; i < n; ++i) {
      sent.push_back(frame(base + i, 18 + (base + i) % 1400));
      batch[i] = pool.alloc();
      ASSERT_TRUE(batch[i]->assign(sent.back()));
    }
    ASSERT_EQ(a.port->send(std::span<Packet* const>(batch.data(), n)), n);
    ASSERT_EQ(drain(*b, pool, n, std::chrono::seconds(2), got), n) << "batch at " << base;
  }
  EXPECT_EQ(got, sent);
  st = a.port->stats();
  EXPECT_EQ(st.tx_packets, kFrames);
  EXPECT_EQ(st.tx_dropped, 0u);
  EXPECT_EQ(pool.available(), 4096u);

  // A frame larger than a UMEM frame can carry is counted, not sent.
  Packet* big = pool.alloc();
  ASSERT_TRUE(big->assign(frame(0, 4000)));
  Packet* ok = pool.alloc();
  ASSERT_TRUE(ok->assign(frame(1)));
  std::array<Packet*, 2> two{big, ok};
  EXPECT_EQ(a.port->send(two), 1u);
  EXPECT_EQ(a.port->stats().tx_dropped, 1u);
  EXPECT_EQ(pool.available(), 4096u);

  net.a.run([&] { a = {}; });
}

INSTANTIATE_TEST_SUITE_P(SendPaths, AfXdpPortEachWay,
                         ::testing::Values(XdpSendPath::kXdp, XdpSendPath::kAuto),
                         [](const auto& info) {
                           return info.param == XdpSendPath::kXdp ? "Xdp" : "PacketInCopyMode";
                         });

TEST(AfXdpPort, ZeroCopyOnlyFailsOnVethWithTheReason) {
  VGW_REQUIRE_ROOT();
  VethPair net("z");
  ASSERT_TRUE(net.ok());
  net.a.run([&] {
    auto prog = XdpProgram::attach({.ifname = net.a_if});
    ASSERT_TRUE(prog) << prog.error().message;
    AfXdpOptions o;
    o.ifname = net.a_if;
    o.program = *prog;
    o.bind = XdpBindMode::kZeroCopy;
    auto r = AfXdpPort::open(o);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message.rfind(
                  "port " + net.a_if + " queue 0: AF_XDP not supported: zero-copy: ", 0),
              0u)
        << r.error().message;
  });
}

// A UDP socket in namespace ns bound to port; returns the fd.
int udp_socket(uint16_t port) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void send_udp(int fd, const IpAddress& dst, uint16_t port, const std::vector<uint8_t>& payload) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  std::memcpy(&sa.sin_addr, dst.b.data(), 4);
  ASSERT_EQ(
      sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa),
      static_cast<ssize_t>(payload.size()));
}

TEST(AfXdpPort, UnderlayProgramTakesOnlyVxlanToTheVtep) {
  VGW_REQUIRE_ROOT();
  VethPair net("u");
  ASSERT_TRUE(net.ok());
  ASSERT_EQ(net.a.exec("ip addr add 10.99.0.1/24 dev " + net.a_if), 0);
  ASSERT_EQ(net.b.exec("ip addr add 10.99.0.2/24 dev " + net.b_if), 0);
  XdpSide a;
  int kernel_fd = -1;
  net.a.run([&] {
    a = open_xdp(
        {.ifname = net.a_if, .kind = XdpProgramKind::kVxlan, .vtep = kIpA, .udp_port = 4789});
    kernel_fd = udp_socket(5000);  // the kernel's listener for non-VXLAN UDP
  });
  ASSERT_TRUE(a.port);
  ASSERT_GE(kernel_fd, 0);
  int b_fd = net.b.run([] { return udp_socket(40000); });
  ASSERT_GE(b_fd, 0);

  // ARP and ICMP echo to the VTEP address are answered by the kernel.
  EXPECT_EQ(net.b.exec("ping -c 2 -i 0.2 -W 1 10.99.0.1"), 0);

  // VXLAN to the VTEP: to vgw, byte for byte (outer Ethernet + IPv4 + UDP + payload).
  std::vector<uint8_t> vxlan = {0x08, 0, 0, 0, 0, 0, 0x64, 0};  // I flag, VNI 100
  std::vector<uint8_t> inner =
      PacketBuilder().eth(kMacA, kMacB).ethertype(0x88b5).payload(46).build();
  vxlan.insert(vxlan.end(), inner.begin(), inner.end());
  net.b.run([&] { send_udp(b_fd, kIpA, 4789, vxlan); });
  PacketPool pool(512);
  std::vector<std::vector<uint8_t>> got;
  ASSERT_EQ(drain(*a.port, pool, 1, std::chrono::seconds(2), got), 1u);
  ASSERT_EQ(got[0].size(), 14 + 20 + 8 + vxlan.size());
  EXPECT_EQ(got[0][12], 0x08);
  EXPECT_EQ(got[0][13], 0x00);
  EXPECT_EQ(got[0][23], IPPROTO_UDP);
  EXPECT_EQ((got[0][34] << 8) | got[0][35], 40000);  // UDP source port
  EXPECT_EQ((got[0][36] << 8) | got[0][37], 4789);   // UDP destination port
  EXPECT_EQ(std::vector<uint8_t>(got[0].begin() + 42, got[0].end()), vxlan);
  // The sender's UDP checksum (left to the device by veth's offload) arrives finished.
  const uint8_t* f = got[0].data();
  uint16_t udp_len = static_cast<uint16_t>(f[38] << 8 | f[39]);
  uint32_t pseudo = packet::pseudo_header_sum_v4(f + 26, f + 30, IPPROTO_UDP, udp_len);
  EXPECT_EQ(packet::csum_fold(packet::csum_partial({f + 34, udp_len}, pseudo)), 0xffff);

  // Other UDP to the same address: the kernel's, not vgw's.
  std::vector<uint8_t> hello = {'h', 'e', 'l', 'l', 'o'};
  net.b.run([&] { send_udp(b_fd, kIpA, 5000, hello); });
  std::array<uint8_t, 64> buf{};
  pollfd pfd{kernel_fd, POLLIN, 0};
  ASSERT_EQ(poll(&pfd, 1, 2000), 1);
  ASSERT_EQ(recv(kernel_fd, buf.data(), buf.size(), 0), 5);
  EXPECT_EQ(std::vector<uint8_t>(buf.begin(), buf.begin() + 5), hello);

  // The VXLAN port moved: 4789 now goes to the kernel, 4790 to vgw.
  ASSERT_TRUE(a.program->set_vtep(kIpA, 4790));
  int old_fd = net.a.run([] { return udp_socket(4789); });
  ASSERT_GE(old_fd, 0);
  net.b.run([&] {
    send_udp(b_fd, kIpA, 4789, vxlan);
    send_udp(b_fd, kIpA, 4790, vxlan);
  });
  pfd = {old_fd, POLLIN, 0};
  ASSERT_EQ(poll(&pfd, 1, 2000), 1);
  EXPECT_EQ(recv(old_fd, buf.data(), buf.size(), 0),
            static_cast<ssize_t>(std::min(vxlan.size(), buf.size())));
  got.clear();
  ASSERT_EQ(drain(*a.port, pool, 2, std::chrono::milliseconds(500), got), 1u);
  EXPECT_EQ((got[0][36] << 8) | got[0][37], 4790);

  EXPECT_EQ(a.port->stats().rx_packets, 2u);  // ping, ARP and the other UDP never came to vgw
  EXPECT_EQ(pool.available(), 512u);
  close(old_fd);
  close(kernel_fd);
  close(b_fd);
  net.a.run([&] { a = {}; });
}

// An IPv6 UDP socket bound to [::]:port, or -1.
int udp6_socket(uint16_t port) {
  int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_port = htons(port);
  if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void send_udp6(int fd, const IpAddress& dst, uint16_t port, const std::vector<uint8_t>& payload) {
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_port = htons(port);
  std::memcpy(&sa.sin6_addr, dst.b.data(), 16);
  ASSERT_EQ(
      sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa),
      static_cast<ssize_t>(payload.size()));
}

TEST(AfXdpPort, UnderlayProgramTakesOnlyVxlanToAnIpv6Vtep) {
  VGW_REQUIRE_ROOT();
  VethPair net("6");
  ASSERT_TRUE(net.ok());
  for (auto* ns : {&net.a, &net.b}) {
    ns->exec("sysctl -w net.ipv6.conf.all.disable_ipv6=0");
    ns->exec("sysctl -w net.ipv6.conf.default.disable_ipv6=0");
  }
  ASSERT_EQ(net.a.exec("sysctl -w net.ipv6.conf." + net.a_if + ".disable_ipv6=0"), 0);
  ASSERT_EQ(net.b.exec("sysctl -w net.ipv6.conf." + net.b_if + ".disable_ipv6=0"), 0);
  ASSERT_EQ(net.a.exec("ip addr add fd00:99::1/64 nodad dev " + net.a_if), 0);
  ASSERT_EQ(net.b.exec("ip addr add fd00:99::2/64 nodad dev " + net.b_if), 0);
  const IpAddress vtep = *IpAddress::parse("fd00:99::1");
  XdpSide a;
  int kernel_fd = -1;
  net.a.run([&] {
    a = open_xdp(
        {.ifname = net.a_if, .kind = XdpProgramKind::kVxlan, .vtep = vtep, .udp_port = 4789});
    kernel_fd = udp6_socket(5000);
  });
  ASSERT_TRUE(a.port);
  ASSERT_GE(kernel_fd, 0);
  int b_fd = net.b.run([] { return udp6_socket(40000); });
  ASSERT_GE(b_fd, 0);

  // Neighbour discovery and ICMPv6 echo stay with the kernel.
  EXPECT_EQ(net.b.exec("ping -6 -c 2 -i 0.2 -W 1 fd00:99::1"), 0);

  std::vector<uint8_t> vxlan = {0x08, 0, 0, 0, 0, 0, 0x64, 0};
  std::vector<uint8_t> inner =
      PacketBuilder().eth(kMacA, kMacB).ethertype(0x88b5).payload(46).build();
  vxlan.insert(vxlan.end(), inner.begin(), inner.end());
  net.b.run([&] {
    send_udp6(b_fd, vtep, 4789, vxlan);
    send_udp6(b_fd, vtep, 5000, vxlan);
  });
  PacketPool pool(512);
  std::vector<std::vector<uint8_t>> got;
  ASSERT_EQ(drain(*a.port, pool, 2, std::chrono::milliseconds(500), got), 1u);
  const std::vector<uint8_t>& f = got[0];
  ASSERT_EQ(f.size(), 14 + 40 + 8 + vxlan.size());
  EXPECT_EQ(f[12], 0x86);
  EXPECT_EQ(f[13], 0xdd);
  EXPECT_EQ(f[20], IPPROTO_UDP);
  EXPECT_EQ(std::vector<uint8_t>(f.begin() + 38, f.begin() + 54),
            std::vector<uint8_t>(vtep.b.begin(), vtep.b.end()));
  EXPECT_EQ((f[56] << 8) | f[57], 4789);
  EXPECT_EQ(std::vector<uint8_t>(f.begin() + 62, f.end()), vxlan);
  uint16_t udp_len = static_cast<uint16_t>(f[58] << 8 | f[59]);
  uint32_t pseudo =
      packet::pseudo_header_sum_v6(f.data() + 22, f.data() + 38, IPPROTO_UDP, udp_len);
  EXPECT_EQ(packet::csum_fold(packet::csum_partial({f.data() + 54, udp_len}, pseudo)), 0xffff);

  std::array<uint8_t, 128> buf{};
  pollfd pfd{kernel_fd, POLLIN, 0};
  ASSERT_EQ(poll(&pfd, 1, 2000), 1);
  EXPECT_EQ(recv(kernel_fd, buf.data(), buf.size(), 0), static_cast<ssize_t>(vxlan.size()));
  EXPECT_EQ(a.port->stats().rx_packets, 1u);
  close(kernel_fd);
  close(b_fd);
  net.a.run([&] { a = {}; });
}

}  // namespace
}  // namespace vgw::io
