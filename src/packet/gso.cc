// Software checksum completion and TCP segmentation (see gso.h).
// Checksums come from packet/checksum.h.
#include "packet/gso.h"

#include "packet/checksum.h"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace vgw::gso {
namespace {

constexpr uint16_t kEthIpv4 = 0x0800;
constexpr uint16_t kEthIpv6 = 0x86dd;
constexpr uint16_t kEthVlan = 0x8100;
constexpr uint16_t kEthQinQ = 0x88a8;
constexpr uint32_t kEthHdr = 14;
constexpr uint32_t kVxlanHdr = 8;
constexpr uint32_t kUdpHdr = 8;
constexpr uint8_t kTcpFin = 0x01, kTcpPsh = 0x08, kTcpCwr = 0x80;

uint16_t rd16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
uint32_t rd32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
void wr16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void wr32(uint8_t* p, uint32_t v) {
  wr16(p, static_cast<uint16_t>(v >> 16));
  wr16(p + 2, static_cast<uint16_t>(v));
}

// packet::csum_partial for whole segments: 32-bit words into four 64-bit
// accumulators (no carry to propagate, independent chains) is about twice as fast
// as one 64-bit chain with end-around carry, and this sum is the per-segment cost
// of software checksums. Ones-complement sums are byte-order independent (RFC 1071
// §2(B)), so the native-order result is swapped once; the tail (< 32 bytes, at an
// even offset) goes to csum_partial.
uint32_t sum_bytes(std::span<const uint8_t> data, uint32_t sum = 0) {
  const uint8_t* p = data.data();
  size_t n = data.size();
  uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;  // below 2^48 for any frame
  while (n >= 32) {
    uint32_t w[8];
    std::memcpy(w, p, 32);
    a0 += w[0];
    a1 += w[1];
    a2 += w[2];
    a3 += w[3];
    a0 += w[4];
    a1 += w[5];
    a2 += w[6];
    a3 += w[7];
    p += 32;
    n -= 32;
  }
  const uint64_t a = a0 + a1 + a2 + a3;
  const uint32_t s = packet::csum_add(static_cast<uint32_t>(a), static_cast<uint32_t>(a >> 32));
  sum = packet::csum_add(sum, packet::to_be16(packet::csum_fold(s)));
  return packet::csum_partial({p, n}, sum);
}

uint32_t pseudo_header(const uint8_t* ip, bool v6, uint8_t proto, uint32_t l4_len) {
  if (v6) return packet::pseudo_header_sum_v6(ip + 8, ip + 24, proto, l4_len);
  return packet::pseudo_header_sum_v4(ip + 12, ip + 16, proto, static_cast<uint16_t>(l4_len));
}

uint32_t csum_field(uint8_t proto) {
  return proto == IPPROTO_TCP ? 16 : 6;
}

// Writes the L4 checksum of the datagram [l4, end) whose IP header is at l3.
void write_l4_checksum(uint8_t* f, uint32_t l3, uint32_t l4, uint32_t end, bool v6, uint8_t proto) {
  uint8_t* field = f + l4 + csum_field(proto);
  if (proto == IPPROTO_UDP && !v6 && rd16(field) == 0) return;  // no checksum sent
  field[0] = field[1] = 0;
  uint32_t sum = pseudo_header(f + l3, v6, proto, end - l4);
  uint16_t c = packet::csum_finish(sum_bytes({f + l4, end - l4}, sum));
  if (proto == IPPROTO_UDP && c == 0) c = 0xffff;  // RFC 768: zero means none
  wr16(field, c);
}

void write_ipv4_checksum(uint8_t* ip) {
  uint32_t ihl = (ip[0] & 0x0f) * 4u;
  wr16(ip + 10, packet::ipv4_header_checksum({ip, ihl}));
}

struct L3 {
  uint32_t l3, l4, end;
  uint8_t proto;
  bool v6;
};

// Ethernet [+ up to two VLAN tags] + IP + TCP/UDP starting at `eth`, inside [0, limit).
std::optional<L3> parse_l3(const uint8_t* f, uint32_t eth, uint32_t limit) {
  uint32_t off = eth + kEthHdr;
  if (off > limit) return std::nullopt;
  uint16_t type = rd16(f + off - 2);
  for (int tags = 0; (type == kEthVlan || type == kEthQinQ) && tags < 2; ++tags) {
    if (off + 4 > limit) return std::nullopt;
    type = rd16(f + off + 2);
    off += 4;
  }
  L3 r{};
  r.l3 = off;
  if (type == kEthIpv4) {
    if (off + 20 > limit) return std::nullopt;
    const uint8_t* ip = f + off;
    uint32_t ihl = (ip[0] & 0x0f) * 4u;
    uint32_t total = rd16(ip + 2);
    if ((ip[0] >> 4) != 4 || ihl < 20 || total < ihl || off + total > limit) return std::nullopt;
    if (rd16(ip + 6) & 0x3fff) return std::nullopt;  // a fragment: no L4 header to work on
    r.proto = ip[9];
    r.l4 = off + ihl;
    r.end = off + total;
  } else if (type == kEthIpv6) {
    if (off + 40 > limit) return std::nullopt;
    const uint8_t* ip = f + off;
    uint32_t plen = rd16(ip + 4);
    if ((ip[0] >> 4) != 6 || plen == 0 || off + 40 + plen > limit) return std::nullopt;
    r.proto = ip[6];
    r.v6 = true;
    r.l4 = off + 40;
    r.end = off + 40 + plen;
  } else {
    return std::nullopt;
  }
  if (r.proto == IPPROTO_TCP) {
    if (r.l4 + 20 > r.end) return std::nullopt;
    uint32_t doff = (f[r.l4 + 12] >> 4) * 4u;
    if (doff < 20 || r.l4 + doff > r.end) return std::nullopt;
  } else if (r.proto == IPPROTO_UDP) {
    if (r.l4 + kUdpHdr > r.end) return std::nullopt;
  } else {
    return std::nullopt;
  }
  return r;
}

uint32_t tcp_hlen(const uint8_t* f, const Layout& l) {
  return (f[l.l4 + 12] >> 4) * 4u;
}

// One segment of a super-frame into p: the headers (hdr bytes) and the payload
// bytes from hdr + off, len bytes in all; the IP length (and IPv4 id + checksum)
// rewritten for it. Returns the segment's bytes.
uint8_t* cut_segment(Packet* p, const uint8_t* f, uint32_t hdr, uint32_t off, uint32_t len,
                     const Layout& l, uint16_t ip_id) {
  uint8_t* d = p->append(len);
  std::memcpy(d, f, hdr);
  std::memcpy(d + hdr, f + hdr + off, len - hdr);
  if (l.v6) {
    wr16(d + l.l3 + 4, static_cast<uint16_t>(len - l.l3 - 40));
  } else {
    wr16(d + l.l3 + 2, static_cast<uint16_t>(len - l.l3));
    wr16(d + l.l3 + 4, ip_id);
    write_ipv4_checksum(d + l.l3);
  }
  return d;
}

// Whether frames a and b have the same first `end` bytes outside the (sorted)
// ranges [from, to) in skip: the header fields that differ between segments.
bool same_outside(const uint8_t* a, const uint8_t* b, std::span<const uint32_t[2]> skip,
                  uint32_t end) {
  uint32_t at = 0;
  for (const auto& r : skip) {
    if (std::memcmp(a + at, b + at, r[0] - at) != 0) return false;
    at = r[1];
  }
  return std::memcmp(a + at, b + at, end - at) == 0;
}

// A buffer for segment i; when the pool is empty, the i segments already cut are
// released (a super-frame is taken whole or not at all).
Packet* alloc_or_unwind(PacketPool& pool, std::span<Packet*> out, uint32_t i) {
  Packet* p = pool.alloc();
  if (!p)
    for (uint32_t j = 0; j < i; ++j) out[j]->release();
  return p;
}

}  // namespace

