#include "dataplane/pipeline.h"

#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "packet/byte_order.h"
#include "packet/checksum.h"
#include "packet/ethernet.h"
#include "packet/flow_hash.h"
#include "packet/gso.h"
#include "packet/parse.h"
#include "packet/vxlan.h"

namespace vgw::dataplane {

using namespace vgw::packet;

namespace {

// The 48-bit MAC at p as MacAddress::to_u64 packs it (first byte most
// significant). Reads 8 bytes: callers guarantee p + 8 is inside the frame.
inline uint64_t load_mac(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) v = __builtin_bswap64(v);
  return v >> 16;
}

inline bool bad_source(uint64_t mac) {
  return mac == 0 || (mac >> 40) & 1;
}

// The IPv4 header checksum of a 20-byte header is right (sums to 0xffff).
// Native-order 32-bit words: the fold is byte-order independent (RFC 1071 §2(B)).
// Five 32-bit words summed in 64 bits cannot carry out, so the sum needs no
// end-around carry until it is folded 64 -> 32 -> 16 bits by adding the rotated
// value (Linux's csum_fold): the high half of s + rot(s) is the folded sum.
inline bool ipv4_20_checksum_ok(const uint8_t* h) {
  using packet::detail::load_u32;
  uint64_t s = uint64_t{load_u32(h)} + load_u32(h + 4) + load_u32(h + 8) + load_u32(h + 12) +
               load_u32(h + 16);
  s += (s >> 32) | (s << 32);
  uint32_t f = static_cast<uint32_t>(s >> 32);
  f += (f >> 16) | (f << 16);
  return (f >> 16) == 0xffff;
}

// packet::csum_finish computed as Linux's csum_fold does (add the sum rotated
// by 16 bits: the high half is the end-around-carry sum): the same value for
// every 32-bit sum (checked exhaustively), in fewer instructions.
inline uint16_t csum_finish_rot(uint32_t s) {
  s += (s >> 16) | (s << 16);
  return static_cast<uint16_t>(~(s >> 16));
}

// The 50-byte IPv4 outer template into the headroom: three 16-byte moves and
// one of 2. A plain memcpy of 50 is what GCC sometimes turns into `rep movsb`
// (a byte loop) in code it deems cold, such as a route-then-encap path.
[[gnu::always_inline]] inline void copy_outer_v4(uint8_t* o, const uint8_t* t) {
  static_assert(OuterTemplate::kV4Size == 50);
#if defined(__SSE2__)
  const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t));
  const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t + 16));
  const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t + 32));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(o), a);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(o + 16), b);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(o + 32), c);
  std::memcpy(o + 48, t + 48, 2);
#else
  std::memcpy(o, t, 50);
#endif
}

// The common VXLAN frame checked inline: untagged Ethernet + IPv4 without
// options, not fragmented + UDP + VXLAN + at least an inner Ethernet header,
// every length checked; the caller then reads the fields at fixed offsets (outer
// IPv4 at 14, UDP at 34, VXLAN at 42, inner frame at 50). Anything else goes to
// packet::parse_vxlan_frame (the general parser), which gives the same answers
// more slowly.
inline bool parse_vxlan_fast(const uint8_t* d, uint32_t len) {
  constexpr uint32_t kMin = 14 + 20 + 8 + 8 + 14;
  if (len < kMin || load_be16(d + 12) != kEtherTypeIpv4 || d[14] != 0x45) return false;
  const uint8_t* ip = d + 14;
  uint32_t total = load_be16(ip + 2);
  if (total < kMin - 14 || total + 14 > len) return false;
  if (load_be16(ip + 6) & 0x3fff) return false;  // fragment
  if (ip[9] != kIpProtoUdp) return false;
  uint32_t udp_len = load_be16(ip + 20 + 4);
  return udp_len >= 16 + 14 && udp_len <= total - 20;
}

// packet::flow_hash of the frame encap sees almost always (untagged IPv4
// without options, not a fragment, TCP or UDP) with its tests folded into two
// masked compares of 32-bit words; the same two words go through the same
// packet::detail::finish_ip, so the value is flow_hash's. Anything else, or a
// big-endian host: flow_hash itself.
[[gnu::always_inline]] inline uint32_t encap_flow_hash(const uint8_t* p, uint32_t n) {
  if constexpr (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) {
    using packet::detail::load_u32;
    using packet::detail::load_u64;
    if (n >= 14 + 20 + 4) [[likely]] {
      // Bytes 12..15: EtherType 0x0800, version 4 + IHL 5 (TOS ignored).
      // Bytes 20..23: MF + fragment offset zero (flag bits 0..1 ignored), TTL
      // ignored, protocol.
      const uint32_t l3 = load_u32(p + 20) & 0xff00ff3fu;
      if ((load_u32(p + 12) & 0x00ffffffu) == 0x00450008u &&
          (l3 == uint32_t{kIpProtoUdp} << 24 || l3 == uint32_t{kIpProtoTcp} << 24)) [[likely]]
        return packet::detail::finish_ip(load_u64(p + 26),
                                         uint64_t{l3 >> 24} << 32 | load_u32(p + 34));
    }
  }
  return flow_hash(std::span<const uint8_t>{p, n});
}

