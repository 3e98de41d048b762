// TAP underlay port and the tunnelled TSO coalescer (see tap_port.h).
#include "io/tap_port.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "io/port_counters.h"
#include "io/underlay.h"
#include "packet/byte_order.h"
#include "packet/checksum.h"
#include "packet/gso.h"

namespace vgw::io {
namespace {

using packet::load_be16;
using packet::load_be32;
using packet::store_be16;

// Linux 6.16+ <linux/if_tun.h>: the reader handles TSO/USO inside a UDP tunnel
// (and with the outer UDP checksum left to it). Not in the installed headers.
constexpr unsigned kTunFUdpTunnelGso = 0x080;

constexpr uint16_t kEthIpv4 = 0x0800;
constexpr uint32_t kEthHdr = 14, kUdpHdr = 8;
constexpr uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpPsh = 0x08, kTcpUrg = 0x20,
                  kTcpCwr = 0x80;

// Frames merged into one tunnelled TSO frame at most (45 full-size segments make 64 KB).
constexpr uint32_t kMaxTsoSegments = 64;
// The largest frame the TAP hands over: a 64 KB super-frame and its headers.
constexpr uint32_t kScratch = 65536 + 256;

// Whether a and b have the same first `end` bytes outside the sorted [from, to) ranges.
template <size_t N>
bool same_outside(const uint8_t* a, const uint8_t* b, const std::array<uint32_t[2], N>& skip,
                  size_t used, uint32_t end) {
  uint32_t at = 0;
  for (size_t i = 0; i < used; ++i) {
    if (std::memcmp(a + at, b + at, skip[i][0] - at) != 0) return false;
    at = skip[i][1];
  }
  return std::memcmp(a + at, b + at, end - at) == 0;
}

std::string err_text(const std::string& name, const char* what, int e) {
  return "tap " + name + ": " + what + ": " + std::strerror(e);
}

}  // namespace

TunnelRun coalesce_vxlan_tcp(std::span<Packet* const> pkts, uint16_t vxlan_port, uint32_t max_count,
                             std::span<uint8_t, TunnelRun::kMaxHeader> header) {
  constexpr uint8_t kNotMergeable = kTcpSyn | kTcpRst | kTcpUrg | kTcpCwr;
  constexpr uint8_t kLastOnly = kTcpFin | kTcpPsh;
  TunnelRun run;
  const uint32_t limit = std::min<uint32_t>(max_count, static_cast<uint32_t>(pkts.size()));
  if (limit < 2 || vxlan_port == 0) return run;
  const uint8_t* f0 = pkts[0]->data();
  const uint32_t size0 = pkts[0]->size();
  if (size0 < kEthHdr + 20 || load_be16(f0 + 12) != kEthIpv4) return run;  // IPv4 outer, untagged
  auto l = gso::parse(pkts[0]->bytes(), vxlan_port);
  if (!l || !l->tunnel || l->outer_v6 || l->proto != IPPROTO_TCP) return run;
  const uint32_t ol3 = l->outer_l3, ol4 = l->outer_l4, il3 = l->l3, il4 = l->l4;
  // The frame is exactly the outer datagram, which is exactly the inner one in VXLAN.
  if (ol3 + load_be16(f0 + ol3 + 2) != size0 || ol4 + load_be16(f0 + ol4 + 4) != size0 ||
      l->l3_end != size0)
    return run;
  const uint32_t hdr = il4 + (f0[il4 + 12] >> 4) * 4u;
  if (hdr > TunnelRun::kMaxHeader || size0 <= hdr) return run;
  const uint32_t mss = size0 - hdr;
  const uint8_t flags0 = f0[il4 + 13];
  if (flags0 & (kNotMergeable | kLastOnly)) return run;
  const uint32_t seq0 = load_be32(f0 + il4 + 4);
  const uint16_t oid0 = load_be16(f0 + ol3 + 4);
  const uint16_t iid0 = l->v6 ? 0 : load_be16(f0 + il3 + 4);
  // Header bytes that differ between frames, in order.
  std::array<uint32_t[2], 8> skip{};
  size_t used = 0;
  auto add = [&](uint32_t from, uint32_t to) {
    skip[used][0] = from;
    skip[used][1] = to;
    ++used;
  };
  add(ol3 + 2, ol3 + 6);    // outer total length, id
  add(ol3 + 10, ol3 + 12);  // outer header checksum
  add(ol4 + 4, ol4 + 8);    // outer UDP length, checksum
  if (l->v6) {
    add(il3 + 4, il3 + 6);  // payload length
  } else {
    add(il3 + 2, il3 + 6);    // total length, id
    add(il3 + 10, il3 + 12);  // header checksum
  }
  add(il4 + 4, il4 + 8);    // sequence
  add(il4 + 13, il4 + 14);  // flags
  add(il4 + 16, il4 + 18);  // checksum
  constexpr uint32_t kMaxOuter = 65535;
  uint32_t n = 1, payload = mss, last = mss;
  uint8_t last_flags = 0;
  while (n < limit) {
    const uint8_t* f = pkts[n]->data();
    const uint32_t size = pkts[n]->size();
    if (size <= hdr || size - hdr > mss || !same_outside(f0, f, skip, used, hdr)) break;
    if (ol3 + load_be16(f + ol3 + 2) != size || ol4 + load_be16(f + ol4 + 4) != size) break;
    const uint32_t end = l->v6 ? il3 + 40 + load_be16(f + il3 + 4) : il3 + load_be16(f + il3 + 2);
    if (end != size) break;
    const uint32_t chunk = size - hdr;
    if (hdr - ol3 + payload + chunk > kMaxOuter) break;
    if (load_be32(f + il4 + 4) != seq0 + payload) break;
    if (load_be16(f + ol3 + 4) != static_cast<uint16_t>(oid0 + n)) break;
    if (!l->v6 && load_be16(f + il3 + 4) != static_cast<uint16_t>(iid0 + n)) break;
    const uint8_t flags = f[il4 + 13];
    if ((flags & static_cast<uint8_t>(~kLastOnly)) != flags0) break;
    ++n;
    payload += chunk;
    last = chunk;
    last_flags = flags & kLastOnly;
    if (last_flags || chunk < mss) break;  // only the last frame may be short or push
  }
  if (n < 2) return run;

  uint8_t* h = header.data();
  std::memcpy(h, f0, hdr);
  const uint32_t total = hdr + payload;  // the merged frame's length
  store_be16(h + ol3 + 2, static_cast<uint16_t>(total - ol3));
  gso::fill_ipv4_checksum(header, ol3);
  store_be16(h + ol4 + 4, static_cast<uint16_t>(total - ol4));
  store_be16(h + ol4 + 6, 0);
  const uint32_t tcp_len = total - il4;
  uint32_t pseudo;
  if (l->v6) {
    store_be16(h + il3 + 4, static_cast<uint16_t>(total - il3 - 40));
    pseudo = packet::pseudo_header_sum_v6(h + il3 + 8, h + il3 + 24, IPPROTO_TCP, tcp_len);
  } else {
    store_be16(h + il3 + 2, static_cast<uint16_t>(total - il3));
    gso::fill_ipv4_checksum(header, il3);
    pseudo = packet::pseudo_header_sum_v4(h + il3 + 12, h + il3 + 16, IPPROTO_TCP,
                                          static_cast<uint16_t>(tcp_len));
  }
  h[il4 + 13] = flags0 | last_flags;
  store_be16(h + il4 + 16, packet::csum_fold(pseudo));
  run.count = n;
  run.header_len = hdr;
  run.mss = mss;
  run.last_payload = last;
  run.outer_l4 = ol4;
  run.inner_l3 = il3;
  run.inner_l4 = il4;
  run.inner_v6 = l->v6;
  return run;
}

TunnelVnetHdr tunnel_vnet_header(const TunnelRun& run) {
  TunnelVnetHdr vh;
  vh.flags = TunnelVnetHdr::kNeedsCsum;  // the inner TCP checksum; the outer UDP one is zero
  vh.gso_type =
      static_cast<uint8_t>((run.inner_v6 ? TunnelVnetHdr::kGsoTcpV6 : TunnelVnetHdr::kGsoTcpV4) |
                           TunnelVnetHdr::kGsoUdpTunnelV4);
  vh.hdr_len = static_cast<uint16_t>(run.header_len);
  vh.gso_size = static_cast<uint16_t>(run.mss);
  vh.csum_start = static_cast<uint16_t>(run.inner_l4);
  vh.csum_offset = 16;
  vh.outer_th_offset = static_cast<uint16_t>(run.outer_l4);
  vh.inner_nh_offset = static_cast<uint16_t>(run.inner_l3);
  return vh;
}

Result<std::string> interface_with_address(const IpAddress& address) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return make_error(std::string("getifaddrs: ") + std::strerror(errno));
  std::string found;
  for (ifaddrs* a = list; a && found.empty(); a = a->ifa_next) {
    if (!a->ifa_addr || !a->ifa_name) continue;
    if (a->ifa_addr->sa_family == AF_INET && !address.v6) {
      const auto* s = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
      if (std::memcmp(&s->sin_addr, address.b.data(), 4) == 0) found = a->ifa_name;
    } else if (a->ifa_addr->sa_family == AF_INET6 && address.v6) {
      const auto* s = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
      if (std::memcmp(&s->sin6_addr, address.b.data(), 16) == 0) found = a->ifa_name;
    }
  }
  freeifaddrs(list);
  if (found.empty())
    return make_error("vtep.source " + address.to_string() + " is not an address of this host");
  return found;
}

