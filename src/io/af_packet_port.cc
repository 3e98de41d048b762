// AF_PACKET Port on a TPACKET_V2 or TPACKET_V3 receive ring (see af_packet_port.h).
#include "io/af_packet_port.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "io/port_counters.h"
#include "packet/gso.h"

namespace vgw::io {
namespace {

// A received super-frame cut into segments (or not: a counted drop), counted as
// the packets it became; returns how many are in out.
int count_segments(PortCounters& c, const gso::SegResult& r, std::span<Packet*> out) {
  if (r.error != gso::SegError::kNone) {
    c.rx_dropped.add(1);
    return 0;
  }
  c.rx_segmented.add(1);
  uint64_t bytes = 0;
  for (uint32_t i = 0; i < r.count; ++i) bytes += out[i]->size();
  c.rx_packets.add(r.count);
  c.rx_bytes.add(bytes);
  return static_cast<int>(r.count);
}

// struct virtio_net_hdr (<linux/virtio_net.h> is not valid C++: a field named
// `class`). Little-endian on x86 for AF_PACKET (vnet_hdr is in host order).
struct [[gnu::packed]] VnetHdr {
  static constexpr uint8_t kNeedsCsum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
  static constexpr uint8_t kGsoNone = 0;    // VIRTIO_NET_HDR_GSO_NONE
  static constexpr uint8_t kGsoTcpV4 = 1;   // VIRTIO_NET_HDR_GSO_TCPV4
  static constexpr uint8_t kGsoTcpV6 = 4;   // VIRTIO_NET_HDR_GSO_TCPV6
  static constexpr uint8_t kGsoUdpL4 = 5;   // VIRTIO_NET_HDR_GSO_UDP_L4 (Linux 6.2+)
  uint8_t flags;
  uint8_t gso_type;
  uint16_t hdr_len;
  uint16_t gso_size;
  uint16_t csum_start;
  uint16_t csum_offset;
};
static_assert(sizeof(VnetHdr) == 10);

std::string err_text(const std::string& ifname, const char* what, int e) {
  return "port " + ifname + ": " + what + ": " + std::strerror(e);
}

// A TPACKET_V2 slot: a 64 KB super-frame plus the frame header, the virtio-net
// header and a VLAN tag, rounded to pages (a slot is one ring block).
constexpr uint32_t kFrameSlot = (1u << 16) + 4096;

// Segments merged into one TSO super-frame at most (45 full-size segments make 64 KB).
constexpr uint32_t kMaxTsoSegments = 64;

template <typename T>
int setopt(int fd, int level, int name, const T& v) {
  return setsockopt(fd, level, name, &v, sizeof v);
}

}  // namespace

uint16_t fanout_group_for(int ifindex) {
  // A per-process base plus the ifindex: distinct interfaces of one process never
  // share a group (a group is bound to one interface); other processes start
  // elsewhere. 0 is reserved for "no fanout" by our options.
  uint32_t h = static_cast<uint32_t>(getpid()) * 2654435761u;
  return static_cast<uint16_t>(1 + ((h >> 16) + static_cast<uint32_t>(ifindex)) % 65535);
}

std::vector<sock_filter> vxlan_filter(const IpAddress& vtep, uint16_t udp_port) {
  // Offsets are for an untagged Ethernet frame (VLAN tags are offloaded out of the
  // data on receive, so the filter sees none).
  std::vector<sock_filter> f;
  std::vector<size_t> to_drop;  // jumps whose false branch goes to drop
  auto stmt = [&](uint16_t code, uint32_t k) { f.push_back(BPF_STMT(code, k)); };
  auto jeq_else_drop = [&](uint32_t k) {
    to_drop.push_back(f.size());
    f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k, 0, 0));
  };
  stmt(BPF_LD | BPF_H | BPF_ABS, 12);
  if (!vtep.v6) {
    jeq_else_drop(ETH_P_IP);
    stmt(BPF_LD | BPF_B | BPF_ABS, 23);
    jeq_else_drop(IPPROTO_UDP);
    stmt(BPF_LD | BPF_W | BPF_ABS, 30);
    jeq_else_drop(vtep.v4_host());
    stmt(BPF_LD | BPF_H | BPF_ABS, 20);
    size_t frag = f.size();
    f.push_back(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x3fff, 0, 0));  // true: drop
    stmt(BPF_LDX | BPF_B | BPF_MSH, 14);
    stmt(BPF_LD | BPF_H | BPF_IND, 16);
    jeq_else_drop(udp_port);
    stmt(BPF_RET | BPF_K, 0xffffffffu);
    size_t drop = f.size();
    stmt(BPF_RET | BPF_K, 0);
    f[frag].jt = static_cast<uint8_t>(drop - frag - 1);
    for (size_t i : to_drop) f[i].jf = static_cast<uint8_t>(drop - i - 1);
    return f;
  }
  jeq_else_drop(ETH_P_IPV6);
  stmt(BPF_LD | BPF_B | BPF_ABS, 20);
  jeq_else_drop(IPPROTO_UDP);
  for (uint32_t w = 0; w < 4; ++w) {
    uint32_t word;
    std::memcpy(&word, vtep.b.data() + 4 * w, 4);
    stmt(BPF_LD | BPF_W | BPF_ABS, 38 + 4 * w);
    jeq_else_drop(ntohl(word));
  }
  stmt(BPF_LD | BPF_H | BPF_ABS, 56);
  jeq_else_drop(udp_port);
  stmt(BPF_RET | BPF_K, 0xffffffffu);
  size_t drop = f.size();
  stmt(BPF_RET | BPF_K, 0);
  for (size_t i : to_drop) f[i].jf = static_cast<uint8_t>(drop - i - 1);
  return f;
}

