// UDP socket underlay Port (see udp_socket_port.h).
#include "io/udp_socket_port.h"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "io/port_counters.h"
#include "packet/byte_order.h"
#include "packet/checksum.h"
#include "packet/ethernet.h"
#include "packet/gso.h"
#include "packet/ipv4.h"
#include "packet/ipv6.h"
#include "packet/udp.h"

namespace vgw::io {
namespace {

using packet::load_be16;
using packet::store_be16;

std::string err_text(const std::string& name, const char* what, int e) {
  return "underlay socket " + name + ": " + what + ": " + std::strerror(e);
}

template <typename T>
int setopt(int fd, int level, int name, const T& v) {
  return setsockopt(fd, level, name, &v, sizeof v);
}

socklen_t make_sockaddr(const IpAddress& a, uint16_t port, sockaddr_storage& ss) {
  ss = sockaddr_storage{};
  if (a.v6) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    std::memcpy(&s6->sin6_addr, a.b.data(), 16);
    return sizeof(sockaddr_in6);
  }
  auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
  s4->sin_family = AF_INET;
  s4->sin_port = htons(port);
  std::memcpy(&s4->sin_addr, a.b.data(), 4);
  return sizeof(sockaddr_in);
}

// A filter that accepts nothing: the raw send socket would otherwise queue a copy
// of every UDP datagram the host receives.
int attach_drop_all(int fd) {
  static sock_filter drop[] = {BPF_STMT(BPF_RET | BPF_K, 0)};
  sock_fprog prog{1, drop};
  return setopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, prog);
}

constexpr uint32_t kEth = packet::kEthernetHeaderSize;
constexpr uint32_t kUdp = packet::kUdpHeaderSize;

}  // namespace

// recvmmsg takes up to kRecvBatch datagrams per call, each with an overflow slot
// for the part of a super-datagram beyond a packet buffer (64 x 56 KB, untouched
// until used).
constexpr size_t kRecvBatch = 64;
constexpr size_t kOverflow = 65536 - Packet::kDataRoom;

struct UdpSocketPort::Impl {
  PortCounters counters;
  std::array<mmsghdr, kBatchSize> msgs{};
  std::array<iovec, 2 * kBatchSize> iov{};
  std::array<sockaddr_storage, kBatchSize> addrs{};
  std::array<Packet*, kBatchSize> bufs{};
  std::unique_ptr<uint8_t[]> overflow{new uint8_t[kRecvBatch * kOverflow]};
  std::unique_ptr<uint8_t[]> scratch{new uint8_t[65536 + 128]};  // one whole super-frame
  std::vector<Packet*> pending;  // segments waiting for the next receive()
  size_t pending_head = 0;
};

UdpSocketPort::UdpSocketPort(std::string name) : name_(std::move(name)), impl_(new Impl) {}

UdpSocketPort::~UdpSocketPort() {
  for (size_t i = impl_->pending_head; i < impl_->pending.size(); ++i) impl_->pending[i]->release();
  if (fd_ >= 0) close(fd_);
  if (raw_fd_ >= 0) close(raw_fd_);
}