// The frame decap sees almost always, with every test the paths below make of
// it folded into four masked compares of whole words: untagged Ethernet + IPv4
// without options, not a fragment, UDP to our address and port (dst_port: the
// expected bytes 30..37, address and destination port, the source port masked
// out) without a checksum, VXLAN with the I flag; plus the lengths
// parse_vxlan_fast checks. Anything else, or a big-endian host, takes those
// paths, which find its drop reason (or accept it) exactly as before.
inline bool decap_common(const uint8_t* d, uint32_t len, uint64_t dst_port) {
  if constexpr (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) {
    using packet::detail::load_u32;
    using packet::detail::load_u64;
    constexpr uint32_t kMin = 14 + 20 + 8 + 8 + 14;
    if (len < kMin) return false;
    if ((load_u32(d + 12) & 0x00ffffffu) != 0x00450008u ||  // IPv4, IHL 5
        (load_u32(d + 20) & 0xff00ff3fu) != 0x11000000u ||  // not a fragment, UDP
        (load_u64(d + 30) & 0xffff0000ffffffffull) != dst_port ||
        (load_u32(d + 40) & 0x0008ffffu) != 0x00080000u)  // UDP checksum 0, I flag
      return false;
    // udp_len >= 30 and udp_len + 20 <= total imply total >= 50 (kMin - 14).
    const uint32_t total = load_be16(d + 16), udp_len = load_be16(d + 38);
    return udp_len >= 16 + 14 && udp_len + 20 <= total && total + 14 <= len;
  } else {
    return false;
  }
}

}  // namespace

Pipeline::Pipeline(Dataplane& dp, WorkerContext& ctx, PacketPool& pool,
                   std::span<Port* const> ports, Port* underlay)
    : dp_(dp),
      ctx_(ctx),
      c_(ctx.counters),
      pool_(pool),
      ports_(ports.begin(), ports.end()),
      underlay_(underlay),
      fdb_(&dp.fdb()),
      tx_(ports.size()) {}

void Pipeline::begin(const Snapshot* snap, uint32_t now) {
  const bool snap_changed = snap != snap_;
  if (snap_changed) {
    snap_ = snap;
    last_vni_ = kNone;
    last_vni_net_ = kNone;
    last_src_v4_ = 0;
    last_src_remote_ = kNone;
    enc_.key = ~0ull;
    if (snap) {
      c_.networks.ensure(snap->network_count());
      c_.remotes.ensure(snap->remotes().size());
      const VtepState& v = snap->vtep();
      enc_.mtu = v.underlay_mtu;
      enc_.sport_min = v.source_port_min;
      // build_snapshot keeps min <= max, so the range maps directly (as
      // vxlan_source_port does).
      enc_.sport_span = uint32_t{v.source_port_max} - v.source_port_min + 1;
    }
  }
  now_ = now;
  last_learn_key_ = 0;
  last_learn_loc_ = 0;
  // The router's next-hop cache stays while what it was filled from is
  // unchanged (router.h); the versions are read before the tables.
  const RouterPlane& rp = dp_.router();
  const uint64_t rv = rp.version(), fv = fdb_->version(), nv = rp.neighbors().version();
  if (rv != router_.cache_router_version || fv != router_.cache_fdb_version ||
      nv != router_.cache_neighbor_version || snap_changed) {
    for (RouterWorker::HopCache& hc : router_.hop_cache) hc.hop = nullptr;
    router_.cache_router_version = rv;
    router_.cache_fdb_version = fv;
    router_.cache_neighbor_version = nv;
  }
  rt_ = rp.current();
  fast_in_net_ = kNone;
  if (router_.n_parked) [[unlikely]]
    router_service();  // packets waiting for ARP/ND (router.cc)
}

uint64_t Pipeline::traced_seq(const Packet* p) const {
  for (uint32_t i = 1; i <= traced_.size(); ++i) {
    const auto& [q, seq] = traced_[(traced_next_ - i) % traced_.size()];
    if (q == p) return seq;
  }
  return trace_seq_;
}

void Pipeline::trace(const Packet* p, Stage s, Decision d, Drop reason, uint64_t mac) {
  ctx_.trace.record(TraceRecord{
      traced_seq(p), s, d, reason, d == Decision::kToPort ? p->meta.out_port : p->meta.in_port,
      p->meta.network, p->meta.remote, p->size(),
      p->meta.flags & PacketMeta::kFromOverlay ? kNone : p->meta.in_port, p->meta.vlan, mac});
}

void Pipeline::drop(Packet* p, Drop reason) {
  c_.drop(reason);
  if (p->meta.flags & PacketMeta::kTrace) [[unlikely]]
    trace(p, p->meta.flags & PacketMeta::kFromOverlay ? Stage::kDecap : Stage::kLocalIngress,
          Decision::kDrop, reason);
  p->release();
}

void Pipeline::learn(uint32_t network, uint64_t mac, Location loc,
                     const IpAddress* unknown_source) {
  uint64_t key = Fdb::pack_key(network, mac) ^ (uint64_t{network >> 16} << 40);
  if (key == last_learn_key_ && loc.raw == last_learn_loc_) return;
  LearnEvent ev;
  ev.mac = mac;
  ev.network = network;
  ev.location = loc;
  ev.time = now_;
  if (unknown_source) ev.source = *unknown_source;
  if (!ctx_.learn.push(ev)) {
    c_.drop(Drop::learn_queue_full);
    return;
  }
  last_learn_key_ = key;
  last_learn_loc_ = loc.raw;
}

void Pipeline::send_port(uint32_t port) {
  TxQueue& q = tx_[port];
  if (q.n == 0) return;
  uint32_t sent = ports_[port]->send({q.pkts.data(), q.n});
  PortCounters& pc = c_.ports[port];
  pc.tx_packets.add(sent);
  pc.tx_bytes.add(sent == q.n ? q.bytes : q.bytes * sent / q.n);
  if (sent < q.n) pc.tx_dropped.add(q.n - sent);
  c_.tx_packets.add(sent);
  q.n = 0;
  q.bytes = 0;
}