std::optional<Layout> parse(std::span<const uint8_t> frame, uint16_t vxlan_port) {
  const uint8_t* f = frame.data();
  auto outer = parse_l3(f, 0, static_cast<uint32_t>(frame.size()));
  if (!outer) return std::nullopt;
  Layout l;
  l.l3 = outer->l3;
  l.l4 = outer->l4;
  l.l3_end = outer->end;
  l.proto = outer->proto;
  l.v6 = outer->v6;
  if (vxlan_port && outer->proto == IPPROTO_UDP && rd16(f + outer->l4 + 2) == vxlan_port) {
    auto inner = parse_l3(f, outer->l4 + kUdpHdr + kVxlanHdr, outer->end);
    if (!inner) return l;  // VXLAN carrying something we do not offload: the outer UDP stands
    l.tunnel = true;
    l.outer_v6 = outer->v6;
    l.outer_l3 = outer->l3;
    l.outer_l4 = outer->l4;
    l.l3 = inner->l3;
    l.l4 = inner->l4;
    l.l3_end = inner->end;
    l.proto = inner->proto;
    l.v6 = inner->v6;
  }
  return l;
}

bool finish_partial_checksum(std::span<uint8_t> frame, uint32_t csum_start, uint32_t csum_offset,
                             uint32_t end) {
  if (end > frame.size() || csum_start >= end || csum_offset + 2 > end - csum_start) return false;
  uint8_t* f = frame.data();
  wr16(f + csum_start + csum_offset,
       packet::csum_finish(sum_bytes({f + csum_start, end - csum_start})));
  return true;
}

