// Whole-configuration checks. Each check returns the first problem as
// `object.field: reason`, naming objects the way parse_yaml does. Lookups use
// hash tables so a configuration of a million networks validates in linear time;
// networks and VNIs are indexed by position (FlatIndex, no name copies) and an
// object's path is only spelled out for its error.
#include "config/validate.h"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "config/flat_index.h"
#include "config/names.h"

namespace vgw::config {
namespace {

std::string q(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

Error err(const std::string& path, const std::string& reason) {
  return make_error(path + ": " + reason);
}

std::string family(const IpAddress& a) {
  return a.v6 ? "IPv6" : "IPv4";
}

bool is_multicast(const IpAddress& a) {
  return a.v6 ? a.b[0] == 0xff : (a.b[0] & 0xf0) == 0xe0;
}
bool is_loopback(const IpAddress& a) {
  if (!a.v6) return a.b[0] == 127;
  for (int i = 0; i < 15; ++i)
    if (a.b[i]) return false;
  return a.b[15] == 1;
}
bool is_broadcast(const IpAddress& a) {
  return !a.v6 && a.v4_host() == 0xffffffffu;
}

// An address a VTEP can send to or from: unicast, specified.
Status check_unicast(const IpAddress& a, const std::string& path, const char* what) {
  if (a.is_unspecified() || is_multicast(a) || is_broadcast(a))
    return err(path, a.to_string() + " is not a unicast address (" + what + ")");
  return {};
}

bool host_bits_clear(const IpPrefix& p) {
  size_t bits = p.addr.size() * 8;
  for (size_t i = p.len; i < bits; ++i)
    if (p.addr.b[i / 8] & (0x80 >> (i % 8))) return false;
  return true;
}

bool host_bits_set(const IpPrefix& p) {
  size_t bits = p.addr.size() * 8;
  for (size_t i = p.len; i < bits; ++i)
    if (!(p.addr.b[i / 8] & (0x80 >> (i % 8)))) return false;
  return true;
}

struct PortVlanHash {
  size_t operator()(const std::pair<std::string, uint16_t>& k) const noexcept {
    return std::hash<std::string>{}(k.first) * 4099 + k.second;
  }
};

Status check_node_api(const Config& c) {
  if (c.node.name.empty()) return err("node.name", "must not be empty");
  if (c.api.socket.empty()) return err("api.socket", "must not be empty");
  // sockaddr_un.sun_path holds 108 bytes including the terminating NUL.
  if (c.api.socket.size() > 107)
    return err("api.socket",
               q(c.api.socket) + " is longer than 107 characters (a unix socket path)");
  if (c.api.http.empty()) return {};  // the HTTP API is off
  const std::string& h = c.api.http;
  std::string host, port;
  if (!h.empty() && h[0] == '[') {
    auto close = h.find(']');
    if (close == std::string::npos || close + 1 >= h.size() || h[close + 1] != ':')
      return err("api.http", q(h) + " is not host:port (IPv6 as [addr]:port)");
    host = h.substr(1, close - 1);
    port = h.substr(close + 2);
    auto a = IpAddress::parse(host);
    if (!a || !a->v6) return err("api.http", q(host) + " is not an IPv6 address");
  } else {
    auto colon = h.rfind(':');
    if (colon == std::string::npos || colon == 0 || h.find(':') != colon)
      return err("api.http", q(h) + " is not host:port (IPv6 as [addr]:port)");
    host = h.substr(0, colon);
    port = h.substr(colon + 1);
    if (!IpAddress::parse(host) && host != "localhost")
      return err("api.http", q(host) + " is not an IP address or localhost");
  }
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) > 65535)
    return err("api.http", q(port) + " is not a port number 0..65535");
  bool loopback = host == "localhost" ||
                  is_loopback(*IpAddress::parse(host == "localhost" ? "127.0.0.1" : host));
  if (!loopback && c.api.token.empty())
    return err("api.token", "required when api.http listens beyond loopback (" + h + ")");
  return {};
}

Status check_vtep(const Config& c, bool tunnels) {
  const Vtep& v = c.vtep;
  if (v.udp_port == 0) return err("vtep.udp-port", "0 is out of range 1..65535");
  if (v.source_port_min == 0 || v.source_port_max == 0)
    return err("vtep.source-port-range", "ports must be in 1..65535");
  if (v.source_port_min > v.source_port_max)
    return err("vtep.source-port-range", "min " + std::to_string(v.source_port_min) +
                                             " is greater than max " +
                                             std::to_string(v.source_port_max));
  if (v.ttl == 0) return err("vtep.ttl", "0 is out of range 1..255");
  bool has_source = v.source != IpAddress{};
  if (has_source) {
    if (auto s = check_unicast(v.source, "vtep.source", "the local VTEP"); !s) return s;
    if (is_loopback(v.source))
      return err("vtep.source", v.source.to_string() + " is a loopback address");
  }
  if (tunnels && !has_source)
    return err("vtep.source", "required when a network or router has a VNI");
  if (v.df && v.source.v6)
    return err("vtep.df", "applies to an IPv4 underlay only (IPv6 never fragments in transit)");
  const Underlay& u = c.underlay;
  if (tunnels && u.interface.empty())
    return err("underlay.interface", "required when a network or router has a VNI");
  if (u.mtu != 0) {
    uint32_t min = v.source.v6 ? 1280 : 576;
    if (u.mtu < min || u.mtu > 65535)
      return err("underlay.mtu", std::to_string(u.mtu) + " is out of range " + std::to_string(min) +
                                     "..65535 (0 = the interface's MTU)");
  }
  return {};
}

Status check_fdb(const Fdb& f) {
  if (f.dup_max_moves == 1)
    return err("fdb.dup-max-moves", "1 is out of range 2..1000 (0 = off): one move is not a flap");
  if (f.dup_max_moves > 1000)
    return err("fdb.dup-max-moves",
               std::to_string(f.dup_max_moves) + " is out of range 2..1000 (0 = off)");
  if (f.dup_window == 0 || f.dup_window > 86400)
    return err("fdb.dup-window", std::to_string(f.dup_window) + " is out of range 1..86400");
  return {};
}

// `at` spells the network's path ("networks[web]") when an error needs it.
template <typename PathOf>
Status check_network(const Config& c, const Network& n, PathOf at,
                     const std::unordered_set<std::string>& ports, bool tenant_known) {
  if (!tenant_known) return err(at() + ".tenant", q(n.tenant) + " is not a tenant");
  if (n.vni && (*n.vni == 0 || *n.vni > kMaxVni))
    return err(at() + ".vni", std::to_string(*n.vni) + " is out of range 1..16777215");
  const IpAddress& src = c.vtep.source;
  if (!n.vni) {
    if (!n.remotes.empty())
      return err(at() + ".remotes", "a network without a VNI has no remote VTEPs");
    if (n.multicast_group)
      return err(at() + ".multicast-group", "a network without a VNI has no multicast group");
  }
  if (n.vni && n.flood == FloodMode::kMulticast && !n.multicast_group)
    return err(at() + ".multicast-group", "required when flood is multicast");
  if (n.multicast_group && n.flood != FloodMode::kMulticast)
    return err(at() + ".multicast-group",
               "set but flood is " + std::string(to_string(n.flood)) + " (use flood: multicast)");
  if (n.multicast_group) {
    const IpAddress& g = *n.multicast_group;
    if (!is_multicast(g))
      return err(at() + ".multicast-group", g.to_string() + " is not a multicast address");
    if (g.v6 != src.v6)
      return err(at() + ".multicast-group", g.to_string() + " is " + family(g) +
                                                " but vtep.source " + src.to_string() + " is " +
                                                family(src));
  }
  if (n.vni && n.flood == FloodMode::kEvpn && !c.evpn)
    return err(at() + ".flood", "evpn needs the evpn section");
  if (n.mac_limit > 16'777'216)
    return err(at() + ".mac-limit", std::to_string(n.mac_limit) + " is out of range 0..16777216");
  if (n.ageing > 1'000'000)
    return err(at() + ".ageing", std::to_string(n.ageing) + " is out of range 0..1000000");

  // A few remotes (the usual case) are compared pairwise: no set per network.
  constexpr size_t kPairwise = 16;
  std::unordered_set<IpAddress> remotes;
  if (n.remotes.size() > kPairwise) remotes.reserve(n.remotes.size());
  for (size_t i = 0; i < n.remotes.size(); ++i) {
    const IpAddress& r = n.remotes[i];
    auto p = [&] { return at() + ".remotes[" + std::to_string(i) + "]"; };
    if (r.is_unspecified() || is_multicast(r) || is_broadcast(r))
      return check_unicast(r, p(), "a remote VTEP");
    if (r.v6 != src.v6)
      return err(p(), r.to_string() + " is " + family(r) + " but vtep.source " + src.to_string() +
                          " is " + family(src));
    if (r == src) return err(p(), r.to_string() + " is our own vtep.source");
    bool twice = false;
    if (n.remotes.size() > kPairwise)
      twice = !remotes.insert(r).second;
    else
      for (size_t j = 0; j < i && !twice; ++j) twice = n.remotes[j] == r;
    if (twice) return err(p(), r.to_string() + " is listed twice");
  }

  std::unordered_set<std::pair<std::string, uint16_t>, PortVlanHash> attached;
  for (size_t i = 0; i < n.attachments.size(); ++i) {
    const Attachment& a = n.attachments[i];
    std::string p = at() + ".attachments[" + std::to_string(i) + "]";
    if (!ports.count(a.port)) return err(p + ".port", q(a.port) + " is not a port");
    if (a.vlan > 4094) return err(p + ".vlan", std::to_string(a.vlan) + " is out of range 1..4094");
    attached.insert({a.port, a.vlan});
  }

  std::unordered_set<uint64_t> macs;
  for (size_t i = 0; i < n.static_macs.size(); ++i) {
    const StaticMac& m = n.static_macs[i];
    std::string p = at() + ".macs[" + std::to_string(i) + "]";
    if (m.mac.is_multicast() || m.mac.is_zero())
      return err(p + ".mac", m.mac.to_string() + " is not a unicast MAC address");
    if (!macs.insert(m.mac.to_u64()).second)
      return err(p + ".mac", m.mac.to_string() + " is listed twice");
    if (m.port.empty() == !m.remote.has_value())
      return err(p, "needs exactly one of port or remote");
    if (!m.port.empty()) {
      if (!attached.count({m.port, m.vlan}))
        return err(p + ".port", m.port + (m.vlan ? " vlan " + std::to_string(m.vlan) : "") +
                                    " is not an attachment of this network");
    } else {
      if (!n.vni) return err(p + ".remote", "a network without a VNI has no remote VTEPs");
      if (auto s = check_unicast(*m.remote, p + ".remote", "a remote VTEP"); !s) return s;
      if (m.remote->v6 != src.v6)
        return err(p + ".remote", m.remote->to_string() + " is " + family(*m.remote) +
                                      " but vtep.source " + src.to_string() + " is " + family(src));
      if (*m.remote == src)
        return err(p + ".remote", m.remote->to_string() + " is our own vtep.source");
    }
  }
  return {};
}

// A prefix with its host bits cleared, as a hash key.
struct Subnet {
  IpAddress addr;
  uint8_t len = 0;
  bool operator==(const Subnet&) const = default;
};
struct SubnetHash {
  size_t operator()(const Subnet& s) const noexcept {
    return std::hash<IpAddress>{}(s.addr) * 131 + s.len;
  }
};

Subnet subnet_of(const IpAddress& a, uint8_t len) {
  return Subnet{IpPrefix{a, len}.masked().addr, len};
}

std::string subnet_text(const Subnet& s) {
  return s.addr.to_string() + "/" + std::to_string(s.len);
}

// The router's connected subnets, to find overlaps and the subnet covering an
// address with one hash probe per prefix length in use (at most 33 or 129), so
// a router with many interfaces and routes still validates in linear time.
class Connected {
 public:
  // The network of an earlier subnet that overlaps s, or nullptr after
  // recording s for `network`.
  const std::string* claim(const Subnet& s, const std::string& network) {
    if (const std::string* o = covering(s.addr, s.len)) return o;  // s inside an earlier one
    if (auto it = within_.find(s); it != within_.end()) return &it->second;  // an earlier inside s
    m_.emplace(s, network);
    order_.push_back(s);
    auto& lens = s.addr.v6 ? v6_lens_ : v4_lens_;
    if (std::find(lens.begin(), lens.end(), s.len) == lens.end()) lens.push_back(s.len);
    for (uint8_t l = 0; l < s.len; ++l) within_.try_emplace(subnet_of(s.addr, l), network);
    return nullptr;
  }
  // The network of the subnet of at most max_len bits that contains a, or nullptr.
  const std::string* covering(const IpAddress& a, uint8_t max_len) const {
    for (uint8_t l : a.v6 ? v6_lens_ : v4_lens_)
      if (l <= max_len)
        if (auto it = m_.find(subnet_of(a, l)); it != m_.end()) return &it->second;
    return nullptr;
  }
  const std::string* find(const Subnet& s) const {
    auto it = m_.find(s);
    return it == m_.end() ? nullptr : &it->second;
  }
  // "10.0.0.0/24, 10.1.0.0/24": the subnets of one family, in configuration order.
  std::string list(bool v6) const {
    std::string out;
    for (const Subnet& s : order_)
      if (s.addr.v6 == v6) out += (out.empty() ? "" : ", ") + subnet_text(s);
    return out;
  }