void Pipeline::send_underlay() {
  TxQueue& q = underlay_tx_;
  if (q.n == 0) return;
  uint32_t sent = underlay_->send({q.pkts.data(), q.n});
  c_.underlay.tx_packets.add(sent);
  c_.underlay.tx_bytes.add(sent == q.n ? q.bytes : q.bytes * sent / q.n);
  if (sent < q.n) c_.underlay.tx_dropped.add(q.n - sent);
  c_.tx_packets.add(sent);
  q.n = 0;
  q.bytes = 0;
}

void Pipeline::flush() {
  send_underlay();
  for (uint32_t i = 0; i < tx_.size(); ++i) send_port(i);
  settle(net_rx_, c_.networks, true);
  settle(net_tx_, c_.networks, false);
  settle(encap_tx_, false);
  if (fast_routed_) {
    c_.routed.add(fast_routed_);
    fast_routed_ = 0;
  }
}

// Output to a local attachment: the frame is untagged here; tag it for a VLAN
// attachment.
template <bool kTraced>
inline void Pipeline::to_port(Packet* p, uint32_t port, uint16_t vlan, Tally& tx) {
  to_port<kTraced>(p, port, vlan, tx, tx_[port]);
}

template <bool kTraced>
inline void Pipeline::to_port(Packet* p, uint32_t port, uint16_t vlan, Tally& tx, TxQueue& q) {
  if (vlan) {
    uint8_t* d = p->prepend(4);
    if (!d) [[unlikely]] {
      drop(p, Drop::no_buffer);
      return;
    }
    std::memmove(d, d + 4, 12);
    store_be16(d + 12, kEtherTypeVlan);
    store_be16(d + 14, vlan);
    p->meta.csum_start += 4;  // kCsumPartial: csum_start counts from data()
  }
  p->meta.out_port = port;
  count(tx, c_.networks, false, p->meta.network, p->size());
  if (traced<kTraced>(p)) [[unlikely]]
    trace(p, Stage::kOutput, Decision::kToPort);
  q.pkts[q.n++] = p;
  q.bytes += p->size();
  if (q.n == kBatchSize) send_port(port);
}

template <bool kTraced>
inline void Pipeline::to_underlay(Packet* p, uint32_t inner_len) {
  ++encap_tx_.packets;
  encap_tx_.bytes += inner_len;
  if (traced<kTraced>(p)) [[unlikely]]
    trace(p, Stage::kEncap, Decision::kToUnderlay);
  TxQueue& q = underlay_tx_;
  q.pkts[q.n++] = p;
  q.bytes += p->size();
  if (q.n == kBatchSize) [[unlikely]]
    send_underlay();
}

bool Pipeline::encap_select(Packet* p, uint32_t ri, uint64_t key) {
  if (!snap_) [[unlikely]] {
    drop(p, Drop::underlay_unresolved);
    return false;
  }
  const RemoteSet& remotes = snap_->remotes();
  if (ri >= remotes.size() || !remotes.remotes()[ri].present || !remotes.remotes()[ri].resolved)
      [[unlikely]] {
    drop(p, Drop::underlay_unresolved);
    return false;
  }
  const uint32_t vni = snap_->table().fast[p->meta.network].vni;
  if (vni == kNone) [[unlikely]] {
    drop(p, Drop::no_flood_target);
    return false;
  }
  const Remote& r = remotes.remotes()[ri];
  if (key != encap_tx_.key) {
    settle(encap_tx_, false);
    encap_tx_.key = key;
  }
  if (r.outer.v6) [[unlikely]] {
    // An IPv6 remote is never enc_'s pair: its frames all come here (the IPv4
    // path in to_encap then tests no address family). enc_ is emptied, since
    // the tally now counts this pair.
    enc_.key = ~0ull;
    p->meta.remote = ri;
    const uint32_t inner_len = p->size();
    if (encap_v6(p, r, vni)) to_underlay(p, inner_len);
    return false;
  }
  enc_.key = key;
  enc_.remote = &r;
  enc_.vni_word = to_be32(vni << 8);
  return true;
}

void Pipeline::to_encap_cold(Packet* p, uint32_t remote) {
  to_encap(p, remote);
}

template <bool kTraced>
inline void Pipeline::to_encap(Packet* p, uint32_t ri) {
  encap_v4<kTraced, false>(p, ri, 0);
}

template <bool kTraced>
inline void Pipeline::to_encap(Packet* p, uint32_t ri, uint32_t flow_hash) {
  encap_v4<kTraced, true>(p, ri, flow_hash);
}

