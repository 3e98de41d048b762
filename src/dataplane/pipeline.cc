#include "dataplane/pipeline.h"

#include <cstring>

#include "packet/byte_order.h"
#include "packet/checksum.h"
#include "packet/ethernet.h"
#include "packet/flow_hash.h"
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
inline bool ipv4_20_checksum_ok(const uint8_t* h) {
  uint32_t w[5];
  std::memcpy(w, h, 20);
  uint64_t s = uint64_t{w[0]} + w[1] + w[2] + w[3] + w[4];
  s = (s & 0xffffffff) + (s >> 32);
  s = (s & 0xffffffff) + (s >> 32);
  return csum_fold(static_cast<uint32_t>(s)) == 0xffff;
}

// The common VXLAN frame parsed inline: untagged Ethernet + IPv4 without
// options, not fragmented + UDP + VXLAN + at least an inner Ethernet header,
// every length checked. Anything else goes to packet::parse_vxlan_frame
// (the general parser), which gives the same answers more slowly.
inline bool parse_vxlan_fast(const uint8_t* d, uint32_t len, VxlanFrameInfo& fi) {
  constexpr uint32_t kMin = 14 + 20 + 8 + 8 + 14;
  if (len < kMin || load_be16(d + 12) != kEtherTypeIpv4 || d[14] != 0x45) return false;
  const uint8_t* ip = d + 14;
  uint32_t total = load_be16(ip + 2);
  if (total < kMin - 14 || total + 14 > len) return false;
  if (load_be16(ip + 6) & 0x3fff) return false;  // fragment
  if (ip[9] != kIpProtoUdp) return false;
  const uint8_t* udp = ip + 20;
  uint32_t udp_len = load_be16(udp + 4);
  if (udp_len < 16 + 14 || udp_len > total - 20) return false;
  fi.status = VxlanParseStatus::ok;
  fi.ipv6 = false;
  fi.l3_offset = 14;
  fi.udp_offset = 34;
  fi.vxlan_offset = 42;
  fi.inner_offset = 50;
  fi.inner_length = static_cast<uint16_t>(udp_len - 16);
  fi.dst_port = load_be16(udp + 2);
  fi.udp_checksum = load_be16(udp + 6);
  fi.vxlan_flags = udp[8];
  fi.vni = uint32_t{udp[12]} << 16 | uint32_t{udp[13]} << 8 | udp[14];
  return true;
}

inline uint64_t frame_bytes(std::span<Packet*> pkts) {
  uint64_t b = 0;
  for (Packet* p : pkts) b += p->size();
  return b;
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
  if (snap != snap_) {
    snap_ = snap;
    last_vni_ = kNone;
    last_vni_net_ = kNone;
    last_src_v4_ = 0;
    last_src_remote_ = kNone;
    if (snap) {
      c_.networks.ensure(snap->network_count());
      c_.remotes.ensure(snap->remotes().size());
    }
  }
  now_ = now;
  last_learn_key_ = 0;
  last_learn_loc_ = 0;
}

void Pipeline::trace(const Packet* p, Stage s, Decision d, Drop reason) {
  ctx_.trace.record(TraceRecord{trace_seq_, s, d, reason,
                                d == Decision::kToPort ? p->meta.out_port : p->meta.in_port,
                                p->meta.network, p->meta.remote, p->size()});
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
  run_encap();
  send_underlay();
  for (uint32_t i = 0; i < tx_.size(); ++i) send_port(i);
  settle(net_rx_, c_.networks, true);
  settle(net_tx_, c_.networks, false);
  settle(remote_rx_, c_.remotes, true);
  settle(remote_tx_, c_.remotes, false);
}

// Output to a local attachment: the frame is untagged here; tag it for a VLAN
// attachment.
inline void Pipeline::to_port(Packet* p, uint32_t port, uint16_t vlan) {
  if (vlan) {
    uint8_t* d = p->prepend(4);
    if (!d) [[unlikely]] {
      drop(p, Drop::no_buffer);
      return;
    }
    std::memmove(d, d + 4, 12);
    store_be16(d + 12, kEtherTypeVlan);
    store_be16(d + 14, vlan);
  }
  p->meta.out_port = port;
  count(net_tx_, c_.networks, false, p->meta.network, p->size());
  if (p->meta.flags & PacketMeta::kTrace) [[unlikely]]
    trace(p, Stage::kOutput, Decision::kToPort);
  TxQueue& q = tx_[port];
  q.pkts[q.n++] = p;
  q.bytes += p->size();
  if (q.n == kBatchSize) send_port(port);
}

void Pipeline::to_encap(Packet* p, uint32_t remote) {
  p->meta.remote = remote;
  encap_q_.pkts[encap_q_.n++] = p;
  if (encap_q_.n == kBatchSize) run_encap();
}

