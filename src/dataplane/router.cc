// The router stage (router.h): Pipeline members, so routed and generated frames
// leave through the same outputs as bridged ones.
#include "dataplane/router.h"

#include <cstring>

#include "dataplane/pipeline.h"
#include "packet/arp.h"
#include "packet/byte_order.h"
#include "packet/checksum.h"
#include "packet/ethernet.h"
#include "packet/flow_hash.h"
#include "packet/gso.h"
#include "packet/l3_reply.h"

namespace vgw::dataplane {

using namespace vgw::packet;

namespace {

inline uint64_t mac_at(const uint8_t* p) {
  return load_mac6(p);
}

// The IPv4 header checksum is right: the common 20-byte header summed in
// native 32-bit words (byte-order independent, RFC 1071 §2(B)), others in full.
inline bool ipv4_header_ok(const uint8_t* ip, uint32_t ihl) {
  if (ihl != 20) return csum_fold(csum_partial({ip, ihl})) == 0xffff;
  uint32_t w[5];
  std::memcpy(w, ip, 20);
  uint64_t s = uint64_t{w[0]} + w[1] + w[2] + w[3] + w[4];
  s = (s & 0xffffffffu) + (s >> 32);
  s = (s & 0xffffffffu) + (s >> 32);
  uint32_t f = static_cast<uint32_t>(s);
  f = (f & 0xffff) + (f >> 16);
  f = (f & 0xffff) + (f >> 16);
  return f == 0xffff;
}

inline bool bad_mac(uint64_t mac) {
  return mac == 0 || (mac >> 40) & 1;
}

inline bool is_zero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (p[i]) return false;
  return true;
}

// Sends a reply back where the frame it answers came from: the attachment (port,
// VLAN) or the remote VTEP.
struct Sender {
  uint32_t in_port, remote, network;
  uint16_t vlan;
  bool overlay;
};
Sender sender_of(const Packet* p) {
  return {p->meta.in_port, p->meta.remote, p->meta.network, p->meta.vlan,
          (p->meta.flags & PacketMeta::kFromOverlay) != 0};
}

}  // namespace

void Pipeline::router_learn(uint32_t network, const IpAddress& ip, uint64_t mac,
                            NeighborOrigin origin) {
  // Known already with this MAC: nothing to tell the control thread.
  auto known = dp_.router().neighbors().lookup(NeighborKey::make(network, ip));
  if (known && *known == mac) return;
  if (!ctx_.neighbors.push(NeighborEvent{network, ip, MacAddress::from_u64(mac), origin, now_}))
    c_.drop(Drop::learn_queue_full);
}

void Pipeline::bridge(Packet* p) {
  const uint32_t net = p->meta.network;
  const uint8_t* d = p->data();
  if (d[0] & 1) {
    flood_local(p, net, kNone, false);
    return;
  }
  const Fdb::Hit hit = fdb_->lookup(net, mac_at(d));
  if (!hit.found) {
    flood_local(p, net, kNone, false);
    return;
  }
  const Location loc = hit.value.location();
  if (loc.is_remote()) {
    to_encap_cold(p, loc.remote_index());
    return;
  }
  if (loc == kRouterLocation) {
    drop(p, Drop::hairpin);
    return;
  }
  uint32_t att = snap_->attachment(loc.port(), loc.vlan());
  if (att == kNone || snap_->attachment_state(att).network != net) {
    flood_local(p, net, kNone, false);
    return;
  }
  router_to_port(p, loc.port(), loc.vlan());
}

// To the sender of the frame p answers (same network it came from).
static void reply_meta(Packet* q, const Sender& s) {
  q->meta.in_port = s.in_port;
  q->meta.remote = s.remote;
  q->meta.network = s.network;
  q->meta.vlan = s.vlan;
  if (s.overlay) q->meta.flags |= PacketMeta::kFromOverlay;
}