struct TapPort::Impl {
  PortCounters counters;
  TunnelVnetHdr vnet;
  std::array<iovec, kMaxTsoSegments + 2> iov{};
  std::array<uint8_t, TunnelRun::kMaxHeader> header{};
  bool coalesce = true;  // off for good once the kernel refuses a super-frame
  // A frame read from the TAP whose segments did not fit the caller's batch.
  std::unique_ptr<uint8_t[]> scratch{new uint8_t[kScratch]};
  uint32_t pending = 0;  // its length (with the virtio-net header), 0: none
};

TapPort::TapPort(std::string name) : name_(std::move(name)), impl_(new Impl) {}

TapPort::~TapPort() {
  if (epoll_fd_ >= 0) close(epoll_fd_);
  if (tap_fd_ >= 0) close(tap_fd_);
}

Result<std::unique_ptr<TapPort>> TapPort::open(const TapOptions& o) {
  const std::string& name = o.name;
  if (name.empty() || name.size() >= IFNAMSIZ)
    return make_error("tap '" + name + "': bad interface name");
  std::unique_ptr<TapPort> p(new TapPort(name));
  p->vtep_ = o.vtep;
  p->udp_port_ = o.udp_port;

  p->mtu_ = o.mtu ? o.mtu : 1500;
  if (o.af_packet_rx) {
    std::string rx_if = o.rx_ifname;
    if (rx_if.empty()) {
      auto found = interface_with_address(o.vtep);
      if (!found) return make_error("tap " + name + ": " + found.error().message);
      rx_if = *found;
    }
    if (rx_if == name)
      return make_error("tap " + name + ": the VTEP address must be on the bridge, not the TAP");
    const unsigned rx_index = if_nametoindex(rx_if.c_str());
    if (rx_index == 0) return make_error(err_text(name, ("no interface " + rx_if).c_str(), errno));
    UnderlayPacketOptions uo;
    uo.ifname = rx_if;
    uo.vtep = o.vtep;
    uo.udp_port = o.udp_port;
    uo.mtu = o.mtu;
    uo.fanout_group = o.shared ? fanout_group_for(static_cast<int>(rx_index)) : 0;
    AfPacketOptions ao = underlay_port_options(uo);
    ao.udp_gso = false;  // runs go by the TAP; the rest leaves as it is (UDP checksum zero)
    auto rx = AfPacketPort::open(ao);
    if (!rx) return make_error("tap " + name + ": receive: " + rx.error().message);
    p->rx_ = std::move(*rx);
    p->mtu_ = p->rx_->mtu();
  }

  const bool existed = if_nametoindex(name.c_str()) != 0;
  p->tap_fd_ = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (p->tap_fd_ < 0) return make_error(err_text(name, "open /dev/net/tun", errno));
  const int fd = p->tap_fd_;
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.c_str(), name.size());
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE;
  if (ioctl(fd, TUNSETIFF, &ifr) < 0)
    return make_error(
        err_text(name, "TUNSETIFF (an existing device must be a multi_queue vnet_hdr tap)", errno));
  int hdr_size = sizeof(TunnelVnetHdr);
  if (ioctl(fd, TUNSETVNETHDRSZ, &hdr_size) < 0)
    return make_error(err_text(name, "TUNSETVNETHDRSZ", errno));
  const unsigned base = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
  p->tunnel_gso_ = ioctl(fd, TUNSETOFFLOAD, base | kTunFUdpTunnelGso) == 0;
  if (!p->tunnel_gso_ && ioctl(fd, TUNSETOFFLOAD, base) < 0)
    return make_error(err_text(name, "TUNSETOFFLOAD", errno));

  // A TAP vgwd created carries the underlay MTU and is up; an existing one is the
  // operator's (its MTU stays theirs), brought up.
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return make_error(err_text(name, "socket", errno));
  ifreq req{};
  std::memcpy(req.ifr_name, name.c_str(), name.size());
  int err = 0;
  if (!existed) {
    req.ifr_mtu = static_cast<int>(p->mtu_);
    if (ioctl(s, SIOCSIFMTU, &req) < 0) err = errno;
  }
  if (!err && ioctl(s, SIOCGIFFLAGS, &req) < 0) err = errno;
  if (!err && !(req.ifr_flags & IFF_UP)) {
    req.ifr_flags = static_cast<short>(req.ifr_flags | IFF_UP);
    if (ioctl(s, SIOCSIFFLAGS, &req) < 0) err = errno;
  }
  close(s);
  if (err) return make_error(err_text(name, "set MTU / up", err));

  p->epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (p->epoll_fd_ < 0) return make_error(err_text(name, "epoll_create1", errno));
  for (int f : {fd, p->rx_ ? p->rx_->poll_fd() : -1}) {
    if (f < 0) continue;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = f;
    if (epoll_ctl(p->epoll_fd_, EPOLL_CTL_ADD, f, &ev) < 0)
      return make_error(err_text(name, "epoll_ctl", errno));
  }
  return p;
}