struct AfPacketPort::RingFrame {
  const uint8_t* data;  // the Ethernet header
  uint32_t len, snaplen, status;
  uint16_t vlan_tci, vlan_tpid;
};

struct AfPacketPort::Impl {
  PortCounters counters;
  mutable PortCounters::Counter kernel_drops;  // from PACKET_STATISTICS, read by stats()
  std::array<mmsghdr, kBatchSize> msgs{};
  // A message is a virtio-net header, then one frame, or a TSO super-frame's merged
  // headers and each segment's payload: never more than 2 per packet + 1 per message.
  std::array<iovec, 3 * kBatchSize> iov{};
  std::array<VnetHdr, kBatchSize> vnet{};
  std::array<uint32_t, kBatchSize> msg_packets{};  // packets each message carries
  std::array<std::array<uint8_t, gso::Run::kMaxHeader>, kBatchSize> gso_headers{};
  bool coalesce = true;                // off for good once the kernel refuses a super-frame
  std::unique_ptr<uint8_t[]> scratch;  // a tagged super-frame rebuilt whole (block size + tag)
};

AfPacketPort::AfPacketPort(std::string name) : name_(std::move(name)), impl_(new Impl) {}

AfPacketPort::~AfPacketPort() {
  if (ring_) munmap(ring_, ring_len_);
  if (fd_ >= 0) close(fd_);
}