void Pipeline::route(Packet* p) {
  const RouterTable* rt = dp_.router().current();
  const RouterInterfaceState* in = rt ? rt->interface(p->meta.network) : nullptr;
  if (!in || p->size() < kEthernetHeaderSize) [[unlikely]] {
    drop(p, Drop::no_route);
    return;
  }
  switch (load_be16(p->data() + 12)) {
    case kEtherTypeIpv4:
      route_v4(p, *rt, *in);
      return;
    case kEtherTypeIpv6:
      route_v6(p, *rt, *in);
      return;
    case kEtherTypeArp:
      if (!router_arp(p, rt, p->meta.network, p->meta.flags & PacketMeta::kFromOverlay))
        drop(p, Drop::router_local);
      return;
    default:
      drop(p, Drop::not_ip);
  }
}

bool Pipeline::router_broadcast(Packet* p, uint32_t network, bool from_overlay) {
  const RouterTable* rt = dp_.router().current();
  if (!rt) return false;
  switch (load_be16(p->data() + 12)) {
    case kEtherTypeArp:
      return router_arp(p, rt, network, from_overlay);
    case kEtherTypeIpv6:
      return router_nd(p, rt, network, from_overlay);
    default:
      return false;
  }
}

// ARP (RFC 826) seen by a router interface or on its way to flooding. Returns
// true when it took the packet.
bool Pipeline::router_arp(Packet* p, const RouterTable* rt, uint32_t network, bool from_overlay) {
  uint8_t* d = p->data();
  if (p->size() < 42) return false;
  const uint8_t* a = d + 14;
  if (load_be16(a) != 1 || load_be16(a + 2) != kEtherTypeIpv4 || a[4] != 6 || a[5] != 4)
    return false;
  const uint16_t op = load_be16(a + 6);
  const uint64_t sha = mac_at(a + 8);
  uint8_t spa[4], tpa[4];
  std::memcpy(spa, a + 14, 4);
  std::memcpy(tpa, a + 24, 4);
  const RouterInterfaceState* in = rt->interface(network);
  if (in && sha == in->mac) return false;  // our own request, being flooded
  const bool for_us = in && in->has_v4 && std::memcmp(tpa, in->v4, 4) == 0;
  if (!is_zero(spa, 4) && !bad_mac(sha))
    router_learn(network, IpAddress::from_v4_bytes(spa), sha,
                 op == kArpOpReply && for_us ? NeighborOrigin::kRouter : NeighborOrigin::kSnooped);
  if (op == kArpOpReply && for_us) {
    router_release(NeighborKey::v4(network, spa), sha);
    p->release();
    return true;
  }
  if (op != kArpOpRequest || std::memcmp(spa, tpa, 4) == 0) return false;  // gratuitous
  uint64_t answer = 0;
  bool suppressed = false;
  if (for_us) {
    answer = in->mac;
  } else if (!from_overlay && rt->suppression(network)) {
    auto m = dp_.router().neighbors().lookup(NeighborKey::v4(network, tpa));
    if (!m || *m == sha) return false;
    answer = *m;
    suppressed = true;
  } else {
    return false;
  }
  // The reply in place of the request (RFC 826 "swap").
  write_arp(d, p->size(), kArpOpReply, sha, answer, tpa, sha, spa);
  p->trim(42);
  c_.arp_replies_sent.inc();
  if (suppressed) c_.suppressed.inc();
  Sender s = sender_of(p);
  s.network = network;
  reply_meta(p, s);
  if (s.overlay) {
    if (s.remote != kNone)
      to_encap_cold(p, s.remote);
    else
      drop(p, Drop::no_flood_target);
  } else {
    router_to_port(p, s.in_port, s.vlan);
  }
  return true;
}

// A generated frame back to where `orig` came from.
static bool send_back_ok(const Sender& s) {
  return !s.overlay || s.remote != kNone;
}

