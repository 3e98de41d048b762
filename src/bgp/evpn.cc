#include "bgp/evpn.h"

#include <fmt/format.h>

#include <charconv>
#include <cstring>

namespace vgw::bgp {
namespace {

void put_ip(Writer& w, const IpAddress& a) {
  w.bytes(std::span(a.b.data(), a.size()));
}

IpAddress read_ip(Reader& r, bool v6) {
  uint8_t buf[16] = {};
  r.copy(buf, v6 ? 16 : 4);
  return v6 ? IpAddress::from_v6_bytes(buf) : IpAddress::from_v4_bytes(buf);
}

RouteDistinguisher read_rd(Reader& r) {
  RouteDistinguisher rd;
  r.copy(rd.b.data(), 8);
  return rd;
}

std::string hex(std::span<const uint8_t> b) {
  std::string s;
  for (uint8_t x : b) s += fmt::format("{:02x}", x);
  return s;
}

}  // namespace

RouteDistinguisher RouteDistinguisher::as2(uint16_t asn, uint32_t number) {
  RouteDistinguisher rd;
  put_be(&rd.b[2], asn, 2);
  put_be(&rd.b[4], number, 4);
  return rd;
}

RouteDistinguisher RouteDistinguisher::ipv4(IpAddress addr, uint16_t number) {
  RouteDistinguisher rd;
  rd.b[1] = 1;
  std::memcpy(&rd.b[2], addr.b.data(), 4);
  put_be(&rd.b[6], number, 2);
  return rd;
}

RouteDistinguisher RouteDistinguisher::as4(uint32_t asn, uint16_t number) {
  RouteDistinguisher rd;
  rd.b[1] = 2;
  put_be(&rd.b[2], asn, 4);
  put_be(&rd.b[6], number, 2);
  return rd;
}

std::optional<RouteDistinguisher> RouteDistinguisher::parse(std::string_view text) {
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

std::string RouteDistinguisher::to_string() const {
  switch (type()) {
    case 0:
      return fmt::format("{}:{}", get_be(&b[2], 2), get_be(&b[4], 4));
    case 1:
      return fmt::format("{}:{}", IpAddress::from_v4_bytes(&b[2]).to_string(), get_be(&b[6], 2));
    case 2:
      return fmt::format("{}:{}", get_be(&b[2], 4), get_be(&b[6], 2));
    default:
      return fmt::format("{}:{}", type(), hex(std::span(b).subspan(2)));
  }
}

std::array<uint8_t, 3> vni_to_label_bytes(uint32_t vni) {
  return {static_cast<uint8_t>(vni >> 16), static_cast<uint8_t>(vni >> 8),
          static_cast<uint8_t>(vni)};
}

uint32_t vni_from_label_bytes(std::span<const uint8_t, 3> bytes) {
  return static_cast<uint32_t>(get_be(bytes.data(), 3));
}

uint8_t evpn_route_type(const EvpnRoute& route) {
  struct {
    uint8_t operator()(const MacIpRoute&) const { return 2; }
    uint8_t operator()(const ImetRoute&) const { return 3; }
    uint8_t operator()(const IpPrefixRoute&) const { return 5; }
    uint8_t operator()(const OpaqueEvpnRoute& r) const { return r.type; }
  } v;
  return std::visit(v, route);
}

const RouteDistinguisher* evpn_route_rd(const EvpnRoute& route) {
  if (auto* r = std::get_if<MacIpRoute>(&route)) return &r->rd;
  if (auto* r = std::get_if<ImetRoute>(&route)) return &r->rd;
  if (auto* r = std::get_if<IpPrefixRoute>(&route)) return &r->rd;
  return nullptr;
}

std::string to_string(const EvpnRoute& route) {
  if (auto* r = std::get_if<MacIpRoute>(&route)) {
    std::string s = fmt::format("[2]:[{}]:[48]:[{}]", r->ethernet_tag, r->mac.to_string());
    if (r->ip) s += fmt::format(":[{}]:[{}]", r->ip->size() * 8, r->ip->to_string());
    return s;
  }
  if (auto* r = std::get_if<ImetRoute>(&route))
    return fmt::format("[3]:[{}]:[{}]:[{}]", r->ethernet_tag, r->originator.size() * 8,
                       r->originator.to_string());
  if (auto* r = std::get_if<IpPrefixRoute>(&route))
    return fmt::format("[5]:[{}]:[{}]:[{}]", r->ethernet_tag, r->prefix.len,
                       r->prefix.addr.to_string());
  const auto& o = std::get<OpaqueEvpnRoute>(route);
  return fmt::format("[{}]:[{}]", o.type, hex(o.value));
}

void encode_evpn_route(Writer& w, const EvpnRoute& route) {
  w.u8(evpn_route_type(route));
  size_t len_at = w.placeholder(1);
  size_t start = w.size();
  if (auto* r = std::get_if<MacIpRoute>(&route)) {
    w.bytes(r->rd.b);
    w.bytes(r->esi);
    w.u32(r->ethernet_tag);
    w.u8(48);
    w.bytes(r->mac.b);
    if (r->ip) {
      w.u8(static_cast<uint8_t>(r->ip->size() * 8));
      put_ip(w, *r->ip);
    } else {
      w.u8(0);
    }
    w.u24(r->label1);
    if (r->label2) w.u24(*r->label2);
  } else if (auto* r = std::get_if<ImetRoute>(&route)) {
    w.bytes(r->rd.b);
    w.u32(r->ethernet_tag);
    w.u8(static_cast<uint8_t>(r->originator.size() * 8));
    put_ip(w, r->originator);
  } else if (auto* r = std::get_if<IpPrefixRoute>(&route)) {
    w.bytes(r->rd.b);
    w.bytes(r->esi);
    w.u32(r->ethernet_tag);
    w.u8(r->prefix.len);
    put_ip(w, r->prefix.addr);
    IpAddress gw = r->gateway;
    gw.v6 = r->prefix.addr.v6;  // the gateway field has the prefix's size (RFC 9136 §3.1)
    put_ip(w, gw);
    w.u24(r->label);
  } else {
    w.bytes(std::get<OpaqueEvpnRoute>(route).value);
  }
  w.patch_u8(len_at, static_cast<uint8_t>(w.size() - start));
}

namespace {

Result<EvpnRoute> decode_mac_ip(Reader r, size_t n) {
  MacIpRoute m;
  m.rd = read_rd(r);
  r.copy(m.esi.data(), m.esi.size());
  m.ethernet_tag = r.u32();
  uint8_t mac_len = r.u8();
  uint8_t buf[6];
  r.copy(buf, 6);
  m.mac = MacAddress::from_bytes(buf);
  uint8_t ip_len = r.u8();
  if (!r.ok()) return make_error(fmt::format("EVPN type 2: length {} too short", n));
  if (mac_len != 48)
    return make_error(fmt::format("EVPN type 2: MAC address length {} (must be 48)", mac_len));
  if (ip_len != 0 && ip_len != 32 && ip_len != 128)
    return make_error(
        fmt::format("EVPN type 2: IP address length {} (must be 0, 32 or 128)", ip_len));
  if (ip_len) m.ip = read_ip(r, ip_len == 128);
  m.label1 = r.u24();
  if (r.ok() && r.remaining() == 3) m.label2 = r.u24();
  if (!r.ok() || !r.empty())
    return make_error(
        fmt::format("EVPN type 2: length {} does not match IP length {} with one "
                    "or two labels",
                    n, ip_len));
  return EvpnRoute{m};
}

Result<EvpnRoute> decode_imet(Reader r, size_t n) {
  ImetRoute m;
  m.rd = read_rd(r);
  m.ethernet_tag = r.u32();
  uint8_t ip_len = r.u8();
  if (!r.ok()) return make_error(fmt::format("EVPN type 3: length {} too short", n));
  if (ip_len != 32 && ip_len != 128)
    return make_error(
        fmt::format("EVPN type 3: originating router IP length {} (must be 32 or 128)", ip_len));
  m.originator = read_ip(r, ip_len == 128);
  if (!r.ok() || !r.empty())
    return make_error(fmt::format("EVPN type 3: length {} does not match IP length {}", n, ip_len));
  return EvpnRoute{m};
}

Result<EvpnRoute> decode_ip_prefix(Reader r, size_t n) {
  if (n != 34 && n != 58)
    return make_error(fmt::format("EVPN type 5: length {} (must be 34 for IPv4, 58 for IPv6)", n));
  bool v6 = n == 58;
  IpPrefixRoute m;
  m.rd = read_rd(r);
  r.copy(m.esi.data(), m.esi.size());
  m.ethernet_tag = r.u32();
  m.prefix.len = r.u8();
  m.prefix.addr = read_ip(r, v6);
  m.gateway = read_ip(r, v6);
  m.label = r.u24();
  if (m.prefix.len > (v6 ? 128 : 32))
    return make_error(
        fmt::format("EVPN type 5: prefix length {} too long for IPv{}", m.prefix.len, v6 ? 6 : 4));
  return EvpnRoute{m};
}

}  // namespace

Result<std::vector<EvpnRoute>> decode_evpn_nlri(std::span<const uint8_t> field) {
  std::vector<EvpnRoute> routes;
  Reader r(field);
  while (!r.empty()) {
    size_t at = r.offset();
    uint8_t type = r.u8();
    uint8_t len = r.u8();
    Reader body = r.sub(len);
    if (!r.ok())
      return make_error(
          fmt::format("EVPN NLRI at offset {}: route type {} length {} overruns the "
                      "{} bytes left",
                      at, type, len, field.size() - at));
    Result<EvpnRoute> route = make_error("");
    switch (type) {
      case 2:
        route = decode_mac_ip(body, len);
        break;
      case 3:
        route = decode_imet(body, len);
        break;
      case 5:
        route = decode_ip_prefix(body, len);
        break;
      default: {
        auto v = body.rest();
        route = EvpnRoute{OpaqueEvpnRoute{type, {v.begin(), v.end()}}};
      }
    }
    if (!route)
      return make_error(fmt::format("EVPN NLRI at offset {}: {}", at, route.error().message));
    routes.push_back(std::move(*route));
  }
  return routes;
}

RouteDistinguisher derive_rd(IpAddress router_id, uint16_t index) {
  return RouteDistinguisher::ipv4(router_id, index);
}

}  // namespace vgw::bgp
