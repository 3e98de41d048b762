// The configuration model: the objects of SPEC "Objects", as plain values.
// Parsed from YAML (config/yaml.h), validated as a whole (config/validate.h),
// compared (config/diff.h) and persisted atomically (config/persist.h). The
// control plane turns a validated Config into a data-plane snapshot.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/addr.h"

namespace vgw::config {

inline constexpr uint32_t kMaxVni = 16'777'215;  // 24 bits (RFC 7348 §5)

struct Node {
  std::string name = "vgw";
  uint32_t workers = 0;  // data-plane worker threads; 0 = one per core
  bool operator==(const Node&) const = default;
};

struct Api {
  std::string socket = "/run/vgw/vgw.sock";
  std::string http = "127.0.0.1:8080";
  std::string token;  // bearer token required for changes when http is not loopback
  bool operator==(const Api&) const = default;
};

// An attachment port: a Linux interface that vgw takes over (AF_PACKET).
struct Port {
  std::string name;
  std::string io = "packet";  // packet | memory (tests)
  bool operator==(const Port&) const = default;
};

enum class UnderlayIo { kPacket, kSocket, kXdp, kTap };

struct Underlay {
  std::string interface;  // the kernel keeps its address
  UnderlayIo io = UnderlayIo::kPacket;
  uint32_t mtu = 0;  // 0 = the interface's MTU
  bool operator==(const Underlay&) const = default;
};

struct Vtep {
  IpAddress source;  // an address the kernel has on the underlay
  uint16_t udp_port = 4789;
  uint16_t source_port_min = 49152;
  uint16_t source_port_max = 65535;
  bool allow_unknown_sources = false;  // decapsulate only from known remote VTEPs
  uint8_t ttl = 64;
  bool df = false;  // set DF on the outer IPv4 header
  bool operator==(const Vtep&) const = default;
};

struct Tenant {
  std::string name;
  bool operator==(const Tenant&) const = default;
};

struct Attachment {
  std::string port;
  uint16_t vlan = 0;  // 0 = untagged; 1..4094 = that VLAN on the port
  bool operator==(const Attachment&) const = default;
};

enum class FloodMode { kHeadEnd, kMulticast, kEvpn, kNone };

struct StaticMac {
  MacAddress mac;
  std::string port;  // either a local port (with vlan) ...
  uint16_t vlan = 0;
  std::optional<IpAddress> remote;  // ... or a remote VTEP
  bool operator==(const StaticMac&) const = default;
};

struct Network {
  std::string name;
  std::string tenant;
  std::optional<uint32_t> vni;  // none: a local-only segment
  FloodMode flood = FloodMode::kHeadEnd;
  std::vector<IpAddress> remotes;  // static head-end list
  std::optional<IpAddress> multicast_group;
  uint32_t mac_limit = 0;  // 0 = no limit
  uint32_t ageing = 300;   // seconds; 0 = never age
  bool arp_suppression = true;
  bool allow_inner_vlan = false;  // pass inner 802.1Q frames (RFC 7348 §6.1: drop)
  std::vector<Attachment> attachments;
  std::vector<StaticMac> static_macs;  // `macs:` in YAML
  bool operator==(const Network&) const = default;
};

struct RouterInterface {
  std::string network;
  IpPrefix address;  // interface address with its prefix length
  std::optional<MacAddress> mac;
  bool operator==(const RouterInterface&) const = default;
};

struct Route {
  IpPrefix prefix;
  std::vector<IpAddress> via;  // one or more next hops (ECMP)
  bool operator==(const Route&) const = default;
};

struct Router {
  std::string name;
  std::string tenant;
  // Symmetric IRB (RFC 9135): routed traffic to and from remote VTEPs crosses
  // the fabric in this VNI, addressed to each gateway's router MAC.
  std::optional<uint32_t> l3_vni;
  std::optional<MacAddress> router_mac;  // default: derived from name and vtep.source
  bool advertise_connected = false;      // EVPN type-5 routes for the connected subnets
  std::vector<RouterInterface> interfaces;
  std::vector<Route> routes;
  bool operator==(const Router&) const = default;
};

// The network a router's L3 VNI is in the data plane: no attachments, no
// flooding, the router's interface (its router MAC, no address) the only
// local member. '/' is not allowed in names, so it never meets a configured one.
inline std::string l3vni_network_name(const std::string& router) {
  return router + "/l3vni";
}

struct EvpnNeighbor {
  IpAddress address;
  uint32_t remote_as = 0;
  bool operator==(const EvpnNeighbor&) const = default;
};

// Per-VNI EVPN settings; a VNI not listed gets FRR's auto-derived values (RD
// router-id:index, RT asn:vni). Route targets in FRR's text ("65000:100",
// "1.2.3.4:100"); route-targets apply to import and export, the others to one.
struct EvpnVni {
  uint32_t vni = 0;
  std::string rd;  // "" = auto
  std::vector<std::string> route_targets;
  std::vector<std::string> import_route_targets;
  std::vector<std::string> export_route_targets;
  bool operator==(const EvpnVni&) const = default;
};

struct Evpn {
  uint32_t asn = 0;
  std::optional<IpAddress> router_id;  // default: vtep.source
  std::vector<EvpnNeighbor> neighbors;
  uint16_t hold_time = 90;      // seconds we propose; 0 or 3..65535
  uint32_t connect_retry = 10;  // seconds between connection attempts
  std::vector<EvpnVni> vnis;
  bool operator==(const Evpn&) const = default;
};

// Duplicate-move detection (like FRR's dup-addr-detection): a MAC that moves
// max_moves times within window seconds is frozen where it is.
struct Fdb {
  uint32_t dup_max_moves = 5;
  uint32_t dup_window = 180;
  bool operator==(const Fdb&) const = default;
};

struct Config {
  Node node;
  Api api;
  std::vector<Port> ports;
  Underlay underlay;
  Vtep vtep;
  Fdb fdb;
  std::vector<Tenant> tenants;
  std::vector<Network> networks;
  std::vector<Router> routers;
  std::optional<Evpn> evpn;
  bool operator==(const Config&) const = default;
};

}  // namespace vgw::config