// An echo reply, rewritten in place, back the way the request came: Ethernet
// addresses swapped (the router interface's MAC as source), out its port or tunnel.
void Pipeline::reply_to_sender(Packet* p, uint8_t* eth, uint64_t router_mac) {
  std::memcpy(eth, eth + 6, 6);
  store_mac(eth + 6, router_mac);
  c_.icmp_sent.inc();
  Sender s = sender_of(p);
  if (!send_back_ok(s)) {
    drop(p, Drop::no_flood_target);
    return;
  }
  if (s.overlay)
    to_encap_cold(p, s.remote);
  else
    router_to_port(p, s.in_port, s.vlan);
}

void Pipeline::icmp_error(const Packet* orig, const RouterInterfaceState& in, uint8_t type,
                          uint8_t code, uint32_t rest) {
  if (!router_.take_icmp_token(now_)) {
    c_.drop(Drop::icmp_rate_limited);
    return;
  }
  const uint8_t* d = orig->data();
  const bool v6 = load_be16(d + 12) == kEtherTypeIpv6;
  if (v6 ? !in.has_v6 : !in.has_v4) return;
  const uint8_t* ip = d + 14;
  // Never an error about an ICMP error (RFC 1812 §4.3.2.7), nor to a multicast.
  if (v6) {
    if (ip[6] == kIpProtoIcmpv6 && orig->size() >= 55 && ip[40] < 128) return;
    if (ip[8] == 0xff) return;
  } else {
    if (ip[9] == kIpProtoIcmp && orig->size() >= 14 + 20 + 1) {
      uint8_t t = ip[(ip[0] & 15) * 4];
      if (t != kIcmpEchoRequest && t != kIcmpEchoReply) return;
    }
    if ((ip[12] & 0xf0) == 0xe0) return;
  }
  Packet* q = pool_.alloc();
  if (!q) [[unlikely]] {
    c_.drop(Drop::no_buffer);
    return;
  }
  const uint64_t eth_dst = mac_at(d + 6);
  uint8_t* b = q->append(14 + 40 + 8 + 1280);
  uint32_t room = 14 + 40 + 8 + 1280;
  const uint32_t quote = orig->size() - 14;
  uint32_t n =
      v6 ? write_icmp6(b, room, eth_dst, in.mac, in.v6, ip + 8, type, code, rest, ip, quote)
         : write_icmp4(b, room, eth_dst, in.mac, in.v4, ip + 12, type, code, rest, ip, quote,
                       router_.ip_id++);
  q->trim(n);
  Sender s = sender_of(orig);
  if (!n || !send_back_ok(s)) {
    q->release();
    return;
  }
  q->meta.flags = 0;
  reply_meta(q, s);
  c_.icmp_sent.inc();
  if (s.overlay)
    to_encap_cold(q, s.remote);
  else
    router_to_port(q, s.in_port, s.vlan);
}