 private:
  std::unordered_map<Subnet, std::string, SubnetHash> m_;
  std::vector<Subnet> order_;
  // Every shorter subnet containing a recorded one -> that one's network.
  std::unordered_map<Subnet, std::string, SubnetHash> within_;
  std::vector<uint8_t> v4_lens_, v6_lens_;
};

Status check_interface_address(const IpPrefix& a, const std::string& p) {
  const IpAddress& ad = a.addr;
  const unsigned host_len = ad.v6 ? 128 : 32;
  if (ad.is_unspecified() || is_multicast(ad) || is_broadcast(ad) || is_loopback(ad) ||
      (!ad.v6 && ad.b[0] == 0))
    return err(p, a.to_string() + " is not a unicast host address");
  if (a.len == 0 || a.len == host_len)
    return err(p, a.to_string() + " needs the subnet's prefix length (e.g. " +
                      (ad.v6 ? "2001:db8::1/64" : "10.0.0.254/24") +
                      "): the interface's subnet is the connected route");
  // In an IPv4 subnet larger than /31 the all-zeros and all-ones hosts are not
  // usable (RFC 3021 for /31); in IPv6 the all-zeros host is the subnet-router
  // anycast address (RFC 4291 §2.6.1), except on a /127 (RFC 6164).
  if (!ad.v6 && a.len < 31 && (host_bits_clear(a) || host_bits_set(a)))
    return err(p, a.to_string() + " is the network or broadcast address of its subnet");
  if (ad.v6 && a.len < 127 && host_bits_clear(a))
    return err(p, a.to_string() + " is the subnet-router anycast address of its subnet");
  return {};
}

// network_named(name) is the configuration's network of that name, or nullptr.
template <typename NetworkNamed>
Status check_router(const Router& r, const std::string& path, NetworkNamed network_named,
                    const std::unordered_set<std::string>& tenants) {
  if (!tenants.count(r.tenant)) return err(path + ".tenant", q(r.tenant) + " is not a tenant");
  // One interface per (network, family); both families share the network's MAC.
  std::unordered_map<std::string, std::pair<bool, bool>> families;
  std::unordered_map<std::string, std::optional<MacAddress>> mac_of;
  std::unordered_map<IpAddress, std::string> own;  // the router's addresses
  Connected connected;
  for (size_t i = 0; i < r.interfaces.size(); ++i) {
    const RouterInterface& f = r.interfaces[i];
    std::string p = path + ".interfaces[" + std::to_string(i) + "]";
    const Network* found = network_named(f.network);
    if (!found) return err(p + ".network", q(f.network) + " is not a network");
    const Network& net = *found;
    if (net.tenant != r.tenant)
      return err(p + ".network", "network " + f.network + " is in tenant " + net.tenant +
                                     ", the router in tenant " + r.tenant);
    if (auto s = check_interface_address(f.address, p + ".address"); !s) return s;
    const bool v6 = f.address.addr.v6;
    auto& fam = families[f.network];
    if (v6 ? fam.second : fam.first)
      return err(p + ".network", "the router already has an " + family(f.address.addr) +
                                     " interface in network " + f.network +
                                     " (one address per family and network)");
    (v6 ? fam.second : fam.first) = true;
    if (f.mac && (f.mac->is_multicast() || f.mac->is_zero()))
      return err(p + ".mac", f.mac->to_string() + " is not a unicast MAC address");
    auto [m, fresh] = mac_of.try_emplace(f.network, f.mac);
    if (!fresh && m->second != f.mac)
      return err(p + ".mac", (f.mac ? f.mac->to_string() : std::string("the default MAC")) +
                                 " differs from " +
                                 (m->second ? m->second->to_string() : "the default MAC") +
                                 " of the router's other interface in network " + f.network +
                                 " (one router MAC per network)");
    if (f.mac)
      for (size_t k = 0; k < net.static_macs.size(); ++k)
        if (net.static_macs[k].mac == *f.mac)
          return err(p + ".mac", f.mac->to_string() + " is also networks[" + net.name + "].macs[" +
                                     std::to_string(k) + "]");
    Subnet sn = subnet_of(f.address.addr, f.address.len);
    if (const std::string* o = connected.claim(sn, f.network))
      return err(p + ".address", f.address.to_string() +
                                     " overlaps the router's subnet in network " + *o +
                                     " (connected subnets of a router must not overlap)");
    own.emplace(f.address.addr, f.network);
  }
  std::unordered_set<Subnet, SubnetHash> prefixes;
  prefixes.reserve(r.routes.size());
  for (size_t i = 0; i < r.routes.size(); ++i) {
    const Route& rt = r.routes[i];
    std::string p = path + ".routes[" + std::to_string(i) + "]";
    if (!host_bits_clear(rt.prefix))
      return err(p + ".prefix", rt.prefix.to_string() + " has host bits set");
    Subnet ps{rt.prefix.addr, rt.prefix.len};
    if (!prefixes.insert(ps).second)
      return err(p + ".prefix", rt.prefix.to_string() + " is listed twice");
    if (const std::string* o = connected.find(ps))
      return err(p + ".prefix", rt.prefix.to_string() +
                                    " is the router's connected subnet in network " + *o +
                                    " (the connected route wins; this one would never be used)");
    if (rt.via.empty()) return err(p + ".via", "needs at least one next hop");
    std::unordered_set<IpAddress> hops;
    for (size_t j = 0; j < rt.via.size(); ++j) {
      const IpAddress& h = rt.via[j];
      std::string hp = p + ".via[" + std::to_string(j) + "]";
      if (h.v6 != rt.prefix.addr.v6)
        return err(hp, h.to_string() + " is " + family(h) + " but the prefix is " +
                           family(rt.prefix.addr));
      if (h.is_unspecified() || is_multicast(h) || is_broadcast(h) || is_loopback(h))
        return err(hp, h.to_string() + " is not a unicast next hop");
      if (!hops.insert(h).second) return err(hp, h.to_string() + " is listed twice");
      if (auto o = own.find(h); o != own.end())
        return err(hp, h.to_string() + " is the router's own address in network " + o->second);
      // A next hop is resolved through the connected subnet covering it (ARP/ND
      // there). With an l3-vni it may instead be reached over the L3 VNI (a
      // host or prefix route from EVPN), so it is accepted and stays
      // unresolved until such a route covers it.
      if (!r.l3_vni && !connected.covering(h, h.v6 ? 128 : 32)) {
        std::string subnets = connected.list(h.v6);
        return err(hp, h.to_string() + " is not in a connected subnet of the router (" +
                           (subnets.empty() ? "it has no " + family(h) + " interface" : subnets) +
                           "): a next hop must be on one of its networks, or reached "
                           "through its l3-vni");
      }
    }
  }
  return {};
}

// FRR's RD/RT text: "ASN:n" (ASN up to 32 bits; n up to 32 bits with a 16-bit
// ASN, else 16 bits) or "a.b.c.d:n" (n up to 16 bits).
bool valid_rd_rt(const std::string& s) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size()) return false;
  std::string left = s.substr(0, colon), right = s.substr(colon + 1);
  auto num = [](const std::string& t, uint64_t max) -> bool {
    if (t.empty() || t.size() > 10 || t.find_first_not_of("0123456789") != std::string::npos)
      return false;
    return std::stoull(t) <= max;
  };
  if (left.find('.') != std::string::npos) {
    auto a = IpAddress::parse(left);
    return a && !a->v6 && num(right, 0xffff);
  }
  if (!num(left, 0xffffffffu)) return false;
  return num(right, std::stoull(left) > 0xffff ? 0xffff : 0xffffffffu);
}