void fill_l4_checksum(std::span<uint8_t> frame, const Layout& l) {
  write_l4_checksum(frame.data(), l.l3, l.l4, l.l3_end, l.v6, l.proto);
}

void fill_ipv4_checksum(std::span<uint8_t> frame, uint32_t l3) {
  if (l3 + 20 > frame.size() || l3 + (frame[l3] & 0x0f) * 4u > frame.size()) return;
  write_ipv4_checksum(frame.data() + l3);
}

bool complete_if_partial(std::span<uint8_t> frame, const Layout& l) {
  if (l.proto != IPPROTO_TCP && l.proto != IPPROTO_UDP) return false;
  uint8_t* f = frame.data();
  const uint16_t field = rd16(f + l.l4 + csum_field(l.proto));
  if (field == 0) return false;  // UDP without a checksum (or an unlikely TCP value)
  const uint16_t partial =
      packet::csum_fold(pseudo_header(f + l.l3, l.v6, l.proto, l.l3_end - l.l4));
  if (field != partial || l4_checksum_ok(frame, l)) return false;
  write_l4_checksum(f, l.l3, l.l4, l.l3_end, l.v6, l.proto);
  return true;
}

bool l4_checksum_ok(std::span<const uint8_t> frame, const Layout& l) {
  const uint8_t* f = frame.data();
  if (l.proto == IPPROTO_UDP && !l.v6 && rd16(f + l.l4 + 6) == 0) return true;
  uint32_t sum = pseudo_header(f + l.l3, l.v6, l.proto, l.l3_end - l.l4);
  return packet::csum_fold(sum_bytes({f + l.l4, l.l3_end - l.l4}, sum)) == 0xffff;
}

uint32_t segment_count(std::span<const uint8_t> frame, const Layout& l, uint32_t mss) {
  if (l.proto != IPPROTO_TCP || mss == 0) return 0;
  uint32_t hdr = l.l4 + tcp_hlen(frame.data(), l);
  uint32_t payload = l.l3_end - hdr;
  return payload == 0 ? 1 : (payload + mss - 1) / mss;
}

uint32_t mss_for_mtu(std::span<const uint8_t> frame, const Layout& l, uint32_t mtu) {
  if (l.proto != IPPROTO_TCP) return 0;
  uint32_t first_l3 = l.tunnel ? l.outer_l3 : l.l3;
  uint32_t headers = l.l4 + tcp_hlen(frame.data(), l) - first_l3;
  return mtu > headers ? mtu - headers : 0;
}

