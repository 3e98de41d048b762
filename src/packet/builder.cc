// PacketBuilder (see builder.h): layers are kept as header bytes; build()
// concatenates them and then patches types, lengths and checksums.
#include "packet/builder.h"

#include <stdexcept>
#include <string>

#include "packet/arp.h"
#include "packet/byte_order.h"
#include "packet/checksum.h"
#include "packet/ethernet.h"
#include "packet/icmp.h"
#include "packet/ipv4.h"
#include "packet/ipv6.h"
#include "packet/tcp.h"
#include "packet/udp.h"
#include "packet/vlan.h"
#include "packet/vxlan.h"

namespace vgw::packet {

namespace {

template <typename T>
std::vector<uint8_t> bytes_of(const T& h) {
  auto* p = reinterpret_cast<const uint8_t*>(&h);
  return std::vector<uint8_t>(p, p + sizeof(T));
}

template <typename T>
T& as(std::vector<uint8_t>& v) {
  return *reinterpret_cast<T*>(v.data());
}

}  // namespace

PacketBuilder& PacketBuilder::push(Kind k, std::vector<uint8_t> bytes) {
  Layer l;
  l.kind = k;
  l.bytes = std::move(bytes);
  layers_.push_back(std::move(l));
  return *this;
}

PacketBuilder::Layer* PacketBuilder::last(Kind k) {
  for (auto it = layers_.rbegin(); it != layers_.rend(); ++it)
    if (it->kind == k) return &*it;
  return nullptr;
}

PacketBuilder::Layer* PacketBuilder::last_ip() {
  for (auto it = layers_.rbegin(); it != layers_.rend(); ++it)
    if (it->kind == Kind::ipv4 || it->kind == Kind::ipv6) return &*it;
  return nullptr;
}

static void need(bool ok, const char* what) {
  if (!ok) throw std::logic_error(std::string("PacketBuilder: ") + what);
}

PacketBuilder& PacketBuilder::eth(const MacAddress& dst, const MacAddress& src) {
  EthernetHeader h{};
  h.set_dst(dst);
  h.set_src(src);
  return push(Kind::eth, bytes_of(h));
}

PacketBuilder& PacketBuilder::ethertype(uint16_t type) {
  Layer* l = layers_.empty() ? nullptr : &layers_.back();
  need(l && (l->kind == Kind::eth || l->kind == Kind::vlan), "ethertype() needs eth() or vlan()");
  l->explicit_type = type;
  return *this;
}

PacketBuilder& PacketBuilder::vlan(uint16_t vid, uint8_t pcp) {
  VlanTag t{};
  t.set(vid, pcp);
  push(Kind::vlan, bytes_of(t));
  layers_.back().tpid = kEtherTypeVlan;
  return *this;
}

PacketBuilder& PacketBuilder::qinq(uint16_t vid, uint8_t pcp) {
  vlan(vid, pcp);
  layers_.back().tpid = kEtherTypeQinQ;
  return *this;
}

PacketBuilder& PacketBuilder::arp_request(const MacAddress& sender_mac, const IpAddress& sender_ip,
                                          const IpAddress& target_ip) {
  arp_reply(sender_mac, sender_ip, MacAddress{}, target_ip);
  as<ArpHeader>(layers_.back().bytes).oper.set(kArpOpRequest);
  return *this;
}

PacketBuilder& PacketBuilder::arp_reply(const MacAddress& sender_mac, const IpAddress& sender_ip,
                                        const MacAddress& target_mac, const IpAddress& target_ip) {
  ArpHeader a{};
  a.htype.set(kArpHwEthernet);
  a.ptype.set(kEtherTypeIpv4);
  a.hlen = 6;
  a.plen = 4;
  a.oper.set(kArpOpReply);
  std::memcpy(a.sha, sender_mac.b.data(), 6);
  std::memcpy(a.spa, sender_ip.b.data(), 4);
  std::memcpy(a.tha, target_mac.b.data(), 6);
  std::memcpy(a.tpa, target_ip.b.data(), 4);
  return push(Kind::arp, bytes_of(a));
}

PacketBuilder& PacketBuilder::ipv4(const IpAddress& src, const IpAddress& dst) {
  Ipv4Header h{};
  h.version_ihl = 0x45;
  h.ttl = 64;
  h.set_src(src);
  h.set_dst(dst);
  return push(Kind::ipv4, bytes_of(h));
}

PacketBuilder& PacketBuilder::ipv6(const IpAddress& src, const IpAddress& dst) {
  Ipv6Header h{};
  h.set_version_tc_flow(0, 0);
  h.hop_limit = 64;
  h.set_src(src);
  h.set_dst(dst);
  return push(Kind::ipv6, bytes_of(h));
}

PacketBuilder& PacketBuilder::ttl(uint8_t ttl) {
  Layer* l = last_ip();
  need(l != nullptr, "ttl()/hop_limit() needs ipv4() or ipv6()");
  if (l->kind == Kind::ipv4)
    as<Ipv4Header>(l->bytes).ttl = ttl;
  else
    as<Ipv6Header>(l->bytes).hop_limit = ttl;
  return *this;
}

PacketBuilder& PacketBuilder::df(bool on) {
  Layer* l = last(Kind::ipv4);
  need(l != nullptr, "df() needs ipv4()");
  auto& h = as<Ipv4Header>(l->bytes);
  uint16_t f = h.frag_off.get();
  h.frag_off.set(on ? (f | Ipv4Header::kFlagDf) : (f & ~Ipv4Header::kFlagDf));
  return *this;
}

PacketBuilder& PacketBuilder::ip_id(uint16_t id) {
  Layer* l = last(Kind::ipv4);
  need(l != nullptr, "ip_id() needs ipv4()");
  as<Ipv4Header>(l->bytes).id.set(id);
  return *this;
}

PacketBuilder& PacketBuilder::tos(uint8_t tos) {
  Layer* l = last_ip();
  need(l != nullptr, "tos() needs ipv4() or ipv6()");
  if (l->kind == Kind::ipv4) {
    as<Ipv4Header>(l->bytes).tos = tos;
  } else {
    auto& h = as<Ipv6Header>(l->bytes);
    h.set_version_tc_flow(tos, h.flow_label());
  }
  return *this;
}

PacketBuilder& PacketBuilder::flow_label(uint32_t label) {
  Layer* l = last(Kind::ipv6);
  need(l != nullptr, "flow_label() needs ipv6()");
  auto& h = as<Ipv6Header>(l->bytes);
  h.set_version_tc_flow(h.traffic_class(), label);
  return *this;
}

PacketBuilder& PacketBuilder::ip_protocol(uint8_t proto) {
  Layer* l = last_ip();
  need(l != nullptr, "ip_protocol() needs ipv4() or ipv6()");
  l->explicit_type = proto;
  return *this;
}

PacketBuilder& PacketBuilder::udp(uint16_t sport, uint16_t dport) {
  UdpHeader h{};
  h.src_port.set(sport);
  h.dst_port.set(dport);
  return push(Kind::udp, bytes_of(h));
}

PacketBuilder& PacketBuilder::udp_checksum(bool on) {
  Layer* l = last(Kind::udp);
  need(l != nullptr, "udp_checksum() needs udp()");
  l->udp_csum = on;
  return *this;
}

PacketBuilder& PacketBuilder::tcp(uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq,
                                  uint32_t ack, uint16_t window) {
  TcpHeader h{};
  h.src_port.set(sport);
  h.dst_port.set(dport);
  h.seq.set(seq);
  h.ack.set(ack);
  h.set_header_length(kTcpHeaderSize);
  h.flags = flags;
  h.window.set(window);
  return push(Kind::tcp, bytes_of(h));
}

PacketBuilder& PacketBuilder::icmp(uint8_t type, uint8_t code, uint32_t rest) {
  IcmpHeader h{};
  h.type = type;
  h.code = code;
  h.rest.set(rest);
  return push(Kind::icmp, bytes_of(h));
}

PacketBuilder& PacketBuilder::icmp_echo(uint16_t id, uint16_t seq, bool reply) {
  return icmp(reply ? kIcmpEchoReply : kIcmpEchoRequest, 0, uint32_t{id} << 16 | seq);
}

PacketBuilder& PacketBuilder::icmpv6(uint8_t type, uint8_t code, uint32_t rest) {
  icmp(type, code, rest);
  layers_.back().kind = Kind::icmpv6;
  return *this;
}

PacketBuilder& PacketBuilder::icmpv6_echo(uint16_t id, uint16_t seq, bool reply) {
  return icmpv6(reply ? kIcmpv6EchoReply : kIcmpv6EchoRequest, 0, uint32_t{id} << 16 | seq);
}

PacketBuilder& PacketBuilder::vxlan(uint32_t vni) {
  return vxlan_raw(kVxlanFlagI, vni);
}

PacketBuilder& PacketBuilder::vxlan_raw(uint8_t flags, uint32_t vni) {
  VxlanHeader h{};
  h.init(vni);
  h.flags = flags;
  return push(Kind::vxlan, bytes_of(h));
}

PacketBuilder& PacketBuilder::payload(std::span<const uint8_t> bytes) {
  return push(Kind::raw, std::vector<uint8_t>(bytes.begin(), bytes.end()));
}

PacketBuilder& PacketBuilder::payload(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i);
  return push(Kind::raw, std::move(v));
}