uint32_t TapPort::receive(PacketPool& pool, std::span<Packet*> out) {
  uint32_t n = rx_ ? rx_->receive(pool, out) : 0;
  if (n < out.size()) n += receive_tap(pool, out.subspan(n));
  return n;
}

bool TapPort::vxlan_to_us(std::span<const uint8_t> frame) const {
  if (frame.size() < kEthHdr || (frame[0] & 1)) return false;  // group addresses: not ours
  auto l = gso::parse(frame);  // nullopt for fragments: the kernel reassembles those
  if (!l || l->proto != IPPROTO_UDP || l->v6 != vtep_.v6) return false;
  const uint8_t* f = frame.data();
  const uint8_t* dst = f + l->l3 + (l->v6 ? 24 : 16);
  return std::memcmp(dst, vtep_.b.data(), l->v6 ? 16 : 4) == 0 &&
         load_be16(f + l->l4 + 2) == udp_port_;
}

int TapPort::take_tap_frame(const TunnelVnetHdr& vh, std::span<uint8_t> frame, PacketPool& pool,
                            std::span<Packet*> out) {
  Impl& im = *impl_;
  if (!vxlan_to_us(frame)) return 0;  // not for the VTEP: ignored, as the filter does
  const uint8_t gso = vh.gso_type & static_cast<uint8_t>(~TunnelVnetHdr::kGsoEcn);
  auto drop = [&] {
    im.counters.rx_dropped.add(1);
    return 0;
  };
  gso::SegResult r;
  if (gso != TunnelVnetHdr::kGsoNone) {
    if (gso == TunnelVnetHdr::kGsoUdpL4) {  // datagrams coalesced by a peer like us
      auto l = gso::parse(frame);
      const uint32_t hdr = l ? l->l4 + kUdpHdr : 0;
      const uint32_t count = l && vh.gso_size && l->l3_end > hdr
                                 ? (l->l3_end - hdr + vh.gso_size - 1) / vh.gso_size
                                 : 0;
      if (count == 0 || count > kBatchSize) return drop();
      if (count > out.size()) return -1;
      r = gso::segment_udp(frame, *l, vh.gso_size, pool, out);
    } else {  // a tunnelled TCP super-frame: cut by its inner TCP
      auto l = gso::parse(frame, udp_port_);
      if (!l || !l->tunnel || l->proto != IPPROTO_TCP) return drop();
      uint32_t mss = gso::mss_for_mtu(frame, *l, mtu_);
      if (vh.gso_size && vh.gso_size < mss) mss = vh.gso_size;
      const uint32_t count = mss ? gso::segment_count(frame, *l, mss) : 0;
      if (count == 0 || count > kBatchSize) return drop();
      if (count > out.size()) return -1;
      r = gso::segment_tcp(frame, *l, mss, pool, out, /*partial=*/true);
    }
    if (r.error != gso::SegError::kNone) return drop();
    im.counters.rx_segmented.add(1);
  } else {
    if (vh.flags & TunnelVnetHdr::kNeedsCsum) {
      if (!gso::finish_partial_checksum(frame, vh.csum_start, vh.csum_offset,
                                        static_cast<uint32_t>(frame.size())))
        return drop();
    }
    Packet* p = frame.size() <= Packet::kDataRoom ? pool.alloc() : nullptr;
    if (!p) return drop();
    std::memcpy(p->append(static_cast<uint32_t>(frame.size())), frame.data(), frame.size());
    out[0] = p;
    r.count = 1;
  }
  uint64_t bytes = 0;
  for (uint32_t i = 0; i < r.count; ++i) bytes += out[i]->size();
  im.counters.rx_packets.add(r.count);
  im.counters.rx_bytes.add(bytes);
  return static_cast<int>(r.count);
}