void Pipeline::route_v4(Packet* p, const RouterTable& rt, const RouterInterfaceState& in) {
  uint8_t* d = p->data();
  const uint32_t len = p->size();
  if (len < 14 + 20) {
    drop(p, Drop::bad_ip_header);
    return;
  }
  uint8_t* ip = d + 14;
  const uint32_t ihl = (ip[0] & 15u) * 4;
  const uint32_t total = load_be16(ip + 2);
  if ((ip[0] >> 4) != 4 || ihl < 20 || total < ihl || 14 + total > len ||
      !ipv4_header_ok(ip, ihl)) {
    drop(p, Drop::bad_ip_header);
    return;
  }
  p->trim(14 + total);  // Ethernet padding
  const fib::FibTable& fib = *rt.routers[in.router].fib;
  const uint32_t group = fib.group_v4(load_be32(ip + 16));
  if (group == fib::kNoRoute) {
    icmp_error(p, in, kIcmpDestUnreachable, 0, 0);  // net unreachable
    drop(p, Drop::no_route);
    return;
  }
  // ECMP by the flow hash (packet/flow_hash.h: addresses, protocol, ports),
  // the VXLAN source port's too; Fib::select remixes it.
  const fib::NextHop* hop = fib.select_lazy(group, [p] { return flow_hash(p->bytes()); });
  if (hop->kind == fib::NextHopKind::kLocal) {
    // An echo request to a router address: the reply in place (RFC 792).
    uint8_t* ic = ip + ihl;
    if (ip[9] != kIpProtoIcmp || total < ihl + 8 || ic[0] != kIcmpEchoRequest ||
        (load_be16(ip + 6) & 0x3fff)) {
      drop(p, Drop::router_local);
      return;
    }
    uint8_t tmp[4];
    std::memcpy(tmp, ip + 12, 4);
    std::memcpy(ip + 12, ip + 16, 4);
    std::memcpy(ip + 16, tmp, 4);
    ip[8] = 64;
    store_be16(ip + 10, 0);
    store_be16(ip + 10, csum_finish(csum_partial({ip, ihl})));
    store_be16(ic + 2, csum_update16(load_be16(ic + 2), uint16_t{kIcmpEchoRequest} << 8,
                                     uint16_t{kIcmpEchoReply} << 8));
    ic[0] = kIcmpEchoReply;
    reply_to_sender(p, d, in.mac);
    return;
  }
  if (hop->kind == fib::NextHopKind::kDrop || hop->interface == fib::kAnyInterface) {
    icmp_error(p, in, kIcmpDestUnreachable, hop->kind == fib::NextHopKind::kDrop ? 0 : 1, 0);
    drop(p, Drop::no_route);
    return;
  }
  if (ip[8] <= 1) {
    icmp_error(p, in, kIcmpTimeExceeded, 0, 0);
    drop(p, Drop::ttl_expired);
    return;
  }
  const uint32_t out_net = hop->interface;
  const RouterInterfaceState* out = rt.interface(out_net);
  if (!out) {
    drop(p, Drop::no_route);
    return;
  }
  if (total > out->mtu) {
    if (!(load_be16(ip + 6) & Ipv4Header::kFlagDf) && out->mtu >= 68) {
      fragment_v4(p, rt, in, out->mtu);
      return;
    }
    icmp_error(p, in, kIcmpDestUnreachable, kIcmpCodeFragNeeded, out->mtu & 0xffff);
    drop(p, Drop::mtu_exceeded);
    return;
  }
  // TTL - 1, checksum patched (RFC 1624): the word holds TTL and protocol.
  const uint16_t old_word = load_be16(ip + 8);
  ip[8] -= 1;
  store_be16(ip + 10, csum_update16(load_be16(ip + 10), old_word, load_be16(ip + 8)));
  const uint64_t src_mac = mac_at(d + 6);
  store_mac(d + 6, out->mac);
  const uint32_t cache_dst = hop->kind == fib::NextHopKind::kGateway ? 0 : load_be32(ip + 16);
  RouterWorker::HopCache& hc =
      router_.hop_cache[(reinterpret_cast<uintptr_t>(hop) >> 3 ^ cache_dst) &
                        (RouterWorker::kHopCacheSize - 1)];
  if (hc.hop == hop && hc.dst == cache_dst) {
    p->meta.network = out_net;
    c_.routed.inc();
    if (p->meta.flags & PacketMeta::kTrace) [[unlikely]]
      trace(p, Stage::kRoute, Decision::kRouted);
    store_mac(d, hc.mac);
    const Location loc{hc.location};
    if (loc.is_remote())
      to_encap_cold(p, loc.remote_index());
    else
      router_to_port(p, loc.port(), loc.vlan());
    return;
  }
  const NeighborKey key = NeighborKey::v4(
      out_net, hop->kind == fib::NextHopKind::kGateway ? hop->gateway.b.data() : ip + 16);
  const uint32_t in_net = p->meta.network;
  p->meta.network = out_net;
  c_.routed.inc();
  if (p->meta.flags & PacketMeta::kTrace) [[unlikely]]
    trace(p, Stage::kRoute, Decision::kRouted);
  if (auto m = dp_.router().neighbors().lookup(key)) {
    store_mac(d, *m);
    // Remember where it went when the FDB knows it (not flooded).
    const Fdb::Hit hit = fdb_->lookup(out_net, *m);
    const Location loc = hit.value.location();
    if (hit.found && loc != kRouterLocation && (loc.is_remote() || [&] {
          uint32_t att = snap_->attachment(loc.port(), loc.vlan());
          return att != kNone && snap_->attachment_state(att).network == out_net;
        }())) {
      hc = RouterWorker::HopCache{hop, cache_dst, *m, loc.raw, out_net, out->mtu};
      store_mac(hc.eth, *m);
      store_mac(hc.eth + 6, out->mac);
    }
    bridge(p);
    return;
  }
  store_mac(d, src_mac);  // kept for the host-unreachable error until resolved
  router_resolve(p, key, in_net);
}