template <bool kTraced, bool kHashGiven>
inline void Pipeline::encap_v4(Packet* p, uint32_t ri, uint32_t flow_hash) {
  const uint64_t key = uint64_t{ri} << 32 | p->meta.network;
  if (key != enc_.key) [[unlikely]] {
    if (!encap_select(p, ri, key)) return;
  }
  p->meta.remote = ri;
  const uint32_t inner_len = p->size();
  // RFC 7348 §5: outer IPv4 + UDP (checksum zero) + VXLAN. The template
  // carries everything but the fields patched here; the header checksum is
  // the template's sum plus total length and id.
  constexpr uint32_t kOuter = OuterTemplate::kV4Size;
  const uint32_t udp_len = inner_len + 16;
  const uint32_t ip_len = udp_len + 20;
  if (ip_len > enc_.mtu) [[unlikely]] {
    drop(p, Drop::mtu_exceeded);
    return;
  }
  if constexpr (!kHashGiven) flow_hash = encap_flow_hash(p->data(), inner_len);
  // EncapState::source_port written out: with the call GCC's code for the
  // decap loop (which inlines this through the router) is 2 instructions longer.
  const uint16_t sport =
      static_cast<uint16_t>(enc_.sport_min + ((uint64_t{flow_hash} * enc_.sport_span) >> 32));
  uint8_t* o = p->prepend(kOuter);
  if (!o) [[unlikely]] {
    drop(p, Drop::no_buffer);
    return;
  }
  const Remote& r = *enc_.remote;
  copy_outer_v4(o, r.outer.bytes.data());
  const uint16_t id = ip_id_++;
  store_be16(o + 16, static_cast<uint16_t>(ip_len));
  store_be16(o + 18, id);
  store_be16(o + 24, csum_finish_rot(r.outer.ip_sum + ip_len + id));
  store_be16(o + 34, sport);
  store_be16(o + 38, static_cast<uint16_t>(udp_len));
  std::memcpy(o + 46, &enc_.vni_word, 4);
  p->meta.csum_start += kOuter;  // kCsumPartial: the outer UDP checksum is zero
  to_underlay<kTraced>(p, inner_len);
}

// The router's output to a local attachment: to_port (inline here) behind a
// check of the port index, which the router takes from a neighbour's location.
void Pipeline::router_to_port(Packet* p, uint32_t port, uint16_t vlan) {
  if (port >= tx_.size()) [[unlikely]] {
    drop(p, Drop::no_attachment);
    return;
  }
  to_port(p, port, vlan, net_tx_);
}

// The router stage's fast path (pipeline.h): every test route_v4 (router.cc)
// makes of the frame, passed or sent back to it before anything is written. A
// hop cache entry exists only for a next hop route_v4 forwarded in this batch
// (gateway or connected route, egress interface present, FDB location known),
// so a hit needs no further check but the MTU.
// The router interface MAC of a network in this batch's router table; ~0 (no
// MAC) when it has none.
uint64_t Pipeline::router_mac_of(uint32_t network) const {
  const RouterInterfaceState* in = rt_ ? rt_->interface(network) : nullptr;
  return in ? in->mac : ~0ull;
}

template <bool kTraced>
inline bool Pipeline::route_v4_fast(Packet* p) {
  if constexpr (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) {
    using packet::detail::load_u32;
    const RouterTable* const rt = rt_;  // not null: the callers' condition
    const uint32_t len = p->size();
    uint8_t* const d = p->data();
    // IPv4 without options, TTL above 1, every length and the checksum right.
    if (len < 14 + 20 || (load_u32(d + 12) & 0x00ffffffu) != 0x00450008u) return false;
    uint8_t* const ip = d + 14;
    const uint32_t total = load_be16(ip + 2);
    if (total < 20 || 14 + total > len || ip[8] <= 1 || !ipv4_20_checksum_ok(ip)) return false;
    if (p->meta.network != fast_in_net_) {
      const RouterInterfaceState* in = rt->interface(p->meta.network);
      if (!in) [[unlikely]]
        return false;
      fast_in_net_ = p->meta.network;
      fast_fib_ = rt->routers[in->router].fib.get();
    }
    const fib::FibTable& fib = *fast_fib_;
    const uint32_t group = fib.group_v4(load_be32(ip + 16));
    if (group == fib::kNoRoute) return false;
    // One flow hash for ECMP and, behind a remote, the VXLAN source port.
    const uint32_t fh = flow_hash_ipv4_20(ip, total);
    const fib::NextHop* hop = fib.select_lazy(group, [fh] { return fh; });
    const uint32_t cache_dst = hop->kind == fib::NextHopKind::kGateway ? 0 : load_be32(ip + 16);
    const RouterWorker::HopCache& hc =
        router_.hop_cache[(reinterpret_cast<uintptr_t>(hop) >> 3 ^ cache_dst) &
                          (RouterWorker::kHopCacheSize - 1)];
    if (hc.hop != hop || hc.dst != cache_dst || total > hc.mtu) return false;
    p->trim(14 + total);  // Ethernet padding
    // TTL - 1: the checksum patched as RFC 1624 eqn 3 gives for the word
    // holding TTL and protocol (the word drops by 0x0100), on the field as it
    // lies (Linux's ip_decrease_ttl: ones-complement sums are byte-order
    // independent, RFC 1071 §2(B)).
    ip[8] -= 1;
    uint16_t check;
    std::memcpy(&check, ip + 10, 2);
    const uint32_t sum = uint32_t{check} + to_be16(0x0100);
    check = static_cast<uint16_t>(sum + (sum >= 0xffff));
    std::memcpy(ip + 10, &check, 2);
    std::memcpy(d, hc.eth, 12);
    p->meta.network = hc.out_network;
    ++fast_routed_;
    if (traced<kTraced>(p)) [[unlikely]]
      trace(p, Stage::kRoute, Decision::kRouted);
    const Location loc{hc.location};
    if (loc.is_remote())
      to_encap<kTraced>(p, loc.remote_index(), fh);
    else
      router_to_port(p, loc.port(), loc.vlan());
    return true;
  } else {
    (void)p;
    return false;
  }
}

template <bool kTraced>
inline void Pipeline::to_router(Packet* p, uint64_t dmac) {
  if (traced<kTraced>(p)) [[unlikely]]
    trace(p, Stage::kLookup, Decision::kHit, Drop{}, dmac);
  if (!route_v4_fast<kTraced>(p)) route(p);
}

