#include "bgp/ext_community.h"

#include <fmt/format.h>

#include <cstring>

#include "bgp/wire.h"

namespace vgw::bgp {

std::optional<RouteTarget> RouteTarget::parse(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view left = text.substr(0, colon);
  uint32_t number;
  if (!parse_u32(text.substr(colon + 1), number)) return std::nullopt;
  if (left.find('.') != std::string_view::npos) {
    auto ip = IpAddress::parse(left);
    if (!ip || ip->v6 || number > 0xffff) return std::nullopt;
    return ipv4(*ip, static_cast<uint16_t>(number));
  }
  uint32_t asn;
  if (!parse_u32(left, asn)) return std::nullopt;
  if (asn <= 0xffff) return as2(static_cast<uint16_t>(asn), number);
  if (number > 0xffff) return std::nullopt;
  return as4(asn, static_cast<uint16_t>(number));
}

ExtCommunity RouteTarget::to_ext_community() const {
  ExtCommunity c;
  c.b[0] = type;
  c.b[1] = kExtSubtypeRouteTarget;
  if (type == kExtTypeTransitiveAs2) {
    put_be(&c.b[2], global, 2);
    put_be(&c.b[4], local, 4);
  } else {
    put_be(&c.b[2], global, 4);
    put_be(&c.b[6], local, 2);
  }
  return c;
}

std::string RouteTarget::to_string() const {
  if (type == kExtTypeTransitiveIpv4)
    return fmt::format("{}:{}", IpAddress::v4(global).to_string(), local);
  return fmt::format("{}:{}", global, local);
}

std::optional<RouteTarget> as_route_target(const ExtCommunity& c) {
  if (c.subtype() != kExtSubtypeRouteTarget) return std::nullopt;
  switch (c.type()) {
    case kExtTypeTransitiveAs2:
      return RouteTarget{c.type(), get_be(&c.b[2], 2), get_be(&c.b[4], 4)};
    case kExtTypeTransitiveIpv4:
    case kExtTypeTransitiveAs4:
      return RouteTarget{c.type(), get_be(&c.b[2], 4), get_be(&c.b[6], 2)};
    default:
      return std::nullopt;
  }
}

ExtCommunity encapsulation_community(uint16_t tunnel_type) {
  ExtCommunity c;
  c.b[0] = kExtTypeOpaque;
  c.b[1] = kExtSubtypeEncapsulation;
  put_be(&c.b[6], tunnel_type, 2);
  return c;
}

ExtCommunity mac_mobility_community(MacMobility m) {
  ExtCommunity c;
  c.b[0] = kExtTypeEvpn;
  c.b[1] = kExtSubtypeMacMobility;
  c.b[2] = m.sticky ? 0x01 : 0x00;
  put_be(&c.b[4], m.sequence, 4);
  return c;
}

ExtCommunity router_mac_community(MacAddress mac) {
  ExtCommunity c;
  c.b[0] = kExtTypeEvpn;
  c.b[1] = kExtSubtypeRouterMac;
  std::memcpy(&c.b[2], mac.b.data(), 6);
  return c;
}

ExtCommunity default_gateway_community() {
  ExtCommunity c;
  c.b[0] = kExtTypeOpaque;
  c.b[1] = kExtSubtypeDefaultGateway;
  return c;
}

std::optional<uint16_t> as_encapsulation(const ExtCommunity& c) {
  if (c.type() != kExtTypeOpaque || c.subtype() != kExtSubtypeEncapsulation) return std::nullopt;
  return static_cast<uint16_t>(get_be(&c.b[6], 2));
}

std::optional<MacMobility> as_mac_mobility(const ExtCommunity& c) {
  if (c.type() != kExtTypeEvpn || c.subtype() != kExtSubtypeMacMobility) return std::nullopt;
  return MacMobility{(c.b[2] & 0x01) != 0, get_be(&c.b[4], 4)};
}

std::optional<MacAddress> as_router_mac(const ExtCommunity& c) {
  if (c.type() != kExtTypeEvpn || c.subtype() != kExtSubtypeRouterMac) return std::nullopt;
  return MacAddress::from_bytes(&c.b[2]);
}

bool is_default_gateway(const ExtCommunity& c) {
  return c.type() == kExtTypeOpaque && c.subtype() == kExtSubtypeDefaultGateway;
}

std::string to_string(const ExtCommunity& c) {
  if (auto rt = as_route_target(c)) return "RT:" + rt->to_string();
  if (auto et = as_encapsulation(c)) return fmt::format("ET:{}", *et);
  if (auto mm = as_mac_mobility(c))
    return fmt::format("MM:{}{}", mm->sequence, mm->sticky ? ", sticky MAC" : "");
  if (auto rmac = as_router_mac(c)) return "Rmac:" + rmac->to_string();
  if (is_default_gateway(c)) return "Default Gateway";
  return fmt::format("0x{:02x}{:02x}:{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}", c.b[0], c.b[1], c.b[2],
                     c.b[3], c.b[4], c.b[5], c.b[6], c.b[7]);
}

RouteTarget derive_rt(uint32_t local_as, uint32_t vni, bool rfc8365) {
  uint32_t local = vni & 0xffffff;
  if (rfc8365) local |= 0x10000000;
  return RouteTarget::as2(static_cast<uint16_t>(local_as & 0xffff), local);
}

}  // namespace vgw::bgp