SegResult segment_tcp(std::span<const uint8_t> frame, const Layout& l, uint32_t mss,
                      PacketPool& pool, std::span<Packet*> out, bool partial) {
  if (l.proto != IPPROTO_TCP) return {0, SegError::kNotTcp};
  if (mss == 0 || l.l3_end > frame.size()) return {0, SegError::kMalformed};
  const uint8_t* f = frame.data();
  const uint32_t hdr = l.l4 + tcp_hlen(f, l);
  const uint32_t payload = l.l3_end - hdr;
  const uint32_t n = segment_count(frame, l, mss);
  if (n > out.size()) return {0, SegError::kNoRoom};
  if (hdr + std::min(mss, payload) > Packet::kDataRoom) return {0, SegError::kTooLarge};

  const uint32_t seq0 = rd32(f + l.l4 + 4);
  const uint16_t id0 = l.v6 ? 0 : rd16(f + l.l3 + 4);
  const uint16_t outer_id0 = l.tunnel && !l.outer_v6 ? rd16(f + l.outer_l3 + 4) : 0;
  if (l.tunnel && l.outer_v6) partial = false;  // the outer sum needs the inner one
  const bool outer_udp_csum = l.tunnel && !partial && (l.outer_v6 || rd16(f + l.outer_l4 + 6) != 0);
  const uint8_t flags0 = f[l.l4 + 13];

  for (uint32_t i = 0; i < n; ++i) {
    Packet* p = alloc_or_unwind(pool, out, i);
    if (!p) return {0, SegError::kNoBuffer};
    const uint32_t off = i * mss;
    const uint32_t len = hdr + std::min(mss, payload - off);
    uint8_t* d = cut_segment(p, f, hdr, off, len, l, static_cast<uint16_t>(id0 + i));
    wr32(d + l.l4 + 4, seq0 + off);
    uint8_t flags = flags0;
    if (i + 1 < n) flags &= static_cast<uint8_t>(~(kTcpFin | kTcpPsh));
    if (i > 0) flags &= static_cast<uint8_t>(~kTcpCwr);
    d[l.l4 + 13] = flags;
    if (partial)
      wr16(d + l.l4 + 16,
           packet::csum_fold(pseudo_header(d + l.l3, l.v6, IPPROTO_TCP, len - l.l4)));
    else
      write_l4_checksum(d, l.l3, l.l4, len, l.v6, IPPROTO_TCP);

    if (l.tunnel) {
      if (l.outer_v6) {
        wr16(d + l.outer_l3 + 4, static_cast<uint16_t>(len - l.outer_l3 - 40));
      } else {
        wr16(d + l.outer_l3 + 2, static_cast<uint16_t>(len - l.outer_l3));
        wr16(d + l.outer_l3 + 4, static_cast<uint16_t>(outer_id0 + i));
        write_ipv4_checksum(d + l.outer_l3);
      }
      wr16(d + l.outer_l4 + 4, static_cast<uint16_t>(len - l.outer_l4));
      if (outer_udp_csum) {
        write_l4_checksum(d, l.outer_l3, l.outer_l4, len, l.outer_v6, IPPROTO_UDP);
      } else if (partial) {
        wr16(d + l.outer_l4 + 6, 0);
      }
    }
    p->meta = PacketMeta{};
    if (partial) {
      p->meta.flags = PacketMeta::kCsumPartial;
      p->meta.csum_start = static_cast<uint16_t>(l.l4);
      p->meta.csum_offset = 16;
    }
    out[i] = p;
  }
  return {n, SegError::kNone};
}

SegResult segment_udp(std::span<const uint8_t> frame, const Layout& l, uint32_t size,
                      PacketPool& pool, std::span<Packet*> out) {
  if (l.proto != IPPROTO_UDP || l.tunnel) return {0, SegError::kNotTcp};
  const uint32_t hdr = l.l4 + kUdpHdr;
  if (size == 0 || l.l3_end > frame.size() || l.l3_end < hdr) return {0, SegError::kMalformed};
  const uint8_t* f = frame.data();
  const uint32_t payload = l.l3_end - hdr;
  const uint32_t n = payload == 0 ? 1 : (payload + size - 1) / size;
  if (n > out.size()) return {0, SegError::kNoRoom};
  if (hdr + std::min(size, payload) > Packet::kDataRoom) return {0, SegError::kTooLarge};
  const uint16_t id0 = l.v6 ? 0 : rd16(f + l.l3 + 4);
  const bool csum = l.v6 || rd16(f + l.l4 + 6) != 0;
  for (uint32_t i = 0; i < n; ++i) {
    Packet* p = alloc_or_unwind(pool, out, i);
    if (!p) return {0, SegError::kNoBuffer};
    const uint32_t off = i * size;
    const uint32_t len = hdr + std::min(size, payload - off);
    uint8_t* d = cut_segment(p, f, hdr, off, len, l, static_cast<uint16_t>(id0 + i));
    wr16(d + l.l4 + 4, static_cast<uint16_t>(len - l.l4));
    if (csum) {
      d[l.l4 + 6] = 0xff;  // anything non-zero: write_l4_checksum keeps a zero one
      write_l4_checksum(d, l.l3, l.l4, len, l.v6, IPPROTO_UDP);
    }
    p->meta = PacketMeta{};
    out[i] = p;
  }
  return {n, SegError::kNone};
}

