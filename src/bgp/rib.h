// The EVPN routing information base of the speaker (RFC 7432 §9-§15 for VXLAN,
// RFC 8365 §5.1): the routes each peer sent (adj-RIB-in), the routes we originate
// (type 3 per local VNI, type 2 per local MAC), and import into the data plane.
//
// Import: a route is imported into every local VNI whose import route targets it
// carries. Type 3 adds its VTEP (PMSI tunnel endpoint, else originator) to that
// VNI's flood list; type 2 installs its MAC at the VTEP of its next hop. Several
// peers may send the same thing (route reflectors): flood members are counted,
// and per (VNI, MAC) the best path wins (highest MAC mobility sequence, RFC 7432
// §15; then the lowest VTEP address). A MAC we learned locally beats remote paths
// of a lower sequence; when a remote path of a higher sequence arrives the MAC
// moved away and our own type 2 is withdrawn. Each change names the peer whose
// route caused it (the data plane's owner of the entry), so removing a peer's
// routes (withdraw, session loss) removes exactly what it installed.
//
// What import decides is reported as a batch of changes (take_changes) that the
// owner hands to the control plane in one call.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "bgp/attributes.h"
#include "bgp/evpn.h"
#include "bgp/ext_community.h"
#include "common/addr.h"

namespace vgw::bgp {

// A local VNI as EVPN sees it.
struct VniConfig {
  uint32_t vni = 0;
  RouteDistinguisher rd;
  std::vector<RouteTarget> import_rts;
  std::vector<RouteTarget> export_rts;
  // The L3 VNI of the router with an interface in this network (symmetric IRB):
  // our MAC+IP routes carry it as the second label, with its RTs and router MAC.
  std::optional<uint32_t> l3vni;
  bool operator==(const VniConfig&) const = default;
};

// A local IP-VRF (RFC 9135 §5, RFC 9136): a router's L3 VNI.
struct L3VniConfig {
  uint32_t vni = 0;
  RouteDistinguisher rd;
  std::vector<RouteTarget> import_rts;
  std::vector<RouteTarget> export_rts;
  MacAddress router_mac;            // sent as the EVPN Router's MAC extended community
  std::vector<IpPrefix> advertise;  // originated as type-5 routes
  bool operator==(const L3VniConfig&) const = default;
};

// What the RIB keeps of a received path.
struct PathInfo {
  std::optional<IpAddress> next_hop;
  std::vector<RouteTarget> route_targets;
  std::optional<MacMobility> mac_mobility;
  std::optional<uint16_t> encapsulation;
  std::optional<IpAddress> pmsi_endpoint;
  uint32_t pmsi_label = 0;
  std::optional<MacAddress> router_mac;
  std::string as_path;  // text, for show
  uint32_t local_pref = 100;
  bool operator==(const PathInfo&) const = default;
};
PathInfo path_info_from(const PathAttributes& attrs);

using PeerId = uint32_t;

// A change for the data plane. vtep is where the MAC lives / the flood member;
// peer is whose route caused it (the owner of the entry in the data plane).
struct MacChange {
  PeerId peer = 0;
  uint32_t vni = 0;
  MacAddress mac;
  IpAddress vtep;
  uint32_t sequence = 0;
  bool operator==(const MacChange&) const = default;
};
struct FloodChange {
  PeerId peer = 0;
  uint32_t vni = 0;
  IpAddress vtep;
  bool operator==(const FloodChange&) const = default;
};
// A route into an IP-VRF (symmetric IRB): a type-5 prefix, or the host route
// of a type-2 MAC+IP with an L3 VNI label, reached at vtep with inner
// destination MAC router_mac in the L3 VNI. One per path: several peers or
// VTEPs may send the same prefix (the owner makes ECMP of them).
struct IpRouteChange {
  PeerId peer = 0;
  uint32_t l3vni = 0;
  IpPrefix prefix;
  IpAddress vtep;
  MacAddress router_mac;
  auto operator<=>(const IpRouteChange&) const = default;
};
// A remote host's IP-MAC binding in a local L2 VNI (type-2 MAC+IP), for ARP/ND
// suppression.
struct BindingChange {
  PeerId peer = 0;
  uint32_t vni = 0;
  IpAddress ip;
  MacAddress mac;
  auto operator<=>(const BindingChange&) const = default;
};
struct ImportChanges {
  std::vector<MacChange> macs_installed;  // new, or replacing the previous VTEP
  std::vector<MacChange> macs_removed;
  std::vector<FloodChange> flood_added;
  std::vector<FloodChange> flood_removed;
  std::vector<IpRouteChange> routes_added;
  std::vector<IpRouteChange> routes_removed;
  std::vector<BindingChange> bindings_added;
  std::vector<BindingChange> bindings_removed;
  bool empty() const {
    return macs_installed.empty() && macs_removed.empty() && flood_added.empty() &&
           flood_removed.empty() && routes_added.empty() && routes_removed.empty() &&
           bindings_added.empty() && bindings_removed.empty();
  }
};

// A route we originate, with the attributes that differ per route.
struct LocalRoute {
  uint32_t vni = 0;
  std::optional<MacMobility> mac_mobility;  // type 2 only
  bool operator==(const LocalRoute&) const = default;
};

// What changed in our own routes since the last take_export_changes.
struct ExportChanges {
  std::vector<EvpnRoute> advertise;  // new or changed
  std::vector<EvpnRoute> withdraw;
  bool empty() const { return advertise.empty() && withdraw.empty(); }
};

class EvpnRib {
 public:
  // ---- configuration ----
  // The local VNIs, our VTEP address (type-3 originator and next hop) and the
  // IP-VRFs. Routes already received are imported again under the new sets.
  void configure(std::vector<VniConfig> vnis, IpAddress local_vtep,
                 std::vector<L3VniConfig> l3vnis = {});
  const std::vector<VniConfig>& vnis() const { return vnis_; }
  const VniConfig* vni(uint32_t vni) const;
  const std::vector<L3VniConfig>& l3vnis() const { return l3vnis_; }
  const L3VniConfig* l3vni(uint32_t vni) const;
  IpAddress local_vtep() const { return local_vtep_; }