Result<std::unique_ptr<UdpSocketPort>> UdpSocketPort::open(const UdpSocketOptions& o) {
  const std::string name = (o.local.v6 ? "[" + o.local.to_string() + "]" : o.local.to_string()) +
                           ":" + std::to_string(o.port);
  if (o.local.is_unspecified())
    return make_error("underlay socket " + name + ": vtep.source must be a specific address");
  std::unique_ptr<UdpSocketPort> p(new UdpSocketPort(name));
  p->local_ = o.local;
  p->port_ = o.port;
  p->mtu_ = o.mtu ? o.mtu : 1500;
  // A batch of kRecvBatch 64 KB super-datagrams cut at MTU >= 1280: under 64 each.
  p->impl_->pending.reserve(kRecvBatch * 64);
  const int family = o.local.family();

  p->fd_ = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (p->fd_ < 0) return make_error(err_text(name, "socket", errno));
  if (setopt(p->fd_, SOL_SOCKET, SO_REUSEPORT, 1) < 0)
    return make_error(err_text(name, "SO_REUSEPORT", errno));
  if (o.local.v6 && setopt(p->fd_, IPPROTO_IPV6, IPV6_V6ONLY, 1) < 0)
    return make_error(err_text(name, "IPV6_V6ONLY", errno));
  if (o.rcvbuf > 0 && setopt(p->fd_, SOL_SOCKET, SO_RCVBUFFORCE, o.rcvbuf) < 0)
    (void)setopt(p->fd_, SOL_SOCKET, SO_RCVBUF, o.rcvbuf);
  sockaddr_storage ss;
  socklen_t sl = make_sockaddr(o.local, o.port, ss);
  if (bind(p->fd_, reinterpret_cast<sockaddr*>(&ss), sl) < 0)
    return make_error(err_text(name, "bind (is vtep.source an address of this host?)", errno));

  // What we send: TTL/hop limit and DF, on whichever socket sends.
  auto set_tx_opts = [&](int fd) {
    if (o.local.v6) return setopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, int{o.ttl});
    if (setopt(fd, IPPROTO_IP, IP_TTL, int{o.ttl}) < 0) return -1;
    return setopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, o.df ? IP_PMTUDISC_DO : IP_PMTUDISC_DONT);
  };
  if (set_tx_opts(p->fd_) < 0) return make_error(err_text(name, "TTL/DF options", errno));

  if (o.raw_send) {
    int raw = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
    if (raw < 0) {
      if (o.warn)
        o.warn("underlay socket " + name + ": no raw socket (" + std::strerror(errno) +
               "): sending from the bound UDP socket, the UDP source port is fixed to " +
               std::to_string(o.port) + " (no flow entropy for underlay ECMP)");
    } else {
      p->raw_fd_ = raw;
      sockaddr_storage rs;
      socklen_t rl = make_sockaddr(o.local, 0, rs);
      if (attach_drop_all(raw) < 0 || bind(raw, reinterpret_cast<sockaddr*>(&rs), rl) < 0 ||
          set_tx_opts(raw) < 0)
        return make_error(err_text(name, "raw send socket setup", errno));
      (void)setopt(raw, SOL_SOCKET, SO_RCVBUF, 0);
    }
  }
  return p;
}

uint32_t UdpSocketPort::header_len() const {
  return kEth + (local_.v6 ? packet::kIpv6HeaderSize : packet::kIpv4HeaderSize) + kUdp;
}

void UdpSocketPort::write_header(uint8_t* d, uint32_t payload, const void* sender) const {
  std::memset(d, 0, 12);
  if (local_.v6) {
    const auto* s6 = static_cast<const sockaddr_in6*>(sender);
    store_be16(d + 12, packet::kEtherTypeIpv6);
    auto* ip = reinterpret_cast<packet::Ipv6Header*>(d + kEth);
    ip->set_version_tc_flow(0, 0);
    ip->payload_length.set(static_cast<uint16_t>(kUdp + payload));
    ip->next_header = packet::kIpProtoUdp;
    ip->hop_limit = 64;
    std::memcpy(ip->src, &s6->sin6_addr, 16);
    ip->set_dst(local_);
    auto* udp = reinterpret_cast<packet::UdpHeader*>(d + kEth + packet::kIpv6HeaderSize);
    udp->src_port.set(ntohs(s6->sin6_port));
    udp->dst_port.set(port_);
    udp->length.set(static_cast<uint16_t>(kUdp + payload));
    udp->checksum.set(0);
    return;
  }
  const auto* s4 = static_cast<const sockaddr_in*>(sender);
  store_be16(d + 12, packet::kEtherTypeIpv4);
  auto* ip = reinterpret_cast<packet::Ipv4Header*>(d + kEth);
  ip->version_ihl = 0x45;
  ip->tos = 0;
  ip->total_length.set(static_cast<uint16_t>(packet::kIpv4HeaderSize + kUdp + payload));
  ip->id.set(0);
  ip->frag_off.set(0);
  ip->ttl = 64;
  ip->protocol = packet::kIpProtoUdp;
  std::memcpy(ip->src, &s4->sin_addr, 4);
  ip->set_dst(local_);
  packet::ipv4_set_checksum(*ip);
  auto* udp = reinterpret_cast<packet::UdpHeader*>(d + kEth + packet::kIpv4HeaderSize);
  udp->src_port.set(ntohs(s4->sin_port));
  udp->dst_port.set(port_);
  udp->length.set(static_cast<uint16_t>(kUdp + payload));
  udp->checksum.set(0);
}

void UdpSocketPort::synthesise(Packet& p, const void* sender) const {
  const uint32_t payload = p.size();
  uint8_t* d = p.prepend(header_len());
  write_header(d, payload, sender);
  if (local_.v6) {
    auto* ip = reinterpret_cast<packet::Ipv6Header*>(d + kEth);
    auto* udp = reinterpret_cast<packet::UdpHeader*>(d + kEth + packet::kIpv6HeaderSize);
    udp->checksum.set(
        packet::udp_checksum_v6(*ip, {reinterpret_cast<uint8_t*>(udp), kUdp + payload}));
  }
}