Run coalesce_tcp(std::span<Packet* const> pkts, uint32_t max_count,
                 std::span<uint8_t, Run::kMaxHeader> header) {
  constexpr uint8_t kNotMergeable = 0x02 | 0x04 | 0x20 | kTcpCwr;  // SYN RST URG CWR
  constexpr uint8_t kLastOnly = kTcpFin | kTcpPsh;
  Run run;
  const uint32_t limit = std::min<uint32_t>(max_count, static_cast<uint32_t>(pkts.size()));
  if (limit < 2) return run;
  const uint8_t* f0 = pkts[0]->data();
  const uint32_t size0 = pkts[0]->size();
  if (size0 < kEthHdr + 20) return run;
  const uint16_t type = rd16(f0 + 12);
  if (type != kEthIpv4 && type != kEthIpv6) return run;  // tagged frames go one by one
  auto l = parse_l3(f0, 0, size0);
  if (!l || l->proto != IPPROTO_TCP) return run;
  const uint32_t hdr = l->l4 + (f0[l->l4 + 12] >> 4) * 4u;
  if (hdr > Run::kMaxHeader || l->end <= hdr) return run;
  const uint32_t mss = l->end - hdr;
  const uint8_t flags0 = f0[l->l4 + 13];
  if (flags0 & (kNotMergeable | kLastOnly)) return run;
  const uint32_t seq0 = rd32(f0 + l->l4 + 4);
  const uint16_t id0 = l->v6 ? 0 : rd16(f0 + l->l3 + 4);
  // Header bytes that differ between segments: [from, to) ranges, in order.
  const uint32_t mutable_v4[][2] = {{l->l3 + 2, l->l3 + 6},
                                    {l->l3 + 10, l->l3 + 12},
                                    {l->l4 + 4, l->l4 + 8},
                                    {l->l4 + 13, l->l4 + 14},
                                    {l->l4 + 16, l->l4 + 18}};
  const uint32_t mutable_v6[][2] = {{l->l3 + 4, l->l3 + 6},
                                    {l->l4 + 4, l->l4 + 8},
                                    {l->l4 + 13, l->l4 + 14},
                                    {l->l4 + 16, l->l4 + 18}};
  auto same_headers = [&](const uint8_t* f) {
    return l->v6 ? same_outside(f0, f, mutable_v6, hdr) : same_outside(f0, f, mutable_v4, hdr);
  };
  // The L4 length of the merged frame must fit the IP length field.
  const uint32_t max_l4 = 65535 - (l->v6 ? 0 : l->l4 - l->l3);
  uint32_t n = 1, payload = mss, last = mss;
  uint8_t last_flags = 0;
  while (n < limit) {
    const uint8_t* f = pkts[n]->data();
    const uint32_t size = pkts[n]->size();
    if (size < hdr || !same_headers(f)) break;
    const uint32_t end = l->v6 ? l->l3 + 40 + rd16(f + l->l3 + 4) : l->l3 + rd16(f + l->l3 + 2);
    if (end > size || end <= hdr || end - hdr > mss) break;
    const uint32_t chunk = end - hdr;
    if (hdr - l->l4 + payload + chunk > max_l4) break;
    if (rd32(f + l->l4 + 4) != seq0 + payload) break;
    if (!l->v6 && rd16(f + l->l3 + 4) != static_cast<uint16_t>(id0 + n)) break;
    const uint8_t flags = f[l->l4 + 13];
    if ((flags & static_cast<uint8_t>(~kLastOnly)) != flags0) break;
    ++n;
    payload += chunk;
    last = chunk;
    last_flags = flags & kLastOnly;
    if (last_flags || chunk < mss) break;  // only the last segment may be short or push
  }
  if (n < 2) return run;

  uint8_t* h = header.data();
  std::memcpy(h, f0, hdr);
  const uint32_t l4_len = hdr - l->l4 + payload;
  if (l->v6) {
    wr16(h + l->l3 + 4, static_cast<uint16_t>(l4_len));
  } else {
    wr16(h + l->l3 + 2, static_cast<uint16_t>(l->l4 - l->l3 + l4_len));
    write_ipv4_checksum(h + l->l3);
  }
  h[l->l4 + 13] = flags0 | last_flags;
  wr16(h + l->l4 + 16, packet::csum_fold(pseudo_header(h + l->l3, l->v6, IPPROTO_TCP, l4_len)));
  run.count = n;
  run.header_len = hdr;
  run.mss = mss;
  run.last_payload = last;
  run.l4 = l->l4;
  run.v6 = l->v6;
  return run;
}

