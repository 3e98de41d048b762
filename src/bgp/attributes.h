// BGP path attributes: RFC 4271 §4.3/§5 (ORIGIN, AS_PATH, NEXT_HOP, MED, LOCAL_PREF,
// ATOMIC_AGGREGATE, AGGREGATOR), RFC 6793 (4-octet AS numbers in AS_PATH and
// AGGREGATOR), RFC 1997 (COMMUNITIES), RFC 4456 (ORIGINATOR_ID, CLUSTER_LIST),
// RFC 4760 (MP_REACH_NLRI, MP_UNREACH_NLRI), RFC 4360 (EXTENDED COMMUNITIES),
// RFC 6514 §5 (PMSI_TUNNEL, with ingress replication per RFC 8365 §5.1.3).
//
// The codec keeps unknown attributes as bytes; decoding classifies every malformed
// attribute with the action RFC 7606 prescribes (see update.h).
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bgp/evpn.h"
#include "bgp/ext_community.h"
#include "bgp/wire.h"
#include "common/addr.h"

namespace vgw::bgp {

// Attribute type codes (IANA "BGP Path Attributes").
namespace attr {
inline constexpr uint8_t kOrigin = 1;
inline constexpr uint8_t kAsPath = 2;
inline constexpr uint8_t kNextHop = 3;
inline constexpr uint8_t kMed = 4;
inline constexpr uint8_t kLocalPref = 5;
inline constexpr uint8_t kAtomicAggregate = 6;
inline constexpr uint8_t kAggregator = 7;
inline constexpr uint8_t kCommunities = 8;
inline constexpr uint8_t kOriginatorId = 9;
inline constexpr uint8_t kClusterList = 10;
inline constexpr uint8_t kMpReachNlri = 14;
inline constexpr uint8_t kMpUnreachNlri = 15;
inline constexpr uint8_t kExtCommunities = 16;
inline constexpr uint8_t kAs4Path = 17;
inline constexpr uint8_t kAs4Aggregator = 18;
inline constexpr uint8_t kPmsiTunnel = 22;

// Attribute Flags (RFC 4271 §4.3).
inline constexpr uint8_t kFlagOptional = 0x80;
inline constexpr uint8_t kFlagTransitive = 0x40;
inline constexpr uint8_t kFlagPartial = 0x20;
inline constexpr uint8_t kFlagExtendedLength = 0x10;
}  // namespace attr

// "ORIGIN", "AS_PATH", ..., "attribute 99".
std::string attribute_name(uint8_t type);

// An address family: AFI (RFC 4760 §5, IANA) + SAFI.
struct Family {
  uint16_t afi = 0;
  uint8_t safi = 0;
  auto operator<=>(const Family&) const = default;
};
inline constexpr Family kIpv4Unicast{1, 1};
inline constexpr Family kIpv6Unicast{2, 1};
inline constexpr Family kL2vpnEvpn{25, 70};
std::string to_string(Family f);  // "ipv4 unicast", "l2vpn evpn", "afi 3 safi 5"

enum class Origin : uint8_t { kIgp = 0, kEgp = 1, kIncomplete = 2 };

enum class AsSegmentType : uint8_t {
  kSet = 1,
  kSequence = 2,
  kConfedSequence = 3,  // RFC 5065
  kConfedSet = 4,
};
struct AsSegment {
  AsSegmentType type = AsSegmentType::kSequence;
  std::vector<uint32_t> asns;  // 1..255 of them
  auto operator<=>(const AsSegment&) const = default;
};
struct AsPath {
  std::vector<AsSegment> segments;
  // The leftmost AS (the neighbour that sent it), if the path starts with a sequence.
  std::optional<uint32_t> first_as() const;
  std::string to_string() const;  // "65001 65002 {65003,65004}"
  auto operator<=>(const AsPath&) const = default;
};

struct Aggregator {
  uint32_t asn = 0;
  IpAddress address;
  auto operator<=>(const Aggregator&) const = default;
};

// NLRI of one address family. Exactly one list is used: prefixes for IPv4/IPv6
// unicast, evpn for L2VPN EVPN, opaque (the raw field) for anything else.
struct Nlri {
  std::vector<IpPrefix> prefixes;
  std::vector<EvpnRoute> evpn;
  std::vector<uint8_t> opaque;
  bool empty() const { return prefixes.empty() && evpn.empty() && opaque.empty(); }
  auto operator<=>(const Nlri&) const = default;
};

// MP_REACH_NLRI (RFC 4760 §3).
struct MpReach {
  Family family;
  // Known families: one address (4 or 16 bytes), or an IPv6 global + link-local
  // pair (32 bytes). Unknown families: empty, and opaque_next_hop holds the bytes.
  std::vector<IpAddress> next_hops;
  std::vector<uint8_t> opaque_next_hop;
  Nlri nlri;
  auto operator<=>(const MpReach&) const = default;
};

// MP_UNREACH_NLRI (RFC 4760 §4).
struct MpUnreach {
  Family family;
  Nlri withdrawn;
  auto operator<=>(const MpUnreach&) const = default;
};

// PMSI_TUNNEL (RFC 6514 §5). EVPN over VXLAN (RFC 8365 §5.1.3) sends tunnel type 6
// (ingress replication), the VNI in the label field, and the VTEP IP as tunnel id.
inline constexpr uint8_t kPmsiIngressReplication = 6;
struct PmsiTunnel {
  uint8_t flags = 0;  // bit 0x01: leaf information required
  uint8_t tunnel_type = kPmsiIngressReplication;
  uint32_t label = 0;  // 24 bits as on the wire; the VNI with VXLAN
  std::vector<uint8_t> tunnel_id;