// Head-end replication: a copy to every other attachment of the network and,
// unless the frame came from the overlay (split horizon), to every remote of
// its flood list; the original goes to the last target.
void Pipeline::flood_local(Packet* p, uint32_t network, uint32_t in_attachment, bool from_overlay) {
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
    }
    if (is_remote) {
      to_encap(out, k);
    } else {
      const AttachmentState& a = t.attachments[k];
      to_port(out, a.port, a.vlan);
    }
  };
  for (uint32_t i = 0; i < n_att; ++i)
    if (atts[i] != in_attachment) deliver(atts[i], false);
  for (uint32_t i = 0; i < n_rem; ++i) deliver(rems[i], true);
}

void Pipeline::local_ingress(uint32_t port, std::span<Packet*> pkts) {
  PortCounters& pc = c_.ports[port];
  pc.rx_packets.add(pkts.size());
  pc.rx_bytes.add(frame_bytes(pkts));
  c_.rx_packets.add(pkts.size());
  if (uint32_t budget = ctx_.trace_budget.load(std::memory_order_relaxed)) [[unlikely]] {
    uint32_t k = 0;
    for (; k < pkts.size() && k < budget; ++k) pkts[k]->meta.flags |= PacketMeta::kTrace;
    ctx_.trace_budget.store(budget - k, std::memory_order_relaxed);
  }
  for (Packet* p : pkts) {
    if (p->meta.flags & PacketMeta::kTrace) [[unlikely]]
      ++trace_seq_;
    p->meta.in_port = port;
    if (!snap_) [[unlikely]] {
      drop(p, Drop::no_attachment);
      continue;
    }
    uint8_t* d = p->data();
    uint32_t len = p->size();
    if (len < kEthernetHeaderSize) [[unlikely]] {
      drop(p, Drop::truncated);
      continue;
    }
    uint16_t type = load_be16(d + 12);
    uint16_t vlan = 0;
    if (type == kEtherTypeVlan) {
      if (len < kEthernetHeaderSize + 4) [[unlikely]] {
        drop(p, Drop::truncated);
        continue;
      }
      vlan = load_be16(d + 14) & 0x0fff;
    }
    uint32_t att = snap_->attachment(port, vlan);
    if (att == kNone) {
      drop(p, Drop::no_attachment);
      continue;
    }
    if (type == kEtherTypeVlan) {
      std::memmove(d + 4, d, 12);
      p->pull(4);
      d = p->data();
    }
    uint32_t net = snap_->attachment_state(att).network;
    p->meta.network = net;
    p->meta.vlan = vlan;
    uint64_t smac = load_mac(d + 6);
    if (bad_source(smac)) [[unlikely]] {
      drop(p, Drop::bad_source_mac);
      continue;
    }
    count(net_rx_, c_.networks, true, net, p->size());
    Location in_loc = Location::local(port, vlan);
    if (fdb_->source_check(net, smac, in_loc, now_)) learn(net, smac, in_loc, nullptr);
    if (d[0] & 1) {
      flood_local(p, net, att, false);
      continue;
    }
    Fdb::Hit hit = fdb_->lookup(net, load_mac(d));
    if (!hit.found) {
      flood_local(p, net, att, false);
      continue;
    }
    Location loc = hit.value.location();
    if (loc.is_remote()) {
      to_encap(p, loc.remote_index());
      continue;
    }
    if (loc == in_loc) {
      drop(p, Drop::hairpin);
      continue;
    }
    // Only to an attachment of this same network (an entry may outlive a change).
    uint32_t out_att = snap_->attachment(loc.port(), loc.vlan());
    if (out_att == kNone || snap_->attachment_state(out_att).network != net) [[unlikely]] {
      flood_local(p, net, att, false);
      continue;
    }
    to_port(p, loc.port(), loc.vlan());
  }
}