bool UdpSocketPort::segment_super(Packet* first, uint32_t len, const uint8_t* overflow,
                                  const void* sender, std::span<Packet*> out, uint32_t& n,
                                  PacketPool& pool) {
  Impl& im = *impl_;
  const uint32_t hlen = header_len();
  std::span<const uint8_t> frame;
  if (len <= Packet::kDataRoom) {  // all in the packet buffer
    first->append(len);
    synthesise(*first, sender);
    frame = first->bytes();
  } else {  // continued in the overflow slot: join the pieces
    uint8_t* f = im.scratch.get();
    write_header(f, len, sender);
    std::memcpy(f + hlen, first->data(), Packet::kDataRoom);
    std::memcpy(f + hlen + Packet::kDataRoom, overflow, len - Packet::kDataRoom);
    frame = {f, hlen + len};
  }
  auto layout = gso::parse(frame, port_);
  uint32_t mss = layout ? gso::mss_for_mtu(frame, *layout, mtu_) : 0;
  std::array<Packet*, kBatchSize> segs;
  auto r = mss && layout->tunnel ? gso::segment_tcp(frame, *layout, mss, pool, segs)
                                 : gso::SegResult{0, gso::SegError::kNotTcp};
  if (r.error != gso::SegError::kNone) {
    // Not a VXLAN TCP super-frame: pass it on whole when it fits a buffer (decap's
    // MTU check decides), drop it otherwise.
    if (len <= Packet::kDataRoom) {
      if (layout && layout->tunnel) gso::complete_if_partial(first->bytes(), *layout);
      im.counters.rx_packets.add(1);
      im.counters.rx_bytes.add(first->size());
      if (n < out.size()) {
        out[n++] = first;
      } else {
        im.pending.push_back(first);
      }
      return true;
    }
    first->release();
    return false;
  }
  first->release();
  im.counters.rx_segmented.add(1);
  uint64_t bytes = 0;
  for (uint32_t i = 0; i < r.count; ++i) {
    bytes += segs[i]->size();
    if (n < out.size()) {
      out[n++] = segs[i];
    } else {
      im.pending.push_back(segs[i]);  // reserved at open: no allocation
    }
  }
  im.counters.rx_packets.add(r.count);
  im.counters.rx_bytes.add(bytes);
  return true;
}

uint32_t UdpSocketPort::receive(PacketPool& pool, std::span<Packet*> out) {
  Impl& im = *impl_;
  uint32_t n = 0;
  // Segments of a super-datagram that did not fit the last call's batch come first.
  while (n < out.size() && im.pending_head < im.pending.size())
    out[n++] = im.pending[im.pending_head++];
  if (im.pending_head == im.pending.size()) {
    im.pending.clear();
    im.pending_head = 0;
  } else {
    return n;
  }
  // Room for the synthetic headers comes from the headroom; a datagram larger than
  // a packet buffer (a VXLAN super-frame: the kernel delivers UDP-tunnel GSO
  // unsegmented to a UDP socket) continues in that message's overflow slot.
  const uint32_t max_payload = Packet::kDataRoom;
  while (n < out.size()) {
    const size_t want = std::min<size_t>(out.size() - n, kRecvBatch);
    size_t have = 0;
    for (; have < want; ++have) {
      Packet* p = pool.alloc();
      if (!p) break;
      im.bufs[have] = p;
      im.iov[2 * have] = {p->data(), max_payload};
      im.iov[2 * have + 1] = {im.overflow.get() + have * kOverflow, kOverflow};
      msghdr& m = im.msgs[have].msg_hdr;
      m = msghdr{};
      m.msg_name = &im.addrs[have];
      m.msg_namelen = sizeof(sockaddr_storage);
      m.msg_iov = &im.iov[2 * have];
      m.msg_iovlen = 2;
    }
    int r = have ? recvmmsg(fd_, im.msgs.data(), static_cast<unsigned>(have), MSG_DONTWAIT, nullptr)
                 : 0;
    const size_t got = r > 0 ? static_cast<size_t>(r) : 0;
    uint64_t bytes = 0, packets = 0, dropped = 0;
    for (size_t i = 0; i < got; ++i) {
      Packet* p = im.bufs[i];
      const msghdr& m = im.msgs[i].msg_hdr;
      const uint32_t len = im.msgs[i].msg_len;
      if (m.msg_flags & MSG_TRUNC) {
        p->release();
        ++dropped;
        continue;
      }
      if (len + header_len() - kEth > mtu_) {  // larger than the underlay MTU
        if (!segment_super(p, len, im.overflow.get() + i * kOverflow, &im.addrs[i], out, n, pool))
          ++dropped;
        continue;
      }
      p->append(len);
      synthesise(*p, &im.addrs[i]);
      // A Linux VXLAN peer on the same host (veth) leaves the inner checksum to a
      // device that never computes it; finish it so the inner frame leaves valid.
      if (auto l = gso::parse(p->bytes(), port_); l && l->tunnel)
        gso::complete_if_partial(p->bytes(), *l);
      bytes += p->size();
      ++packets;
      if (n < out.size()) {
        out[n++] = p;
      } else {  // segments of an earlier datagram filled out
        im.pending.push_back(p);
      }
    }
    for (size_t i = got; i < have; ++i) im.bufs[i]->release();
    im.counters.rx_packets.add(packets);
    im.counters.rx_bytes.add(bytes);
    if (dropped) im.counters.rx_dropped.add(dropped);
    if (got < want || !im.pending.empty()) break;  // drained, pool empty, or out is full
  }
  return n;
}