  // ---- received routes ----
  void update(PeerId peer, const EvpnRoute& route, const PathInfo& path);
  void withdraw(PeerId peer, const EvpnRoute& route);
  // Session lost: every route of the peer is withdrawn.
  void remove_peer(PeerId peer);
  size_t received_count(PeerId peer) const;
  const std::map<EvpnRoute, PathInfo>* adj_in(PeerId peer) const;
  const std::map<PeerId, std::map<EvpnRoute, PathInfo>>& all_adj_in() const { return adj_in_; }

  // ---- local MACs ----
  // The complete set of MACs learned on local attachments, per VNI: added ones
  // are advertised (with a sequence above any remote path's), missing ones withdrawn.
  void set_local_macs(const std::set<std::pair<uint32_t, MacAddress>>& macs);
  // One MAC now learned on a local attachment (present) or no longer: the
  // incremental form, for the data plane's FDB change events.
  void set_local_mac(uint32_t vni, MacAddress mac, bool present);
  // nullopt: not a local MAC; else whether our route for it is advertised
  // (false while a remote path of a higher sequence wins).
  // The complete set of local hosts' IP-MAC bindings (vni, mac, ip): each is
  // advertised as a MAC+IP route while its MAC's own route is (RFC 7432 §7.2;
  // with the VNI's L3 VNI as second label, RFC 9135 §5.1).
  using MacIp = std::tuple<uint32_t, MacAddress, IpAddress>;
  void set_local_macips(const std::set<MacIp>& bindings);
  std::optional<bool> local_mac_advertised(uint32_t vni, MacAddress mac) const {
    auto it = local_macs_.find(MacKey{vni, mac.to_u64()});
    if (it == local_macs_.end()) return std::nullopt;
    return it->second.advertised;
  }

  // ---- our routes ----
  const std::map<EvpnRoute, LocalRoute>& local_routes() const { return local_; }
  // The attributes to send with a local route (without MP_REACH, AS_PATH, LOCAL_PREF).
  PathAttributes export_attributes(const EvpnRoute& route, const LocalRoute& local) const;

  // ---- outputs ----
  ImportChanges take_changes();
  ExportChanges take_export_changes();

  // The VNIs a path is imported into (route targets matched against import RTs).
  std::vector<uint32_t> import_vnis(const PathInfo& path) const;
  // The IP-VRFs (L3 VNIs) a path is imported into.
  std::vector<uint32_t> import_l3vnis(const PathInfo& path) const;

 private:
  struct MacKey {
    uint32_t vni;
    uint64_t mac;
    auto operator<=>(const MacKey&) const = default;
  };
  struct Candidate {
    PeerId peer;
    EvpnRoute route;  // distinguishes MAC-only and MAC+IP routes of one peer
    IpAddress vtep;
    uint32_t sequence;
    bool sticky;
    bool operator==(const Candidate&) const = default;
  };
  struct Installed {
    PeerId peer;
    IpAddress vtep;
    uint32_t sequence;
  };
  struct LocalMac {
    uint32_t sequence = 0;
    bool advertised = false;  // false while a remote path of a higher sequence wins
  };

  void import_path(PeerId peer, const EvpnRoute& route, const PathInfo& path, bool add);
  void reselect(const MacKey& key);
  void add_local_mac(const MacKey& key);
  void remove_local_mac(const MacKey& key);
  void set_local_route(const EvpnRoute& route, std::optional<LocalRoute> value);
  EvpnRoute local_mac_route(const MacKey& key) const;
  void rebuild_local_imet();
  void rebuild_local_prefixes();
  void sync_local_macips(const MacKey& key);
  void withdraw_local_macip(const MacKey& key, const IpAddress& ip);
  void import_ip(PeerId peer, const EvpnRoute& route, const PathInfo& path, bool add);

  std::vector<VniConfig> vnis_;
  std::map<uint32_t, size_t> vni_index_;
  std::vector<L3VniConfig> l3vnis_;
  std::map<MacKey, std::set<IpAddress>> local_ips_;  // local MAC -> its IPs
  std::map<IpRouteChange, uint32_t> ip_installed_;   // counted: several routes, one path
  std::map<BindingChange, uint32_t> bind_installed_;
  IpAddress local_vtep_;
  std::map<PeerId, std::map<EvpnRoute, PathInfo>> adj_in_;
  std::map<MacKey, std::vector<Candidate>> mac_candidates_;
  std::map<MacKey, Installed> mac_installed_;
  struct FloodKey {
    uint32_t vni;
    IpAddress vtep;
    PeerId peer;
    auto operator<=>(const FloodKey&) const = default;
  };
  std::map<FloodKey, uint32_t> flood_refs_;  // one peer may send it under several RDs
  std::map<MacKey, LocalMac> local_macs_;
  std::map<EvpnRoute, LocalRoute> local_;
  std::map<EvpnRoute, bool> export_pending_;  // route -> advertise (true) / withdraw
  ImportChanges changes_;
};

}  // namespace vgw::bgp
