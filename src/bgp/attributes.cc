#include "bgp/attributes.h"

#include <fmt/format.h>

#include <algorithm>

namespace vgw::bgp {
namespace {

void put_ip(Writer& w, const IpAddress& a) {
  w.bytes(std::span(a.b.data(), a.size()));
}

// One attribute: flags, type, 1- or 2-byte length (Extended Length only when needed).
void put_attribute(Writer& w, uint8_t flags, uint8_t type, const std::vector<uint8_t>& value) {
  bool extended = value.size() > 255;
  flags = extended ? (flags | attr::kFlagExtendedLength) : (flags & ~attr::kFlagExtendedLength);
  w.u8(flags);
  w.u8(type);
  if (extended)
    w.u16(static_cast<uint16_t>(value.size()));
  else
    w.u8(static_cast<uint8_t>(value.size()));
  w.bytes(value);
}

constexpr uint8_t kWellKnown = attr::kFlagTransitive;
constexpr uint8_t kOptional = attr::kFlagOptional;
constexpr uint8_t kOptionalTransitive = attr::kFlagOptional | attr::kFlagTransitive;

void put_as(Writer& w, uint32_t asn, bool four) {
  if (four)
    w.u32(asn);
  else
    w.u16(asn > 0xffff ? 23456 : static_cast<uint16_t>(asn));  // AS_TRANS, RFC 6793 §4.2.2
}

void put_nlri(Writer& w, Family f, const Nlri& n) {
  if (f == kL2vpnEvpn) {
    for (const auto& r : n.evpn) encode_evpn_route(w, r);
  } else if (f == kIpv4Unicast || f == kIpv6Unicast) {
    for (const auto& p : n.prefixes) encode_prefix(w, p);
  } else {
    w.bytes(n.opaque);
  }
}

}  // namespace

std::string attribute_name(uint8_t type) {
  switch (type) {
    case attr::kOrigin:
      return "ORIGIN";
    case attr::kAsPath:
      return "AS_PATH";
    case attr::kNextHop:
      return "NEXT_HOP";
    case attr::kMed:
      return "MULTI_EXIT_DISC";
    case attr::kLocalPref:
      return "LOCAL_PREF";
    case attr::kAtomicAggregate:
      return "ATOMIC_AGGREGATE";
    case attr::kAggregator:
      return "AGGREGATOR";
    case attr::kCommunities:
      return "COMMUNITIES";
    case attr::kOriginatorId:
      return "ORIGINATOR_ID";
    case attr::kClusterList:
      return "CLUSTER_LIST";
    case attr::kMpReachNlri:
      return "MP_REACH_NLRI";
    case attr::kMpUnreachNlri:
      return "MP_UNREACH_NLRI";
    case attr::kExtCommunities:
      return "EXTENDED_COMMUNITIES";
    case attr::kAs4Path:
      return "AS4_PATH";
    case attr::kAs4Aggregator:
      return "AS4_AGGREGATOR";
    case attr::kPmsiTunnel:
      return "PMSI_TUNNEL";
    default:
      return fmt::format("attribute {}", type);
  }
}

std::string to_string(Family f) {
  if (f == kIpv4Unicast) return "ipv4 unicast";
  if (f == kIpv6Unicast) return "ipv6 unicast";
  if (f == kL2vpnEvpn) return "l2vpn evpn";
  return fmt::format("afi {} safi {}", f.afi, f.safi);
}

std::optional<uint32_t> AsPath::first_as() const {
  if (segments.empty() || segments[0].type != AsSegmentType::kSequence || segments[0].asns.empty())
    return std::nullopt;
  return segments[0].asns[0];
}

std::string AsPath::to_string() const {
  std::string s;
  for (const auto& seg : segments) {
    if (!s.empty()) s += ' ';
    bool set = seg.type == AsSegmentType::kSet || seg.type == AsSegmentType::kConfedSet;
    bool confed =
        seg.type == AsSegmentType::kConfedSequence || seg.type == AsSegmentType::kConfedSet;
    if (confed) s += '(';
    if (set) s += '{';
    s += fmt::format("{}", fmt::join(seg.asns, set ? "," : " "));
    if (set) s += '}';
    if (confed) s += ')';
  }
  return s;
}

PmsiTunnel PmsiTunnel::ingress_replication(uint32_t vni, IpAddress endpoint) {
  PmsiTunnel t;
  t.tunnel_type = kPmsiIngressReplication;
  t.label = label_from_vni(vni);
  t.tunnel_id.assign(endpoint.b.begin(), endpoint.b.begin() + endpoint.size());
  return t;
}

std::optional<IpAddress> PmsiTunnel::endpoint() const {
  if (tunnel_type != kPmsiIngressReplication) return std::nullopt;
  if (tunnel_id.size() == 4) return IpAddress::from_v4_bytes(tunnel_id.data());
  if (tunnel_id.size() == 16) return IpAddress::from_v6_bytes(tunnel_id.data());
  return std::nullopt;
}

std::vector<RouteTarget> PathAttributes::route_targets() const {
  std::vector<RouteTarget> out;
  if (ext_communities)
    for (const auto& c : *ext_communities)
      if (auto rt = as_route_target(c)) out.push_back(*rt);
  return out;
}

std::optional<MacMobility> PathAttributes::mac_mobility() const {
  if (ext_communities)
    for (const auto& c : *ext_communities)
      if (auto m = as_mac_mobility(c)) return m;
  return std::nullopt;
}

std::optional<MacAddress> PathAttributes::router_mac() const {
  if (ext_communities)
    for (const auto& c : *ext_communities)
      if (auto m = as_router_mac(c)) return m;
  return std::nullopt;
}

std::optional<uint16_t> PathAttributes::encapsulation() const {
  if (ext_communities)
    for (const auto& c : *ext_communities)
      if (auto e = as_encapsulation(c)) return e;
  return std::nullopt;
}

void prepare_unknown_for_propagation(PathAttributes& attrs) {
  std::erase_if(attrs.unknown,
                [](const RawAttribute& a) { return !(a.flags & attr::kFlagTransitive); });
  for (auto& a : attrs.unknown) a.flags |= attr::kFlagPartial;
}

void encode_prefix(Writer& w, const IpPrefix& p) {
  w.u8(p.len);
  size_t n = (p.len + 7u) / 8u;
  for (size_t i = 0; i < n; ++i) {
    uint8_t mask = 0xff;
    if (i == n - 1 && p.len % 8) mask = static_cast<uint8_t>(0xff << (8 - p.len % 8));
    w.u8(p.addr.b[i] & mask);
  }
}

Result<std::vector<IpPrefix>> decode_prefixes(std::span<const uint8_t> field, bool v6) {
  std::vector<IpPrefix> out;
  Reader r(field);
  unsigned max = v6 ? 128 : 32;
  while (!r.empty()) {
    size_t at = r.offset();
    IpPrefix p;
    p.addr.v6 = v6;
    p.len = r.u8();
    if (p.len > max)
      return make_error(fmt::format("prefix at offset {}: length {} exceeds {}", at, p.len, max));
    size_t n = (p.len + 7u) / 8u;
    auto bytes = r.take(n);
    if (!r.ok())
      return make_error(fmt::format("prefix at offset {}: /{} needs {} bytes, {} left", at, p.len,
                                    n, field.size() - at - 1));
    std::copy(bytes.begin(), bytes.end(), p.addr.b.begin());
    if (p.len % 8) p.addr.b[n - 1] &= static_cast<uint8_t>(0xff << (8 - p.len % 8));
    out.push_back(p);
  }
  return out;
}

void encode_path_attributes(Writer& w, const PathAttributes& a, AttributeCodecOptions opt) {
  // MP_REACH_NLRI / MP_UNREACH_NLRI first, so a receiver can always find the NLRI
  // whatever else is malformed (RFC 7606 §5.1).
  if (a.mp_reach) {
    Writer v;
    v.u16(a.mp_reach->family.afi);
    v.u8(a.mp_reach->family.safi);
    size_t nh_len = v.placeholder(1);
    size_t start = v.size();
    for (const auto& nh : a.mp_reach->next_hops) put_ip(v, nh);
    v.bytes(a.mp_reach->opaque_next_hop);
    v.patch_u8(nh_len, static_cast<uint8_t>(v.size() - start));
    v.u8(0);  // reserved
    put_nlri(v, a.mp_reach->family, a.mp_reach->nlri);
    put_attribute(w, kOptional, attr::kMpReachNlri, v.data());
  }
  if (a.mp_unreach) {
    Writer v;
    v.u16(a.mp_unreach->family.afi);
    v.u8(a.mp_unreach->family.safi);
    put_nlri(v, a.mp_unreach->family, a.mp_unreach->withdrawn);
    put_attribute(w, kOptional, attr::kMpUnreachNlri, v.data());
  }
  if (a.origin) put_attribute(w, kWellKnown, attr::kOrigin, {static_cast<uint8_t>(*a.origin)});
  if (a.as_path) {
    Writer v;
    for (const auto& seg : a.as_path->segments) {
      // A segment holds at most 255 ASNs; longer ones are split.
      for (size_t i = 0; i < seg.asns.size() || i == 0; i += 255) {
        size_t n = std::min<size_t>(255, seg.asns.size() - i);
        if (n == 0) break;
        v.u8(static_cast<uint8_t>(seg.type));
        v.u8(static_cast<uint8_t>(n));
        for (size_t j = 0; j < n; ++j) put_as(v, seg.asns[i + j], opt.four_octet_as);
      }
    }
    put_attribute(w, kWellKnown, attr::kAsPath, v.data());
  }
  if (a.next_hop) {
    Writer v;
    put_ip(v, *a.next_hop);
    put_attribute(w, kWellKnown, attr::kNextHop, v.data());
  }
  if (a.med) {
    Writer v;
    v.u32(*a.med);
    put_attribute(w, kOptional, attr::kMed, v.data());
  }
  if (a.local_pref) {
    Writer v;
    v.u32(*a.local_pref);
    put_attribute(w, kWellKnown, attr::kLocalPref, v.data());
  }
  if (a.atomic_aggregate) put_attribute(w, kWellKnown, attr::kAtomicAggregate, {});
  if (a.aggregator) {
    Writer v;
    put_as(v, a.aggregator->asn, opt.four_octet_as);
    put_ip(v, a.aggregator->address);
    put_attribute(w, kOptionalTransitive, attr::kAggregator, v.data());
  }
  if (a.communities) {
    Writer v;
    for (uint32_t c : *a.communities) v.u32(c);
    put_attribute(w, kOptionalTransitive, attr::kCommunities, v.data());
  }
  if (a.originator_id) {
    Writer v;
    put_ip(v, *a.originator_id);
    put_attribute(w, kOptional, attr::kOriginatorId, v.data());
  }
  if (a.cluster_list) {
    Writer v;
    for (const auto& id : *a.cluster_list) put_ip(v, id);
    put_attribute(w, kOptional, attr::kClusterList, v.data());
  }
  if (a.ext_communities) {
    Writer v;
    for (const auto& c : *a.ext_communities) v.bytes(c.b);
    put_attribute(w, kOptionalTransitive, attr::kExtCommunities, v.data());
  }
  if (a.pmsi_tunnel) {
    Writer v;
    v.u8(a.pmsi_tunnel->flags);
    v.u8(a.pmsi_tunnel->tunnel_type);
    v.u24(a.pmsi_tunnel->label);
    v.bytes(a.pmsi_tunnel->tunnel_id);
    put_attribute(w, kOptionalTransitive, attr::kPmsiTunnel, v.data());
  }
  for (const auto& u : a.unknown) put_attribute(w, u.flags, u.type, u.value);
}

}  // namespace vgw::bgp