uint32_t UdpSocketPort::send(std::span<Packet* const> pkts) {
  Impl& im = *impl_;
  const bool raw = raw_fd_ >= 0;
  const int fd = raw ? raw_fd_ : fd_;
  uint32_t sent_total = 0;
  for (size_t base = 0; base < pkts.size(); base += kBatchSize) {
    const size_t cnt = std::min(kBatchSize, pkts.size() - base);
    size_t m_count = 0;
    std::array<uint32_t, kBatchSize> lens;
    for (size_t i = 0; i < cnt; ++i) {
      Packet& p = *pkts[base + i];
      if (p.meta.flags & PacketMeta::kCsumPartial) [[unlikely]] {  // a socket takes finished bytes
        gso::finish_partial_checksum(p.bytes(), p.meta.csum_start, p.meta.csum_offset, p.size());
        p.meta.flags &= static_cast<uint16_t>(~PacketMeta::kCsumPartial);
      }
      const uint8_t* d = p.data();
      const uint32_t size = p.size();
      // Ethernet (one optional tag), then the IP header of our family.
      uint32_t l3 = kEth;
      if (size >= kEth + 4 && packet::is_vlan_ethertype(load_be16(d + 12))) l3 += 4;
      uint32_t l4 = 0, end = 0;
      IpAddress dst;
      if (!local_.v6 && size >= l3 + 20 && load_be16(d + l3 - 2) == packet::kEtherTypeIpv4 &&
          (d[l3] >> 4) == 4 && d[l3 + 9] == packet::kIpProtoUdp) {
        l4 = l3 + (d[l3] & 0x0f) * 4u;
        end = l3 + load_be16(d + l3 + 2);
        dst = IpAddress::from_v4_bytes(d + l3 + 16);
      } else if (local_.v6 && size >= l3 + 40 && load_be16(d + l3 - 2) == packet::kEtherTypeIpv6 &&
                 d[l3 + 6] == packet::kIpProtoUdp) {
        l4 = l3 + 40;
        end = l4 + load_be16(d + l3 + 4);
        dst = IpAddress::from_v6_bytes(d + l3 + 24);
      }
      if (!l4 || end > size || l4 + kUdp > end) {  // not UDP over our IP family: not ours to send
        im.counters.tx_dropped.add(1);
        continue;
      }
      // Raw: the whole UDP datagram (our source port kept). Fallback: its payload.
      const uint32_t from = raw ? l4 : l4 + kUdp;
      const uint16_t dport = load_be16(d + l4 + 2);
      msghdr& m = im.msgs[m_count].msg_hdr;
      m = msghdr{};
      m.msg_namelen = make_sockaddr(dst, raw ? 0 : dport, im.addrs[m_count]);
      m.msg_name = &im.addrs[m_count];
      im.iov[m_count] = {const_cast<uint8_t*>(d + from), end - from};
      m.msg_iov = &im.iov[m_count];
      m.msg_iovlen = 1;
      lens[m_count] = size;
      ++m_count;
    }
    size_t i = 0;
    while (i < m_count) {
      int r = sendmmsg(fd, &im.msgs[i], static_cast<unsigned>(m_count - i), MSG_DONTWAIT);
      if (r > 0) {
        for (size_t j = i; j < i + static_cast<size_t>(r); ++j) im.counters.tx_bytes.add(lens[j]);
        i += static_cast<size_t>(r);
        sent_total += static_cast<uint32_t>(r);
        continue;
      }
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
        im.counters.tx_dropped.add(m_count - i);
        break;
      }
      im.counters.tx_dropped.add(1);  // refused (no route, too large): skip this one
      ++i;
    }
    for (size_t j = 0; j < cnt; ++j) pkts[base + j]->release();
  }
  im.counters.tx_packets.add(sent_total);
  return sent_total;
}

PortStats UdpSocketPort::stats() const {
  return impl_->counters.snapshot();
}

}  // namespace vgw::io