Status check_evpn(const Evpn& e) {
  if (e.asn == 0) return err("evpn.asn", "0 is out of range 1..4294967295");
  if (e.router_id) {
    if (e.router_id->v6)
      return err("evpn.router-id",
                 e.router_id->to_string() + " is not an IPv4 address (a BGP router ID is 32 bits)");
    if (e.router_id->is_unspecified()) return err("evpn.router-id", "0.0.0.0 is not a router ID");
  }
  std::unordered_set<IpAddress> seen;
  for (size_t i = 0; i < e.neighbors.size(); ++i) {
    const EvpnNeighbor& nb = e.neighbors[i];
    std::string p = "evpn.neighbors[" + std::to_string(i) + "]";
    if (auto s = check_unicast(nb.address, p + ".address", "a BGP neighbor"); !s) return s;
    if (!seen.insert(nb.address).second)
      return err(p + ".address", nb.address.to_string() + " is listed twice");
    if (nb.remote_as == 0) return err(p + ".remote-as", "0 is out of range 1..4294967295");
  }
  if (e.hold_time == 1 || e.hold_time == 2)
    return err("evpn.hold-time", std::to_string(e.hold_time) + " s: must be 0 or at least 3");
  if (e.connect_retry == 0) return err("evpn.connect-retry", "0 is out of range 1..65535");
  std::unordered_set<uint32_t> vnis;
  for (size_t i = 0; i < e.vnis.size(); ++i) {
    const EvpnVni& v = e.vnis[i];
    std::string p = "evpn.vnis[" + std::to_string(i) + "]";
    if (v.vni == 0 || v.vni > kMaxVni) return err(p + ".vni", "out of range 1..16777215");
    if (!vnis.insert(v.vni).second)
      return err(p + ".vni", std::to_string(v.vni) + " is listed twice");
    if (!v.rd.empty() && !valid_rd_rt(v.rd))
      return err(p + ".rd", "'" + v.rd + "' is not a route distinguisher (ASN:n or a.b.c.d:n)");
    auto check = [&](const std::vector<std::string>& l, const char* field) -> Status {
      for (size_t j = 0; j < l.size(); ++j)
        if (!valid_rd_rt(l[j]))
          return err(p + "." + field + "[" + std::to_string(j) + "]",
                     "'" + l[j] + "' is not a route target (ASN:n or a.b.c.d:n)");
      return {};
    };
    if (auto s = check(v.route_targets, "route-targets"); !s) return s;
    if (auto s = check(v.import_route_targets, "import-route-targets"); !s) return s;
    if (auto s = check(v.export_route_targets, "export-route-targets"); !s) return s;
  }
  return {};
}

}  // namespace