  static PmsiTunnel ingress_replication(uint32_t vni, IpAddress endpoint);
  // The replication endpoint of an ingress-replication tunnel (4 or 16 byte id).
  std::optional<IpAddress> endpoint() const;
  auto operator<=>(const PmsiTunnel&) const = default;
};

// An attribute this codec does not interpret, kept whole.
struct RawAttribute {
  uint8_t flags = 0;  // as received, Extended Length bit cleared
  uint8_t type = 0;
  std::vector<uint8_t> value;
  auto operator<=>(const RawAttribute&) const = default;
};

// All path attributes of one UPDATE. An absent attribute is nullopt (or false).
// Encoding writes MP_REACH/MP_UNREACH first (RFC 7606 §5.1) then ascending type.
struct PathAttributes {
  std::optional<Origin> origin;
  std::optional<AsPath> as_path;
  std::optional<IpAddress> next_hop;  // IPv4
  std::optional<uint32_t> med;
  std::optional<uint32_t> local_pref;
  bool atomic_aggregate = false;
  std::optional<Aggregator> aggregator;
  std::optional<std::vector<uint32_t>> communities;
  std::optional<IpAddress> originator_id;  // a router ID, as an IPv4 address
  std::optional<std::vector<IpAddress>> cluster_list;
  std::optional<MpReach> mp_reach;
  std::optional<MpUnreach> mp_unreach;
  std::optional<std::vector<ExtCommunity>> ext_communities;
  std::optional<PmsiTunnel> pmsi_tunnel;
  std::vector<RawAttribute> unknown;

  // Typed views over ext_communities.
  std::vector<RouteTarget> route_targets() const;
  std::optional<MacMobility> mac_mobility() const;
  std::optional<MacAddress> router_mac() const;
  std::optional<uint16_t> encapsulation() const;

  auto operator<=>(const PathAttributes&) const = default;
};

// Before re-advertising received attributes (RFC 4271 §5, §9.1.3): unknown
// optional non-transitive attributes are dropped, unknown optional transitive ones
// are passed on with the Partial bit set.
void prepare_unknown_for_propagation(PathAttributes& attrs);

// How AS numbers are encoded in AS_PATH/AGGREGATOR: 4 octets once both sides
// announced the capability (RFC 6793 §4.1), 2 octets otherwise.
struct AttributeCodecOptions {
  bool four_octet_as = true;
};

// Appends the encoded attributes (each with flags, type, length, value; Extended
// Length only when a value exceeds 255 bytes).
void encode_path_attributes(Writer& w, const PathAttributes& attrs, AttributeCodecOptions opt = {});

// IPv4/IPv6 prefixes as in the NLRI fields (RFC 4271 §4.3: length in bits, then the
// fewest bytes that hold it). Decoding masks bits beyond the length.
void encode_prefix(Writer& w, const IpPrefix& p);
Result<std::vector<IpPrefix>> decode_prefixes(std::span<const uint8_t> field, bool v6);

}  // namespace vgw::bgp