// Head-end replication: a copy to every other attachment of the network and,
// unless the frame came from the overlay (split horizon), to every remote of
// its flood list; the original goes to the last target.
void Pipeline::flood_local(Packet* p, uint32_t network, uint32_t in_attachment, bool from_overlay) {
  // ARP/ND broadcasts: the router stage may answer them (router.cc).
  if ((p->data()[0] & 1) && router_broadcast(p, network, from_overlay)) return;
  const NetworkFast& f = snap_->fast(network);
  const NetworkTable& t = snap_->table();
  const uint32_t* atts = t.flood_attachments.data() + f.att_begin;
  const uint32_t* rems = t.flood_remote_list.data() + f.flood_begin;
  uint32_t n_att = f.att_count;
  uint32_t n_rem = from_overlay ? 0 : f.flood_count;
  uint32_t total = n_att + n_rem - (in_attachment != kNone ? 1 : 0);
  if (total == 0 || total > n_att + n_rem) {
    drop(p, Drop::no_flood_target);
    return;
  }
  if (p->meta.flags & PacketMeta::kTrace) [[unlikely]]
    trace(p, Stage::kFlood, Decision::kFlood);
  uint32_t done = 0;
  auto deliver = [&](uint32_t k, bool is_remote) {
    Packet* out = p;
    if (++done < total) {
      out = pool_.alloc();
      if (!out) [[unlikely]] {
        c_.drop(Drop::no_buffer);
        return;
      }
      std::memcpy(out->append(p->size()), p->data(), p->size());
      out->meta = p->meta;
      if (out->meta.flags & PacketMeta::kTrace) [[unlikely]]
        note_traced(out, traced_seq(p));
    }
    if (is_remote) {
      to_encap(out, k);
    } else {
      const AttachmentState& a = t.attachments[k];
      to_port(out, a.port, a.vlan, net_tx_);
    }
  };
  for (uint32_t i = 0; i < n_att; ++i)
    if (atts[i] != in_attachment) deliver(atts[i], false);
  for (uint32_t i = 0; i < n_rem; ++i) deliver(rems[i], true);
}

// Marks the first packets of a batch kTrace while `vgwctl trace` wants more (one
// relaxed load per batch when nobody traces).
inline bool Pipeline::mark_for_trace(std::span<Packet*> pkts, uint32_t port) {
  if (uint32_t budget = ctx_.trace_budget.load(std::memory_order_relaxed)) [[unlikely]] {
    if (uint32_t only = ctx_.trace_port.load(std::memory_order_relaxed);
        only != kTraceAnyPort && only != port)
      return false;
    uint32_t k = 0;
    for (; k < pkts.size() && k < budget; ++k) pkts[k]->meta.flags |= PacketMeta::kTrace;
    ctx_.trace_budget.store(budget - k, std::memory_order_relaxed);
    return k != 0;
  }
  return false;
}

void Pipeline::local_ingress(uint32_t port, std::span<Packet*> pkts) {
  if (mark_for_trace(pkts, port)) [[unlikely]]
    local_ingress_batch<true>(port, pkts);
  else
    local_ingress_batch<false>(port, pkts);
}

template <bool kTraced>
void Pipeline::local_ingress_batch(uint32_t port, std::span<Packet*> pkts) {
  PortCounters& pc = c_.ports[port];
  pc.rx_packets.add(pkts.size());
  c_.rx_packets.add(pkts.size());
  uint64_t rx_bytes = 0;
  // Hoisted into locals: stores into packet bytes may alias any member.
  const Snapshot* const snap = snap_;
  const Fdb* const fdb = fdb_;
  const uint32_t now = now_;
  // Untagged frames all map to the port's VLAN-0 attachment: looked up once.
  const uint32_t att0 = snap ? snap->attachment(port, 0) : kNone;
  const uint32_t net0 = att0 != kNone ? snap->attachment_state(att0).network : kNone;
  Fdb::View fv;  // of the last network seen in this batch
  if (!snap) [[unlikely]] {
    for (Packet* p : pkts) {
      if (p->meta.flags & PacketMeta::kTrace) [[unlikely]]
        note_traced(p, ++trace_seq_);
      p->meta.in_port = port;
      rx_bytes += p->size();
      drop(p, Drop::no_attachment);
    }
    pc.rx_bytes.add(rx_bytes);
    return;
  }
  // A run of frames of one network is counted with one compare per frame.
  Tally net_rx = net_rx_, net_tx;
  for (Packet* p : pkts) {
    if (traced<kTraced>(p)) [[unlikely]]
      note_traced(p, ++trace_seq_);
    p->meta.in_port = port;
    uint32_t len = p->size();
    rx_bytes += len;
    uint8_t* d = p->data();
    if (len < kEthernetHeaderSize) [[unlikely]] {
      drop(p, Drop::truncated);
      continue;
    }
    uint16_t vlan = 0;
    uint32_t att = att0, net = net0;
    const bool tagged = load_be16(d + 12) == kEtherTypeVlan;
    if (tagged) {
      if (len < kEthernetHeaderSize + 4) [[unlikely]] {
        drop(p, Drop::truncated);
        continue;
      }
      vlan = load_be16(d + 14) & 0x0fff;
      att = snap->attachment(port, vlan);
      if (att != kNone) net = snap->attachment_state(att).network;
    }
    if (att == kNone) {
      drop(p, Drop::no_attachment);
      continue;
    }
    if (tagged) {
      std::memmove(d + 4, d, 12);
      p->pull(4);
      d = p->data();
      len -= 4;
      p->meta.csum_start -= 4;  // a checksum left to the device starts past the tag
    }
    p->meta.network = net;
    p->meta.vlan = vlan;
    uint64_t smac = load_mac(d + 6);
    if (bad_source(smac)) [[unlikely]] {
      drop(p, Drop::bad_source_mac);
      continue;
    }
    count(net_rx, c_.networks, true, net, len);
    Location in_loc = Location::local(port, vlan);
    if (net != fv.network()) fv = fdb->view(net);
    if (fdb->source_check(fv, smac, in_loc, now)) {
      learn(net, smac, in_loc, nullptr);
      if (traced<kTraced>(p)) [[unlikely]]
        trace(p, Stage::kLearn, Decision::kLearned, Drop{}, smac);
    }
    if (d[0] & 1) {
      flood_local(p, net, att, false);
      continue;
    }
    const Fdb::Hit hit = fdb->lookup(fv, load_mac(d));
    if (traced<kTraced>(p)) [[unlikely]]
      trace(p, Stage::kLookup, hit.found ? Decision::kHit : Decision::kMiss, Drop{}, load_mac(d));
    if (!hit.found) {
      flood_local(p, net, att, false);
      continue;
    }
    Location loc = hit.value.location();
    if (loc.is_remote()) {
      to_encap<kTraced>(p, loc.remote_index());
      continue;
    }
    if (loc == in_loc) {
      drop(p, Drop::hairpin);
      continue;
    }
    // Only to an attachment of this same network (an entry may outlive a change).
    uint32_t out_att = snap->attachment(loc.port(), loc.vlan());
    if (out_att == kNone || snap->attachment_state(out_att).network != net) [[unlikely]] {
      if (loc == kRouterLocation) {
        if (!rt_ || !route_v4_fast(p)) route(p);
        continue;
      }
      flood_local(p, net, att, false);
      continue;
    }
    to_port<kTraced>(p, loc.port(), loc.vlan(), net_tx);
  }
  net_rx_ = net_rx;
  settle(net_tx, c_.networks, false);
  pc.rx_bytes.add(rx_bytes);
}

