// EVPN NLRI (AFI 25 / SAFI 70) and route distinguishers: RFC 7432 §7 (route types,
// ESI, Ethernet tag), RFC 8365 §5.1.3 (VXLAN: the label fields carry the 24-bit
// VNI), RFC 9136 §3 (type 5 IP prefix), RFC 4364 §4.2 (RD types 0, 1, 2).
// Also the FRR conventions for text forms and auto-derived RD/RT.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "bgp/wire.h"
#include "common/addr.h"
#include "common/result.h"

namespace vgw::bgp {

// Route distinguisher, 8 bytes as on the wire: 2-byte type then 6-byte value.
struct RouteDistinguisher {
  std::array<uint8_t, 8> b{};

  static RouteDistinguisher as2(uint16_t asn, uint32_t number);     // type 0
  static RouteDistinguisher ipv4(IpAddress addr, uint16_t number);  // type 1
  static RouteDistinguisher as4(uint32_t asn, uint16_t number);     // type 2
  // "65000:100" (type 0, or type 2 when the ASN needs 4 octets), "1.2.3.4:7" (type 1),
  // as FRR's str2prefix_rd reads them.
  static std::optional<RouteDistinguisher> parse(std::string_view text);

  uint16_t type() const { return static_cast<uint16_t>(b[0] << 8 | b[1]); }
  // FRR's text: "ASN:n" for types 0 and 2, "a.b.c.d:n" for type 1, "type:hex" else.
  std::string to_string() const;
  auto operator<=>(const RouteDistinguisher&) const = default;
};

// Ethernet Segment Identifier (RFC 7432 §5): 10 bytes; all zero for single-homed.
using Esi = std::array<uint8_t, 10>;

// The 3-byte "MPLS label" field. With VXLAN (RFC 8365 §5.1.3) all 24 bits are the
// VNI; these helpers keep that in one place.
inline uint32_t label_from_vni(uint32_t vni) {
  return vni & 0xffffff;
}
inline uint32_t vni_from_label(uint32_t label24) {
  return label24 & 0xffffff;
}
std::array<uint8_t, 3> vni_to_label_bytes(uint32_t vni);
uint32_t vni_from_label_bytes(std::span<const uint8_t, 3> bytes);

// Route type 2, MAC/IP Advertisement (RFC 7432 §7.2).
struct MacIpRoute {
  RouteDistinguisher rd;
  Esi esi{};
  uint32_t ethernet_tag = 0;
  MacAddress mac;
  std::optional<IpAddress> ip;     // none: MAC only (IP Address Length 0)
  uint32_t label1 = 0;             // L2 VNI
  std::optional<uint32_t> label2;  // L3 VNI (symmetric IRB, RFC 9135)
  auto operator<=>(const MacIpRoute&) const = default;
};

// Route type 3, Inclusive Multicast Ethernet Tag (RFC 7432 §7.3).
struct ImetRoute {
  RouteDistinguisher rd;
  uint32_t ethernet_tag = 0;
  IpAddress originator;  // the originating router's IP (the remote VTEP)
  auto operator<=>(const ImetRoute&) const = default;
};

// Route type 5, IP Prefix (RFC 9136 §3.1): 34 bytes for IPv4, 58 for IPv6.
struct IpPrefixRoute {
  RouteDistinguisher rd;
  Esi esi{};
  uint32_t ethernet_tag = 0;
  IpPrefix prefix;
  IpAddress gateway;   // same family as prefix; zero when unused
  uint32_t label = 0;  // L3 VNI
  auto operator<=>(const IpPrefixRoute&) const = default;
};

// Any other route type (1 Ethernet A-D, 4 Ethernet Segment, ...), kept as bytes.
struct OpaqueEvpnRoute {
  uint8_t type = 0;
  std::vector<uint8_t> value;
  auto operator<=>(const OpaqueEvpnRoute&) const = default;
};

using EvpnRoute = std::variant<MacIpRoute, ImetRoute, IpPrefixRoute, OpaqueEvpnRoute>;

uint8_t evpn_route_type(const EvpnRoute& route);
const RouteDistinguisher* evpn_route_rd(const EvpnRoute& route);  // null for opaque
// FRR's prefix text: "[2]:[0]:[48]:[aa:bb:cc:dd:ee:ff]:[32]:[10.0.0.1]",
// "[3]:[0]:[32]:[192.168.1.1]", "[5]:[0]:[24]:[10.0.0.0]"; the RD is printed apart.
std::string to_string(const EvpnRoute& route);

// Appends one route (type, length, value).
void encode_evpn_route(Writer& w, const EvpnRoute& route);
// Decodes a whole EVPN NLRI field (a sequence of routes). Unknown route types are
// skipped by their length and kept opaque; a known type whose fields are
// inconsistent, or a length that overruns the field, is an error naming the route.
Result<std::vector<EvpnRoute>> decode_evpn_nlri(std::span<const uint8_t> field);

// FRR's auto-derived values (bgpd/bgp_evpn.c):
// RD = router-id:index (type 1), index allocated per VNI from 1 upwards.
RouteDistinguisher derive_rd(IpAddress router_id, uint16_t index);

}  // namespace vgw::bgp