Result<std::unique_ptr<AfPacketPort>> AfPacketPort::open(const AfPacketOptions& o) {
  const std::string& ifn = o.ifname;
  if (ifn.empty() || ifn.size() >= IFNAMSIZ)
    return make_error("port '" + ifn + "': bad interface name");
  std::unique_ptr<AfPacketPort> p(new AfPacketPort(ifn));
  p->ifindex_ = static_cast<int>(if_nametoindex(ifn.c_str()));
  if (!p->ifindex_) return make_error(err_text(ifn, "no such interface", errno));

  // Protocol 0: nothing is queued until bind(), after the filter and ring are set.
  p->fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (p->fd_ < 0) return make_error(err_text(ifn, "AF_PACKET socket", errno));
  int fd = p->fd_;

  if (o.mtu) {
    p->mtu_ = o.mtu;
  } else {
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, ifn.c_str(), ifn.size());
    if (ioctl(fd, SIOCGIFMTU, &ifr) < 0) return make_error(err_text(ifn, "SIOCGIFMTU", errno));
    p->mtu_ = static_cast<uint32_t>(ifr.ifr_mtu);
  }
  p->vxlan_port_ = o.vxlan_port;
  p->udp_gso_ = o.udp_gso;

  if (o.vnet_hdr) p->vnet_hdr_ = setopt(fd, SOL_PACKET, PACKET_VNET_HDR, 1) == 0;
  if (!o.receive) {  // send-only: protocol 0 registers no receive hook
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = p->ifindex_;
    if (bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0)
      return make_error(err_text(ifn, "bind", errno));
    return p;
  }
  p->blocks_ = o.rx_ring == RxRing::kBlocks;
  int version = p->blocks_ ? TPACKET_V3 : TPACKET_V2;
  if (setopt(fd, SOL_PACKET, PACKET_VERSION, version) < 0)
    return make_error(err_text(ifn, "PACKET_VERSION", errno));
  if (setopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1) < 0)
    return make_error(err_text(ifn, "PACKET_IGNORE_OUTGOING", errno));
  if (!o.bpf.empty()) {
    sock_fprog prog{static_cast<unsigned short>(o.bpf.size()),
                    const_cast<sock_filter*>(o.bpf.data())};
    if (setopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, prog) < 0)
      return make_error(err_text(ifn, "SO_ATTACH_FILTER", errno));
  }

  if (p->blocks_) {
    if (o.block_size < (1u << 17) || (o.block_size & (static_cast<uint32_t>(getpagesize()) - 1)) ||
        o.block_count == 0)
      return make_error("port " + ifn + ": block_size must be a page multiple of at least 128 KB");
    tpacket_req3 req{};
    req.tp_block_size = o.block_size;
    req.tp_block_nr = o.block_count;
    req.tp_frame_size = 2048;
    req.tp_frame_nr = o.block_size / req.tp_frame_size * o.block_count;
    req.tp_retire_blk_tov = o.block_timeout_ms;
    if (setopt(fd, SOL_PACKET, PACKET_RX_RING, req) < 0)
      return make_error(err_text(ifn, "PACKET_RX_RING", errno));
    p->block_size_ = o.block_size;
    p->block_count_ = o.block_count;
    p->ring_len_ = size_t{o.block_size} * o.block_count;
  } else {
    if (o.frame_count == 0) return make_error("port " + ifn + ": frame_count must be positive");
    tpacket_req req{};
    req.tp_block_size = kFrameSlot;
    req.tp_block_nr = o.frame_count;
    req.tp_frame_size = kFrameSlot;
    req.tp_frame_nr = o.frame_count;
    if (setopt(fd, SOL_PACKET, PACKET_RX_RING, req) < 0)
      return make_error(err_text(ifn, "PACKET_RX_RING", errno));
    p->frame_size_ = kFrameSlot;
    p->frame_count_ = o.frame_count;
    p->ring_len_ = size_t{kFrameSlot} * o.frame_count;
  }
  p->impl_->scratch.reset(new uint8_t[std::max(p->block_size_, p->frame_size_) + 4]);
  void* ring = mmap(nullptr, p->ring_len_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, fd, 0);
  if (ring == MAP_FAILED)
    ring = mmap(nullptr, p->ring_len_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (ring == MAP_FAILED) return make_error(err_text(ifn, "mmap of the receive ring", errno));
  p->ring_ = static_cast<uint8_t*>(ring);

  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = p->ifindex_;
  if (bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0)
    return make_error(err_text(ifn, "bind", errno));
  if (o.promiscuous) {
    packet_mreq mr{};
    mr.mr_ifindex = p->ifindex_;
    mr.mr_type = PACKET_MR_PROMISC;
    if (setopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, mr) < 0)
      return make_error(err_text(ifn, "PACKET_ADD_MEMBERSHIP promiscuous", errno));
  }
  if (o.fanout_group) {
    int arg = o.fanout_group | (PACKET_FANOUT_HASH << 16);
    if (setopt(fd, SOL_PACKET, PACKET_FANOUT, arg) < 0)
      return make_error(err_text(ifn, "PACKET_FANOUT (group in use on another interface?)", errno));
  }
  return p;
}