uint32_t TapPort::receive_tap(PacketPool& pool, std::span<Packet*> out) {
  Impl& im = *impl_;
  uint32_t n = 0;
  while (n < out.size()) {
    uint32_t len = im.pending;
    if (len == 0) {
      ssize_t got = read(tap_fd_, im.scratch.get(), kScratch);
      if (got <= 0) break;  // EAGAIN: nothing more
      len = static_cast<uint32_t>(got);
    }
    im.pending = 0;
    if (len < sizeof(TunnelVnetHdr) + kEthHdr) continue;
    TunnelVnetHdr vh;
    std::memcpy(&vh, im.scratch.get(), sizeof vh);
    std::span<uint8_t> frame{im.scratch.get() + sizeof vh, len - sizeof vh};
    const int took = take_tap_frame(vh, frame, pool, out.subspan(n));
    if (took < 0) {
      if (n == 0) {  // more segments than the caller ever takes
        im.counters.rx_dropped.add(1);
        continue;
      }
      im.pending = len;  // first in the next call
      break;
    }
    n += static_cast<uint32_t>(took);
  }
  return n;
}

uint32_t TapPort::send(std::span<Packet* const> pkts) {
  Impl& im = *impl_;
  uint32_t sent = 0, tap_sent = 0;
  uint64_t tap_bytes = 0, dropped = 0;
  // Frames in no run leave by the AF_PACKET port on the bridge (sendmmsg: one system
  // call per batch, where the TAP takes one write per frame), flushed before the
  // next run so that a flow's frames keep their order. The AF_PACKET port releases
  // them; without it they go one by one into the TAP.
  size_t singles = 0;  // the first frame not sent yet that is in no run
  auto flush = [&](size_t end) {
    if (rx_ && end > singles) sent += rx_->send(pkts.subspan(singles, end - singles));
    singles = end;
  };
  for (size_t i = 0; i < pkts.size();) {
    TunnelRun run;
    if (tunnel_gso_ && im.coalesce && pkts.size() - i >= 2)
      run = coalesce_vxlan_tcp(pkts.subspan(i), udp_port_, kMaxTsoSegments, im.header);
    if (run.count < 2 && rx_) {
      ++i;
      continue;
    }
    flush(i);
    Packet* p = pkts[i];
    TunnelVnetHdr& vh = im.vnet;
    size_t k = 0;
    uint32_t take = 1;
    if (run.count >= 2) {
      vh = tunnel_vnet_header(run);
      im.iov[k++] = {&vh, sizeof vh};
      im.iov[k++] = {im.header.data(), run.header_len};
      for (uint32_t j = 0; j < run.count; ++j)
        im.iov[k++] = {pkts[i + j]->data() + run.header_len,
                       j + 1 < run.count ? run.mss : run.last_payload};
      take = run.count;
    } else {
      vh = TunnelVnetHdr{};
      if (p->meta.flags & PacketMeta::kCsumPartial) {
        vh.flags = TunnelVnetHdr::kNeedsCsum;
        vh.csum_start = p->meta.csum_start;
        vh.csum_offset = p->meta.csum_offset;
      }
      im.iov[k++] = {&vh, sizeof vh};
      im.iov[k++] = {p->data(), p->size()};
    }
    ssize_t r;
    do {
      r = writev(tap_fd_, im.iov.data(), static_cast<int>(k));
    } while (r < 0 && errno == EINTR);
    if (r < 0 && take > 1 && errno == EINVAL) {
      // A refused super-frame means this kernel does not take them: frames go one
      // by one from now on, these ones first.
      im.coalesce = false;
      singles = i;
      continue;
    }
    for (uint32_t j = 0; j < take; ++j) {
      if (r >= 0) tap_bytes += pkts[i + j]->size();
      pkts[i + j]->release();
    }
    if (r >= 0) {
      tap_sent += take;
    } else {
      dropped += take;
    }
    i += take;
    singles = i;
  }
  flush(pkts.size());
  im.counters.tx_packets.add(tap_sent);
  im.counters.tx_bytes.add(tap_bytes);
  if (dropped) im.counters.tx_dropped.add(dropped);
  return sent + tap_sent;
}

PortStats TapPort::stats() const {
  PortStats s = impl_->counters.snapshot();
  if (rx_) s += rx_->stats();  // its sends: the frames in no run
  return s;
}

}  // namespace vgw::io