void Pipeline::fragment_v4(Packet* p, const RouterTable& rt, const RouterInterfaceState& in,
                           uint32_t mtu) {
  uint8_t* d = p->data();
  uint8_t* ip = d + 14;
  const uint32_t ihl = (ip[0] & 15u) * 4;
  const uint32_t total = load_be16(ip + 2);
  // The checksum a device was to finish covers the whole datagram: finish it now.
  if (p->meta.flags & PacketMeta::kCsumPartial) {
    gso::finish_partial_checksum(p->bytes(), p->meta.csum_start, p->meta.csum_offset, p->size());
    p->meta.flags &= static_cast<uint16_t>(~PacketMeta::kCsumPartial);
  }
  // Options copied into every fragment (RFC 791: the "copied" flag, 0x80);
  // the first fragment keeps them all. Options are type, or type-length-value.
  uint8_t copied[40];
  uint32_t n_copied = 0;
  for (uint32_t i = 20; i < ihl;) {
    const uint8_t type = ip[i];
    if (type == 0) break;  // end of options
    const uint32_t len = type == 1 ? 1 : (i + 1 < ihl ? ip[i + 1] : 0);
    if (len < 1 || i + len > ihl || (type != 1 && len < 2)) break;  // malformed: stop copying
    if (type & 0x80) {
      std::memcpy(copied + n_copied, ip + i, len);
      n_copied += len;
    }
    i += len;
  }
  const uint32_t later_ihl = 20 + ((n_copied + 3) & ~3u);
  const uint16_t frag_word = load_be16(ip + 6);
  const uint32_t base_off = (frag_word & 0x1fff) * 8u;
  const bool more_after = frag_word & Ipv4Header::kFlagMf;
  const uint32_t payload = total - ihl;
  uint32_t done = 0;
  Packet* out[64];
  uint32_t n_out = 0;
  while (done < payload) {
    const uint32_t h = done == 0 ? ihl : later_ihl;
    uint32_t chunk = std::min(payload - done, (mtu - h) & ~7u);
    if (chunk == 0 || n_out == 64) break;
    Packet* q = pool_.alloc();
    if (!q) [[unlikely]]
      break;
    uint8_t* b = q->append(14 + h + chunk);
    std::memcpy(b, d, 14);
    std::memcpy(b + 14, ip, 20);
    if (done == 0) {
      std::memcpy(b + 14 + 20, ip + 20, ihl - 20);
    } else {
      std::memcpy(b + 14 + 20, copied, n_copied);
      std::memset(b + 14 + 20 + n_copied, 0, h - 20 - n_copied);  // end-of-options padding
      b[14] = static_cast<uint8_t>(0x40 | h / 4);
    }
    std::memcpy(b + 14 + h, ip + ihl + done, chunk);
    const bool last = done + chunk == payload;
    const uint32_t off = (base_off + done) / 8;
    store_be16(b + 14 + 2, static_cast<uint16_t>(h + chunk));
    store_be16(b + 14 + 6, static_cast<uint16_t>((last && !more_after ? 0 : Ipv4Header::kFlagMf) |
                                                 (off & 0x1fff)));
    store_be16(b + 14 + 10, 0);
    store_be16(b + 14 + 10, csum_finish(csum_partial({b + 14, h})));
    q->meta = p->meta;
    out[n_out++] = q;
    done += chunk;
  }
  if (done < payload) {  // out of buffers: the datagram cannot be sent whole
    for (uint32_t i = 0; i < n_out; ++i) out[i]->release();
    drop(p, Drop::no_buffer);
    return;
  }
  c_.fragments.add(n_out);
  p->release();
  for (uint32_t i = 0; i < n_out; ++i) route_v4(out[i], rt, in);
}