int AfPacketPort::take_frame(const RingFrame& f, PacketPool& pool, std::span<Packet*> out) {
  Impl& im = *impl_;
  const uint8_t* data = f.data;
  const uint32_t len = f.snaplen;
  if (len != f.len || len < 14) {  // larger than a ring block, or a runt
    im.counters.rx_dropped.add(1);
    return 0;
  }
  VnetHdr vh{};
  if (vnet_hdr_) std::memcpy(&vh, data - sizeof vh, sizeof vh);
  const bool gso = vnet_hdr_ && vh.gso_type != VnetHdr::kGsoNone;
  // The kernel takes an 802.1Q tag out of the data into metadata before AF_PACKET
  // sees the frame (VLAN offload, or skb_vlan_untag on receive); put it back, as
  // libpcap does, so VLAN attachments see what was on the wire.
  const bool tagged = f.status & TP_STATUS_VLAN_VALID;
  const uint32_t tag_len = tagged ? 4 : 0;
  const uint16_t tpid =
      (f.status & TP_STATUS_VLAN_TPID_VALID) && f.vlan_tpid ? f.vlan_tpid : uint16_t{ETH_P_8021Q};
  const uint16_t tci = f.vlan_tci;
  auto copy_frame = [&](uint8_t* d) {
    if (!tagged) {
      std::memcpy(d, data, len);
      return;
    }
    std::memcpy(d, data, 12);
    d[12] = static_cast<uint8_t>(tpid >> 8);
    d[13] = static_cast<uint8_t>(tpid);
    d[14] = static_cast<uint8_t>(tci >> 8);
    d[15] = static_cast<uint8_t>(tci);
    std::memcpy(d + 16, data + 12, len - 12);
  };
  const uint32_t full = len + tag_len;

  if (gso || len > mtu_ + 18) {
    std::span<const uint8_t> frame{data, len};
    if (tagged) {
      copy_frame(im.scratch.get());
      frame = {im.scratch.get(), full};
    }
    if (gso && vh.gso_type == VnetHdr::kGsoUdpL4)
      return take_udp_gso(frame, vh.gso_size, pool, out);
    auto layout = gso::parse(frame, vxlan_port_);
    uint32_t mss = layout ? gso::mss_for_mtu(frame, *layout, mtu_) : 0;
    if (gso && vh.gso_size && vh.gso_size < mss) mss = vh.gso_size;
    uint32_t count = layout && mss ? gso::segment_count(frame, *layout, mss) : 0;
    if (count == 0 || count > kBatchSize) {  // not TCP (e.g. UDP GSO): cannot be cut here
      im.counters.rx_dropped.add(1);
      return 0;
    }
    if (count > out.size()) return -1;
    // Segments keep their TCP checksum for the sender to finish (PacketMeta::kCsumPartial):
    // merged again into a TSO frame, or sent with the device finishing it, their payload
    // is never summed by vgwd; the ports that cannot leave it finish it on send.
    return count_segments(im.counters,
                          gso::segment_tcp(frame, *layout, mss, pool, out,
                                           /*partial=*/true),
                          out);
  }

  Packet* p = pool.alloc();
  if (!p) {
    im.counters.rx_dropped.add(1);
    return 0;
  }
  uint8_t* d = full <= Packet::kDataRoom ? p->append(full) : nullptr;
  if (!d) {
    p->release();
    im.counters.rx_dropped.add(1);
    return 0;
  }
  copy_frame(d);
  if (f.status & TP_STATUS_CSUMNOTREADY) {
    bool done = false;
    if (vnet_hdr_ && (vh.flags & VnetHdr::kNeedsCsum))
      done =
          gso::finish_partial_checksum(p->bytes(), vh.csum_start + tag_len, vh.csum_offset, full);
    if (!done) {
      if (auto layout = gso::parse(p->bytes(), vxlan_port_))
        gso::fill_l4_checksum(p->bytes(), *layout);
    }
  }
  im.counters.rx_packets.add(1);
  im.counters.rx_bytes.add(full);
  out[0] = p;
  return 1;
}

int AfPacketPort::take_udp_gso(std::span<const uint8_t> frame, uint32_t size, PacketPool& pool,
                               std::span<Packet*> out) {
  // A UDP GSO frame (from a peer that coalesces like send() below): cut where the
  // sender's datagrams were; each is then an ordinary datagram (VXLAN or not).
  Impl& im = *impl_;
  auto layout = gso::parse(frame);
  const uint32_t hdr = layout ? layout->l4 + 8 : 0;
  const uint32_t count = layout && layout->proto == IPPROTO_UDP && size && layout->l3_end > hdr
                             ? (layout->l3_end - hdr + size - 1) / size
                             : 0;
  if (count == 0 || count > kBatchSize) {
    im.counters.rx_dropped.add(1);
    return 0;
  }
  if (count > out.size()) return -1;
  return count_segments(im.counters, gso::segment_udp(frame, *layout, size, pool, out), out);
}

