// BGP extended communities (RFC 4360) and the typed ones EVPN over VXLAN uses:
// route targets (RFC 4360 §4, RFC 5668 §2), encapsulation (RFC 9012 §4.1, tunnel
// type 8 = VXLAN per RFC 8365 §5.1.3), MAC mobility (RFC 7432 §7.7), default
// gateway (RFC 7432 §7.8), EVPN router's MAC (RFC 9135 §8.1). Plus FRR's auto RT.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/addr.h"

namespace vgw::bgp {

// One extended community, 8 bytes as on the wire: type, subtype, 6 value bytes.
struct ExtCommunity {
  std::array<uint8_t, 8> b{};
  uint8_t type() const { return b[0]; }
  uint8_t subtype() const { return b[1]; }
  bool transitive() const { return (b[0] & 0x40) == 0; }
  auto operator<=>(const ExtCommunity&) const = default;
};

inline constexpr uint8_t kExtTypeTransitiveAs2 = 0x00;
inline constexpr uint8_t kExtTypeTransitiveIpv4 = 0x01;
inline constexpr uint8_t kExtTypeTransitiveAs4 = 0x02;
inline constexpr uint8_t kExtTypeOpaque = 0x03;
inline constexpr uint8_t kExtTypeEvpn = 0x06;
inline constexpr uint8_t kExtSubtypeRouteTarget = 0x02;
inline constexpr uint8_t kExtSubtypeEncapsulation = 0x0c;
inline constexpr uint8_t kExtSubtypeDefaultGateway = 0x0d;
inline constexpr uint8_t kExtSubtypeMacMobility = 0x00;
inline constexpr uint8_t kExtSubtypeRouterMac = 0x03;
inline constexpr uint16_t kTunnelTypeVxlan = 8;  // RFC 9012 §15 / RFC 8365

// A route target: global administrator (2- or 4-octet AS, or IPv4) : local.
struct RouteTarget {
  uint8_t type = kExtTypeTransitiveAs2;  // 0x00, 0x01 or 0x02
  uint32_t global = 0;                   // the AS, or the IPv4 address in host order
  uint32_t local = 0;                    // 32 bits for type 0x00, 16 bits otherwise

  static RouteTarget as2(uint16_t asn, uint32_t number) { return {0x00, asn, number}; }
  static RouteTarget ipv4(IpAddress addr, uint16_t number) {
    return {0x01, addr.v4_host(), number};
  }
  static RouteTarget as4(uint32_t asn, uint16_t number) { return {0x02, asn, number}; }
  // "65000:100", "4200000000:100" (type 0x02), "1.2.3.4:100", as FRR reads RTs.
  static std::optional<RouteTarget> parse(std::string_view text);

  ExtCommunity to_ext_community() const;
  std::string to_string() const;  // "65000:100" / "1.2.3.4:100"
  auto operator<=>(const RouteTarget&) const = default;
};

struct MacMobility {
  bool sticky = false;  // flags bit 0x01: a static MAC that must not move
  uint32_t sequence = 0;
  auto operator<=>(const MacMobility&) const = default;
};

ExtCommunity encapsulation_community(uint16_t tunnel_type = kTunnelTypeVxlan);
ExtCommunity mac_mobility_community(MacMobility m);
ExtCommunity router_mac_community(MacAddress mac);
ExtCommunity default_gateway_community();

std::optional<RouteTarget> as_route_target(const ExtCommunity& c);
std::optional<uint16_t> as_encapsulation(const ExtCommunity& c);  // the tunnel type
std::optional<MacMobility> as_mac_mobility(const ExtCommunity& c);
std::optional<MacAddress> as_router_mac(const ExtCommunity& c);
bool is_default_gateway(const ExtCommunity& c);

// FRR's text: "RT:65000:100", "ET:8", "MM:5", "MM:0, sticky MAC", "Rmac:aa:..",
// "Default Gateway", else "0xTTSS:hex".
std::string to_string(const ExtCommunity& c);

// FRR's auto-derived route target for a VNI (bgpd/bgp_evpn.c form_auto_rt): type
// 0x00 with the low 16 bits of the local AS (whatever its size, so 4-byte ASNs are
// truncated) and the VNI as the 4-byte local part; with FRR's "autort
// rfc8365-compatible" the local part is VNI | 0x10000000 (RFC 8365 §5.1.2.1, type 1
// = VXLAN). FRR uses its own AS for iBGP and eBGP alike, so eBGP peers in different
// ASes derive different RTs: that is why route targets must also be configurable.
RouteTarget derive_rt(uint32_t local_as, uint32_t vni, bool rfc8365 = false);

}  // namespace vgw::bgp