void Pipeline::route_v6(Packet* p, const RouterTable& rt, const RouterInterfaceState& in) {
  uint8_t* d = p->data();
  const uint32_t len = p->size();
  if (len < 14 + 40) {
    drop(p, Drop::bad_ip_header);
    return;
  }
  uint8_t* ip = d + 14;
  const uint32_t plen = load_be16(ip + 4);
  if ((ip[0] >> 4) != 6 || 14 + 40 + plen > len) {
    drop(p, Drop::bad_ip_header);
    return;
  }
  p->trim(14 + 40 + plen);
  const fib::FibTable& fib = *rt.routers[in.router].fib;
  const uint32_t group = fib.group_v6(ip + 24);
  const bool multicast = ip[24] == 0xff;
  if (group == fib::kNoRoute && !multicast) {
    icmp_error(p, in, kIcmpv6DestUnreachable, 0, 0);  // no route
    drop(p, Drop::no_route);
    return;
  }
  const fib::NextHop* hop =
      multicast ? nullptr : fib.select_lazy(group, [p] { return flow_hash(p->bytes()); });
  if (multicast || hop->kind == fib::NextHopKind::kLocal) {
    uint8_t* ic = ip + 40;
    if (ip[6] == kIpProtoIcmpv6 && plen >= 8 && ic[0] == kIcmpv6NeighborAdvert) {
      router_nd(p, &rt, p->meta.network, p->meta.flags & PacketMeta::kFromOverlay);
      p->release();
      return;
    }
    if (ip[6] == kIpProtoIcmpv6 && plen >= 8 && ic[0] == kIcmpv6NeighborSolicit) {
      if (!router_nd(p, &rt, p->meta.network, p->meta.flags & PacketMeta::kFromOverlay))
        p->release();
      return;
    }
    if (multicast || ip[6] != kIpProtoIcmpv6 || plen < 8 || ic[0] != kIcmpv6EchoRequest) {
      drop(p, Drop::router_local);
      return;
    }
    // Echo reply in place (RFC 4443 §4.2): the pseudo-header sum is the same
    // with the addresses swapped, so only the type changes the checksum.
    uint8_t tmp[16];
    std::memcpy(tmp, ip + 8, 16);
    std::memcpy(ip + 8, ip + 24, 16);
    std::memcpy(ip + 24, tmp, 16);
    ip[7] = 64;
    store_be16(ic + 2, csum_update16(load_be16(ic + 2), uint16_t{kIcmpv6EchoRequest} << 8,
                                     uint16_t{kIcmpv6EchoReply} << 8));
    ic[0] = kIcmpv6EchoReply;
    reply_to_sender(p, d, in.mac);
    return;
  }
  if (hop->kind == fib::NextHopKind::kDrop || hop->interface == fib::kAnyInterface) {
    icmp_error(p, in, kIcmpv6DestUnreachable, 0, 0);
    drop(p, Drop::no_route);
    return;
  }
  if (ip[7] <= 1) {
    icmp_error(p, in, kIcmpv6TimeExceeded, 0, 0);
    drop(p, Drop::ttl_expired);
    return;
  }
  const uint32_t out_net = hop->interface;
  const RouterInterfaceState* out = rt.interface(out_net);
  if (!out) {
    drop(p, Drop::no_route);
    return;
  }
  if (40 + plen > out->mtu) {
    icmp_error(p, in, kIcmpv6PacketTooBig, 0, out->mtu);
    drop(p, Drop::mtu_exceeded);
    return;
  }
  ip[7] -= 1;  // no header checksum in IPv6
  const uint64_t src_mac = mac_at(d + 6);
  store_mac(d + 6, out->mac);
  const NeighborKey key = NeighborKey::v6_key(
      out_net, hop->kind == fib::NextHopKind::kGateway ? hop->gateway.b.data() : ip + 24);
  const uint32_t in_net = p->meta.network;
  p->meta.network = out_net;
  c_.routed.inc();
  if (p->meta.flags & PacketMeta::kTrace) [[unlikely]]
    trace(p, Stage::kRoute, Decision::kRouted);
  if (auto m = dp_.router().neighbors().lookup(key)) {
    store_mac(d, *m);
    bridge(p);
    return;
  }
  store_mac(d, src_mac);
  router_resolve(p, key, in_net);
}