uint32_t AfPacketPort::receive(PacketPool& pool, std::span<Packet*> out) {
  if (!ring_) return 0;  // send-only
  return blocks_ ? receive_blocks(pool, out) : receive_frames(pool, out);
}

bool AfPacketPort::take_into(const RingFrame& f, PacketPool& pool, std::span<Packet*> out,
                             uint32_t& n) {
  int got = take_frame(f, pool, out.subspan(n));
  if (got < 0) {
    if (n > 0) return false;            // its segments go first in the next call
    impl_->counters.rx_dropped.add(1);  // more segments than the caller ever takes
    got = 0;
  }
  n += static_cast<uint32_t>(got);
  return true;
}

uint32_t AfPacketPort::receive_frames(PacketPool& pool, std::span<Packet*> out) {
  uint32_t n = 0;
  while (n < out.size()) {
    uint8_t* slot = ring_ + size_t{frame_} * frame_size_;
    auto* h = reinterpret_cast<tpacket2_hdr*>(slot);
    const uint32_t status = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
    if (!(status & TP_STATUS_USER)) break;
    const RingFrame f{slot + h->tp_mac, h->tp_len,      h->tp_snaplen,
                      status,           h->tp_vlan_tci, h->tp_vlan_tpid};
    if (!take_into(f, pool, out, n)) break;
    __atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    if (++frame_ == frame_count_) frame_ = 0;
  }
  return n;
}

uint32_t AfPacketPort::receive_blocks(PacketPool& pool, std::span<Packet*> out) {
  uint32_t n = 0;
  while (n < out.size()) {
    if (!cur_block_) {
      uint8_t* b = ring_ + size_t{block_} * block_size_;
      auto* bd = reinterpret_cast<tpacket_block_desc*>(b);
      if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) break;
      cur_block_ = b;
      frames_left_ = bd->hdr.bh1.num_pkts;
      cur_frame_ = b + bd->hdr.bh1.offset_to_first_pkt;
    }
    if (frames_left_) {
      const auto* h = reinterpret_cast<const tpacket3_hdr*>(cur_frame_);
      const RingFrame f{cur_frame_ + h->tp_mac,
                        h->tp_len,
                        h->tp_snaplen,
                        h->tp_status,
                        static_cast<uint16_t>(h->hv1.tp_vlan_tci),
                        h->hv1.tp_vlan_tpid};
      if (!take_into(f, pool, out, n)) break;
      cur_frame_ += reinterpret_cast<const tpacket3_hdr*>(cur_frame_)->tp_next_offset;
      --frames_left_;
    }
    if (!frames_left_) {  // every frame copied out: the block goes back to the kernel
      auto* bd = reinterpret_cast<tpacket_block_desc*>(cur_block_);
      __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
      cur_block_ = nullptr;
      if (++block_ == block_count_) block_ = 0;
    }
  }
  return n;
}