// IPv6 underlay: the UDP checksum is mandatory (RFC 8200 §8.1), so the inner
// frame is summed; out of line, the IPv4 path stays small.
bool Pipeline::encap_v6(Packet* p, const Remote& r, uint32_t vni) {
  constexpr uint32_t kOuter = OuterTemplate::kV6Size;
  const uint32_t inner_len = p->size();
  const uint32_t udp_len = inner_len + 16;
  if (udp_len + 40 > enc_.mtu) {
    drop(p, Drop::mtu_exceeded);
    return false;
  }
  const uint16_t sport = enc_.source_port(flow_hash(p->bytes()));
  if (p->meta.flags & PacketMeta::kCsumPartial) {  // the outer sum covers the finished inner
    gso::finish_partial_checksum(p->bytes(), p->meta.csum_start, p->meta.csum_offset, p->size());
    p->meta.flags &= static_cast<uint16_t>(~PacketMeta::kCsumPartial);
  }
  uint32_t inner_sum = csum_partial(p->bytes());
  uint8_t* o = p->prepend(kOuter);
  if (!o) [[unlikely]] {
    drop(p, Drop::no_buffer);
    return false;
  }
  std::memcpy(o, r.outer.bytes.data(), kOuter);
  uint8_t* udp = o + 14 + 40;
  store_be16(o + 18, static_cast<uint16_t>(udp_len));
  store_be16(udp, sport);
  store_be16(udp + 4, static_cast<uint16_t>(udp_len));
  store_be32(udp + 12, vni << 8);
  uint32_t s = csum_add(inner_sum, r.outer.udp_sum);
  s = csum_add(s, udp_len * 2 + sport + (vni >> 8) + ((vni & 0xff) << 8));
  uint16_t c = csum_finish(s);
  store_be16(udp + 6, c ? c : 0xffff);
  return true;
}

void Pipeline::underlay_ingress(std::span<Packet*> pkts) {
  if (mark_for_trace(pkts, kTraceUnderlay)) [[unlikely]]
    underlay_ingress_batch<true>(pkts);
  else
    underlay_ingress_batch<false>(pkts);
}