Run coalesce_udp(std::span<Packet* const> pkts, uint32_t max_count,
                 std::span<uint8_t, Run::kMaxHeader> header) {
  Run run;
  const uint32_t limit = std::min<uint32_t>(max_count, static_cast<uint32_t>(pkts.size()));
  if (limit < 2) return run;
  const uint8_t* f0 = pkts[0]->data();
  const uint32_t size0 = pkts[0]->size();
  if (size0 < kEthHdr + 20) return run;
  const uint16_t type = rd16(f0 + 12);
  if (type != kEthIpv4 && type != kEthIpv6) return run;
  auto l = parse_l3(f0, 0, size0);
  if (!l || l->proto != IPPROTO_UDP) return run;
  const uint32_t hdr = l->l4 + kUdpHdr;
  if (hdr > Run::kMaxHeader || l->end <= hdr || rd16(f0 + l->l4 + 4) != l->end - l->l4) return run;
  const uint32_t mss = l->end - hdr;
  const uint16_t id0 = l->v6 ? 0 : rd16(f0 + l->l3 + 4);
  // Header bytes that differ between datagrams: IP length (and IPv4 id, checksum),
  // UDP length and checksum.
  const uint32_t mutable_v4[][2] = {
      {l->l3 + 2, l->l3 + 6}, {l->l3 + 10, l->l3 + 12}, {l->l4 + 4, l->l4 + 8}};
  const uint32_t mutable_v6[][2] = {{l->l3 + 4, l->l3 + 6}, {l->l4 + 4, l->l4 + 8}};
  auto same_headers = [&](const uint8_t* f) {
    return l->v6 ? same_outside(f0, f, mutable_v6, hdr) : same_outside(f0, f, mutable_v4, hdr);
  };
  const uint32_t max_l4 = 65535 - (l->v6 ? 0 : l->l4 - l->l3);
  uint32_t n = 1, payload = mss, last = mss;
  while (n < limit) {
    const uint8_t* f = pkts[n]->data();
    const uint32_t size = pkts[n]->size();
    if (size < hdr || !same_headers(f)) break;
    const uint32_t end = l->v6 ? l->l3 + 40 + rd16(f + l->l3 + 4) : l->l3 + rd16(f + l->l3 + 2);
    if (end > size || end <= hdr || end - hdr > mss || rd16(f + l->l4 + 4) != end - l->l4) break;
    const uint32_t chunk = end - hdr;
    if (kUdpHdr + payload + chunk > max_l4) break;
    if (!l->v6 && rd16(f + l->l3 + 4) != static_cast<uint16_t>(id0 + n)) break;
    ++n;
    payload += chunk;
    last = chunk;
    if (chunk < mss) break;  // only the last datagram may be short
  }
  if (n < 2) return run;

  uint8_t* h = header.data();
  std::memcpy(h, f0, hdr);
  const uint32_t l4_len = kUdpHdr + payload;
  if (l->v6) {
    wr16(h + l->l3 + 4, static_cast<uint16_t>(l4_len));
  } else {
    wr16(h + l->l3 + 2, static_cast<uint16_t>(l->l4 - l->l3 + l4_len));
    write_ipv4_checksum(h + l->l3);
  }
  wr16(h + l->l4 + 4, static_cast<uint16_t>(l4_len));
  wr16(h + l->l4 + 6, packet::csum_fold(pseudo_header(h + l->l3, l->v6, IPPROTO_UDP, l4_len)));
  run.count = n;
  run.header_len = hdr;
  run.mss = mss;
  run.last_payload = last;
  run.l4 = l->l4;
  run.v6 = l->v6;
  return run;
}

}  // namespace vgw::gso