Status validate(const Config& c) {
  if (auto s = check_node_api(c); !s) return s;

  std::unordered_set<std::string> ports;
  ports.reserve(c.ports.size());
  for (size_t i = 0; i < c.ports.size(); ++i) {
    const Port& p = c.ports[i];
    std::string path = "ports[" + (p.name.empty() ? std::to_string(i) : p.name) + "]";
    if (p.name.empty()) return err(path + ".name", "must not be empty");
    if (!ports.insert(p.name).second) return err(path + ".name", q(p.name) + " is listed twice");
    if (p.io != "packet" && p.io != "xdp" && p.io != "memory")
      return err(path + ".io", q(p.io) + " is not one of packet, xdp, memory");
    if (p.name == c.underlay.interface)
      return err(
          path + ".name",
          p.name + " is the underlay interface; an attachment port carries no kernel address");
  }

  bool tunnels = false;
  for (const auto& n : c.networks) tunnels = tunnels || n.vni.has_value();
  for (const auto& r : c.routers) tunnels = tunnels || r.l3_vni.has_value();
  if (auto s = check_vtep(c, tunnels); !s) return s;
  if (auto s = check_fdb(c.fdb); !s) return s;

  std::unordered_set<std::string> tenants;
  tenants.reserve(c.tenants.size());
  for (size_t i = 0; i < c.tenants.size(); ++i) {
    const Tenant& t = c.tenants[i];
    std::string path = "tenants[" + (t.name.empty() ? std::to_string(i) : t.name) + "]";
    if (t.name.empty()) return err(path + ".name", "must not be empty");
    if (!tenants.insert(t.name).second) return err(path + ".name", q(t.name) + " is listed twice");
  }

  // Networks by name; VNIs in use as one bit each (2 MiB, in VNI order: a million
  // sequential VNIs touch it sequentially). The owner of a VNI used twice, the first
  // network (or else router) that has it, is only looked for to name it in the error.
  const auto n_networks = static_cast<uint32_t>(c.networks.size());
  FlatIndex by_name(c.networks.size());
  std::vector<uint64_t> vni_used;
  auto claim_vni = [&](uint32_t vni) {  // vni in 1..kMaxVni; true when already used
    if (vni_used.empty()) vni_used.assign((kMaxVni >> 6) + 1, 0);
    uint64_t& word = vni_used[vni >> 6];
    const uint64_t bit = uint64_t{1} << (vni & 63);
    const bool used_before = word & bit;
    word |= bit;
    return used_before;
  };
  auto owner_text = [&](uint32_t vni) {
    for (const Network& n : c.networks)
      if (n.vni == vni) return "network " + n.name;
    for (const Router& r : c.routers)
      if (r.l3_vni == vni) return "router " + r.name;
    return std::string("?");
  };
  std::unordered_map<std::pair<std::string, uint16_t>, std::string, PortVlanHash> used;
  const std::string* known_tenant = nullptr;  // the last tenant found (most share one)
  for (uint32_t i = 0; i < n_networks; ++i) {
    const Network& n = c.networks[i];
    auto at = [&] { return "networks[" + (n.name.empty() ? std::to_string(i) : n.name) + "]"; };
    if (n.name.empty()) return err(at() + ".name", "must not be empty");
    if (constexpr uint32_t kAhead = 8; i + kAhead < n_networks)
      by_name.prefetch(FlatIndex::hash(c.networks[i + kAhead].name));
    if (by_name.claim(FlatIndex::hash(n.name), i,
                      [&](uint32_t j) { return c.networks[j].name == n.name; }) != FlatIndex::kNone)
      return err(at() + ".name", q(n.name) + " is listed twice");
    bool tenant_known = known_tenant && *known_tenant == n.tenant;
    if (!tenant_known && tenants.count(n.tenant)) {
      tenant_known = true;
      known_tenant = &n.tenant;
    }
    if (auto s = check_network(c, n, at, ports, tenant_known); !s) return s;
    if (n.vni && claim_vni(*n.vni))
      return err(at() + ".vni",
                 std::to_string(*n.vni) + " is already used by " + owner_text(*n.vni));
    for (size_t j = 0; j < n.attachments.size(); ++j) {
      const Attachment& a = n.attachments[j];
      auto [it, fresh] = used.try_emplace({a.port, a.vlan}, n.name);
      if (!fresh)
        return err(at() + ".attachments[" + std::to_string(j) + "]",
                   "port " + a.port + (a.vlan ? " vlan " + std::to_string(a.vlan) : " untagged") +
                       " is already used by network " + it->second);
    }
  }
  auto network_named = [&](const std::string& name) -> const Network* {
    uint32_t j =
        by_name.find(FlatIndex::hash(name), [&](uint32_t k) { return c.networks[k].name == name; });
    return j == FlatIndex::kNone ? nullptr : &c.networks[j];
  };

  std::unordered_set<std::string> routers;
  std::unordered_map<std::string, std::string> tenant_router;
  for (size_t i = 0; i < c.routers.size(); ++i) {
    const Router& r = c.routers[i];
    std::string path = "routers[" + (r.name.empty() ? std::to_string(i) : r.name) + "]";
    if (r.name.empty()) return err(path + ".name", "must not be empty");
    if (!routers.insert(r.name).second) return err(path + ".name", q(r.name) + " is listed twice");
    if (tenants.count(r.tenant)) {
      auto [it, fresh] = tenant_router.try_emplace(r.tenant, r.name);
      if (!fresh)
        return err(path + ".tenant", "tenant " + r.tenant + " already has router " + it->second +
                                         " (one router per tenant)");
    }
    if (r.l3_vni) {
      if (*r.l3_vni == 0 || *r.l3_vni > kMaxVni)
        return err(path + ".l3-vni", std::to_string(*r.l3_vni) + " is out of range 1..16777215");
      if (claim_vni(*r.l3_vni))
        return err(path + ".l3-vni",
                   std::to_string(*r.l3_vni) + " is already used by " + owner_text(*r.l3_vni));
    }
    if (r.router_mac && (r.router_mac->is_zero() || r.router_mac->is_multicast()))
      return err(path + ".router-mac", r.router_mac->to_string() + " is not a unicast MAC");
    if (r.router_mac && !r.l3_vni)
      return err(path + ".router-mac", "a router MAC is used only with an l3-vni");
    if (r.advertise_connected && (!r.l3_vni || !c.evpn))
      return err(path + ".advertise-connected",
                 "type-5 routes need an l3-vni and the evpn section");
    if (auto s = check_router(r, path, network_named, tenants); !s) return s;
  }

  if (c.evpn)
    if (auto s = check_evpn(*c.evpn); !s) return s;
  return {};
}

}  // namespace vgw::config