template <bool kV6>
inline bool Pipeline::encap_one(Packet* p, const Remote& r, uint32_t vni) {
  constexpr uint32_t kOuter = kV6 ? OuterTemplate::kV6Size : OuterTemplate::kV4Size;
  constexpr uint32_t kIpHdr = kV6 ? 40 : 20;
  const uint32_t inner_len = p->size();
  const uint32_t udp_len = inner_len + 16;
  const uint32_t ip_len = kV6 ? udp_len : udp_len + kIpHdr;  // IPv4 total / IPv6 payload
  if (udp_len + kIpHdr > snap_->vtep().underlay_mtu) {
    drop(p, Drop::mtu_exceeded);
    return false;
  }
  const VtepState& v = snap_->vtep();
  // build_snapshot keeps min <= max, so the range maps directly (as vxlan_source_port does).
  uint16_t sport = static_cast<uint16_t>(
      v.source_port_min +
      ((uint64_t{flow_hash(p->bytes())} * (uint32_t{v.source_port_max} - v.source_port_min + 1)) >>
       32));
  uint32_t inner_sum = kV6 ? csum_partial(p->bytes()) : 0;
  uint8_t* o = p->prepend(kOuter);
  if (!o) [[unlikely]] {
    drop(p, Drop::no_buffer);
    return false;
  }
  std::memcpy(o, r.outer.bytes.data(), kOuter);
  uint8_t* udp = o + 14 + kIpHdr;
  if constexpr (!kV6) {
    uint16_t id = ip_id_++;
    store_be16(o + 16, static_cast<uint16_t>(ip_len));
    store_be16(o + 18, id);
    store_be16(o + 24, csum_finish(r.outer.ip_sum + ip_len + id));
  } else {
    store_be16(o + 18, static_cast<uint16_t>(ip_len));
  }
  store_be16(udp, sport);
  store_be16(udp + 4, static_cast<uint16_t>(udp_len));
  uint8_t* vx = udp + 8;
  vx[4] = static_cast<uint8_t>(vni >> 16);
  vx[5] = static_cast<uint8_t>(vni >> 8);
  vx[6] = static_cast<uint8_t>(vni);
  if constexpr (kV6) {
    uint32_t s = csum_add(inner_sum, r.outer.udp_sum);
    s = csum_add(s, udp_len * 2 + sport + (vni >> 8) + ((vni & 0xff) << 8));
    uint16_t c = csum_finish(s);
    store_be16(udp + 6, c ? c : 0xffff);
  }
  return true;
}

void Pipeline::run_encap() {
  if (!snap_) [[unlikely]] {
    for (uint32_t i = 0; i < encap_q_.n; ++i) drop(encap_q_.pkts[i], Drop::underlay_unresolved);
    encap_q_.n = 0;
    return;
  }
  const RemoteSet& remotes = snap_->remotes();
  for (uint32_t i = 0; i < encap_q_.n; ++i) {
    Packet* p = encap_q_.pkts[i];
    uint32_t ri = p->meta.remote;
    if (ri >= remotes.size() || !remotes[ri].present || !remotes[ri].resolved) [[unlikely]] {
      drop(p, Drop::underlay_unresolved);
      continue;
    }
    const Remote& r = remotes[ri];
    uint32_t vni = snap_->fast(p->meta.network).vni;
    if (vni == kNone) [[unlikely]] {
      drop(p, Drop::no_flood_target);
      continue;
    }
    uint32_t inner_len = p->size();
    bool ok = r.outer.v6 ? encap_one<true>(p, r, vni) : encap_one<false>(p, r, vni);
    if (!ok) continue;
    count(remote_tx_, c_.remotes, false, ri, inner_len);
    count(net_tx_, c_.networks, false, p->meta.network, inner_len);
    if (p->meta.flags & PacketMeta::kTrace) [[unlikely]]
      trace(p, Stage::kEncap, Decision::kToUnderlay);
    TxQueue& q = underlay_tx_;
    q.pkts[q.n++] = p;
    q.bytes += p->size();
    if (q.n == kBatchSize) send_underlay();
  }
  encap_q_.n = 0;
}