// Neighbour discovery (RFC 4861) seen by a router interface or on its way to
// flooding: NS for a router address (or, suppressed, a known binding) is
// answered with an NA; NS/NA from hosts teach bindings. True = took the packet.
bool Pipeline::router_nd(Packet* p, const RouterTable* rt, uint32_t network, bool from_overlay) {
  const uint8_t* d = p->data();
  const uint32_t len = p->size();
  if (len < 14 + 40 + 24) return false;
  const uint8_t* ip = d + 14;
  const uint32_t plen = load_be16(ip + 4);
  if ((ip[0] >> 4) != 6 || ip[6] != kIpProtoIcmpv6 || plen < 24 || 54 + plen > len) return false;
  const uint8_t* ic = ip + 40;
  const uint8_t type = ic[0];
  if (type != kIcmpv6NeighborSolicit && type != kIcmpv6NeighborAdvert) return false;
  if (ip[7] != 255) return false;  // RFC 4861 §7.1.1
  const RouterInterfaceState* in = rt->interface(network);
  const uint64_t eth_src = mac_at(d + 6);
  if (in && eth_src == in->mac) return false;  // our own solicitation
  const uint8_t* target = ic + 8;
  // The link-layer address option (source for NS, target for NA).
  uint64_t ll = 0;
  for (uint32_t off = 24; off + 8 <= plen;) {
    uint32_t olen = ic[off + 1] * 8u;
    if (olen == 0 || off + olen > plen) break;
    if ((ic[off] == kNdpOptSourceLinkAddr || ic[off] == kNdpOptTargetLinkAddr) && olen >= 8)
      ll = mac_at(ic + off + 2);
    off += olen;
  }
  if (type == kIcmpv6NeighborAdvert) {
    if (ll && !bad_mac(ll)) {
      const bool for_us = in && in->has_v6 && std::memcmp(ip + 24, in->v6, 16) == 0;
      router_learn(network, IpAddress::from_v6_bytes(target), ll,
                   for_us ? NeighborOrigin::kRouter : NeighborOrigin::kSnooped);
      if (for_us) router_release(NeighborKey::v6_key(network, target), ll);
    }
    return false;
  }
  const bool dad = is_zero(ip + 8, 16);
  if (!dad && ll && !bad_mac(ll))
    router_learn(network, IpAddress::from_v6_bytes(ip + 8), ll, NeighborOrigin::kSnooped);
  if (dad) return false;
  uint64_t answer = 0;
  bool router = false, suppressed = false;
  if (in && in->has_v6 && std::memcmp(target, in->v6, 16) == 0) {
    answer = in->mac;
    router = true;
  } else if (!from_overlay && rt->suppression(network)) {
    auto m = dp_.router().neighbors().lookup(NeighborKey::v6_key(network, target));
    if (!m || *m == eth_src) return false;
    answer = *m;
    suppressed = true;
  } else {
    return false;
  }
  Packet* q = pool_.alloc();
  if (!q) [[unlikely]] {
    c_.drop(Drop::no_buffer);
    return false;
  }
  uint8_t* b = q->append(86);
  q->trim(write_na(b, 86, eth_src, answer, target, ip + 8, router));
  Sender s = sender_of(p);
  s.network = network;
  reply_meta(q, s);
  p->release();
  c_.arp_replies_sent.inc();
  if (suppressed) c_.suppressed.inc();
  if (s.overlay) {
    if (s.remote != kNone)
      to_encap_cold(q, s.remote);
    else
      drop(q, Drop::no_flood_target);
  } else {
    router_to_port(q, s.in_port, s.vlan);
  }
  return true;
}