PacketBuilder& PacketBuilder::pad_to(size_t n) {
  pad_to_ = n;
  return *this;
}

std::vector<uint8_t> PacketBuilder::build() const {
  std::vector<uint8_t> out;
  std::vector<size_t> off(layers_.size());
  for (size_t i = 0; i < layers_.size(); ++i) {
    off[i] = out.size();
    out.insert(out.end(), layers_[i].bytes.begin(), layers_[i].bytes.end());
  }
  const size_t end = out.size();
  auto next_kind = [&](size_t i) -> const Layer* {
    return i + 1 < layers_.size() ? &layers_[i + 1] : nullptr;
  };

  // Innermost first, so an outer checksum covers finished inner headers.
  for (size_t i = layers_.size(); i-- > 0;) {
    const Layer& l = layers_[i];
    const Layer* nx = next_kind(i);
    uint8_t* p = out.data() + off[i];
    switch (l.kind) {
      case Kind::eth:
      case Kind::vlan: {
        uint16_t type = l.explicit_type.value_or(0);
        if (nx && nx->kind == Kind::vlan)
          type = nx->tpid;
        else if (nx && nx->kind == Kind::arp)
          type = kEtherTypeArp;
        else if (nx && nx->kind == Kind::ipv4)
          type = kEtherTypeIpv4;
        else if (nx && nx->kind == Kind::ipv6)
          type = kEtherTypeIpv6;
        store_be16(p + (l.kind == Kind::eth ? 12 : 2), type);
        break;
      }
      case Kind::ipv4:
      case Kind::ipv6: {
        uint8_t proto = static_cast<uint8_t>(l.explicit_type.value_or(253));
        if (nx && !l.explicit_type) {
          switch (nx->kind) {
            case Kind::udp:
              proto = kIpProtoUdp;
              break;
            case Kind::tcp:
              proto = kIpProtoTcp;
              break;
            case Kind::icmp:
              proto = kIpProtoIcmp;
              break;
            case Kind::icmpv6:
              proto = kIpProtoIcmpv6;
              break;
            case Kind::ipv4:
              proto = 4;
              break;
            case Kind::ipv6:
              proto = 41;
              break;
            default:
              break;
          }
        }
        if (l.kind == Kind::ipv4) {
          auto* h = reinterpret_cast<Ipv4Header*>(p);
          h->protocol = proto;
          h->total_length.set(static_cast<uint16_t>(end - off[i]));
          h->checksum.set(0);
          ipv4_set_checksum(*h);
        } else {
          auto* h = reinterpret_cast<Ipv6Header*>(p);
          h->next_header = proto;
          h->payload_length.set(static_cast<uint16_t>(end - off[i] - kIpv6HeaderSize));
        }
        break;
      }
      case Kind::udp:
      case Kind::tcp:
      case Kind::icmp:
      case Kind::icmpv6: {
        std::span<const uint8_t> seg(p, end - off[i]);
        const Layer* ip = nullptr;
        size_t ip_off = 0;
        for (size_t j = i; j-- > 0;) {
          if (layers_[j].kind == Kind::ipv4 || layers_[j].kind == Kind::ipv6) {
            ip = &layers_[j];
            ip_off = off[j];
            break;
          }
        }
        const bool v6 = ip && ip->kind == Kind::ipv6;
        auto* ip4 = reinterpret_cast<const Ipv4Header*>(out.data() + ip_off);
        auto* ip6 = reinterpret_cast<const Ipv6Header*>(out.data() + ip_off);
        uint16_t csum = 0;
        if (l.kind == Kind::udp) {
          auto* h = reinterpret_cast<UdpHeader*>(p);
          h->length.set(static_cast<uint16_t>(seg.size()));
          h->checksum.set(0);
          bool on = l.udp_csum.value_or(v6 || !(nx && nx->kind == Kind::vxlan));
          if (on && ip) csum = v6 ? udp_checksum_v6(*ip6, seg) : udp_checksum_v4(*ip4, seg);
          h->checksum.set(csum);
        } else if (l.kind == Kind::tcp) {
          auto* h = reinterpret_cast<TcpHeader*>(p);
          h->checksum.set(0);
          if (ip)
            csum = v6 ? l4_checksum_v6(*ip6, kIpProtoTcp, seg)
                      : l4_checksum_v4(*ip4, kIpProtoTcp, seg);
          h->checksum.set(csum);
        } else {
          auto* h = reinterpret_cast<IcmpHeader*>(p);
          h->checksum.set(0);
          if (l.kind == Kind::icmpv6 && v6)
            csum = l4_checksum_v6(*ip6, kIpProtoIcmpv6, seg);
          else
            csum = csum_finish(csum_partial(seg));
          h->checksum.set(csum);
        }
        break;
      }
      case Kind::arp:
      case Kind::vxlan:
      case Kind::raw:
        break;
    }
  }
  if (out.size() < pad_to_) out.resize(pad_to_, 0);
  return out;
}

}  // namespace vgw::packet