void Pipeline::underlay_ingress(std::span<Packet*> pkts) {
  c_.underlay.rx_packets.add(pkts.size());
  c_.underlay.rx_bytes.add(frame_bytes(pkts));
  c_.rx_packets.add(pkts.size());
  if (uint32_t budget = ctx_.trace_budget.load(std::memory_order_relaxed)) [[unlikely]] {
    uint32_t k = 0;
    for (; k < pkts.size() && k < budget; ++k) pkts[k]->meta.flags |= PacketMeta::kTrace;
    ctx_.trace_budget.store(budget - k, std::memory_order_relaxed);
  }
  for (Packet* p : pkts) {
    p->meta.flags |= PacketMeta::kFromOverlay;
    if (p->meta.flags & PacketMeta::kTrace) [[unlikely]]
      ++trace_seq_;
    if (!snap_) [[unlikely]] {
      drop(p, Drop::not_for_us);
      continue;
    }
    const VtepState& v = snap_->vtep();
    const uint8_t* d = p->data();
    VxlanFrameInfo fi;
    uint32_t src4 = 0;
    if (parse_vxlan_fast(d, p->size(), fi)) {
      uint32_t dst4;
      std::memcpy(&src4, d + 26, 4);
      std::memcpy(&dst4, d + 30, 4);
      if (v.source.v6 || dst4 != v.source_v4) {
        drop(p, Drop::not_for_us);
        continue;
      }
      if (fi.dst_port != v.udp_port) {
        drop(p, Drop::wrong_udp_port);
        continue;
      }
      if (!ipv4_20_checksum_ok(d + 14)) {
        drop(p, Drop::bad_ip_checksum);
        continue;
      }
    } else {
      fi = parse_vxlan_frame(p->bytes());
      if (!fi.ok()) {
        drop(p, fi.status == VxlanParseStatus::truncated ||
                        fi.status == VxlanParseStatus::bad_udp_length
                    ? Drop::truncated
                    : Drop::not_for_us);
        continue;
      }
      if (fi.dst != v.source) {
        drop(p, Drop::not_for_us);
        continue;
      }
      if (fi.dst_port != v.udp_port) {
        drop(p, Drop::wrong_udp_port);
        continue;
      }
      if (!fi.ipv6) {
        size_t ihl = size_t{d[fi.l3_offset] & 0x0fu} * 4;
        if (!ipv4_header_checksum_ok({d + fi.l3_offset, ihl})) {
          drop(p, Drop::bad_ip_checksum);
          continue;
        }
        std::memcpy(&src4, fi.src.b.data(), 4);
      }
    }
    if (fi.udp_checksum != 0 && !(p->meta.flags & PacketMeta::kCsumPartial)) {
      std::span<const uint8_t> seg{d + fi.udp_offset, size_t{fi.inner_length} + 16};
      bool ok = fi.ipv6 ? l4_checksum_ok_v6(*reinterpret_cast<const Ipv6Header*>(d + fi.l3_offset),
                                            kIpProtoUdp, seg)
                        : l4_checksum_ok_v4(*reinterpret_cast<const Ipv4Header*>(d + fi.l3_offset),
                                            kIpProtoUdp, seg);
      if (!ok) {
        drop(p, Drop::bad_udp_checksum);
        continue;
      }
    }
    if (!fi.i_flag()) {
      drop(p, Drop::vxlan_i_flag_clear);
      continue;
    }
    uint32_t net = last_vni_net_;
    if (fi.vni != last_vni_) {
      net = snap_->network_by_vni(fi.vni);
      last_vni_ = fi.vni;
      last_vni_net_ = net;
    }
    if (net == kNone) {
      drop(p, Drop::unknown_vni);
      continue;
    }
    uint32_t remote;
    if (!fi.ipv6) {
      if (src4 == last_src_v4_ && last_src_remote_ != kNone) {
        remote = last_src_remote_;
      } else {
        remote = snap_->remotes().find_v4(src4);
        last_src_v4_ = src4;
        last_src_remote_ = remote;
      }
    } else {
      remote = snap_->remotes().find(fi.src);
    }
    if (remote == kNone && !v.allow_unknown_sources) {
      drop(p, Drop::unknown_source_vtep);
      continue;
    }
    const uint8_t* in = d + fi.inner_offset;
    if (fi.inner_length < kEthernetHeaderSize) [[unlikely]] {
      drop(p, Drop::truncated);
      continue;
    }
    if (is_vlan_ethertype(load_be16(in + 12))) {
      drop(p, Drop::inner_vlan_tagged);
      continue;
    }
    uint64_t smac = load_mac(in + 6);
    if (bad_source(smac)) {
      drop(p, Drop::bad_inner_source_mac);
      continue;
    }
    p->pull(fi.inner_offset);
    p->trim(fi.inner_length);
    p->meta.flags &= static_cast<uint16_t>(~PacketMeta::kCsumPartial);
    p->meta.network = net;
    p->meta.remote = remote;
    d = p->data();
    count(net_rx_, c_.networks, true, net, p->size());
    if (remote != kNone) {
      count(remote_rx_, c_.remotes, true, remote, p->size());
      Location loc = Location::remote(remote);
      if (fdb_->source_check(net, smac, loc, now_)) learn(net, smac, loc, nullptr);
    } else {
      IpAddress src =
          fi.ipv6 ? fi.src : IpAddress::from_v4_bytes(reinterpret_cast<uint8_t*>(&src4));
      learn(net, smac, Location{}, &src);
    }
    if (d[0] & 1) {
      flood_local(p, net, kNone, true);
      continue;
    }
    Fdb::Hit hit = fdb_->lookup(net, load_mac(d));
    if (!hit.found) {
      flood_local(p, net, kNone, true);
      continue;
    }
    Location loc = hit.value.location();
    if (loc.is_remote()) {
      drop(p, Drop::split_horizon);
      continue;
    }
    uint32_t out_att = snap_->attachment(loc.port(), loc.vlan());
    if (out_att == kNone || snap_->attachment_state(out_att).network != net) [[unlikely]] {
      flood_local(p, net, kNone, true);
      continue;
    }
    to_port(p, loc.port(), loc.vlan());
  }
}

}  // namespace vgw::dataplane