// The next hop is unknown: park the packet and, unless a request for the same
// address is already out, flood an ARP request / NS from the router interface.
void Pipeline::router_resolve(Packet* p, const NeighborKey& key, uint32_t in_network) {
  RouterWorker& r = router_;
  bool asking = false;
  for (uint32_t i = 0; i < r.n_parked; ++i)
    if (r.parked[i].key == key) asking = true;
  if (r.n_parked == RouterWorker::kParkCapacity) {
    drop(p, Drop::arp_queue_full);
  } else {
    r.parked[r.n_parked++] = RouterWorker::Parked{p, key, now_, in_network};
  }
  if (asking) return;
  const RouterTable* rt = dp_.router().current();
  const RouterInterfaceState* out = rt ? rt->interface(key.network) : nullptr;
  if (!out || (key.v6 ? !out->has_v6 : !out->has_v4)) return;
  Packet* q = pool_.alloc();
  if (!q) [[unlikely]] {
    c_.drop(Drop::no_buffer);
    return;
  }
  uint8_t* b = q->append(86);
  q->trim(key.v6
              ? write_ns(b, 86, out->mac, out->v6, key.ip)
              : write_arp(b, 86, kArpOpRequest, 0xffffffffffffull, out->mac, out->v4, 0, key.ip));
  q->meta.network = key.network;
  c_.arp_requests_sent.inc();
  bridge(q);
}

void Pipeline::router_release(const NeighborKey& key, uint64_t mac) {
  RouterWorker& r = router_;
  uint32_t k = 0;
  for (uint32_t i = 0; i < r.n_parked; ++i) {
    RouterWorker::Parked& e = r.parked[i];
    if (e.key == key) {
      store_mac(e.pkt->data(), mac);
      bridge(e.pkt);
    } else {
      r.parked[k++] = e;
    }
  }
  r.n_parked = k;
}

// Once per batch while packets wait: send those whose next hop another worker
// (or the control thread) resolved; drop those waiting too long.
void Pipeline::router_service() {
  RouterWorker& r = router_;
  const RouterTable* rt = dp_.router().current();
  uint32_t k = 0;
  for (uint32_t i = 0; i < r.n_parked; ++i) {
    RouterWorker::Parked e = r.parked[i];
    if (auto m = dp_.router().neighbors().lookup(e.key)) {
      store_mac(e.pkt->data(), *m);
      bridge(e.pkt);
    } else if (now_ - e.since > RouterWorker::kResolveTimeout) {
      const RouterInterfaceState* in = rt ? rt->interface(e.in_network) : nullptr;
      if (in) {
        // route_v4/v6 kept the sender's MAC in the destination field.
        std::memcpy(e.pkt->data() + 6, e.pkt->data(), 6);
        e.pkt->meta.network = e.in_network;
        if (e.key.v6)
          icmp_error(e.pkt, *in, kIcmpv6DestUnreachable, 3, 0);  // address unreachable
        else
          icmp_error(e.pkt, *in, kIcmpDestUnreachable, 1, 0);  // host unreachable
      }
      drop(e.pkt, Drop::arp_unresolved);
    } else {
      r.parked[k++] = e;
    }
  }
  r.n_parked = k;
}

}  // namespace vgw::dataplane