template <bool kTraced>
void Pipeline::underlay_ingress_batch(std::span<Packet*> pkts) {
  c_.underlay.rx_packets.add(pkts.size());
  c_.rx_packets.add(pkts.size());
  uint64_t rx_bytes = 0;
  // Hoisted into locals: stores into packet bytes may alias any member.
  const Snapshot* const snap = snap_;
  const Fdb* const fdb = fdb_;
  const uint32_t now = now_;
  const VtepState* const v = snap ? &snap->vtep() : nullptr;
  // Our IPv4 address as the packet holds it; a value no 32-bit field equals
  // when the VTEP is IPv6.
  const uint64_t vtep_v4 = v && !v->source.v6 ? v->source_v4 : ~0ull;
  const uint16_t vxlan_port = v ? v->udp_port : 0;
  const uint16_t vxlan_port_be = to_be16(vxlan_port);
  // decap_common's bytes 30..37; an IPv6 VTEP: a value no masked word equals.
  const uint64_t dst_port_word =
      vtep_v4 != ~0ull ? (vtep_v4 & 0xffffffffu) | uint64_t{vxlan_port_be} << 48 : ~0ull;
  // One-entry caches (members across batches, locals within one).
  uint32_t last_vni = last_vni_net_ != kNone ? last_vni_ : kNone, last_vni_net = last_vni_net_;
  // The last source address that matched a remote (~0: none).
  uint64_t last_src_v4 = last_src_remote_ != kNone ? last_src_v4_ : ~0ull;
  uint32_t last_src_remote = last_src_remote_;
  // The last (location, network) pair that passed the output checks, as
  // location << 32 | network, and its port, VLAN and TX queue.
  uint64_t ok_key = ~0ull;
  uint32_t ok_port = 0;
  uint16_t ok_vlan = 0;
  TxQueue* ok_q = nullptr;
  Fdb::View fv;                 // of the last network seen in this batch
  uint64_t router_mac = ~0ull;  // fv's network's router interface MAC (~0: none)
  PairTally rx;                 // (network, remote) runs
  Tally net_tx;
  if (!snap) [[unlikely]] {
    for (Packet* p : pkts) {
      p->meta.flags |= PacketMeta::kFromOverlay;
      if (p->meta.flags & PacketMeta::kTrace) [[unlikely]]
        note_traced(p, ++trace_seq_);
      rx_bytes += p->size();
      drop(p, Drop::not_for_us);
    }
    c_.underlay.rx_bytes.add(rx_bytes);
    return;
  }
  for (Packet* p : pkts) {
    // The traced instance marks the frame at once (drop traces name the
    // stage by it); the other one sets the flag with the rest below.
    if constexpr (kTraced) {
      p->meta.flags |= PacketMeta::kFromOverlay;
      if (traced<kTraced>(p)) [[unlikely]]
        note_traced(p, ++trace_seq_);
    }
    const uint32_t len = p->size();
    rx_bytes += len;
    const uint8_t* d = p->data();
    // What decap needs from the outer headers, from the inline parser (the
    // common frame) or from the general one.
    uint32_t src4 = 0, vni, l3_offset, inner_offset, inner_length;
    uint16_t udp_checksum;
    uint8_t vxlan_flags;
    bool ipv6 = false;
    VxlanFrameInfo& fi = slow_fi_;  // filled by the general parser only
    if (decap_common(d, len, dst_port_word)) [[likely]] {
      std::memcpy(&src4, d + 26, 4);
      if (!ipv4_20_checksum_ok(d + 14)) {
        drop(p, Drop::bad_ip_checksum);
        continue;
      }
      l3_offset = 14;
      inner_offset = 50;
      inner_length = load_be16(d + 38) - 16u;
      udp_checksum = 0;
      vxlan_flags = 0x08;
      vni = load_be32(d + 46) >> 8;
    } else if (parse_vxlan_fast(d, len)) {
      uint32_t dst4;
      std::memcpy(&src4, d + 26, 4);
      std::memcpy(&dst4, d + 30, 4);
      if (dst4 != vtep_v4) {
        drop(p, Drop::not_for_us);
        continue;
      }
      uint16_t port_be;
      std::memcpy(&port_be, d + 36, 2);
      if (port_be != vxlan_port_be) {
        drop(p, Drop::wrong_udp_port);
        continue;
      }
      if (!ipv4_20_checksum_ok(d + 14)) {
        drop(p, Drop::bad_ip_checksum);
        continue;
      }
      l3_offset = 14;
      inner_offset = 50;
      inner_length = load_be16(d + 38) - 16u;
      udp_checksum = load_be16(d + 40);
      vxlan_flags = d[42];
      vni = load_be32(d + 46) >> 8;
    } else {
      fi = parse_vxlan_frame(p->bytes());
      if (!fi.ok()) {
        drop(p, fi.status == VxlanParseStatus::truncated ||
                        fi.status == VxlanParseStatus::bad_udp_length
                    ? Drop::truncated
                    : Drop::not_for_us);
        continue;
      }
      if (fi.dst != v->source) {
        drop(p, Drop::not_for_us);
        continue;
      }
      if (fi.dst_port != vxlan_port) {
        drop(p, Drop::wrong_udp_port);
        continue;
      }
      ipv6 = fi.ipv6;
      if (!ipv6) {
        size_t ihl = size_t{d[fi.l3_offset] & 0x0fu} * 4;
        if (!ipv4_header_checksum_ok({d + fi.l3_offset, ihl})) {
          drop(p, Drop::bad_ip_checksum);
          continue;
        }
        std::memcpy(&src4, fi.src.b.data(), 4);
      }
      l3_offset = fi.l3_offset;
      inner_offset = fi.inner_offset;
      inner_length = fi.inner_length;
      udp_checksum = fi.udp_checksum;
      vxlan_flags = fi.vxlan_flags;
      vni = fi.vni;
    }
    if (udp_checksum != 0 && !(p->meta.flags & PacketMeta::kCsumPartial)) [[unlikely]] {
      std::span<const uint8_t> seg{d + inner_offset - 16, size_t{inner_length} + 16};
      bool ok = ipv6 ? l4_checksum_ok_v6(*reinterpret_cast<const Ipv6Header*>(d + l3_offset),
                                         kIpProtoUdp, seg)
                     : l4_checksum_ok_v4(*reinterpret_cast<const Ipv4Header*>(d + l3_offset),
                                         kIpProtoUdp, seg);
      if (!ok) {
        drop(p, Drop::bad_udp_checksum);
        continue;
      }
    }
    if (!(vxlan_flags & 0x08)) {
      drop(p, Drop::vxlan_i_flag_clear);
      continue;
    }
    // The caches hold only hits, so a hit needs no further check.
    uint32_t net = last_vni_net;
    if (vni != last_vni) {
      net = snap->network_by_vni(vni);
      if (net == kNone) {
        drop(p, Drop::unknown_vni);
        continue;
      }
      last_vni = vni;
      last_vni_net = net;
    }
    uint32_t remote = last_src_remote;
    if (ipv6 || src4 != last_src_v4) {
      remote = ipv6 ? snap->remotes().find(fi.src) : snap->remotes().find_v4(src4);
      if (remote == kNone && !v->allow_unknown_sources) {
        drop(p, Drop::unknown_source_vtep);
        continue;
      }
      if (!ipv6) {
        last_src_v4 = remote != kNone ? src4 : ~0ull;
        last_src_remote = remote;
      }
    }
    // inner_length >= 14 (an inner Ethernet header): decap_common and
    // parse_vxlan_fast accept no UDP length below 16 + 14, parse_vxlan_frame no
    // shorter inner frame.
    const uint8_t* in = d + inner_offset;
    if (is_vlan_ethertype(load_be16(in + 12))) {
      drop(p, Drop::inner_vlan_tagged);
      continue;
    }
    uint64_t smac = load_mac(in + 6);
    if (bad_source(smac)) {
      drop(p, Drop::bad_inner_source_mac);
      continue;
    }
    // An inner checksum left to the device (a segment of a received super-frame,
    // gso.h) travels on with the packet, its start counted from the inner frame.
    // One left in the outer headers (the outer UDP checksum) goes with them.
    if (p->meta.flags & PacketMeta::kCsumPartial) [[unlikely]] {
      if (p->meta.csum_start < inner_offset)
        p->meta.flags &= static_cast<uint16_t>(~PacketMeta::kCsumPartial);
      p->meta.csum_start = static_cast<uint16_t>(p->meta.csum_start - inner_offset);
    }
    // inner_offset + inner_length <= len: every parser above checked the UDP
    // length against the IP length and the IP length against the frame.
    p->narrow(inner_offset, inner_length);
    p->meta.flags |= PacketMeta::kFromOverlay;
    p->meta.network = net;
    p->meta.remote = remote;
    d = in;
    const uint32_t inner_size = p->size();
    count(rx, true, net, remote, inner_size);
    if (net != fv.network()) {
      fv = fdb->view(net);
      router_mac = router_mac_of(net);
    }
    if (remote != kNone) {
      Location loc = Location::remote(remote);
      if (fdb->source_check(fv, smac, loc, now)) {
        learn(net, smac, loc, nullptr);
        if (traced<kTraced>(p)) [[unlikely]]
          trace(p, Stage::kLearn, Decision::kLearned, Drop{}, smac);
      }
    } else {
      IpAddress src = ipv6 ? fi.src : IpAddress::from_v4_bytes(reinterpret_cast<uint8_t*>(&src4));
      learn(net, smac, Location{}, &src);
    }
    if (d[0] & 1) {
      flood_local(p, net, kNone, true);
      continue;
    }
    const uint64_t dmac = load_mac(d);
    // The network's router MAC: the FDB entry it has (kRouterLocation) is
    // known, so the lookup is skipped.
    if (dmac == router_mac) {
      to_router<kTraced>(p, dmac);
      continue;
    }
    const Fdb::Hit hit = fdb->lookup(fv, dmac);
    if (traced<kTraced>(p)) [[unlikely]]
      trace(p, Stage::kLookup, hit.found ? Decision::kHit : Decision::kMiss, Drop{}, dmac);
    if (!hit.found) {
      flood_local(p, net, kNone, true);
      continue;
    }
    Location loc = hit.value.location();
    if (loc.is_remote()) {
      drop(p, Drop::split_horizon);
      continue;
    }
    // Only to an attachment of this same network (an entry may outlive a
    // change); the last (location, network) pair that passed is remembered.
    if (const uint64_t key = uint64_t{loc.raw} << 32 | net; key != ok_key) {
      // A router MAC (kRouterLocation, no attachment has it) goes to the router.
      if (loc == kRouterLocation) {
        if (!rt_ || !route_v4_fast(p)) route(p);
        continue;
      }
      uint32_t out_att = snap->attachment(loc.port(), loc.vlan());
      if (out_att == kNone || snap->attachment_state(out_att).network != net) [[unlikely]] {
        flood_local(p, net, kNone, true);
        continue;
      }
      ok_key = key;
      ok_port = loc.port();
      ok_vlan = loc.vlan();
      ok_q = &tx_[ok_port];
      // A run of frames to one output is a run of one network: its tally
      // needs no compare per frame.
      settle(net_tx, c_.networks, false);
      net_tx.id = net;
    }
    if (ok_vlan == 0) [[likely]] {
      p->meta.out_port = ok_port;
      ++net_tx.packets;
      net_tx.bytes += inner_size;
      if (traced<kTraced>(p)) [[unlikely]]
        trace(p, Stage::kOutput, Decision::kToPort);
      TxQueue& q = *ok_q;
      q.pkts[q.n++] = p;
      q.bytes += inner_size;
      if (q.n == kBatchSize) [[unlikely]]
        send_port(ok_port);
    } else {
      to_port<kTraced>(p, ok_port, ok_vlan, net_tx, *ok_q);
    }
  }
  settle(net_tx, c_.networks, false);
  settle(rx, true);
  last_vni_ = last_vni;
  last_vni_net_ = last_vni_net;
  last_src_v4_ = static_cast<uint32_t>(last_src_v4);
  last_src_remote_ = last_src_v4 == ~0ull ? kNone : last_src_remote;
  c_.underlay.rx_bytes.add(rx_bytes);
}

}  // namespace vgw::dataplane