uint32_t AfPacketPort::send(std::span<Packet* const> pkts) {
  Impl& im = *impl_;
  uint32_t sent_total = 0;
  for (size_t base = 0; base < pkts.size(); base += kBatchSize) {
    const size_t cnt = std::min(kBatchSize, pkts.size() - base);
    const auto chunk = pkts.subspan(base, cnt);
    size_t nmsg = 0, niov = 0;
    for (size_t i = 0; i < cnt; ++nmsg) {
      Packet* p = chunk[i];
      msghdr& m = im.msgs[nmsg].msg_hdr;
      m = msghdr{};
      iovec* iov = &im.iov[niov];
      size_t k = 0;
      uint32_t take = 1;
      if (vnet_hdr_) {
        VnetHdr& vh = im.vnet[nmsg];
        vh = VnetHdr{};
        iov[k++] = {&vh, sizeof vh};
        gso::Run run;
        if (im.coalesce && cnt - i >= 2)
          run = udp_gso_
                    ? gso::coalesce_udp(chunk.subspan(i), kMaxTsoSegments, im.gso_headers[nmsg])
                    : gso::coalesce_tcp(chunk.subspan(i), kMaxTsoSegments, im.gso_headers[nmsg]);
        if (run.count >= 2) {
          vh.flags = VnetHdr::kNeedsCsum;
          vh.gso_type = udp_gso_ ? VnetHdr::kGsoUdpL4
                        : run.v6 ? VnetHdr::kGsoTcpV6
                                 : VnetHdr::kGsoTcpV4;
          vh.hdr_len = static_cast<uint16_t>(run.header_len);
          vh.gso_size = static_cast<uint16_t>(run.mss);
          vh.csum_start = static_cast<uint16_t>(run.l4);
          vh.csum_offset = udp_gso_ ? 6 : 16;  // the UDP / TCP checksum field
          iov[k++] = {im.gso_headers[nmsg].data(), run.header_len};
          for (uint32_t j = 0; j < run.count; ++j) {
            Packet* q = chunk[i + j];
            // The header holds one checksum to finish (the merged TCP or outer UDP
            // one): an inner one a datagram still leaves to the device is done here.
            if (udp_gso_ && (q->meta.flags & PacketMeta::kCsumPartial)) {
              gso::finish_partial_checksum(q->bytes(), q->meta.csum_start, q->meta.csum_offset,
                                           q->size());
              q->meta.flags &= static_cast<uint16_t>(~PacketMeta::kCsumPartial);
            }
            iov[k++] = {q->data() + run.header_len, j + 1 < run.count ? run.mss : run.last_payload};
          }
          take = run.count;
        } else if (p->meta.flags & PacketMeta::kCsumPartial) {
          vh.flags = VnetHdr::kNeedsCsum;
          vh.csum_start = p->meta.csum_start;
          vh.csum_offset = p->meta.csum_offset;
        }
      } else if (p->meta.flags & PacketMeta::kCsumPartial) {
        gso::finish_partial_checksum(p->bytes(), p->meta.csum_start, p->meta.csum_offset,
                                     p->size());
      }
      if (take == 1) iov[k++] = {p->data(), p->size()};
      m.msg_iov = iov;
      m.msg_iovlen = k;
      im.msg_packets[nmsg] = take;
      niov += k;
      i += take;
    }
    auto bytes_of = [&](size_t msg, size_t first) {
      uint64_t b = 0;
      for (uint32_t j = 0; j < im.msg_packets[msg]; ++j) b += chunk[first + j]->size();
      return b;
    };
    size_t msg = 0, first = 0;  // the next message and its first packet
    while (msg < nmsg) {
      int r = sendmmsg(fd_, &im.msgs[msg], static_cast<unsigned>(nmsg - msg), MSG_DONTWAIT);
      if (r > 0) {
        for (int j = 0; j < r; ++j, ++msg) {
          im.counters.tx_bytes.add(bytes_of(msg, first));
          sent_total += im.msg_packets[msg];
          first += im.msg_packets[msg];
        }
        continue;
      }
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 && (errno == EAGAIN || errno == ENOBUFS)) {  // the queue is full: the rest is lost
        im.counters.tx_dropped.add(cnt - first);
        break;
      }
      // This frame was refused (e.g. too large): skip it. A refused super-frame means
      // this kernel does not take them: send frames one by one from now on.
      if (im.msg_packets[msg] > 1) im.coalesce = false;
      im.counters.tx_dropped.add(im.msg_packets[msg]);
      first += im.msg_packets[msg];
      ++msg;
    }
    for (Packet* p : chunk) p->release();
  }
  im.counters.tx_packets.add(sent_total);
  return sent_total;
}

PortStats AfPacketPort::stats() const {
  tpacket_stats_v3 st{};
  socklen_t sl = sizeof st;
  if (ring_ && getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &st, &sl) == 0)  // else send-only
    impl_->kernel_drops.add_shared(st.tp_drops);
  PortStats s = impl_->counters.snapshot();
  s.rx_dropped += impl_->kernel_drops.get();
  return s;
}

}  // namespace vgw::io
